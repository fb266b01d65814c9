"""The periodic `algorithms.refresh` job: fit the bridging model, prune old snapshots.

Scheduled like `media.prune`: keyed by the slot it runs in, so every process that schedules
it at start adds one run per slot between them, and each run schedules the next. The fit
reads in one transaction, computes outside any, and writes in another.

The whole fit (reading the ratings, factorizing, storing) runs in a child process
(`_fit_here`): the job runs inside `pnyx serve`'s own worker, and the ratings (up to
500,000 pairs read into Python sets), numpy and the fit's arrays would otherwise stay in the
server's memory for good (its idle RSS is held under 120 MB, BENCHMARKS.md) and hold the GIL
the requests need for seconds. The child starts fresh (spawn), opens its own connection
from the same settings, does the three steps and exits. An instance where nobody favourited
or boosted anything lately (a new or quiet one) starts no child: one short query says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pnyx.config import Settings
from pnyx.core.algorithms import bridging, bridging_fit, catalog, snapshots
from pnyx.db.engine import Database, Tx
from pnyx.jobs.queue import enqueue

REFRESH_JOB = "algorithms.refresh"
INTERVAL = timedelta(minutes=bridging.PARAMS.refit_minutes)


def _slot(moment: datetime) -> int:
    return int(moment.timestamp() // INTERVAL.total_seconds())


def schedule(tx: Tx, *, after: datetime | None = None) -> None:
    if after is None:
        slot, run_at = _slot(tx.now), tx.now
    else:
        slot = _slot(after) + 1
        run_at = datetime.fromtimestamp(slot * INTERVAL.total_seconds(), tz=UTC)
    enqueue(tx, REFRESH_JOB, {}, run_at=run_at, unique_key=f"{REFRESH_JOB}:{slot}")


def fit_bridging(db: Database) -> int:
    """Fit the bridging model on the ratings now and store each post's result with the
    running version; how many posts were fitted."""
    if not db.run_sync(bridging_fit.anything_rated, write=False):
        # Nothing to fit: what was stored is cleared, as a fit of no ratings would.
        version = catalog.ALGORITHMS["bridging"].version
        return int(db.run_sync(lambda tx: bridging_fit.store(tx, bridging_fit.NO_FIT, version)))
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as child:
        return int(child.apply(_fit_here, (db.settings,)))


def _fit_here(settings: Settings) -> int:
    """The fit, in the child process: its own connection, read, factorize, store."""
    algorithm = catalog.ALGORITHMS["bridging"]
    db = Database(settings)
    try:
        ratings = db.run_sync(
            lambda tx: bridging_fit.read_ratings(tx, algorithm.params), write=False
        )
        fit = bridging_fit.factorize(ratings, algorithm.params)
        return int(db.run_sync(lambda tx: bridging_fit.store(tx, fit, algorithm.version)))
    finally:
        db.dispose()


def refresh_job(db: Database, payload: dict[str, Any]) -> None:
    fit_bridging(db)
    db.run_sync(snapshots.prune)
    db.run_sync(lambda tx: schedule(tx, after=tx.now))
