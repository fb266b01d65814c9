"""Web pages (issue 4): being built."""

from __future__ import annotations

routes: list = []
