"""The composition root: every job kind and every event, and the functions that handle them.

Core records what happened (`core.events.record`) and schedules its own work (`poll.close`,
`account.erase` ...) without knowing who acts on it; the job worker runs whatever table it is
given. This module is where the two meet, the only one that imports every handler module,
and only `app` and `cli` import it (an import-linter contract says so). Importing it installs
`dispatch` as the way core's events reach their handlers:

    core rule ──> tables, and events.record(tx, event) in the same transaction
                     │
                     ├─ in the transaction:  notify   (core.notify: who is told)
                     │                       moves    (core.moves: a move's followers)
                     │                       conversations (core.conversations: DMs)
                     │                       cards    (core.preview_cards: a link's card,
                     │                                 or a `cards.fetch` job)
                     │                       stream   (pnyx.streaming: a signal to the
                     │                                 web processes' live streams)
                     │                       web_push (core.web_push: a `web_push.deliver`
                     │                                 job per app subscription, run after
                     │                                 commit by federation.web_push)
                     │                       feeds    (core.feeds.fan_out: a new post
                     │                                 into its viewers' feeds; past the
                     │                                 first batch, `feeds.fan_out` jobs)
                     │
                     └─ the `event` job ──> after commit, one job per subscription:
                                              federate   (federation.delivery)
                                              feeds.adjust (core.feeds.removal: follows,
                                                          blocks, mutes, lists, hashtags)

A subscription in the transaction makes its rows exactly when the change is made (a
favourite and its notification, never one without the other). The others run as jobs of
their own, so a failing handler is retried alone and the rest are not run twice; an event
that no such subscription accepts (what the inbox stores tells no other server) costs no job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from pnyx import storage
from pnyx.core import (
    amplification,
    conversations,
    erasure,
    events,
    media,
    media_prune,
    media_store,
    moved_posts,
    moves,
    notify,
    polls,
    preview_cards,
    pull_moves,
    quotes,
    remote_media,
    scheduled_statuses,
    statuses,
    web_push,
)
from pnyx.core.algorithms import refresh as algorithms_refresh
from pnyx.core.archive_import import runs as archive_runs
from pnyx.core.exports import records as export_records
from pnyx.core.feeds import fan_out, rebuild, removal
from pnyx.core.imports import csv_rows as import_rows
from pnyx.core.imports import runs as import_runs
from pnyx.core.lola import following as lola_following
from pnyx.core.lola import transfers as lola_transfers
from pnyx.core.notes import context_replies as notes_context_replies
from pnyx.core.notes import scoring_runs as notes_scoring
from pnyx.db.engine import Database
from pnyx.federation import (
    activities,
    archive_import,
    backfill,
    delivery,
    import_lookups,
    inbox,
    link_cards,
    lola_copy,
    media_cache,
    mentions,
    moved_posts_sync,
    pull_move_delivery,
    quote_stamps,
)
from pnyx.federation import web_push as web_push_delivery
from pnyx.jobs import queue, worker
from pnyx.jobs.queue import enqueue
from pnyx.jobs.worker import JobHandler
from pnyx.portability import archive as export_archive
from pnyx.streaming import signals

log = logging.getLogger("pnyx.registry")


def _always(_event: events.Event) -> bool:
    return True


def _told_elsewhere(event: events.Event) -> bool:
    return event.tell_other_servers


@dataclass(frozen=True)
class Subscription:
    """A handler of events: `fn(tx, event)` for every event whose type is in `types` and that
    `accepts` lets through. `in_transaction`: run at once, inside the change's transaction;
    otherwise as a job of kind `name` after commit, with `fn(db, event)` when `network`."""

    name: str
    fn: Callable[..., None]
    types: frozenset[type[events.Event]]
    network: bool = False
    in_transaction: bool = False
    accepts: Callable[[events.Event], bool] = _always


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("notify", notify.on_event, frozenset(notify.RULES), in_transaction=True),
    Subscription("moves", moves.on_event, frozenset({events.AccountMoved}), in_transaction=True),
    Subscription(
        "conversations",
        conversations.on_event,
        frozenset({events.StatusCreated}),
        in_transaction=True,
        accepts=conversations.wants,
    ),
    # Link preview cards: the post is pointed at its link's card, or a `cards.fetch` job is
    # queued (no network in the transaction).
    Subscription(
        "cards",
        preview_cards.on_event,
        frozenset({events.StatusCreated, events.StatusEdited}),
        in_transaction=True,
    ),
    # Live streams: a signal (pg_notify, or after commit on SQLite) to every web process,
    # which decides and renders for its own clients; no job between a change and its streams.
    Subscription("stream", signals.on_event, signals.STREAMED, in_transaction=True),
    # Web Push: in the transaction, one durable job per app subscription that wants the
    # notification (most accounts have none: no `event` job for them); the jobs run after
    # commit and do the network (federation.web_push).
    Subscription(
        "web_push",
        web_push.on_event,
        frozenset({events.NotificationCreated}),
        in_transaction=True,
    ),
    # The events federation sends are those it can render, of changes other servers must hear.
    # Transactional (see delivery.federate): each activity is rendered once, keeping its id.
    Subscription(
        "federate", delivery.federate, frozenset(activities.RENDERERS), accepts=_told_elsewhere
    ),
    # Materialized feeds: local and remote posts and boosts into the feeds they belong in,
    # in the transaction that stores them: the author's own feed and the first batch of
    # followers at once (a post is in its author's home when the request answers, as apps
    # expect), further batches as chained `feeds.fan_out` jobs. The changes of follows,
    # blocks, mutes, lists and followed hashtags are applied by a job after commit (the read
    # rules hide what they must meanwhile).
    Subscription(
        "feeds",
        fan_out.on_event,
        frozenset({events.StatusCreated, events.StatusBoosted}),
        in_transaction=True,
    ),
    Subscription("feeds.adjust", removal.on_event, removal.ADJUSTED),
    # Imported list members whose follow awaited approval join their lists when it comes.
    Subscription(
        "imports.lists",
        import_rows.on_follow_accepted,
        frozenset({events.FollowAccepted}),
        in_transaction=True,
    ),
    # Community notes: a note written here and shown under its post is also a public reply by
    # the notes actor (what servers that do not speak notes see), deleted when it stops being
    # shown; a job after the scoring run (or the deletion) commits.
    Subscription(
        "notes.context_reply",
        notes_context_replies.on_event,
        frozenset({events.NoteStatusChanged, events.NoteDeleted}),
        accepts=notes_context_replies.wants,
    ),
)


def subscribers(
    event_type: type[events.Event], subscriptions: tuple[Subscription, ...] = SUBSCRIPTIONS
) -> list[Subscription]:
    return [sub for sub in subscriptions if event_type in sub.types]


def _handlers_of(
    event: events.Event, subscriptions: tuple[Subscription, ...]
) -> list[Subscription]:
    return [sub for sub in subscribers(type(event), subscriptions) if sub.accepts(event)]


def dispatcher(subscriptions: tuple[Subscription, ...] = SUBSCRIPTIONS) -> events.Dispatch:
    """How `events.record` hands an event on: the subscriptions in the transaction run now;
    one `event` job carries it to the others after commit, if any accepts it."""

    def dispatch(tx, event, coalesce, delay) -> None:
        later = False
        for sub in _handlers_of(event, subscriptions):
            if sub.in_transaction:
                sub.fn(tx, event)
            else:
                later = True
        if later:
            events.enqueue_job(tx, event, coalesce, delay)

    return dispatch


def _fan_out(subscriptions: tuple[Subscription, ...]) -> JobHandler:
    """The `event` job: one job per subscription that runs after commit, in one transaction.
    (Those in the transaction ran when the event was recorded.)"""

    def run(tx, payload: dict) -> None:
        event = events.decode(payload)
        if event is None:
            return  # a row this version cannot read: logged, and dropped rather than retried
        for sub in _handlers_of(event, subscriptions):
            if not sub.in_transaction:
                enqueue(tx, sub.name, events.encode(event))

    return JobHandler(run)


def _job_of(sub: Subscription) -> JobHandler:
    """The job that hands one event to one subscription. Rows queued by the former outbox
    (kind `federate`, `{"kind": ...}` payloads) arrive here too: `decode` reads both."""

    def run(target, payload: dict) -> None:
        event = events.decode(payload)
        if event is None:
            return
        if type(event) not in sub.types:
            log.warning("%s does not handle %s: dropped", sub.name, type(event).__name__)
            return
        sub.fn(target, event)

    return JobHandler(run, network=sub.network)


# Work core and federation schedule for later, by job kind.
SCHEDULED: dict[str, JobHandler] = {
    polls.CLOSE_JOB: JobHandler(polls.close_job),
    erasure.ERASE: JobHandler(erasure.erase_job),
    moves.MOVE_FOLLOWERS: JobHandler(moves.move_followers_job),
    # A moved account's posts found under their new ids (the new account's outbox is read).
    moved_posts.MAP_POSTS: JobHandler(moved_posts_sync.map_moved_posts, network=True),
    backfill.BACKFILL: JobHandler(backfill.backfill, network=True),
    delivery.DELIVER: JobHandler(delivery.deliver, network=True),
    inbox.PROCESS: JobHandler(inbox.process),
    inbox.FETCH: JobHandler(inbox.fetch, network=True),
    mentions.RESOLVE_MENTIONS: JobHandler(mentions.resolve_mentions, network=True),
    statuses.MENTION_LOOKUP: JobHandler(mentions.lookup_handles, network=True),
    quotes.VERIFY_JOB: JobHandler(quote_stamps.verify, network=True),
    # Processing runs outside any transaction (it takes a while); it writes when done.
    media.PROCESS_JOB: JobHandler(media.process_job, network=True),
    media.REMOVE_FILES_JOB: JobHandler(media.remove_files_job),
    scheduled_statuses.PUBLISH_JOB: JobHandler(scheduled_statuses.publish_job),
    remote_media.CACHE_JOB: JobHandler(media_cache.cache_remote, network=True),
    media_prune.PRUNE_JOB: JobHandler(media_prune.prune_job, network=True),
    web_push.DELIVER_JOB: JobHandler(web_push_delivery.deliver, network=True),
    preview_cards.FETCH_JOB: JobHandler(link_cards.fetch_card, network=True),
    # Outside any transaction: it reads, fits (numpy) and writes in steps of its own.
    algorithms_refresh.REFRESH_JOB: JobHandler(algorithms_refresh.refresh_job, network=True),
    fan_out.MORE_JOB: JobHandler(fan_out.more_job),
    rebuild.REBUILD_JOB: JobHandler(rebuild.rebuild_job),
    rebuild.SETTLE_JOB: JobHandler(rebuild.settle_job),
    rebuild.PRUNE_JOB: JobHandler(rebuild.prune_job),
    # Every 5 minutes: the instance labels coordinated amplification by its published rule.
    amplification.LABEL_JOB: JobHandler(amplification.label_job),
    # Every hour (PNYX_NOTES_SCORE_MINUTES): the community notes are scored, in a child
    # process, outside any transaction (it reads, scores and writes in steps of its own).
    notes_scoring.SCORE_JOB: JobHandler(notes_scoring.score_job, network=True),
    # An account's export: built outside any transaction (it reads pages, streams files into
    # zip parts and records its progress in small transactions of its own); and every hour,
    # exports past their days are expired and their files removed.
    export_records.BUILD_JOB: JobHandler(export_archive.build_job, network=True),
    export_records.SWEEP_JOB: JobHandler(export_records.sweep_job, network=True),
    # An import of Mastodon's CSV files, a batch of rows a run: accounts and posts looked up
    # on their servers outside any transaction, each row applied in one of its own.
    import_runs.RUN_JOB: JobHandler(import_lookups.run_import, network=True),
    # An archive's posts made here: outside any transaction (media is processed, then each
    # batch of posts committed with its counters), resumed where it stopped after a crash.
    archive_runs.IMPORT_JOB: JobHandler(archive_import.job, network=True),
    # A move announced by the new account (its old server gone): the old followers found on
    # their servers a batch a run, then the Move sent to their inboxes.
    pull_moves.PULL_MOVE_JOB: JobHandler(pull_move_delivery.job, network=True),
    # A live copy of an account from another server (LOLA): its pages read with the token
    # the person granted, each page's posts committed with its counters and the next page;
    # and, when the person asks, the old account's follows made again.
    lola_transfers.JOB: JobHandler(lola_copy.job, network=True),
    lola_following.FOLLOW_JOB: JobHandler(lola_copy.follow_job, network=True),
}


def job_table(subscriptions: tuple[Subscription, ...] = SUBSCRIPTIONS) -> dict[str, JobHandler]:
    """Every job kind the worker runs: the scheduled ones, the `event` job, and one kind per
    subscription."""
    return {
        **SCHEDULED,
        events.EVENT_JOB: _fan_out(subscriptions),
        **{sub.name: _job_of(sub) for sub in subscriptions if not sub.in_transaction},
    }


JOBS = job_table()
events.install(dispatcher())
media_store.install(storage.store_for)


def drain(
    db: Database,
    name: str | None = None,
    max_jobs: int = 10_000,
    queues: tuple[str, ...] | None = None,
    heartbeat: worker.Heartbeat | None = None,
) -> int:
    """Run every due job with the whole table; for tests and `pnyx worker --once`."""
    return worker.drain(db, JOBS, name, max_jobs, queues, heartbeat)


def worker_pool(
    db: Database, threads: int, queues: tuple[str, ...] = queue.ALL_QUEUES
) -> worker.Pool:
    """The job threads of one process, with every handler: `pnyx serve` and `pnyx worker`.
    The periodic jobs are scheduled here (once per hour between all processes)."""
    db.run_sync(lambda tx: media_prune.schedule(tx))
    db.run_sync(lambda tx: algorithms_refresh.schedule(tx))
    db.run_sync(lambda tx: rebuild.schedule_prune(tx))
    db.run_sync(lambda tx: amplification.schedule(tx))
    db.run_sync(lambda tx: notes_scoring.schedule(tx))
    db.run_sync(lambda tx: export_records.schedule(tx))
    return worker.Pool(db, JOBS, threads, queues)
