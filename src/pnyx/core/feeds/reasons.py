"""Why a status is in a viewer's feed: a bitmask stored on each feed entry, with the account
or hashtag it came through, and its JSON form for "why am I seeing this".

An entry's reasons are OR-ed: a post by a followed account that also mentions the viewer
carries FOLLOWED_AUTHOR | MENTIONED. The bits are stored, so they never change meaning; add
new ones at the end.
"""

from __future__ import annotations

OWN = 1  # the viewer wrote it (or boosted it)
FOLLOWED_AUTHOR = 2  # written by an account the viewer follows
BOOSTED_BY_FOLLOWED = 4  # boosted by an account the viewer follows (via_account_id)
FOLLOWED_TAG = 8  # public or unlisted, with a hashtag the viewer follows (via_tag_id)
IN_LIST = 16  # written or boosted by a member of the list (via_account_id)
MENTIONED = 32  # a followers-only or direct post that names the viewer

# In the order they are described: the strongest reason first.
NAMES: tuple[tuple[int, str], ...] = (
    (OWN, "own"),
    (MENTIONED, "mentioned"),
    (FOLLOWED_AUTHOR, "followed_author"),
    (BOOSTED_BY_FOLLOWED, "boosted_by"),
    (IN_LIST, "in_list"),
    (FOLLOWED_TAG, "followed_tag"),
)


def describe(
    reasons: int, via_account_id: int | None = None, via_tag_id: int | None = None
) -> list[dict[str, str]]:
    """The reasons as JSON-able dicts, e.g. [{"reason": "boosted_by", "account_id": "123"}]
    (ids as strings, as the Mastodon API writes them)."""
    out: list[dict[str, str]] = []
    for bit, name in NAMES:
        if not reasons & bit:
            continue
        item = {"reason": name}
        if bit in (BOOSTED_BY_FOLLOWED, IN_LIST) and via_account_id is not None:
            item["account_id"] = str(via_account_id)
        if bit == FOLLOWED_TAG and via_tag_id is not None:
            item["tag_id"] = str(via_tag_id)
        out.append(item)
    return out
