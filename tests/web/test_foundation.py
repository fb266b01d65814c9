"""The web UI's shared foundation: headers, language, signed-out behaviour."""

from __future__ import annotations

import factories


def test_landing_page_is_served_with_a_strict_policy(client, make_user):
    alice = make_user("alice")
    factories.status(client.app.state.db, alice.account_id, "hello from the landing page")
    answer = client.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert '<html lang="en">' in answer.text
    assert "hello from the landing page" in answer.text
    # The instance in numbers, here and on /about: one person, one post.
    for page in (answer.text, client.get("/about").text):
        assert "<dt>People</dt><dd>1</dd>" in page and "<dt>Posts</dt><dd>1</dd>" in page


def test_pages_speak_french_to_a_french_browser(client):
    answer = client.get("/public/local", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr">' in answer.text
    assert "Fil local" in answer.text and "Aller au contenu" in answer.text


def test_home_needs_a_session(client):
    answer = client.get("/home", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/auth/sign_in"


def test_post_content_is_the_sanitized_html_and_names_are_escaped(client, make_user):
    db = client.app.state.db
    mallory = make_user("mallory")
    from pnyx.core import profiles

    db.run_sync(
        profiles.update_profile,
        mallory.account_id,
        profiles.ProfileUpdate(display_name="<script>alert(1)</script>"),
    )
    from pnyx.core import statuses

    db.run_sync(
        statuses.create,
        mallory.account_id,
        statuses.StatusInput(text="<b>not bold</b> <script>alert(2)</script>", visibility="public"),
    )
    page = client.get("/public/local").text
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_browsers_get_an_html_error_page_and_apps_get_json(client):
    page = client.get("/no/such/page", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text
    api = client.get("/api/v1/statuses/123", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json() == {"error": "Record not found"}
    plain = client.get("/no/such/page")
    assert plain.json() == {"error": "Not Found"}


def test_about_page_names_the_instance_its_rules_and_handles(client):
    page = client.get("/about")
    assert page.status_code == 200
    assert "About Pnyx" in page.text and "@pnyx.test" in page.text
    french = client.get("/about", headers={"Accept-Language": "fr"})
    assert "À propos de Pnyx" in french.text


def test_counts_are_plural_aware(client, make_user):
    alice = make_user("alice")
    factories.status(client.app.state.db, alice.account_id, "counted")
    page = client.get("/public/local").text
    assert "0 replies" in page and "1 replies" not in page


def test_words_repeated_on_every_post_are_translated(client, make_user):
    from pnyx.core import statuses

    alice = make_user("alice")
    client.app.state.db.run_sync(
        statuses.create,
        alice.account_id,
        statuses.StatusInput(text="behind a warning", spoiler_text="spoiler", visibility="public"),
    )
    page = client.get("/public/local", headers={"Accept-Language": "fr"}).text
    assert "behind a warning" in page and "Afficher plus" in page
    assert "Show more" not in page
