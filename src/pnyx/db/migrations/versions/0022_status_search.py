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
down_revision = "0021"
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


def _facets(row, poll, media: list[tuple[str, str]]) -> str:
    facets = [f"a{row.account_id}"]
    if media:
        facets.append("media")
    kinds = {"image": "image", "gifv": "video", "video": "video", "audio": "audio"}
    facets.extend(sorted({kinds[k] for k, _ in media if k in kinds}))
    if poll is not None:
        facets.append("poll")
    if _has_link(row.content or ""):
        facets.append("link")
    if row.in_reply_to_id is not None or row.in_reply_to_uri is not None:
        facets.append("reply")
    if row.sensitive:
        facets.append("sensitive")
    if row.language:
        facets.append("l" + re.sub(r"[\W_]+", "", row.language.lower()))
    return " ".join(facets)


def upgrade() -> None:
    conn = op.get_bind()
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        op.execute(
            "CREATE TABLE status_search ("
            " status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,"
            " document TSVECTOR NOT NULL,"
            " facets TSVECTOR NOT NULL)"
        )
        insert = sa.text(
            "INSERT INTO status_search (status_id, document, facets)"
            " VALUES (:id, to_tsvector('simple', :body), to_tsvector('simple', :facets))"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE status_search USING fts5("
            "body, facets, tokenize = 'unicode61 remove_diacritics 2')"
        )
        insert = sa.text(
            "INSERT INTO status_search (rowid, body, facets) VALUES (:id, :body, :facets)"
        )
    total = conn.scalar(sa.text("SELECT count(*) FROM statuses WHERE reblog_of_id IS NULL")) or 0
    done, last, reported = 0, 0, 0
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT id, account_id, spoiler_text, content, sensitive, language,"
                " in_reply_to_id, in_reply_to_uri FROM statuses"
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
        media: dict[int, list[tuple[str, str]]] = {}
        for r in conn.execute(
            sa.text(
                "SELECT status_id, type, description FROM media_attachments"
                " WHERE status_id BETWEEN :first AND :last ORDER BY id"
            ),
            window,
        ):
            media.setdefault(r.status_id, []).append((r.type, r.description or ""))
        values = []
        for r in rows:
            poll = options.get(r.id)
            if isinstance(poll, str):
                poll = json.loads(poll)
            mine = media.get(r.id, [])
            parts = [r.spoiler_text or "", _plain(r.content or "")]
            if poll:
                parts.append("\n\n".join(poll))
            parts.append("\n\n".join(d for _, d in mine if d))
            body = "\n\n".join(parts)[:MAX_DOCUMENT]
            values.append({"id": r.id, "body": body, "facets": _facets(r, poll, mine)})
        conn.execute(insert, values)
        done += len(rows)
        if done - reported >= 50_000:
            reported = done
            log.info("search index: %d of %d posts", done, total)
    if postgres:
        op.execute("CREATE INDEX ix_status_search_document ON status_search USING gin (document)")
        op.execute("CREATE INDEX ix_status_search_facets ON status_search USING gin (facets)")
        # The planner must know a rare word is rare: with the default statistics (the ~1,000
        # commonest words) it took any other word for a common one, walked the newest posts
        # looking for it, and a search of a word in 90 of 1,000,000 posts took 260 ms
        # instead of 1 ms through the GIN index (BENCHMARKS.md). ANALYZE of 1,000,000: ~3 s.
        for column in ("document", "facets"):
            op.execute(f"ALTER TABLE status_search ALTER COLUMN {column} SET STATISTICS 10000")
        op.execute("ANALYZE status_search")
    if total:
        log.info("search index: %d posts indexed", done)


def downgrade() -> None:
    op.execute("DROP TABLE status_search")
