"""Mastodon API: search. (Being written.)"""

from starlette.routing import Route

routes: list[Route] = []
