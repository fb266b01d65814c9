"""Mastodon API: apps. (Being written.)"""

from starlette.routing import Route

routes: list[Route] = []
