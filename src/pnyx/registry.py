"""The composition root: every job kind and every event, and the functions that handle them.

Core records what happened (`core.events.record`, one durable `event` job) and schedules its
own work (`poll.close`, `account.erase` ...) without knowing who acts on it; the job worker
runs whatever table it is given. This module is where the two meet, the only one that imports
every handler module, and only `app` and `cli` import it (an import-linter contract says so):

    core rule ──> tables + event job (same transaction)
                        │
                  fan_out (the `event` job) ──> one job per subscription of its type:
                                                  federate   (federation.delivery)
                                                  notify, stream, fan out, label: to come

Each subscription runs as a job of its own, so a failing handler is retried alone and the
others are not run twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from pnyx.core import erasure, events, moves, polls, statuses
from pnyx.db.engine import Database
from pnyx.federation import activities, backfill, delivery, inbox, mentions
from pnyx.jobs import queue, worker
from pnyx.jobs.queue import enqueue
from pnyx.jobs.worker import JobHandler

log = logging.getLogger("pnyx.registry")


@dataclass(frozen=True)
class Subscription:
    """A handler of events: `fn(tx, event)`, or `fn(db, event)` when `network`, run as a job
    of kind `name` for every event whose type is in `types`."""

    name: str
    fn: Callable[..., None]
    types: frozenset[type[events.Event]]
    network: bool = False


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    # The events federation sends are those it can render.
    # Transactional (see delivery.federate): each activity is rendered once, keeping its id.
    Subscription("federate", delivery.federate, frozenset(activities.RENDERERS)),
)


def subscribers(
    event_type: type[events.Event], subscriptions: tuple[Subscription, ...] = SUBSCRIPTIONS
) -> list[Subscription]:
    return [sub for sub in subscriptions if event_type in sub.types]


def _fan_out(subscriptions: tuple[Subscription, ...]) -> JobHandler:
    """The `event` job: one job per subscription of the event's type, in one transaction."""

    def run(tx, payload: dict) -> None:
        event = events.decode(payload)
        if event is None:
            return  # a row this version cannot read: logged, and dropped rather than retried
        for sub in subscribers(type(event), subscriptions):
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
    backfill.BACKFILL: JobHandler(backfill.backfill, network=True),
    delivery.DELIVER: JobHandler(delivery.deliver, network=True),
    inbox.PROCESS: JobHandler(inbox.process),
    inbox.FETCH: JobHandler(inbox.fetch, network=True),
    mentions.RESOLVE_MENTIONS: JobHandler(mentions.resolve_mentions, network=True),
    statuses.MENTION_LOOKUP: JobHandler(mentions.lookup_handles, network=True),
}


def job_table(subscriptions: tuple[Subscription, ...] = SUBSCRIPTIONS) -> dict[str, JobHandler]:
    """Every job kind the worker runs: the scheduled ones, the `event` job, and one kind per
    subscription."""
    return {
        **SCHEDULED,
        events.EVENT_JOB: _fan_out(subscriptions),
        **{sub.name: _job_of(sub) for sub in subscriptions},
    }


JOBS = job_table()


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
    """The job threads of one process, with every handler: `pnyx serve` and `pnyx worker`."""
    return worker.Pool(db, JOBS, threads, queues)
