"""Mastodon API: polls. (Being written.)"""

from starlette.routing import Route

routes: list[Route] = []
