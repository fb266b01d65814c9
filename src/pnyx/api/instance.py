"""Mastodon API: instance. (Being written.)"""

from starlette.routing import Route

routes: list[Route] = []
