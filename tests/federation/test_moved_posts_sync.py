"""What the `account.map_moved_posts` job takes from a page of the new account's outbox: only
posts the new account wrote, at addresses on its own server, that name a post of the old
account in `previously`. (The whole job runs between real servers in
test_move_round_trip.py.)"""

from __future__ import annotations

from pnyx.federation.moved_posts_sync import pairs_on_page

OLD = "https://a.example/users/alice"
NEW = "https://b.example/users/alice2"


def _create(obj: dict) -> dict:
    return {"type": "Create", "actor": obj.get("attributedTo"), "object": obj}


def _note(post_id: str, author: str = NEW, previously=None, **more) -> dict:
    note = {"id": post_id, "type": "Note", "attributedTo": author, **more}
    if previously is not None:
        note["previously"] = previously
    return note


def test_posts_copied_from_the_old_account_are_paired_with_their_old_ids():
    page = {
        "orderedItems": [
            _create(
                _note(
                    f"{NEW}/statuses/1",
                    previously=[{"actor": OLD, "id": f"{OLD}/statuses/9"}],
                    url="https://b.example/@alice2/1",
                )
            ),
            # One breadcrumb given bare, not in a list; the actor as an object.
            _create(
                _note(f"{NEW}/statuses/2", previously={"actor": {"id": OLD}, "id": f"{OLD}/s/8"})
            ),
            _create(_note(f"{NEW}/statuses/3")),  # written on B: nothing to pair
        ]
    }
    assert pairs_on_page(page, OLD, NEW) == [
        (f"{OLD}/statuses/9", f"{NEW}/statuses/1", "https://b.example/@alice2/1"),
        (f"{OLD}/s/8", f"{NEW}/statuses/2", None),
    ]


def test_what_the_new_server_cannot_speak_for_is_left_out():
    crumb = [{"actor": OLD, "id": f"{OLD}/statuses/9"}]
    page = {
        "items": [
            # Someone else's post in the page.
            _create(_note("https://b.example/users/bob/statuses/1", "https://b.example/users/bob",
                          previously=crumb)),
            # An address on another server than the new account's.
            _create(_note("https://c.example/statuses/1", previously=crumb)),
            # A breadcrumb naming another person's post.
            _create(_note(f"{NEW}/statuses/4",
                          previously=[{"actor": "https://a.example/users/bob", "id": "x"}])),
            # Not an object, or only its id.
            "https://b.example/users/alice2/statuses/5#activity",
            {"type": "Create", "object": f"{NEW}/statuses/6"},
        ]
    }  # fmt: skip
    assert pairs_on_page(page, OLD, NEW) == []
    assert pairs_on_page({"orderedItems": "not a list"}, OLD, NEW) == []
