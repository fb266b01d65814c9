"""Where an imported post came from, as it is shown with the post (the API's
`pnyx.imported_from`, the web's "Imported from ..."): read with the post's other parts
(`core.status_parts`), so a page of posts costs one more indexed lookup, for its local posts
only."""

from __future__ import annotations

import functools

import sqlalchemy as sa

from pnyx.db.id_lists import in_ids
from pnyx.db.tables import imported_statuses


@functools.cache
def of_posts_query() -> sa.Select:
    """The origin of the posts `ids` that were imported: their original id and page, and
    when they were first posted."""
    return sa.select(
        imported_statuses.c.status_id,
        imported_statuses.c.origin_uri,
        imported_statuses.c.origin_url,
        imported_statuses.c.origin_actor_uri,
        imported_statuses.c.published,
    ).where(in_ids(imported_statuses.c.status_id, "ids"))
