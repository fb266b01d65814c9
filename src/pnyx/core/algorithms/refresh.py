"""The periodic `algorithms.refresh` job: fit the bridging model, prune old snapshots.

Scheduled like `media.prune`: keyed by the slot it runs in, so every process that schedules
it at start adds one run per slot between them, and each run schedules the next. The fit
reads in one transaction, computes outside any, and writes in another.

The computation runs in a child process (`_factorize_apart`): the job runs inside `pnyx
serve`'s own worker, and numpy with the fit's arrays (tens of MB) would otherwise stay in
the server's memory for good (its idle RSS is held under 120 MB, BENCHMARKS.md). The child
starts fresh (spawn), receives the ratings, returns the fit and exits.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

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
    algorithm = catalog.ALGORITHMS["bridging"]
    ratings = db.run_sync(lambda tx: bridging_fit.read_ratings(tx, algorithm.params), write=False)
    fit = _factorize_apart(ratings, algorithm.params)
    return int(db.run_sync(lambda tx: bridging_fit.store(tx, fit, algorithm.version)))


def _factorize_apart(ratings: bridging_fit.Ratings, params: bridging.Params) -> bridging_fit.Fit:
    """`bridging_fit.factorize` in a fresh child process; nothing to start for no ratings
    (the usual case on a new or quiet instance, where factorize needs no numpy)."""
    if not ratings.values:
        return bridging_fit.factorize(ratings, params)
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as child:
        return child.apply(bridging_fit.factorize, (ratings, params))


def refresh_job(db: Database, payload: dict[str, Any]) -> None:
    fit_bridging(db)
    db.run_sync(snapshots.prune)
    db.run_sync(lambda tx: schedule(tx, after=tx.now))
