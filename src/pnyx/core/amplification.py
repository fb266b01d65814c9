"""Amplification in the open (issue 12): the instance labeler labels a post that looks pushed by
many accounts at once, by this published rule, and that label is all it does.

**The rule.** A post (public or unlisted, not a boost) gets the instance's label
`coordinated-amplification` when, counting the distinct accounts other than its author that
boosted or favourited it no later than 30 minutes (`WINDOW`) after it was posted:

- there are at least 10 (`MIN_ACCOUNTS`) of them, and
- at least 60% (`NEW_PERCENT`) of them were created no earlier than 7 days (`NEW_DAYS`) before
  the post (clause `new-accounts`), or
- at least 60% (`SERVER_PERCENT`) of them come from one server first seen here no earlier
  than 7 days before the post (clause `new-server`).

Each label's reason states the figures ("14 of 18 accounts that boosted or favourited it within
30 minutes of posting were created in the 7 days before it"), so anyone can redo the sum;
`assess` gives them for any post. Shares are compared in whole numbers:
`new × 100 ≥ 60 × accounts`.

**Why these numbers.** A campaign pushes in a burst, to reach the trends (whose score
favours interactions in a post's first hours, `core.trends`) and people's timelines while the
post is fresh; what people share of their own accord spreads over hours, through follows and
boosts. Thirty minutes holds such a burst and little else. Ten accounts is where shares mean
something: below it a few friends of a new member would already make "most". Sock puppets are
made shortly before they are used, so a week catches a batch made ahead; 60% asks for most,
not all, so that a handful of real people joining in does not hide a campaign, while a
popular post, whose audience is mostly settled accounts, stays well below it. A server can
claim any creation date for its accounts, but not how long this server has known it: hence
the second clause, a new server all of whose accounts may claim to be old. "First seen" is
when the first account of that server was stored here, which its smallest account id says
(ids are made when a row is stored, `db.ids`). Honest cases can match too (a wave of
newcomers, a new community server finding a post of ours): that is why the label informs
and decides nothing.

**What the label does.** Nothing by itself. Its definition (`core.labels`) has severity
`inform` and default setting `show`: it is a badge on the post, with the reason, and a person
who wants to may set it to warn or hide, which then reaches their apps as a `filtered` result
like any label. It never changes a ranking, a timeline, the trends or who may see the post:
no feed or algorithm reads labels. A default of warn or hide would narrow the post's reach
without a person deciding it, which is a staff action in Pnyx (`core.reach`: logged, told,
appealable), never an automatic one. A post is labeled once: a label already there, or taken
back by the staff (a negation), is never issued again.

**When.** The job `amplification.label` runs every 5 minutes (`INTERVAL`) and looks at posts
of the last day (`SCAN`) whose window is over (the figures are then final), whose counters
say at least `MIN_ACCOUNTS` boosts and favourites, and that carry no such label yet. It is a
transaction: a crash leaves the job to be retried, and a post labeled is not labeled again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pnyx.core import labels
from pnyx.core.errors import NotFound
from pnyx.db.engine import Tx
from pnyx.db.ids import id_floor
from pnyx.db.tables import accounts, favourites, statuses
from pnyx.db.tables import labels as label_rows
from pnyx.jobs.queue import enqueue

# The rule (the module docstring says why each).
WINDOW = timedelta(minutes=30)
MIN_ACCOUNTS = 10
NEW_DAYS = 7
NEW_PERCENT = 60
SERVER_PERCENT = 60
VALUE = "coordinated-amplification"
NEW_ACCOUNTS, NEW_SERVER = "new-accounts", "new-server"

# The work: which posts are looked at, how often.
SCAN = timedelta(days=1)
INTERVAL = timedelta(minutes=5)
LABEL_JOB = "amplification.label"
CHUNK = 200  # posts assessed per query
# Ids say when a row was stored (milliseconds << 16): an interaction whose id is past the
# post's by more than the window (and a minute of leeway) cannot count, and is not read.
_ID_SPAN = int((WINDOW + timedelta(minutes=1)).total_seconds() * 1000) << 16
_PUBLIC = ("public", "unlisted")


@dataclass(frozen=True)
class Assessment:
    """A post's figures under the rule, enough to redo its arithmetic.

    `accounts`: distinct accounts (not the author) that boosted or favourited it no later than
    `WINDOW` after `posted_at`; `new_accounts`: of them, created no earlier than `NEW_DAYS`
    before it. `server`: the other server most of them come from (None: none of them is
    remote), with `server_accounts` of them; `server_first_seen` is looked up only when that
    share reaches `SERVER_PERCENT` (None otherwise). `clauses`: those that hold."""

    status_id: int
    posted_at: datetime
    window_over: bool
    accounts: int
    new_accounts: int
    server: str | None
    server_accounts: int
    server_first_seen: datetime | None
    clauses: tuple[str, ...]

    @property
    def matches(self) -> bool:
        return bool(self.clauses)

    @property
    def reason(self) -> str:
        """The figures in words, as the label states them."""
        counted = (
            f"{{}} of {self.accounts} accounts that boosted or favourited it within"
            f" {_minutes(WINDOW)} minutes of posting"
        )
        said = []
        if NEW_ACCOUNTS in self.clauses:
            said.append(
                counted.format(self.new_accounts)
                + f" were created in the {NEW_DAYS} days before it"
            )
        if NEW_SERVER in self.clauses:
            said.append(
                counted.format(self.server_accounts)
                + f" are from {self.server}, a server first seen here in the {NEW_DAYS}"
                " days before it"
            )
        return "; ".join(said)


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


def _id_time(row_id: int) -> datetime:
    return datetime.fromtimestamp((row_id >> 16) / 1000, tz=UTC)


def _share(part: int, whole: int, percent: int) -> bool:
    return whole >= MIN_ACCOUNTS and part * 100 >= percent * whole


# --- Reading the figures -----------------------------------------------------------------------


def _interactions(tx: Tx, post_ids: Sequence[int]) -> list[Any]:
    """(post_id, account_id, at, account_created_at, domain) of each favourite and boost of
    these posts by others than their authors, up to a minute past the window (by id; the exact
    window is applied by `_figures`): one query."""
    post = statuses.alias("post")
    boost = statuses.alias("boost")
    liked = (
        sa.select(
            favourites.c.status_id.label("post_id"),
            favourites.c.account_id,
            favourites.c.created_at.label("at"),
        )
        .join(post, post.c.id == favourites.c.status_id)
        .where(
            favourites.c.status_id.in_(post_ids),
            favourites.c.account_id != post.c.account_id,
            favourites.c.id <= post.c.id + _ID_SPAN,
        )
    )
    boosted = (
        sa.select(boost.c.reblog_of_id, boost.c.account_id, boost.c.created_at)
        .join(post, post.c.id == boost.c.reblog_of_id)
        .where(
            boost.c.reblog_of_id.in_(post_ids),
            boost.c.account_id != post.c.account_id,
            boost.c.id <= post.c.id + _ID_SPAN,
        )
    )
    both = sa.union_all(liked, boosted).subquery()
    return tx.rows(
        sa.select(
            both.c.post_id,
            both.c.account_id,
            both.c.at,
            accounts.c.created_at.label("account_created_at"),
            accounts.c.domain,
        ).join(accounts, accounts.c.id == both.c.account_id)
    )


def _first_seen(tx: Tx, domains: set[str]) -> dict[str, datetime]:
    """When each server's first account was stored here (its smallest account id)."""
    if not domains:
        return {}
    rows = tx.rows(
        sa.select(accounts.c.domain, sa.func.min(accounts.c.id).label("first"))
        .where(accounts.c.domain.in_(sorted(domains)))
        .group_by(accounts.c.domain)
    )
    return {row.domain: _id_time(row.first) for row in rows}


@dataclass(frozen=True)
class _Counted:
    accounts: int
    new_accounts: int
    server: str | None
    server_accounts: int


def _count(post: Any, rows: Sequence[Any]) -> _Counted:
    """The distinct accounts of one post's interactions inside its window, how many are new,
    and the server most of them come from."""
    window_end = post.created_at + WINDOW
    new_since = post.created_at - timedelta(days=NEW_DAYS)
    inside = {row.account_id: row for row in rows if row.at <= window_end}
    new = sum(1 for row in inside.values() if row.account_created_at >= new_since)
    servers = Counter(row.domain for row in inside.values() if row.domain is not None)
    # The most accounts, then the name: the same server on every reading.
    top = min(servers.items(), key=lambda item: (-item[1], item[0]), default=(None, 0))
    return _Counted(len(inside), new, top[0], top[1])


def _assess_all(tx: Tx, posts: Sequence[Any]) -> list[Assessment]:
    """The assessments of these posts (rows with id, created_at), in three queries at most."""
    if not posts:
        return []
    found: dict[int, list[Any]] = {post.id: [] for post in posts}
    for row in _interactions(tx, list(found)):
        found[row.post_id].append(row)
    counted = {post.id: _count(post, found[post.id]) for post in posts}
    dominant = {
        c.server
        for c in counted.values()
        if c.server is not None and _share(c.server_accounts, c.accounts, SERVER_PERCENT)
    }
    first_seen = _first_seen(tx, dominant)
    assessments = []
    for post in posts:
        c = counted[post.id]
        seen = first_seen.get(c.server) if c.server in dominant else None
        clauses = []
        if _share(c.new_accounts, c.accounts, NEW_PERCENT):
            clauses.append(NEW_ACCOUNTS)
        if seen is not None and seen >= post.created_at - timedelta(days=NEW_DAYS):
            clauses.append(NEW_SERVER)
        assessments.append(
            Assessment(
                status_id=post.id,
                posted_at=post.created_at,
                window_over=post.created_at + WINDOW <= tx.now,
                accounts=c.accounts,
                new_accounts=c.new_accounts,
                server=c.server,
                server_accounts=c.server_accounts,
                server_first_seen=seen,
                clauses=tuple(clauses),
            )
        )
    return assessments


def assess(tx: Tx, status_id: int) -> Assessment:
    """A post's figures under the rule, as they stand now (final once `window_over`)."""
    post = tx.one_or_none(
        sa.select(statuses.c.id, statuses.c.created_at).where(statuses.c.id == status_id)
    )
    if post is None:
        raise NotFound()
    return _assess_all(tx, [post])[0]


# --- Labeling ----------------------------------------------------------------------------------


def _candidates(tx: Tx, labeler_id: int) -> list[Any]:
    """Posts of the last `SCAN` whose window is over, with at least `MIN_ACCOUNTS` boosts and
    favourites by their counters, and no word of the instance on this label yet (a label, or
    one the staff took back)."""
    since = tx.now - SCAN
    said = sa.exists().where(
        label_rows.c.labeler_account_id == labeler_id,
        label_rows.c.subject_uri == statuses.c.uri,
        label_rows.c.value == VALUE,
    )
    return tx.rows(
        sa.select(statuses.c.id, statuses.c.uri, statuses.c.created_at)
        .where(
            statuses.c.id >= id_floor(since),
            statuses.c.created_at >= since,
            statuses.c.created_at <= tx.now - WINDOW,
            statuses.c.reblog_of_id.is_(None),
            statuses.c.visibility.in_(_PUBLIC),
            statuses.c.reblogs_count + statuses.c.favourites_count >= MIN_ACCOUNTS,
            ~said,
        )
        .order_by(statuses.c.id)
    )


def label_recent(tx: Tx) -> int:
    """Label the recent posts the rule matches and that carry no such label yet; how many."""
    labeler_id = labels.instance_labeler(tx)
    posts = _candidates(tx, labeler_id)
    uris = {post.id: post.uri for post in posts}
    labeled = 0
    for start in range(0, len(posts), CHUNK):
        for found in _assess_all(tx, posts[start : start + CHUNK]):
            if found.matches:
                labels.issue(
                    tx,
                    labeler_id,
                    labels.LabelInput(
                        subject_uri=uris[found.status_id], value=VALUE, reason=found.reason
                    ),
                )
                labeled += 1
    return labeled


# --- The job -----------------------------------------------------------------------------------


def _slot(moment: datetime) -> int:
    return int(moment.timestamp() // INTERVAL.total_seconds())


def schedule(tx: Tx, *, after: datetime | None = None) -> None:
    """The next `amplification.label` run: now, or the slot after `after`. Keyed by its slot,
    so that every process scheduling it at start adds one run per slot between them."""
    if after is None:
        slot, run_at = _slot(tx.now), tx.now
    else:
        slot = _slot(after) + 1
        run_at = datetime.fromtimestamp(slot * INTERVAL.total_seconds(), tz=UTC)
    enqueue(tx, LABEL_JOB, {}, run_at=run_at, unique_key=f"{LABEL_JOB}:{slot}")


def label_job(tx: Tx, payload: dict[str, Any]) -> None:
    """The periodic job: label, and schedule the next run (both commit with the job's end)."""
    label_recent(tx)
    schedule(tx, after=tx.now)
