"""Link preview cards: what a page a post links to says about itself (OpenGraph, oEmbed),
kept once per URL, and which card each post shows.

A card is shared by every post that links its URL, and fetched again after a while
(core.preview_cards.REFRESH). A post shows at most one card, as in Mastodon: the first
eligible link of its text.
"""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.tables.base import created_column, foreign_key, id_column, metadata
from pnyx.db.types import UTCDateTime

preview_cards = sa.Table(
    "preview_cards",
    metadata,
    id_column(),
    sa.Column("url", sa.String(2048), nullable=False, unique=True),
    sa.Column("title", sa.String(512), nullable=False, server_default=""),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("type", sa.String(16), nullable=False, server_default="link"),
    sa.Column("author_name", sa.String(512), nullable=False, server_default=""),
    sa.Column("author_url", sa.String(2048), nullable=False, server_default=""),
    sa.Column("provider_name", sa.String(512), nullable=False, server_default=""),
    sa.Column("provider_url", sa.String(2048), nullable=False, server_default=""),
    sa.Column("html", sa.Text, nullable=False, server_default=""),  # sanitized iframe only
    sa.Column("width", sa.Integer, nullable=False, server_default="0"),
    sa.Column("height", sa.Integer, nullable=False, server_default="0"),
    # The page's image: where it is (`image_remote_url`), what is shown (`image_url`: our
    # copy once cached, its origin until then), our copy's key in the media store and size.
    sa.Column("image_url", sa.String(2048), nullable=True),
    sa.Column("image_remote_url", sa.String(2048), nullable=True),
    sa.Column("image_key", sa.String(512), nullable=True),
    sa.Column("image_size", sa.BigInteger, nullable=True),
    sa.Column("image_description", sa.Text, nullable=False, server_default=""),
    sa.Column("embed_url", sa.String(2048), nullable=False, server_default=""),
    sa.Column("blurhash", sa.String(128), nullable=True),
    sa.Column("language", sa.String(16), nullable=True),
    sa.Column("published_at", UTCDateTime, nullable=True),
    # The account the page names as its creator (`fediverse:creator`): a claim, credited only
    # while that account lists the page's domain (core.preview_cards.credits, when shown).
    foreign_key("author_account_id", "accounts.id", nullable=True, ondelete="SET NULL"),
    # When the page was last asked for, and whether that gave a card (an error keeps the row
    # so that the same dead link is not fetched again for every post until REFRESH).
    sa.Column("fetched_at", UTCDateTime, nullable=False),
    sa.Column("error", sa.String(512), nullable=True),
    created_column(),
)

sa.Index("ix_preview_cards_author_account_id", preview_cards.c.author_account_id)

# One card per post (Mastodon's rule); `url` is the link the post made, kept so that an edit
# that keeps the link keeps the card, and trends count links even before their card exists.
preview_card_statuses = sa.Table(
    "preview_card_statuses",
    metadata,
    foreign_key("status_id", "statuses.id"),
    foreign_key("preview_card_id", "preview_cards.id", nullable=True, ondelete="SET NULL"),
    sa.Column("url", sa.String(2048), nullable=False),
    created_column(),
    sa.PrimaryKeyConstraint("status_id"),
)
sa.Index("ix_preview_card_statuses_url", preview_card_statuses.c.url)
# A link's timeline walks its posts newest first.
sa.Index(
    "ix_preview_card_statuses_preview_card_id",
    preview_card_statuses.c.preview_card_id,
    preview_card_statuses.c.status_id,
)
