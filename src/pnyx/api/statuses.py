"""Mastodon API: statuses. (Being written.)"""

from starlette.routing import Route

routes: list[Route] = []
