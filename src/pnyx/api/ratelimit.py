"""Rate limits as Mastodon applies them. (Being written.)"""


class RateLimitMiddleware:
    def __init__(self, app, settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)
