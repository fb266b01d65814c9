"""Mastodon API: relationships. (Being written.)"""

from starlette.routing import Route

routes: list[Route] = []
