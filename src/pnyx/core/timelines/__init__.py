"""Timelines: which statuses a viewer sees, newest first, one page at a time.

Home and list pages are read from materialized feeds when built (`feed_source`, over
`core.feeds`), with the read-time queries below as fallback and reference.
One module per kind of timeline: `home_timeline`, `list_timeline` (a list's members, with the
home feed's rules), `public_timelines` (public, hashtag and trending link timelines), `account_timeline` (one account's statuses and pins), `marked` (favourites and
bookmarks); `candidates` holds what they share. When the rules drop items, a further bounded query refills the page, so a page is
short only when the timeline has run out or a long run of hidden posts was skipped (the
cursors then still point past it).

Every timeline returns a `Slice`: status ids in display order (newest first) and the ids to
build the Link header from; rendering is `status_views.load` and the API's serializers. The
names below are the ones the edges call.
"""

from pnyx.core.timelines.account_timeline import account_statuses
from pnyx.core.timelines.candidates import Slice
from pnyx.core.timelines.feed_source import feed_requested, home, list_statuses
from pnyx.core.timelines.marked import bookmarked, favourited
from pnyx.core.timelines.public_timelines import link, normalize_tag, public, tag
from pnyx.core.timelines.shown_versions import with_versions

__all__ = [
    "Slice",
    "account_statuses",
    "bookmarked",
    "favourited",
    "feed_requested",
    "home",
    "link",
    "list_statuses",
    "normalize_tag",
    "public",
    "tag",
    "with_versions",
]
