"""Mastodon API: notifications. (Being written.)"""

from starlette.routing import Route

routes: list[Route] = []
