"""status_search: the full-text index of posts (SQLite FTS5, PostgreSQL tsvector + GIN)

The index is built here for the posts already stored, in batches, with a line of progress in
the log every 50,000 posts. What goes in a post's entry is written out below as it stands
today (core.search_index keeps it afterwards): a migration must not change with the code.

Revision ID: 0022
Revises: 0017
"""

import html
import json
import logging
import re

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0017"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
BATCH = 5_000
MAX_DOCUMENT = 100_000
_BREAKS = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")
_ANCHOR = re.compile(r"<a\s[^>]*>", re.IGNORECASE)
_HREF = re.compile(r"""href\s*=\s*["']?https?://""", re.IGNORECASE)
_CLASS = re.compile(r"""class\s*=\s*["'][^"']*\b(mention|hashtag)\b""", re.IGNORECASE)


def _plain(content: str) -> str:
    if "<" not in content and "&" not in content:
        return content
    return html.unescape(_TAGS.sub("", _BREAKS.sub("\n", content)))


def _has_link(content: str) -> bool:
    return any(_HREF.search(a) and not _CLASS.search(a) for a in _ANCHOR.findall(content or ""))


def upgrade() -> None:
    conn = op.get_bind()
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        op.execute(
            "CREATE TABLE status_search ("
            " status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,"
            " document TSVECTOR NOT NULL,"
            " props VARCHAR(32) NOT NULL DEFAULT '')"
        )
        insert = sa.text(
            "INSERT INTO status_search (status_id, document, props)"
            " VALUES (:id, to_tsvector('simple', :body), :props)"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE status_search USING fts5("
            "body, props UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')"
        )
        insert = sa.text(
            "INSERT INTO status_search (rowid, body, props) VALUES (:id, :body, :props)"
        )
    total = conn.scalar(sa.text("SELECT count(*) FROM statuses WHERE reblog_of_id IS NULL")) or 0
    done, last, reported = 0, 0, 0
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT id, spoiler_text, content FROM statuses"
                " WHERE id > :last AND reblog_of_id IS NULL ORDER BY id LIMIT :batch"
            ),
            {"last": last, "batch": BATCH},
        ).all()
        if not rows:
            break
        first, last = rows[0].id, rows[-1].id
        window = {"first": first, "last": last}
        options = {
            r.status_id: r.options
            for r in conn.execute(
                sa.text(
                    "SELECT status_id, options FROM polls WHERE status_id BETWEEN :first AND :last"
                ),
                window,
            )
        }
        descriptions: dict[int, list[str]] = {}
        for r in conn.execute(
            sa.text(
                "SELECT status_id, description FROM media_attachments"
                " WHERE status_id BETWEEN :first AND :last ORDER BY id"
            ),
            window,
        ):
            descriptions.setdefault(r.status_id, []).append(r.description or "")
        values = []
        for r in rows:
            poll = options.get(r.id)
            if isinstance(poll, str):
                poll = json.loads(poll)
            parts = [r.spoiler_text or "", _plain(r.content or "")]
            if poll:
                parts.append("\n\n".join(poll))
            parts.append("\n\n".join(d for d in descriptions.get(r.id, []) if d))
            body = "\n\n".join(parts)[:MAX_DOCUMENT]
            values.append(
                {"id": r.id, "body": body, "props": "link" if _has_link(r.content) else ""}
            )
        conn.execute(insert, values)
        done += len(rows)
        if done - reported >= 50_000:
            reported = done
            log.info("search index: %d of %d posts", done, total)
    if postgres:
        op.execute("CREATE INDEX ix_status_search_document ON status_search USING gin (document)")
    if total:
        log.info("search index: %d posts indexed", done)


def downgrade() -> None:
    op.execute("DROP TABLE status_search")
