"""The instance's privacy policy and terms of service, as people and apps read them.

The operator writes them as plain text (`PNYX_PRIVACY_POLICY`, `PNYX_TERMS_OF_SERVICE`, or an
admin in /admin/instance, an override logged publicly); blank lines separate paragraphs. They
are rendered to HTML here, escaped, so the same text serves the web pages and Mastodon's
`/api/v1/instance/privacy_policy` and `/terms_of_service`. The date a text took effect is when
an admin last changed it (the public moderation log records it), or, for a text from the
configuration, when this process read it. Without a privacy policy of the operator's, Pnyx's
default below says what it stores and shows; without terms there are none (404, and
`urls.terms_of_service` is null), as Mastodon does.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from pnyx.core.instance_settings import effective_settings
from pnyx.db.engine import Tx
from pnyx.db.tables import moderation_log
from pnyx.db.types import utcnow

# When this process started: the effective date of a text that came from the configuration.
_STARTED = utcnow()

DEFAULT_PRIVACY_POLICY = """\
This server runs Pnyx, an open-source social network server that talks with other servers of the Fediverse.

What we store: your account (username, email address, a hash of your password), your profile, your posts and media, whom you follow, block and mute, your favourites and bookmarks, and the IP address of recent requests for security.

What others see: your profile and your public posts are public. Followers-only and direct posts are shown only to the people they are addressed to, here and on the servers of those people, which store copies to show them.

What we do not do: we sell nothing and show no advertising. Your data leaves this server only to reach the people and servers your posts address.

You can export your data and delete your account at any time from your settings. Ask the operator of this server (see the about page) about anything else."""


@dataclass(frozen=True)
class Policy:
    content: str  # HTML
    updated_at: datetime


def to_html(text: str) -> str:
    """Plain text to paragraphs of escaped HTML; single line breaks are kept."""
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n")]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
        if p
    )


def _changed_at(tx: Tx, key: str) -> datetime:
    when = tx.scalar(
        sa.select(sa.func.max(moderation_log.c.created_at)).where(
            moderation_log.c.action == f"instance:{key}"
        )
    )
    return when or _STARTED


def privacy_policy(tx: Tx) -> Policy:
    text = effective_settings(tx).privacy_policy.strip()
    return Policy(to_html(text or DEFAULT_PRIVACY_POLICY), _changed_at(tx, "privacy_policy"))


def terms_of_service(tx: Tx) -> Policy | None:
    text = effective_settings(tx).terms_of_service.strip()
    if not text:
        return None
    return Policy(to_html(text), _changed_at(tx, "terms_of_service"))
