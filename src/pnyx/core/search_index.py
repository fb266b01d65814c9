"""The full-text index of posts: one entry per post (never per boost), kept in the transaction
that changes the post.

An entry has two parts:
- `body`, what Mastodon searches (`filter_matching.searchable_text`): the content warning,
  the text as people read it (HTML dropped), the poll's options, the media descriptions;
- `facets`, words for the operators, so that `from:`, `has:`, `is:` and `language:` are
  intersections inside the index rather than a check of every post the words match: `a<id>`
  (the author), `media`, `image`, `video` (gifv too), `audio`, `poll`, `link` (a link that is
  no mention or hashtag), `reply`, `sensitive`, `l<language>` (`lfr`, `lptbr`).
A query of the two parts can never mix them: they are separate columns.

Two engines, one contract:
- SQLite: an FTS5 table `status_search(body, facets)` whose rowid is the status id. Its
  tokenizer is `unicode61 remove_diacritics 2`: words split on Unicode rules, case and accents
  folded, no stemming (a post may be in any language).
- PostgreSQL: a table `status_search(status_id, document, facets)` of two tsvectors, each
  with a GIN index, made with the 'simple' configuration for the same reason: lower-cased
  words, no stemming, no stop words, whatever the language. (Accents are not folded there:
  'café' and 'cafe' are different words on PostgreSQL.) Its rows go with their post by cascade.

The write paths call `refresh` once a post is complete (its poll and media stored) and
`forget` before a post is deleted; a query always joins the statuses table, so an entry left
behind by a path that deletes posts in bulk finds nothing. Everything in an entry changes only
when the post is edited, which refreshes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from pnyx.core.filter_matching import searchable_text
from pnyx.db.engine import Tx
from pnyx.db.tables import media_attachments, polls, preview_card_statuses, preview_cards, statuses

# A post's indexed text is cut here: tsvector has a 1 MB limit, and no one searches a novel.
MAX_DOCUMENT = 100_000

# The two shapes of the index (not in the metadata: neither is a plain table everywhere).
fts = sa.table("status_search", sa.column("rowid"), sa.column("body"), sa.column("facets"))
pg_index = sa.table(
    "status_search", sa.column("status_id"), sa.column("document"), sa.column("facets")
)

_ANCHOR = re.compile(r"<a\s[^>]*>", re.IGNORECASE)
_HREF = re.compile(r"""href\s*=\s*["']?https?://""", re.IGNORECASE)
_CLASS = re.compile(r"""class\s*=\s*["'][^"']*\b(mention|hashtag)\b""", re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[\W_]+")
MEDIA_FACETS = {"image": "image", "gifv": "video", "video": "video", "audio": "audio"}


def has_link(content_html: str) -> bool:
    """Whether the post links to a page: an `<a href="http...">` that is not a mention or a
    hashtag (Mastodon marks both with the class `mention`)."""
    for anchor in _ANCHOR.findall(content_html):
        if _HREF.search(anchor) and not _CLASS.search(anchor):
            return True
    return False


def author_facet(account_id: int) -> str:
    return f"a{account_id}"


def language_facet(language: str) -> str:
    return "l" + _NOT_ALNUM.sub("", language.lower())


@dataclass(frozen=True)
class Entry:
    status_id: int
    body: str
    facets: str


def entry(
    row: sa.Row,
    poll_options: Sequence[str] | None,
    media: Iterable[tuple[str, str]],
    embed: bool = False,
) -> Entry:
    """The entry of a statuses row (id, account_id, spoiler_text, content, sensitive,
    language, in_reply_to_id, in_reply_to_uri), its poll's options (None: no poll) and its
    media as (type, description)."""
    media = list(media)
    body = searchable_text(row.spoiler_text, row.content, poll_options or (), (d for _, d in media))
    facets = [author_facet(row.account_id)]
    kinds = {MEDIA_FACETS[kind] for kind, _ in media if kind in MEDIA_FACETS}
    if media:
        facets.append("media")
    facets.extend(sorted(kinds))
    if poll_options is not None:
        facets.append("poll")
    if has_link(row.content):
        facets.append("link")
    if embed:  # its link's preview card plays something (a video or rich oEmbed)
        facets.append("embed")
    if row.in_reply_to_id is not None or row.in_reply_to_uri is not None:
        facets.append("reply")
    if row.sensitive:
        facets.append("sensitive")
    if row.language:
        facets.append(language_facet(row.language))
    return Entry(row.id, body[:MAX_DOCUMENT], " ".join(facets))


ENTRY_COLUMNS = (
    statuses.c.id,
    statuses.c.account_id,
    statuses.c.spoiler_text,
    statuses.c.content,
    statuses.c.sensitive,
    statuses.c.language,
    statuses.c.in_reply_to_id,
    statuses.c.in_reply_to_uri,
)


def id_column(tx: Tx) -> sa.ColumnElement[int]:
    """The status id column of the index on this database."""
    return pg_index.c.status_id if tx.is_postgres else fts.c.rowid


def index_table(tx: Tx) -> sa.TableClause:
    return pg_index if tx.is_postgres else fts


# --- Queries ---------------------------------------------------------------------------------


def _fts_string(term: str) -> str:
    """A word or phrase as an FTS5 string: quoted, so no character of it is syntax."""
    return '"' + term.replace('"', '""') + '"'


def _tsquery(term: str) -> sa.ColumnElement:
    """A word or phrase as a tsquery: its words in order, as FTS5 reads a quoted string (so
    `foo:bar` or `black cat` are two words next to each other on both engines)."""
    return sa.func.phraseto_tsquery(sa.literal_column("'simple'::regconfig"), term)


def _matches(column: sa.ColumnElement, tsquery: sa.ColumnElement) -> sa.ColumnElement[bool]:
    return column.op("@@")(tsquery)


@dataclass(frozen=True)
class Wanted:
    """What a search asks of the index: text that must be there (words, phrases) and must
    not, facets that must be there and must not."""

    text: Sequence[str] = ()
    not_text: Sequence[str] = ()
    facets: Sequence[str] = ()
    not_facets: Sequence[str] = ()

    @property
    def drives(self) -> bool:
        """Whether the index can find the candidates (something must be there)."""
        return bool(self.text or self.facets)


def conditions(tx: Tx, wanted: Wanted) -> list[sa.ColumnElement[bool]]:
    """SQL for `wanted`. When it `drives`, the conditions are on the index table (joined to
    statuses); otherwise on the statuses table alone (only exclusions to apply)."""
    if tx.is_postgres:
        document, facets = pg_index.c.document, pg_index.c.facets
        pairs = [(document, t) for t in wanted.not_text]
        pairs += [(facets, f) for f in wanted.not_facets]
        if not wanted.drives:
            return [
                ~sa.exists().where(
                    pg_index.c.status_id == statuses.c.id, _matches(column, _tsquery(term))
                )
                for column, term in pairs
            ]
        return [
            *(_matches(document, _tsquery(t)) for t in wanted.text),
            *(_matches(facets, _tsquery(f)) for f in wanted.facets),
            *(~_matches(column, _tsquery(term)) for column, term in pairs),
        ]
    unwanted = [f"body : {_fts_string(t)}" for t in wanted.not_text]
    unwanted += [f"facets : {_fts_string(f)}" for f in wanted.not_facets]
    if not wanted.drives:
        if not unwanted:
            return []
        # Probed post by post (FTS5 seeks each word's list to that rowid): a NOT IN would
        # first gather every post holding a common word.
        return [
            ~sa.exists().where(
                fts.c.rowid == statuses.c.id, _whole_row_matches(" OR ".join(unwanted))
            )
        ]
    parts = []
    if wanted.text:
        parts.append("body : (" + " AND ".join(_fts_string(t) for t in wanted.text) + ")")
    if wanted.facets:
        parts.append("facets : (" + " AND ".join(_fts_string(f) for f in wanted.facets) + ")")
    expression = "(" + " AND ".join(parts) + ")" + "".join(f" NOT {u}" for u in unwanted)
    return [_whole_row_matches(expression)]


def _whole_row_matches(expression: str) -> sa.ColumnElement[bool]:
    """`status_search MATCH ...` (the table's name: the whole row; the column filters inside
    the expression say which column each part is about)."""
    return sa.literal_column("status_search").op("MATCH")(
        sa.bindparam("fts", expression, unique=True)
    )


# --- Writing ---------------------------------------------------------------------------------


def _entries(tx: Tx, status_ids: list[int]) -> list[Entry]:
    rows = tx.rows(
        sa.select(*ENTRY_COLUMNS).where(
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
    media: dict[int, list[tuple[str, str]]] = {}
    for r in tx.rows(
        sa.select(
            media_attachments.c.status_id,
            media_attachments.c.type,
            media_attachments.c.description,
        )
        .where(media_attachments.c.status_id.in_(found))
        .order_by(media_attachments.c.id)
    ):
        media.setdefault(r.status_id, []).append((r.type, r.description or ""))
    embeds = set(
        tx.scalars(
            sa.select(preview_card_statuses.c.status_id)
            .join(preview_cards, preview_cards.c.id == preview_card_statuses.c.preview_card_id)
            .where(
                preview_card_statuses.c.status_id.in_(found),
                preview_cards.c.html.is_not(None),
                preview_cards.c.html != "",
            )
        )
    )
    return [entry(r, options.get(r.id), media.get(r.id, []), r.id in embeds) for r in rows]


def write(tx: Tx, entries: list[Entry]) -> None:
    """Put these entries in the index, replacing what it held for their posts."""
    if not entries:
        return
    ids = [e.status_id for e in entries]
    values = [{"id": e.status_id, "body": e.body, "facets": e.facets} for e in entries]
    if tx.is_postgres:
        tx.execute(pg_index.delete().where(pg_index.c.status_id.in_(ids)))
        tx.execute(
            sa.text(
                "INSERT INTO status_search (status_id, document, facets)"
                " VALUES (:id, to_tsvector('simple', :body), to_tsvector('simple', :facets))"
            ),
            values,
        )
    else:
        tx.execute(fts.delete().where(fts.c.rowid.in_(ids)))
        tx.execute(
            sa.text("INSERT INTO status_search (rowid, body, facets) VALUES (:id, :body, :facets)"),
            values,
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
