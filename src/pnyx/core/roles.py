"""Who is staff: the roles that moderate (Mastodon's Moderator and Admin). A module of its own
so that what only needs the names (notifications, their policy) does not import moderation."""

from __future__ import annotations

STAFF_ROLES = ("admin", "moderator")
