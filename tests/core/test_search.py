"""Full-text status search called directly: the index kept by the write paths (local and
remote, create, edit, delete), Mastodon's operators, and who may be found (4.2 rules:
public posts of indexable authors, plus one's library), on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import factories
from pnyx.core import (
    accounts,
    interactions,
    preview_cards,
    remote_store,
    search,
    status_deletion,
    status_edits,
    statuses,
)
from pnyx.core import search_query as sq
from pnyx.core.errors import Invalid
from pnyx.db.ids import new_id
from pnyx.db.tables import accounts as accounts_table


@pytest.fixture
def people(db):
    def work(tx):
        return {
            name: accounts.create_local(tx, name, f"{name}@example.com", "correct horse battery")[0]
            for name in ("alice", "bob", "carol")
        }

    return db.run_sync(work)


def create(db, account_id, text, **kwargs) -> int:
    return db.run_sync(
        lambda tx: statuses.create(tx, account_id, statuses.StatusInput(text=text, **kwargs))
    )


def find(db, viewer, q, **kwargs) -> list[int]:
    return db.run_sync(lambda tx: search.search_statuses(tx, viewer, q, **kwargs))


def set_indexable(db, account_id, value: bool) -> None:
    db.run_sync(
        lambda tx: tx.execute(
            accounts_table.update().where(accounts_table.c.id == account_id).values(indexable=value)
        )
    )


def remote(db, author, number, content, **extra) -> int:
    incoming = remote_store.IncomingStatus(
        uri=f"https://remote.example/users/rita/statuses/{number}",
        content=content,
        visibility=extra.pop("visibility", "public"),
        **extra,
    )
    return db.run_sync(lambda tx: remote_store.store_status(tx, author, incoming))


def test_words_phrases_and_exclusions(db, people):
    alice, bob = people["alice"], people["bob"]
    both = create(db, alice, "The black cat sleeps on the warm mat")
    cat = create(db, alice, "A cat, black as night")
    dog = create(db, alice, "The black dog and the cat")
    assert find(db, bob, "cat black") == [dog, cat, both]
    assert find(db, bob, "CAT") == [dog, cat, both]  # case folded
    assert find(db, bob, '"black cat"') == [both]
    assert find(db, bob, "cat -dog") == [cat, both]
    assert find(db, bob, 'cat -"black cat"') == [dog, cat]
    assert find(db, bob, "+cat +mat") == [both]
    assert find(db, bob, "catamaran") == []  # whole words, no prefixes
    # An unknown operator is a plain word, as in Mastodon: "foo:bar" is the words foo, bar.
    with_colon = create(db, alice, "note foo:bar here")
    assert find(db, bob, "foo:bar") == [with_colon]
    # Exclusions alone: the newest posts, without those.
    assert find(db, bob, "-dog") == [with_colon, cat, both]
    assert find(db, bob, '-"black cat" -note') == [dog, cat]
    # Punctuation alone, or quotes, are never syntax for the engine.
    assert find(db, bob, '" ; ) NEAR( *') == []
    assert find(db, bob, 'cat AND "OR" NOT') == []


def test_pages_by_offset_and_by_id(db, people):
    alice, bob = people["alice"], people["bob"]
    made = [create(db, alice, f"page word {n}") for n in range(5)]
    newest_first = list(reversed(made))
    assert find(db, bob, "page", limit=2) == newest_first[:2]
    assert find(db, bob, "page", limit=2, offset=2) == newest_first[2:4]
    assert find(db, bob, "page", max_id=newest_first[1]) == newest_first[2:]
    assert find(db, bob, "page", min_id=newest_first[2]) == newest_first[:2]
    assert find(db, bob, "page", account_id=bob) == []
    assert find(db, bob, "page", account_id=alice, limit=1) == newest_first[:1]


def test_from_operator(db, people):
    alice, bob = people["alice"], people["bob"]
    rita = factories.remote_account(db, "rita", "remote.example")
    set_indexable(db, rita, True)
    mine = create(db, bob, "apples from me")
    hers = create(db, alice, "apples from alice")
    remote_post = remote(db, rita, 1, "<p>apples from rita</p>")
    assert find(db, bob, "apples from:alice") == [hers]
    assert find(db, bob, "apples from:@alice") == [hers]
    assert find(db, bob, "apples from:alice@pnyx.test") == [hers]
    assert find(db, bob, "apples from:me") == [mine]
    assert find(db, bob, "apples from:@rita@remote.example") == [remote_post]
    assert find(db, bob, "apples -from:me") == [remote_post, hers]
    assert find(db, bob, "apples from:nobody") == []
    # Operators alone, with no words, are a search too.
    assert find(db, bob, "from:me") == [mine]


def test_has_and_is_operators(db, people):
    alice, bob = people["alice"], people["bob"]
    rita = factories.remote_account(db, "rita", "remote.example")
    set_indexable(db, rita, True)
    Attachment = remote_store.IncomingAttachment
    image = remote(
        db,
        rita,
        1,
        "<p>river photo</p>",
        attachments=[Attachment("image", "https://r.example/1.png")],
    )
    video = remote(
        db,
        rita,
        2,
        "<p>river video</p>",
        attachments=[Attachment("video", "https://r.example/2.mp4")],
    )
    audio = remote(
        db,
        rita,
        3,
        "<p>river song</p>",
        attachments=[Attachment("audio", "https://r.example/3.mp3")],
    )
    poll = create(
        db,
        alice,
        "river vote",
        poll=statuses.PollInput(options=["swim", "row"], expires_in=3600),
    )
    link = create(db, alice, "river guide https://example.org/river")
    tagged = create(db, alice, "river #walk with @bob")  # a hashtag and a mention: no link
    reply = create(db, bob, "river reply", in_reply_to_id=tagged)
    sensitive = create(db, alice, "river at night", spoiler_text="dark")
    everything = {image, video, audio, poll, link, tagged, reply, sensitive}
    assert set(find(db, bob, "river", limit=40)) == everything
    assert set(find(db, bob, "river has:media")) == {image, video, audio}
    assert find(db, bob, "river has:image") == [image]
    assert find(db, bob, "river has:video") == [video]
    assert find(db, bob, "river has:audio") == [audio]
    assert find(db, bob, "river has:poll") == [poll]
    assert find(db, bob, "river has:link") == [link]
    assert find(db, bob, "river has:embed") == []  # a link, but no card that plays anything
    assert find(db, bob, "river is:reply") == [reply]
    assert find(db, bob, "river is:sensitive") == [sensitive]
    assert set(find(db, bob, "river -has:media -is:reply", limit=40)) == everything - {
        image,
        video,
        audio,
        reply,
    }
    # A known operator with a value it does not know matches nothing, as in Mastodon.
    assert find(db, bob, "river has:banana") == []
    assert find(db, bob, "river is:boring") == []
    # Poll options and media descriptions are searched as the text is.
    assert find(db, bob, "swim") == [poll]


def test_has_embed_finds_posts_whose_card_plays_something(db, people):
    """As Mastodon: `has:embed` is a post whose preview card carries an embed (a video or rich
    oEmbed), known once the card arrives; a post made after it is found at once."""
    alice, bob = people["alice"], people["bob"]
    clip = create(db, alice, "lake clip https://video.example/watch/1")
    article = create(db, alice, "lake story https://news.example/story")
    assert find(db, bob, "lake has:embed") == []
    embed = '<iframe src="https://video.example/embed/1" width="480" height="270"></iframe>'
    preview_cards.save(
        db,
        "https://video.example/watch/1",
        preview_cards.CardData(title="A clip", type="video", html=embed),
    )
    preview_cards.save(db, "https://news.example/story", preview_cards.CardData(title="News"))
    assert find(db, bob, "lake has:embed") == [clip]
    assert set(find(db, bob, "lake has:link")) == {clip, article}
    again = create(db, alice, "lake clip again https://video.example/watch/1")
    assert find(db, bob, "lake has:embed") == [again, clip]


def test_language_and_dates(db, people):
    alice, bob = people["alice"], people["bob"]
    french = create(db, alice, "bonjour soleil", language="fr")
    english = create(db, alice, "hello soleil", language="en")
    assert find(db, bob, "soleil language:fr") == [french]
    assert find(db, bob, "soleil language:EN") == [english]
    assert find(db, bob, "soleil -language:fr") == [english]
    rita = factories.remote_account(db, "rita", "remote.example")
    set_indexable(db, rita, True)
    old = remote(
        db,
        rita,
        9,
        "<p>old soleil</p>",
        created_at=datetime(2024, 3, 15, 12, 0, tzinfo=UTC),
    )
    assert find(db, bob, "soleil before:2024-03-16") == [old]
    assert find(db, bob, "soleil before:2024-03-15") == []
    assert find(db, bob, "before:2024-03-16") == [old]  # a date alone
    assert find(db, bob, "soleil during:2024-03-15") == [old]
    assert find(db, bob, "soleil during:2024-03-14") == []
    assert find(db, bob, "soleil after:2024-03-14") == [english, french, old]
    assert find(db, bob, "soleil after:2024-03-15") == [english, french]
    today = datetime.now(UTC).date()
    assert find(db, bob, f"soleil after:{today - timedelta(days=1)}") == [english, french]
    with pytest.raises(Invalid):
        find(db, bob, "soleil before:yesterday")


def test_who_may_be_found(db, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    rita = factories.remote_account(db, "rita", "remote.example")
    set_indexable(db, rita, False)  # her actor did not say `indexable: true`
    public = create(db, alice, "plums are ripe")
    unlisted = create(db, alice, "plums unlisted", visibility="unlisted")
    private = create(db, alice, "plums for followers", visibility="private")
    direct = create(db, alice, "plums for @bob", visibility="direct")
    from_rita = remote(db, rita, 1, "<p>plums from rita</p>")
    factories.follow(db, carol, alice)

    # A follower finds the public post of an indexable author: not the unlisted one, not
    # the followers-only one (not in their library), not rita's.
    assert find(db, carol, "plums") == [public]
    # The author finds all of their own.
    assert find(db, alice, "plums") == [direct, private, unlisted, public]
    # Mentioned: the direct post is in bob's library.
    assert find(db, bob, "plums") == [direct, public]
    assert find(db, bob, "plums in:library") == [direct]
    assert find(db, bob, "plums in:public") == [public]
    assert find(db, bob, "plums in:all") == [direct, public]

    # rita did not opt in: her public post is found only by those whose library holds it.
    db.run_sync(lambda tx: interactions.favourite(tx, carol, from_rita))
    assert find(db, carol, "plums") == [from_rita, public]
    assert find(db, bob, "plums") == [direct, public]
    set_indexable(db, rita, True)
    assert find(db, bob, "plums") == [from_rita, direct, public]

    # An author who opts out is found by no one else, even for public posts...
    set_indexable(db, alice, False)
    assert find(db, carol, "plums") == [from_rita]
    # ...unless it is in their library: bookmarked, boosted.
    factories.bookmark(db, carol, unlisted)
    db.run_sync(lambda tx: interactions.reblog(tx, carol, public))
    assert find(db, carol, "plums") == [from_rita, unlisted, public]
    assert find(db, carol, "plums in:library") == [from_rita, unlisted, public]
    # A follower is never given a followers-only post just for following.
    assert private not in find(db, carol, "plums")
    # Even in one's library, what the visibility rules hide stays hidden: a block.
    factories.block(db, alice, carol)
    assert find(db, carol, "plums") == [from_rita]


def test_mutes_and_suspensions_hide_results(db, people):
    alice, bob = people["alice"], people["bob"]
    post = create(db, alice, "quince jelly")
    assert find(db, bob, "quince") == [post]
    factories.mute(db, bob, alice)
    assert find(db, bob, "quince") == []
    assert find(db, alice, "quince") == [post]
    factories.suspend(db, alice)
    assert find(db, alice, "quince") == []


def test_edit_reindexes_and_delete_removes(db, people):
    alice, bob = people["alice"], people["bob"]
    post = create(db, alice, "first draft about lemons")
    assert find(db, bob, "lemons") == [post]
    db.run_sync(
        lambda tx: status_edits.edit(
            tx, alice, post, status_edits.EditInput(text="second draft about limes")
        )
    )
    assert find(db, bob, "lemons") == []
    assert find(db, bob, "limes draft") == [post]
    db.run_sync(lambda tx: status_deletion.delete(tx, alice, post))
    assert find(db, bob, "limes") == []
    assert _index_rows(db, post) == 0


def test_remote_posts_indexed_updated_and_deleted(db, people):
    bob = people["bob"]
    rita = factories.remote_account(db, "rita", "remote.example")
    set_indexable(db, rita, True)
    post = remote(db, rita, 1, "<p>Grapes &amp; <b>figs</b></p>", spoiler_text="fruit")
    assert find(db, bob, "figs grapes") == [post]
    assert find(db, bob, "fruit") == [post]  # the content warning is searched too
    assert find(db, bob, "amp") == []  # entities are read, tags dropped
    incoming = remote_store.IncomingStatus(
        uri="https://remote.example/users/rita/statuses/1",
        content="<p>Only pears now</p>",
        visibility="public",
    )
    db.run_sync(lambda tx: remote_store.update_status(tx, post, incoming))
    assert find(db, bob, "figs") == []
    assert find(db, bob, "pears") == [post]
    row = db.run_sync(lambda tx: statuses.get_row(tx, post))
    db.run_sync(lambda tx: status_deletion.delete_with_boosts(tx, row))
    assert find(db, bob, "pears") == []
    assert _index_rows(db, post) == 0


def test_boosts_are_not_indexed(db, people):
    alice, bob = people["alice"], people["bob"]
    post = create(db, alice, "walnut bread")
    boost = db.run_sync(lambda tx: interactions.reblog(tx, bob, post))
    assert find(db, bob, "walnut") == [post]
    assert _index_rows(db, boost) == 0


def _index_rows(db, status_id) -> int:
    def work(tx):
        key = "status_id" if tx.is_postgres else "rowid"
        query = sa.text(f"SELECT count(*) FROM status_search WHERE {key} = :id")
        return tx.execute(query, {"id": status_id}).scalar()

    return db.run_sync(work)


def test_parse_reads_mastodon_syntax():
    parsed = sq.parse(
        'cats "black cat" -dog -"grey cat" from:@ana@x.org has:Poll is:reply in:library'
    )
    assert parsed.words == ["cats"]
    assert parsed.phrases == ["black cat"]
    assert parsed.excluded == ["dog", "grey cat"]
    assert parsed.filters == [
        sq.Filter("from", "@ana@x.org"),
        sq.Filter("has", "poll"),
        sq.Filter("is", "reply"),
    ]
    assert parsed.scope == "library"
    assert sq.parse("https://example.org/x").words == ["https://example.org/x"]
    assert sq.parse("has:banana").impossible
    assert sq.parse("in:all x").scope == "all"
    assert sq.parse("in:public x").scope == "public"
    assert sq.parse("").empty
    with pytest.raises(Invalid):
        sq.parse("during:2024-13-01")


def test_index_is_built_for_posts_stored_before_it(db, people, settings):
    """The migration indexes the posts already there: drop the index back to 0021, add a
    post the old way, migrate again, and it is found."""
    from alembic import command

    from pnyx.db.migrate import alembic_config

    alice, bob = people["alice"], people["bob"]
    before = create(db, alice, "chestnut season")
    command.downgrade(alembic_config(db.engine), "0021")
    try:
        sid = new_id()
        db.run_sync(
            lambda tx: tx.execute(
                sa.text(
                    "INSERT INTO statuses (id, uri, account_id, local, text, content,"
                    " spoiler_text, visibility, sensitive, created_at)"
                    " VALUES (:id, :uri, :account, true, '', :content, '', 'public', false, :now)"
                ),
                {
                    "id": sid,
                    "uri": f"https://pnyx.test/x/{sid}",
                    "account": alice,
                    "content": '<p>chestnut <a href="https://example.org">roast</a></p>',
                    "now": datetime.now(UTC),
                },
            )
        )
    finally:
        command.upgrade(alembic_config(db.engine), "head")
    assert find(db, bob, "chestnut") == [sid, before]
    assert find(db, bob, "roast has:link") == [sid]


def test_reindex_command_rebuilds_a_stale_index(db, people, database_url, tmp_path):
    from click.testing import CliRunner

    from pnyx.cli import main

    alice, bob = people["alice"], people["bob"]
    post = create(db, alice, "hazelnut cake")
    db.run_sync(lambda tx: tx.execute(sa.text("DELETE FROM status_search")))
    assert find(db, bob, "hazelnut") == []
    env = {
        "PNYX_DATABASE_URL": database_url,
        "PNYX_DOMAIN": "pnyx.test",
        "PNYX_CONFIG": str(tmp_path / "absent.toml"),
    }
    ran = CliRunner().invoke(main, ["search", "reindex", "--batch", "1"], env=env)
    assert ran.exit_code == 0, ran.output
    assert "Indexed 1 post(s)." in ran.output
    assert find(db, bob, "hazelnut") == [post]
