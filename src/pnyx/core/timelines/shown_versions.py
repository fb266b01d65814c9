"""The render versions and the viewer's marks of a page of posts that was decided without
reading them (a ranked or composed feed's page, read from its snapshot), in one query.

A feed's own page reads these with its entries (`feed_query`); a page whose ids come from
elsewhere reads them here, so that it too can be served from the posts' kept JSON
(`presenters.status_json`) instead of loading and rendering every post again.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa

from pnyx.core import decisions
from pnyx.core.timelines.feed_query import AUTHOR, ORIGINAL_AUTHOR, viewer_marks
from pnyx.core.timelines.home_timeline import ORIGINAL
from pnyx.db.engine import Tx
from pnyx.db.id_lists import in_ids
from pnyx.db.tables import statuses


@functools.cache
def _statement() -> sa.Select:
    viewer = sa.bindparam("viewer", type_=sa.BigInteger)
    return (
        sa.select(
            statuses.c.id,
            statuses.c.reblog_of_id,
            statuses.c.render_version,
            ORIGINAL.c.render_version.label("original_render_version"),
            AUTHOR.c.render_version.label("author_render_version"),
            ORIGINAL_AUTHOR.c.render_version.label("original_author_render_version"),
            viewer_marks(viewer).label("marks"),
        )
        .select_from(
            statuses.join(AUTHOR, AUTHOR.c.id == statuses.c.account_id)
            .outerjoin(ORIGINAL, ORIGINAL.c.id == statuses.c.reblog_of_id)
            .outerjoin(ORIGINAL_AUTHOR, ORIGINAL_AUTHOR.c.id == ORIGINAL.c.account_id)
        )
        .where(in_ids(statuses.c.id, "ids"))
    )


def with_versions(tx: Tx, ids: Any, viewer_id: int) -> Any:
    """`ids` (decided for this viewer) with their render versions, their authors' and the
    viewer's marks, read now when they did not come with them; anything else as it is."""
    if not isinstance(ids, decisions.CheckedIds) or not ids.checked_for(viewer_id) or not ids:
        return ids
    if ids.versions is not None and ids.author_versions is not None and ids.marks is not None:
        return ids
    versions: dict[int, int] = {}
    authors: dict[int, int] = {}
    marks: dict[int, int] = {}
    for row in tx.plain(_statement(), {"ids": list(ids), "viewer": viewer_id}):
        versions[row.id] = row.render_version
        authors[row.id] = row.author_render_version
        marks[row.id] = row.marks
        if row.reblog_of_id is not None and row.original_render_version is not None:
            versions[row.reblog_of_id] = row.original_render_version
            authors[row.reblog_of_id] = row.original_author_render_version
    return decisions.CheckedIds(ids, viewer_id, ids.warnings, versions, authors, marks)
