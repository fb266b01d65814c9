"""The full-text index of posts: one row per post (never per boost), kept in the transaction
that changes the post.

What is indexed is what Mastodon searches (`filter_matching.searchable_text`): the content
warning, the text as people read it (HTML dropped), the poll's options and the media
descriptions. Beside it, `props` notes what cannot be read from the statuses row cheaply at
query time: `link` when the post links somewhere other than a mention or a hashtag.

Two engines, one contract:
- SQLite: an FTS5 table `status_search(body, props)` whose rowid is the status id. Its
  tokenizer is `unicode61 remove_diacritics 2`: words split on Unicode rules, case and accents
  folded, no stemming (a post may be in any language).
- PostgreSQL: a table `status_search(status_id, document tsvector, props)` with a GIN index
  on `document`, made with the 'simple' configuration for the same reason: lower-cased words,
  no stemming, no stop words, whatever the language. (Accents are not folded there: 'café'
  and 'cafe' are different words on PostgreSQL.) Its rows go with their post by cascade.

The write paths call `refresh` once a post is complete (its poll and media stored) and
`forget` before a post is deleted; a query always joins the statuses table, so a row left
behind by a path that deletes posts in bulk finds nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from pnyx.core.filter_matching import searchable_text
from pnyx.core.search_query import Query
from pnyx.db.engine import Tx
from pnyx.db.tables import media_attachments, polls, statuses

# A post's indexed text is cut here: tsvector has a 1 MB limit, and no one searches a novel.
MAX_DOCUMENT = 100_000
LINK = "link"

# The two shapes of the index (not in the metadata: neither is a plain table everywhere).
fts = sa.table("status_search", sa.column("rowid"), sa.column("body"), sa.column("props"))
pg_index = sa.table(
    "status_search", sa.column("status_id"), sa.column("document"), sa.column("props")
)

_ANCHOR = re.compile(r"<a\s[^>]*>", re.IGNORECASE)
_HREF = re.compile(r"""href\s*=\s*["']?https?://""", re.IGNORECASE)
_CLASS = re.compile(r"""class\s*=\s*["'][^"']*\b(mention|hashtag)\b""", re.IGNORECASE)
# A word, as both engines' tokenizers see one: a term without one matches nothing useful.
WORD = re.compile(r"\w")


def has_link(content_html: str) -> bool:
    """Whether the post links to a page: an `<a href="http...">` that is not a mention or a
    hashtag (Mastodon marks both with the class `mention`)."""
    for anchor in _ANCHOR.findall(content_html):
        if _HREF.search(anchor) and not _CLASS.search(anchor):
            return True
    return False


@dataclass(frozen=True)
class Entry:
    status_id: int
    body: str
    props: str


def entry(
    status_id: int,
    spoiler_text: str,
    content_html: str,
    poll_options: list[str] | None,
    descriptions: list[str],
) -> Entry:
    body = searchable_text(spoiler_text, content_html, poll_options or (), descriptions)
    props = LINK if has_link(content_html) else ""
    return Entry(status_id, body[:MAX_DOCUMENT], props)


def id_column(tx: Tx) -> sa.ColumnElement[int]:
    """The status id column of the index on this database."""
    return pg_index.c.status_id if tx.is_postgres else fts.c.rowid


def index_table(tx: Tx) -> sa.TableClause:
    return pg_index if tx.is_postgres else fts


def _fts_string(term: str) -> str:
    """A word or phrase as an FTS5 string: quoted, so no character of it is syntax."""
    return '"' + term.replace('"', '""') + '"'


def _tsquery(term: str) -> sa.ColumnElement:
    """A word or phrase as a tsquery: its words in order, as FTS5 reads a quoted string (so
    `foo:bar` or `black cat` are two words next to each other on both engines)."""
    return sa.func.phraseto_tsquery(sa.literal_column("'simple'::regconfig"), term)


def _matches(column: sa.ColumnElement, tsquery: sa.ColumnElement) -> sa.ColumnElement[bool]:
    return column.op("@@")(tsquery)


def text_condition(tx: Tx, query: Query) -> list[sa.ColumnElement[bool]]:
    """The query's words, phrases and exclusions as conditions. With words or phrases they
    apply to the index table (joined to statuses); without, to the statuses table alone."""
    if tx.is_postgres:
        document = pg_index.c.document
        if not query.has_text:
            return [
                ~sa.exists().where(
                    pg_index.c.status_id == statuses.c.id, _matches(document, _tsquery(term))
                )
                for term in query.excluded
            ]
        return [
            *(_matches(document, _tsquery(t)) for t in (*query.words, *query.phrases)),
            *(~_matches(document, _tsquery(term)) for term in query.excluded),
        ]
    if not query.has_text:
        if not query.excluded:
            return []
        unwanted = " OR ".join(_fts_string(t) for t in query.excluded)
        return [
            statuses.c.id.not_in(sa.select(fts.c.rowid).where(fts.c.body.op("MATCH")(unwanted)))
        ]
    wanted = " AND ".join(_fts_string(t) for t in (*query.words, *query.phrases))
    expression = f"({wanted})" + "".join(f" NOT {_fts_string(t)}" for t in query.excluded)
    return [fts.c.body.op("MATCH")(expression)]


def has_link_condition(tx: Tx) -> sa.ColumnElement[bool]:
    """SQL on statuses: the post links to a page (noted in the index when it was written)."""
    linked = index_table(tx).alias("linked")
    key = linked.c.status_id if tx.is_postgres else linked.c.rowid
    return sa.exists().where(key == statuses.c.id, linked.c.props == LINK)


def _entries(tx: Tx, status_ids: list[int]) -> list[Entry]:
    rows = tx.rows(
        sa.select(statuses.c.id, statuses.c.spoiler_text, statuses.c.content).where(
            statuses.c.id.in_(status_ids), statuses.c.reblog_of_id.is_(None)
        )
    )
    if not rows:
        return []
    found = [r.id for r in rows]
    options = {
        r.status_id: list(r.options or [])
        for r in tx.rows(
            sa.select(polls.c.status_id, polls.c.options).where(polls.c.status_id.in_(found))
        )
    }
    descriptions: dict[int, list[str]] = {}
    for r in tx.rows(
        sa.select(media_attachments.c.status_id, media_attachments.c.description)
        .where(media_attachments.c.status_id.in_(found))
        .order_by(media_attachments.c.id)
    ):
        descriptions.setdefault(r.status_id, []).append(r.description or "")
    return [
        entry(r.id, r.spoiler_text, r.content, options.get(r.id), descriptions.get(r.id, []))
        for r in rows
    ]


def write(tx: Tx, entries: list[Entry]) -> None:
    """Put these entries in the index, replacing what it held for their posts."""
    if not entries:
        return
    ids = [e.status_id for e in entries]
    if tx.is_postgres:
        tx.execute(pg_index.delete().where(pg_index.c.status_id.in_(ids)))
        tx.execute(
            sa.text(
                "INSERT INTO status_search (status_id, document, props)"
                " VALUES (:id, to_tsvector('simple', :body), :props)"
            ),
            [{"id": e.status_id, "body": e.body, "props": e.props} for e in entries],
        )
    else:
        tx.execute(fts.delete().where(fts.c.rowid.in_(ids)))
        tx.execute(
            sa.text("INSERT INTO status_search (rowid, body, props) VALUES (:id, :body, :props)"),
            [{"id": e.status_id, "body": e.body, "props": e.props} for e in entries],
        )


def refresh(tx: Tx, status_id: int) -> None:
    """(Re)index one post as it is now; a boost or a post that is gone is left out."""
    found = _entries(tx, [status_id])
    if found:
        write(tx, found)
    else:
        forget(tx, status_id)


def forget(tx: Tx, status_id: int) -> None:
    """Take a post out of the index (before its row is deleted)."""
    table = index_table(tx)
    tx.execute(table.delete().where(id_column(tx) == status_id))


def reindex(tx: Tx, after_id: int = 0, batch: int = 2_000) -> tuple[int, int | None]:
    """Index the next `batch` posts with an id above `after_id`: (how many, the last id or
    None when there were none). For rebuilding the index in steps (`pnyx search reindex`)."""
    ids = tx.scalars(
        sa.select(statuses.c.id)
        .where(statuses.c.id > after_id, statuses.c.reblog_of_id.is_(None))
        .order_by(statuses.c.id)
        .limit(batch)
    )
    if not ids:
        return 0, None
    write(tx, _entries(tx, ids))
    return len(ids), ids[-1]
