"""Which remote servers are up, as deliveries find out: failures are counted per domain, and
a server failing for days is marked unavailable and skipped until it is heard from again
(a delivery succeeds, or it sends us something). Only servers that failed have a row."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from pnyx.db.engine import Tx
from pnyx.db.insert_ignore import insert_ignore
from pnyx.db.tables import domains

log = logging.getLogger("pnyx.federation.delivery")

# A server failing for this long (and this many times) is skipped until heard from again.
UNAVAILABLE_AFTER = timedelta(days=3)
UNAVAILABLE_FAILURES = 10


def is_unavailable(tx: Tx, domain: str) -> bool:
    return (
        tx.scalar(
            sa.select(domains.c.unavailable_since).where(
                domains.c.domain == domain, domains.c.unavailable_since.is_not(None)
            )
        )
        is not None
    )


# Built once: every accepted activity and every delivery runs it.
_FORGET_FAILURES = (
    domains.update()
    .where(
        domains.c.domain == sa.bindparam("name"),
        sa.or_(domains.c.failures > 0, domains.c.unavailable_since.is_not(None)),
    )
    .values(
        failures=0,
        first_failure_at=None,
        unavailable_since=None,
        last_success_at=sa.bindparam("now"),
    )
)


def mark_available(tx: Tx, domain: str) -> None:
    """The server answered (or sent us something): forget its failures. A row with nothing
    to forget is left alone (no write per delivery)."""
    tx.execute(_FORGET_FAILURES, {"name": domain, "now": tx.now})


def record_failure(tx: Tx, domain: str, now: datetime | None = None) -> bool:
    """Count one failed delivery; returns True when the server is now unavailable."""
    now = now or tx.now
    insert_ignore(tx, domains, {"domain": domain, "failures": 0})
    row = tx.one_or_none(sa.select(domains).where(domains.c.domain == domain))
    assert row is not None, "inserted just above, in this transaction"
    failures = row.failures + 1
    first = row.first_failure_at or now
    unavailable = row.unavailable_since
    if (
        unavailable is None
        and failures >= UNAVAILABLE_FAILURES
        and now - first >= UNAVAILABLE_AFTER
    ):
        unavailable = now
        log.warning("%s failed %d deliveries since %s: marked unavailable", domain, failures, first)
    tx.execute(
        domains.update()
        .where(domains.c.domain == domain)
        .values(failures=failures, first_failure_at=first, unavailable_since=unavailable)
    )
    return unavailable is not None
