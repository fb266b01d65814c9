"""Community notes across three real servers (issue 13): A, B and C take each other's notes in
(their admins add the peers through the admin API); Bob posts on B; a writer on A adds a note
to Bob's post through the API; people on A, B and C rate it and a background of other notes,
each rating travelling to the other two, signed by its server's notes actor. Every server
scores for itself and finds the note helpful, and Mastodon.py shows it on all three as the
post's card, "Readers added context". A rating forged in A's name, or sent by a server that
is not a peer, changes nothing on C.

The background is what the bridging algorithm needs to decide anything: twelve raters in two
camps (four on each server), each rating every note: four notes both camps find helpful (the
key note is a fifth), three each camp alone finds helpful, two nobody does. It is written with
core functions against each server's database, so its events become the same jobs the API's
would, and those jobs federate it; the key note and one rating on each server go through the
API. A note must stay helpful for 30 minutes before it is shown: between the two scoring runs
the test moves the start of that half hour back, as time would.
"""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import sqlalchemy as sa
from mastodon import Mastodon

from pnyx import registry  # noqa: F401 - installs the event handlers core's writes need
from pnyx.config import load_settings
from pnyx.core import accounts, oauth, statuses
from pnyx.core.notes import vocabulary, writing
from pnyx.db.engine import Database
from pnyx.db.tables import community_notes, note_ratings
from pnyx.db.tables import statuses as statuses_table
from pnyx.federation import data_integrity
from pnyx.federation.label_documents import precise
from pnyx.federation.note_documents import NOTE_CONTEXT
from server import PnyxServer

from .peer import Peer
from .people import eventually

PG_URL = os.environ.get("PNYX_TEST_DATABASE_URL", "")
ENV = {
    "PNYX_NOTES_MIN_ACCOUNT_DAYS": "0",  # the people made here may write and rate at once
    "PNYX_NOTES_SCORE_MINUTES": "100000",  # no scheduled run between the test's own
    "PNYX_PASSWORD_HASHING": "fast-insecure",
}
SCOPES = ["read", "write", "follow", "admin:read", "admin:write"]
SOURCE = "https://example.org/moon-samples"
MISLEADING = vocabulary.MISLEADING
HELPFUL_TAGS = ["helpfulClear", "helpfulGoodSources"]
NOT_HELPFUL_TAGS = ["notHelpfulIncorrect", "notHelpfulSourcesMissingOrUnreliable"]
# The background notes: (kind, how many); "both" is found helpful by both camps.
BACKGROUND = [("both", 4), ("L", 3), ("R", 3), ("nobody", 2)]
RATERS = [("L", 0), ("L", 1), ("R", 0), ("R", 1)]  # on each server; ("L", 0) rates by API


class Site:
    """One running server, its database as the test reaches it, and its people."""

    def __init__(self, server: PnyxServer):
        self.server = server
        self.db = Database(load_settings(server.environment()))
        self.people: dict[str, tuple[int, str]] = {}  # name -> (account id, token)

    @property
    def domain(self) -> str:
        return self.server.domain

    def person(self, name: str, *, role: str = "user") -> tuple[int, str]:
        def work(tx):
            account_id, user_id = accounts.create_local(
                tx, name, f"{name}@example.com", "correct horse battery", role=role
            )
            app = oauth.create_app(tx, "notes test", [oauth.OOB], SCOPES)
            token, _ = oauth.issue_token(tx, app.id, user_id, SCOPES)
            return account_id, token

        self.people[name] = self.db.run_sync(work)
        return self.people[name]

    def api(self, name: str) -> Mastodon:
        return Mastodon(
            access_token=self.people[name][1],
            api_base_url=self.server.base_url,
            version_check_mode="none",
            request_timeout=60,
        )

    def call(self, name: str, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.people[name][1]}"}
        return httpx.request(
            method, self.server.base_url + path, headers=headers, timeout=120, **kwargs
        )

    def count(self, table, *where) -> int:
        return self.db.run_sync(
            lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(table).where(*where)),
            write=False,
        )

    def note_id(self, uri: str) -> int | None:
        return self.db.run_sync(
            lambda tx: tx.scalar(
                sa.select(community_notes.c.id).where(community_notes.c.uri == uri)
            ),
            write=False,
        )

    def status_of(self, uri: str) -> str | None:
        return self.db.run_sync(
            lambda tx: tx.scalar(
                sa.select(community_notes.c.status).where(community_notes.c.uri == uri)
            ),
            write=False,
        )

    def logs(self) -> str:
        return f"\n----- {self.domain} -----\n{self.server.logs()[-4000:]}"


def write_note(site: Site, author: str, status_id: int, kind: str) -> str:
    """A background note by `author` on a post of its server (each says the post misleads;
    `kind` says who will find it helpful); its uri."""
    data = writing.NoteInput(
        status_id=status_id,
        classification=MISLEADING,
        reasons=["misleadingFactualError"],
        summary=f"Background note ({kind}, {uuid.uuid4().hex[:6]}): {SOURCE}",
    )

    def work(tx):
        note_id = writing.write(tx, site.people[author][0], data)
        return writing.note_uri(tx, note_id)

    return site.db.run_sync(work)


def rate(site: Site, rater: str, note_uri: str, helpful: bool) -> None:
    level = "HELPFUL" if helpful else "NOT_HELPFUL"
    data = writing.RatingInput(
        level, HELPFUL_TAGS if helpful else [], [] if helpful else NOT_HELPFUL_TAGS
    )
    note_id = site.note_id(note_uri)
    assert note_id is not None, f"{note_uri} not on {site.domain}"
    site.db.run_sync(writing.rate, site.people[rater][0], note_id, data)


def helpful_for(camp: str, kind: str) -> bool:
    return kind in ("both", "key") or kind == camp


def forged_rating(note_uri: str, actor: str, key_id: str, private: bytes, now) -> dict:
    doc = {
        "@context": NOTE_CONTEXT,
        "id": f"{actor.rsplit('/users/', 1)[0]}/notes/1/ratings/{uuid.uuid4().int % 10**9}",
        "type": "NoteRating",
        "attributedTo": actor,
        "participant": "F0" * 32,
        "note": note_uri,
        "helpfulnessLevel": "NOT_HELPFUL",
        "helpfulTags": [],
        "notHelpfulTags": ["notHelpfulIncorrect"],
        "published": precise(now),
        "updated": precise(now),
    }
    return data_integrity.sign(doc, private, key_id, now)


def test_a_note_written_on_a_about_a_post_on_b_is_rated_everywhere_and_shown_on_c(tmp_path):
    servers = [
        PnyxServer(tmp_path / "a", backend="sqlite", env=ENV),
        PnyxServer(tmp_path / "b", backend="postgres" if PG_URL else "sqlite", env=ENV),
        PnyxServer(tmp_path / "c", backend="sqlite", env=ENV),
    ]
    started: list[PnyxServer] = []
    sites: list[Site] = []
    mallory = Peer("mallory")
    try:
        with ThreadPoolExecutor(3) as pool:
            started.extend(pool.map(lambda s: s.start(), servers))
        sites = [Site(s) for s in servers]
        a, b, c = sites
        logs = lambda: "".join(s.logs() for s in sites)  # noqa: E731

        # The admins make the three servers peers of one another, through the admin API.
        for site in sites:
            site.person("staff", role="admin")
        for site in sites:
            for other in sites:
                if other is not site:
                    answer = site.call(
                        "staff", "POST", "/api/v1/pnyx/admin/notes/peers",
                        json={"domain": other.domain},
                    )  # fmt: skip
                    assert answer.status_code == 200, answer.text
        nowhere = a.call(
            "staff", "POST", "/api/v1/pnyx/admin/notes/peers", json={"domain": mallory.domain}
        )
        assert nowhere.status_code == 422 and "notes actor" in nowhere.json()["error"]

        def peered(site: Site) -> bool:
            listed = site.call("staff", "GET", "/api/v1/pnyx/admin/notes/peers").json()
            return len(listed) == 2 and all(p["following"] and p["followed_by"] for p in listed)

        assert eventually(lambda: all(peered(s) for s in sites), attempts=300), logs()

        # Bob posts on B; the writer on A finds the post and adds a note through the API.
        bob = b.person("bob")
        word = f"claim{uuid.uuid4().hex[:8]}"
        post = b.api("bob").status_post(f"{word}: the moon is made of cheese")
        a.person("writer")
        found = a.api("writer").search_v2(post["uri"], resolve=True)["statuses"]
        assert found, a.logs()
        answer = a.call(
            "writer",
            "POST",
            "/api/v1/pnyx/notes",
            json={
                "status_id": found[0]["id"],
                "classification": MISLEADING,
                "reasons": ["misleadingFactualError"],
                "summary": f"Lunar samples are rock, not cheese: {SOURCE}",
            },
        )
        assert answer.status_code == 200, answer.text
        key_uri = answer.json()["uri"]

        # The background: a writer and a post on each server, its notes on that post.
        notes: list[tuple[str, str]] = [(key_uri, "key")]
        for site, share in zip(sites, ([0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]), strict=True):
            scribe, _ = site.person("scribe")
            subject = site.db.run_sync(
                statuses.create, scribe, statuses.StatusInput(text=f"{word} background post")
            )
            kinds = [kind for kind, n in BACKGROUND for _ in range(n)]
            for index in share:
                notes.append((write_note(site, "scribe", subject, kinds[index]), kinds[index]))
            for camp, n in RATERS:
                site.person(f"{camp}{n}")

        def all_notes(site: Site) -> bool:
            return site.count(community_notes) == len(notes)

        assert eventually(lambda: all(all_notes(s) for s in sites), attempts=600), logs()
        # C fetched Bob's post when the note about it arrived, and linked the note to it.
        assert eventually(lambda: c.note_id(key_uri) and c.db.run_sync(
            lambda tx: tx.scalar(
                sa.select(community_notes.c.status_id).where(community_notes.c.uri == key_uri)
            ), write=False)), c.logs()  # fmt: skip

        # Everyone rates every note: the background through core, one rating of the key note
        # on each server through the API.
        for site in sites:
            for camp, n in RATERS:
                rater = f"{camp}{n}"
                for uri, kind in notes:
                    if uri == key_uri and (camp, n) == ("L", 0):
                        continue
                    rate(site, rater, uri, helpful_for(camp, kind))
            local_post = site.api("L0").search_v2(post["uri"], resolve=True)["statuses"][0]
            on_post = site.call("L0", "GET", f"/api/v1/pnyx/statuses/{local_post['id']}/notes")
            [key_note] = [n for n in on_post.json() if n["uri"] == key_uri]
            answer = site.call(
                "L0",
                "POST",
                f"/api/v1/pnyx/notes/{key_note['id']}/rating",
                json={"helpfulness_level": "HELPFUL", "helpful_tags": HELPFUL_TAGS},
            )
            assert answer.status_code == 200, answer.text
        total = len(sites) * len(RATERS) * len(notes)

        def all_ratings(site: Site) -> bool:
            return site.count(note_ratings) == total

        assert eventually(lambda: all(all_ratings(s) for s in sites), attempts=900), (
            [s.count(note_ratings) for s in sites],
            logs(),
        )

        # Forged ratings reach C: one in A's name with another key, one from a server that is
        # not a peer (with its own valid proof). C keeps neither.
        now = c.db.run_sync(lambda tx: tx.now, write=False)
        a_actor = f"{a.server.base_url}/users/notes"
        in_a_name = forged_rating(
            key_uri, a_actor, f"{a_actor}#ed25519-key", data_integrity.new_private_key(), now
        )
        mallory_key = data_integrity.new_private_key()
        own = forged_rating(
            key_uri, mallory.actor, f"{mallory.actor}#ed25519-key", mallory_key, now
        )
        for number, doc in enumerate((in_a_name, own)):
            status = mallory.send(
                f"{c.server.base_url}/inbox",
                {
                    "@context": NOTE_CONTEXT,
                    "id": f"{mallory.actor}#forged-{number}",
                    "type": "Create",
                    "actor": mallory.actor,
                    "object": doc,
                },
            )
            assert status == 202
        assert eventually(
            lambda: (
                c.server.logs().count("NoteRating") >= 2
                and "proof does not hold" in c.server.logs()
                and "is not a peer's notes actor" in c.server.logs()
            ),
            attempts=300,
        ), c.logs()
        assert c.count(note_ratings) == total

        # Each server scores; a note is shown once helpful for 30 minutes in a row.
        def score(site: Site) -> dict:
            answer = site.call("staff", "POST", "/api/v1/pnyx/admin/notes/score")
            assert answer.status_code == 200, answer.text
            return answer.json()

        with ThreadPoolExecutor(3) as pool:
            first = list(pool.map(score, sites))
        assert all(run["notes"] == len(notes) for run in first), first
        for site in sites:
            site.db.run_sync(
                lambda tx: tx.execute(
                    community_notes.update()
                    .where(community_notes.c.crh_candidate_since.isnot(None))
                    .values(crh_candidate_since=tx.now - timedelta(minutes=31))
                )
            )
        with ThreadPoolExecutor(3) as pool:
            second = list(pool.map(score, sites))
        statuses_found = [s.status_of(key_uri) for s in sites]
        assert statuses_found == [vocabulary.CURRENTLY_RATED_HELPFUL] * 3, (first, second)
        # The background came out the same way everywhere too.
        for uri, kind in notes[1:]:
            assert len({s.status_of(uri) for s in sites}) == 1, (uri, kind)

        # Mastodon.py shows the note as the post's card, on C, on A and on B.
        for site in (c, a, b):
            local = site.api("L0").search_v2(post["uri"], resolve=True)["statuses"][0]
            card = site.api("L0").status(local["id"])["card"]
            assert card and card["title"] == "Readers added context", (site.domain, card)
            assert "Lunar samples are rock" in card["description"]

        # A, where the note was written, answers Bob's post as its notes actor (what Mastodon
        # users see); B, a peer, holds the note and does not keep that reply.
        replied = eventually(
            lambda: a.count(
                statuses_table,
                statuses_table.c.text.like("Readers added context: Lunar samples%"),
            ),
            attempts=300,
        )
        assert replied == 1, a.logs()
        assert eventually(
            lambda: "the notes of a peer arrive as notes" in b.server.logs(), attempts=300
        ), b.logs()
        assert bob  # Bob's post carries the note, his server never kept the reply
        assert b.count(statuses_table, statuses_table.c.text.like("Readers added context%")) == 0
    finally:
        mallory.close()
        for site in sites:
            site.db.dispose()
        for server in started:
            server.stop()
