"""Community notes in the web UI (issue 13): the context under a post once a note is rated
helpful, writing a note (the form, core's refusals at their fields), a note's page (rating it,
the rating kept and taken back, the author's view, who may not rate), the "Rate notes" queue,
how notes work (the rules, the scorer's description and constants, the latest run drawn), the
open data files, and every string in French."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import pnyx.web
from pnyx.core import accounts as core_accounts
from pnyx.core.notes import data_files, scorer, scoring_runs, vocabulary, writing
from pnyx.db.ids import new_id
from pnyx.db.tables import (
    accounts,
    community_notes,
    note_ratings,
    note_run_raters,
    note_run_results,
    note_scoring_runs,
)

from .forms import HTML, api, as_person, csrf_token, page

WEB = Path(pnyx.web.__file__).parent
FR = {"Accept-Language": "fr"}
SOURCE = "https://example.org/survey"
TEXT = f"The survey says otherwise: {SOURCE}"


def backdate(db, account_id: int, days: int = 30) -> None:
    """An account old enough to write and rate notes (data set-up)."""

    def work(tx):
        tx.execute(
            accounts.update()
            .where(accounts.c.id == account_id)
            .values(created_at=tx.now - timedelta(days=days))
        )

    db.run_sync(work)


def write_note(db, author, status_id: str, summary: str = TEXT, **fields) -> int:
    data = writing.NoteInput(
        int(status_id),
        fields.get("classification", vocabulary.MISLEADING),
        fields.get("reasons", ["misleadingFactualError"]),
        summary,
    )
    return db.run_sync(writing.write, author.account_id, data)


def set_note(db, note_id: int, **values) -> None:
    db.run_sync(
        lambda tx: tx.execute(
            community_notes.update().where(community_notes.c.id == note_id).values(**values)
        )
    )


def form(client, path: str, action: str, **fields):
    token = csrf_token(page(client, path))
    return client.post(action, data={"csrf_token": token, **fields}, follow_redirects=False)


def article(text: str, status_id: str) -> str:
    found = re.search(rf'<article class="status" id="status-{status_id}".*?</article>', text, re.S)
    return found.group(0) if found else ""


@pytest.fixture
def world(client, make_user, app):
    """An author with a public post, a writer and two raters old enough to take part, and a
    newcomer who is not."""
    db = app.state.db
    people = {name: make_user(name) for name in ("author", "writer", "rater", "other", "newbie")}
    for name in ("author", "writer", "rater", "other"):
        backdate(db, people[name].account_id)
    post = api(client, "POST", "/api/v1/statuses", people["author"], json={"status": "Moon cheese"})
    return {**people, "db": db, "post": post, "thread": f"/@author/{post['id']}"}


# --- Under the post ------------------------------------------------------------------------


def test_a_helpful_note_is_shown_under_its_post(client, world):
    db, post = world["db"], world["post"]
    note_id = write_note(db, world["writer"], post["id"], f"<b>Not</b> so: {SOURCE}.")
    # Needing ratings, it is not shown under the post.
    as_person(client, "other")
    assert "Readers added context" not in page(client, world["thread"])

    tags = ["helpfulGoodSources", "helpfulClear"]
    set_note(db, note_id, status=vocabulary.CURRENTLY_RATED_HELPFUL, tags=tags)
    for person in ("other", None):
        as_person(client, person)
        for path in (world["thread"], "/public/local"):
            shown = article(page(client, path), post["id"])
            assert "Readers added context" in shown, (person, path)
            # Plain text escaped; the link clickable, its full stop left out of it.
            assert "&lt;b&gt;Not&lt;/b&gt; so:" in shown and "<b>Not</b>" not in shown
            assert f'<a href="{SOURCE}" rel="nofollow noopener">{SOURCE}</a>.' in shown
            assert "Cites high-quality sources · Easy to understand" in shown
            assert f'href="/notes/{note_id}">Rate it</a>' in shown
            assert 'class="preview-card"' not in shown  # the card is the note, shown once
    french = article(page(client, world["thread"], **FR), post["id"])
    assert "Des lecteurs ont ajouté du contexte" in french and "Notez-la" in french

    # A helpful note that says the post does not mislead is not shown (X shows only those).
    set_note(db, note_id, classification=vocabulary.NOT_MISLEADING)
    assert "Readers added context" not in page(client, world["thread"])


def test_the_post_page_offers_write_a_note_to_those_who_may(client, world):
    post, db = world["post"], world["db"]
    link = f'href="/notes/new?status={post["id"]}"'
    as_person(client, "writer")
    assert link in page(client, world["thread"])
    assert link not in page(client, "/public/local")  # the timelines stay light
    note_id = write_note(db, world["other"], post["id"])
    assert f'href="/notes/{note_id}">note 1</a>' in page(client, world["thread"])
    for person in ("newbie", None):
        as_person(client, person)
        assert link not in page(client, world["thread"]), person
    # Notes are written on public and unlisted posts only.
    private = api(
        client,
        "POST",
        "/api/v1/statuses",
        world["writer"],
        json={"status": "just us", "visibility": "private"},
    )
    as_person(client, "writer")
    assert "Write a note" not in page(client, f"/@writer/{private['id']}")
    text = page(client, f"/notes/new?status={private['id']}")
    assert "Notes are written on public and unlisted posts only." in text
    assert 'action="/notes/new"' not in text


# --- Writing -------------------------------------------------------------------------------


def test_writing_a_note(client, world):
    post = world["post"]
    path = f"/notes/new?status={post['id']}"
    assert client.get(path, follow_redirects=False).headers["location"] == "/auth/sign_in"
    as_person(client, "writer")
    text = page(client, path)
    assert "<h1>Write a note</h1>" in text and "Moon cheese" in text
    for words in (
        "Is this post misleading?",
        "Misinformed or potentially misleading",
        "It contains a factual error",
        "It expresses a personal opinion",
        'maxlength="280"',
        "Did you link to sources most people would trust?",
    ):
        assert words in text, words

    def send(**fields):
        values = {
            "status": post["id"],
            "classification": vocabulary.MISLEADING,
            "reasons": ["misleadingFactualError"],
            "summary": TEXT,
            **fields,
        }
        return form(client, path, "/notes/new", **values)

    for fields, message, field in (
        (
            {"summary": "It is not true"},
            "A note on a misleading post must link at least one source (https://…).",
            "summary",
        ),
        ({"summary": f"Ask @writer: {SOURCE}"}, "A note must not mention anyone.", "summary"),
        ({"summary": "x" * 281}, "The note is too long (at most 280 characters).", "summary"),
        ({"reasons": []}, "Choose at least one reason.", "reasons"),
        (
            {"reasons": ["notMisleadingPersonalOpinion"]},
            "Choose reasons that fit your answer to “Is this post misleading?”.",
            "reasons",
        ),
        ({"classification": ""}, "Say whether the post is misleading.", "classification"),
    ):
        answer = send(**fields)
        assert answer.status_code == 422, fields
        assert f'<p class="field-error" id="{field}-error">{message}</p>' in answer.text, fields
        assert 'class="error-summary"' in answer.text
    # What was sent is kept.
    kept = send(summary="Kept text, no link", reasons=["misleadingSatire"]).text
    assert ">Kept text, no link</textarea>" in kept
    assert 'id="reason-misleadingSatire" name="reasons" value="misleadingSatire" checked' in kept
    french = client.post(
        "/notes/new",
        data={"csrf_token": csrf_token(kept), "status": post["id"], "summary": "Non"},
        headers=FR,
    )
    assert "Dites si le message est trompeur." in french.text

    answer = send(trustworthy_sources="1")
    assert answer.status_code == 303
    location = answer.headers["location"]
    note_id = int(re.match(r"/notes/(\d+)\?saved=written$", location).group(1))
    row = world["db"].run_sync(writing.get, note_id)
    assert (
        row.summary == TEXT
        and row.trustworthy_sources
        and row.reasons == ["misleadingFactualError"]
    )
    text = page(client, location)
    assert "Your note was published." in text and "You wrote this note" in text
    assert "Needs more ratings" in text and f'<a href="{SOURCE}" rel="nofollow noopener">' in text
    assert 'name="helpfulness_level"' not in text  # nobody rates their own note


def test_who_may_not_write_is_told_why(client, world, app):
    post = world["post"]
    as_person(client, "newbie")
    text = page(client, f"/notes/new?status={post['id']}")
    assert "An account must be at least 7 days old to write and rate notes." in text
    assert 'action="/notes/new"' not in text
    french = page(client, f"/notes/new?status={post['id']}", **FR)
    assert "Un compte doit avoir au moins 7 jours pour écrire et noter des notes." in french
    answer = form(
        client,
        f"/notes/new?status={post['id']}",
        "/notes/new",
        status=post["id"],
        classification=vocabulary.MISLEADING,
        reasons="misleadingFactualError",
        summary=TEXT,
    )
    assert answer.status_code == 403
    assert (
        app.state.db.run_sync(
            lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(community_notes))
        )
        == 0
    )
    for bad in ("nope", "999999999", ""):
        assert client.get(f"/notes/new?status={bad}", headers=HTML).status_code == 404


# --- A note's page and rating ----------------------------------------------------------------


def rating_of(db, account_id: int, note_id: int):
    return db.run_sync(writing.own_rating, account_id, note_id)


def test_rating_a_note_on_its_page(client, world):
    db, post = world["db"], world["post"]
    note_id = write_note(db, world["writer"], post["id"])
    path = f"/notes/{note_id}"
    as_person(client, "rater")
    text = page(client, path)
    assert "<h1>Community note</h1>" in text and "Moon cheese" in text
    assert "The survey says otherwise: <a href=" in text
    assert "Is this note helpful?" in text and "Rate this note" in text
    for tag in vocabulary.OFFERED_HELPFUL_TAGS + vocabulary.OFFERED_NOT_HELPFUL_TAGS:
        assert f'value="{tag}"' in text, tag
    assert "Cites high-quality sources" in text and "Sources do not support note" in text
    assert "Remove my rating" not in text and "0 ratings" in text

    answer = form(
        client,
        path,
        f"/notes/{note_id}/rate",
        helpfulness_level=vocabulary.HELPFUL,
        helpful_tags=["helpfulClear", "helpfulGoodSources"],
        return_to=f"{path}?saved=rated",
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"{path}?saved=rated"
    kept = rating_of(db, world["rater"].account_id, note_id)
    assert kept.helpfulness_level == vocabulary.HELPFUL
    assert kept.helpful_tags == ["helpfulClear", "helpfulGoodSources"]
    text = page(client, f"{path}?saved=rated")
    assert "Your rating was saved." in text and "1 rating" in text
    assert (
        f'id="note-{note_id}-HELPFUL" name="helpfulness_level" value="HELPFUL" required checked'
        in text
    )
    assert (
        f'id="note-{note_id}-helpfulClear" name="helpful_tags" value="helpfulClear" checked' in text
    )
    assert "Save my rating" in text and "Remove my rating" in text

    # A rating that does not hold together is refused, with what was sent kept.
    answer = form(
        client,
        path,
        f"/notes/{note_id}/rate",
        helpfulness_level=vocabulary.HELPFUL,
        not_helpful_tags="notHelpfulIncorrect",
    )
    assert answer.status_code == 422
    assert "With “Yes”, choose only what was helpful." in answer.text
    assert 'value="notHelpfulIncorrect" checked' in answer.text
    assert rating_of(db, world["rater"].account_id, note_id).helpful_tags == [
        "helpfulClear",
        "helpfulGoodSources",
    ]

    # Another answer replaces the first; then it is taken back.
    form(client, path, f"/notes/{note_id}/rate", helpfulness_level=vocabulary.NOT_HELPFUL)
    assert rating_of(db, world["rater"].account_id, note_id).helpfulness_level == "NOT_HELPFUL"
    answer = form(client, path, f"/notes/{note_id}/unrate")
    assert answer.headers["location"] == f"{path}?saved=unrated"
    assert rating_of(db, world["rater"].account_id, note_id) is None
    text = page(client, f"{path}?saved=unrated")
    assert "Your rating was removed." in text and "Remove my rating" not in text

    # Anonymous: another reader sees how many rated, never who.
    form(client, path, f"/notes/{note_id}/rate", helpfulness_level=vocabulary.SOMEWHAT_HELPFUL)
    as_person(client, None)
    text = page(client, path)
    assert "1 rating" in text and "@rater" not in text and "@writer" not in text
    assert "Sign in to rate this note." in text and 'name="helpfulness_level"' not in text


def test_who_may_not_rate(client, world, app):
    db, post = world["db"], world["post"]
    note_id = write_note(db, world["writer"], post["id"])
    path = f"/notes/{note_id}"
    as_person(client, "writer")
    text = page(client, path)
    assert "You wrote this note" in text and 'name="helpfulness_level"' not in text
    answer = form(client, path, f"/notes/{note_id}/rate", helpfulness_level=vocabulary.HELPFUL)
    assert answer.status_code == 403 and "You cannot rate your own note." in answer.text

    as_person(client, "newbie")
    text = page(client, path)
    assert "An account must be at least 7 days old" in text
    assert 'name="helpfulness_level"' not in text

    suspended = app.state.db.run_sync(core_accounts.find_local, "other")
    db.run_sync(core_accounts.suspend, suspended.id, "spam")
    as_person(client, "other")
    assert 'name="helpfulness_level"' not in page(client, path)
    assert rating_of(db, suspended.id, note_id) is None

    assert client.get("/notes/999999999", headers=HTML).status_code == 404
    assert client.get("/notes/99999999999999999999", headers=HTML).status_code == 404


def test_the_author_deletes_a_note(client, world):
    db, post = world["db"], world["post"]
    note_id = write_note(db, world["writer"], post["id"])
    as_person(client, "rater")
    assert form(client, f"/notes/{note_id}", f"/notes/{note_id}/delete").status_code == 404
    as_person(client, "writer")
    answer = form(client, f"/notes/{note_id}", f"/notes/{note_id}/delete")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/notes/rate")
    assert "Your note was deleted." in page(client, answer.headers["location"])
    assert client.get(f"/notes/{note_id}", headers=HTML).status_code == 404


# --- The queue ------------------------------------------------------------------------------


def test_the_rating_queue(client, world):
    db, post = world["db"], world["post"]
    assert client.get("/notes/rate", follow_redirects=False).headers["location"] == (
        "/auth/sign_in"
    )
    theirs = write_note(db, world["writer"], post["id"])
    other_post = api(client, "POST", "/api/v1/statuses", world["author"], json={"status": "Sun"})
    mine = write_note(db, world["rater"], other_post["id"], f"Mine {SOURCE}")
    as_person(client, "rater")
    text = page(client, "/notes/rate")
    assert 'href="/notes/rate" aria-current="page"' in text  # in the main navigation
    queue = text.split('id="queue-heading"')[1].split('id="mine-heading"')[0]
    assert f'id="note-{theirs}"' in queue and "Moon cheese" in queue
    assert f'id="note-{mine}"' not in queue  # not one's own
    assert f'href="/notes/{mine}"' in text.split('id="mine-heading"')[1]

    answer = client.post(
        f"/notes/{theirs}/rate",
        data={
            "csrf_token": csrf_token(text),
            "helpfulness_level": vocabulary.HELPFUL,
            "helpful_tags": "helpfulImportantContext",
            "return_to": "/notes/rate?saved=rated",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/notes/rate?saved=rated"
    text = page(client, "/notes/rate?saved=rated")
    assert "Your rating was saved." in text
    assert f'id="note-{theirs}"' not in text  # rated: it leaves the queue
    assert "No note needs your rating now." in text

    # A note already rated helpful is not in anyone's queue; the newcomer is told why not.
    as_person(client, "other")
    assert f'id="note-{theirs}"' in page(client, "/notes/rate")
    set_note(db, theirs, status=vocabulary.CURRENTLY_RATED_HELPFUL)
    assert f'id="note-{theirs}"' not in page(client, "/notes/rate")
    as_person(client, "newbie")
    assert "An account must be at least 7 days old" in page(client, "/notes/rate")


# --- How notes work and the open data --------------------------------------------------------


def test_the_about_page_without_a_run(client):
    text = page(client, "/notes/about")
    assert "<h1>How community notes work</h1>" in text
    assert "No run yet" in text and scorer.version() in text
    assert "at least 7 days old" in text and "280 characters" in text and "48 hours" in text
    assert "bridging algorithm of X" in text
    assert "r ~ mu + i_u + i_n + f_u * f_n" in text  # the scorer's own description
    for field in dataclasses.fields(scorer.PARAMS):
        value = getattr(scorer.PARAMS, field.name)
        assert f"<tr><td><code>{field.name}</code></td><td><code>{value}</code></td></tr>" in text
    assert "<svg" not in text
    source = client.get("/notes/source")
    assert source.status_code == 200 and "def score(" in source.text
    french = page(client, "/notes/about", **FR)
    assert "Comment fonctionnent les notes de la communauté" in french
    assert "Pas encore de calcul" in french


def _a_run(db, notes: dict[int, tuple[float, float, str]], raters: list[tuple[float, float]]):
    """A scoring run's rows (data set-up): each note's (factor, intercept, status)."""

    def work(tx):
        run_id = new_id(tx.now)
        tx.execute(
            note_scoring_runs.insert().values(
                id=run_id,
                version="abc123",
                params={"crh_threshold": 0.4, "factor_threshold": 0.5},
                counts={"notes": len(notes), "ratings_kept": 42},
                losses={},
                global_intercept=0.1,
                seconds=1.25,
                started_at=tx.now,
                created_at=tx.now,
            )
        )
        for note_id, (factor, intercept, status) in notes.items():
            tx.execute(
                note_run_results.insert().values(
                    run_id=run_id, note_id=note_id, factor=factor, intercept=intercept,
                    status=status, rule="GeneralCRH", rating_count=5, net_min_helpful=0, tags=[],
                )
            )  # fmt: skip
        for k, (factor, intercept) in enumerate(raters):
            tx.execute(
                note_run_raters.insert().values(
                    run_id=run_id, participant=f"p{k}", factor=factor, intercept=intercept,
                    first_factor=factor, first_intercept=intercept, helpful=True,
                )
            )  # fmt: skip

    db.run_sync(work)


def test_the_about_page_draws_the_latest_run(client, world):
    db, post = world["db"], world["post"]
    one = write_note(db, world["writer"], post["id"])
    two = write_note(db, world["rater"], post["id"])
    three = write_note(db, world["other"], post["id"])
    _a_run(
        db,
        {
            one: (0.1, 0.5, vocabulary.CURRENTLY_RATED_HELPFUL),
            two: (-0.8, -0.9, vocabulary.CURRENTLY_RATED_NOT_HELPFUL),
            three: (0.3, 0.1, vocabulary.NEEDS_MORE_RATINGS),
        },
        [(-0.5, 0.1), (0.4, -0.2), (1.5, 0.3)],
    )
    text = page(client, "/notes/about")
    assert "No run yet" not in text and "<code>abc123</code>" in text
    assert "(an earlier version than the one running now)" in text and "1.25 seconds" in text
    assert "<tr><td><code>ratings_kept</code></td><td>42</td></tr>" in text
    raters, notes = re.findall(r'<svg class="notes-chart".*?</svg>', text, re.S)
    assert raters.count("<circle") == 3 and "3 raters: factors from -0.5 to 1.5" in raters
    assert notes.count('fill="#2e8b57"/>') == 1 and notes.count('fill="#c0392b"/>') == 1
    assert notes.count('fill="none" stroke="#777"') == 1
    assert "<polyline" in notes and notes.count('stroke-dasharray="5 3"') == 4
    assert "3 notes: 1 rated helpful, 1 rated not helpful, 1 need more ratings." in notes
    assert "<figcaption>" in text and "intercept 0.4" in text and "±0.5" in text
    assert (
        "(intercept -0.05 − 0.8 × |factor|)" in text
    )  # the run kept none of these: the current ones


def test_a_real_scoring_run_is_shown(client, world):
    db, post = world["db"], world["post"]
    note_id = write_note(db, world["writer"], post["id"])
    db.run_sync(
        writing.rate, world["rater"].account_id, note_id, writing.RatingInput(vocabulary.HELPFUL)
    )
    summary = scoring_runs.score_here(db)
    text = page(client, "/notes/about")
    assert f"<code>{summary.version}</code>" in text and "No run yet" not in text
    assert text.count('<svg class="notes-chart"') == 2


def test_the_open_data(client, world):
    db, post = world["db"], world["post"]
    old = write_note(db, world["writer"], post["id"], f"Old note {SOURCE}")
    fresh = write_note(db, world["other"], post["id"], f"Fresh note {SOURCE}")
    db.run_sync(
        writing.rate, world["rater"].account_id, old, writing.RatingInput(vocabulary.HELPFUL)
    )
    two_days_ago = db.run_sync(lambda tx: tx.now) - timedelta(hours=49)
    set_note(db, old, created_at=two_days_ago)
    db.run_sync(
        lambda tx: tx.execute(
            note_ratings.update().values(created_at=two_days_ago, updated_at=two_days_ago)
        )
    )
    text = page(client, "/notes/data")
    for kind in data_files.FILES:
        assert f'href="/notes/data/{data_files.file_name(kind)}"' in text, kind
    assert "48 hours" in text and "X&#39;s published reference scorer" in text
    # Anyone's page may be kept a few minutes by a shared cache, unless it sets a cookie.
    client.cookies.clear()
    first = client.get("/notes/data").headers  # a first visit: the form token's cookie
    assert "set-cookie" in first and "public" not in first.get("cache-control", "")
    assert client.get("/notes/data").headers["cache-control"] == "public, max-age=300"

    answer = client.get("/notes/data/notes-00000.tsv")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/tab-separated-values; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="notes-00000.tsv"'
    assert answer.headers["cache-control"].startswith("public")
    lines = answer.content.decode("utf-8").splitlines()
    assert lines[0].split("\t") == list(data_files.NOTE_COLUMNS)
    uris = {row.id: row.uri for row in (db.run_sync(writing.get, n) for n in (old, fresh))}
    ids = [line.split("\t")[0] for line in lines[1:]]
    assert ids == [str(data_files.stable_id(uris[old]))]
    assert f"Old note {SOURCE}" in lines[1] and "Fresh note" not in answer.text

    ratings = client.get("/notes/data/ratings-00000.tsv").text.splitlines()
    assert ratings[0].split("\t") == list(data_files.RATING_COLUMNS) and len(ratings) == 2
    assert "HELPFUL" in ratings[1].split("\t")
    for kind, columns in (
        ("noteStatusHistory", data_files.STATUS_HISTORY_COLUMNS),
        ("userEnrollment", data_files.ENROLLMENT_COLUMNS),
        ("noteUris", data_files.URI_COLUMNS),
    ):
        lines = client.get(f"/notes/data/{data_files.file_name(kind)}").text.splitlines()
        assert lines[0].split("\t") == list(columns), kind
    for bad in ("nothing.tsv", "notes-00001.tsv", "..%2Fapp.py"):
        assert client.get(f"/notes/data/{bad}", headers=HTML).status_code == 404, bad


# --- French ----------------------------------------------------------------------------------

PAGES = (
    "_status.html",
    "_note_macros.html",
    "note.html",
    "note_new.html",
    "notes_rate.html",
    "notes_about.html",
    "notes_data.html",
    "status_page.html",
    "layout.html",
    "notifications.html",
)
MODULES = ("note_words.py", "note_pages.py", "note_writing.py", "notes_about.py")


def test_every_string_of_the_notes_pages_has_a_french_translation():
    found: set[str] = set()
    for name in PAGES:
        for _line, message, _comments, _context in extract_from_file(
            "jinja2.ext.babel_extract",
            str(WEB / "templates" / "site" / name),
            keywords={"_": None, "ngettext": (1, 2)},
            options={"extensions": "jinja2.ext.i18n", "trim_blocks": "true"},
        ):
            found.add(message if isinstance(message, str) else message[0])
    for module in MODULES:
        for _line, message, _comments, _context in extract_from_file(
            "python", str(WEB / module), keywords={"_": None, "N_": None, "ngettext": (1, 2)}
        ):
            found.add(message if isinstance(message, str) else message[0])
    assert "Readers added context to a post you interacted with" in found
    assert len(found) > 100
    catalogs = []
    for po in sorted((WEB / "locale" / "fr" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            catalogs.append(read_po(fh, locale="fr"))
    assert sorted(m for m in found if not any(c.get(m) and c.get(m).string for c in catalogs)) == []
