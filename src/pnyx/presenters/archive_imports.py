"""An import of an archive as the API shows it (`/api/v1/pnyx/imports/archive`), and as the
web page reads it: state, counters, what was skipped and why, what failed."""

from __future__ import annotations

from typing import Any

from pnyx.presenters.entities import iso


def archive_import(row: Any) -> dict[str, Any]:
    done = row.imported + row.skipped + row.failed
    return {
        "id": str(row.id),
        "state": row.state,  # queued, running, finished, failed
        "actor_uri": row.actor_uri,
        "total": row.total,
        "processed": done,
        "imported": row.imported,
        "skipped": row.skipped,
        "failed": row.failed,
        "skipped_reasons": dict(row.skip_reasons or {}),
        "failures": [dict(f) for f in row.failures or []],
        "error": row.error,
        "size": row.upload_bytes,
        "created_at": iso(row.created_at),
        "started_at": iso(row.started_at),
        "finished_at": iso(row.finished_at),
    }
