"""Mastodon API: user_lists. (Being written.)"""

from starlette.routing import Route

routes: list[Route] = []
