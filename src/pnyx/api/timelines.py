"""Mastodon API: timelines. (Being written.)"""

from starlette.routing import Route

routes: list[Route] = []
