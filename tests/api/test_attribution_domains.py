"""The websites that may credit an account (Mastodon 4.4's `attribution_domains`): set with
update_credentials (form or JSON), shown in the credential account's `source`, refused with
Mastodon's message when they are not domain names, and edited on the web profile page."""

from __future__ import annotations

import re

from pnyx.core import accounts as core_accounts

PATH = "/api/v1/accounts/update_credentials"


def _source(client, user) -> dict:
    me = client.get("/api/v1/accounts/verify_credentials", headers=user.headers)
    assert me.status_code == 200, me.text
    return me.json()["source"]


def test_set_by_form_and_json_shown_in_source(client, make_user):
    alice = make_user("alice")
    assert _source(client, alice)["attribution_domains"] == []

    answer = client.patch(
        PATH,
        data={"attribution_domains[]": ["Blog.Example.com", "https://bücher.de", "*.news.example"]},
        headers=alice.headers,
    )
    assert answer.status_code == 200, answer.text
    kept = ["blog.example.com", "xn--bcher-kva.de", "news.example"]
    assert answer.json()["source"]["attribution_domains"] == kept
    assert _source(client, alice)["attribution_domains"] == kept

    # A change that does not name them keeps them; JSON replaces the whole list.
    client.patch(PATH, json={"display_name": "Alice"}, headers=alice.headers)
    assert _source(client, alice)["attribution_domains"] == kept
    answer = client.patch(
        PATH, json={"attribution_domains": ["example.org"]}, headers=alice.headers
    )
    assert answer.json()["source"]["attribution_domains"] == ["example.org"]

    # An empty list clears them (and the public Account entity never shows them).
    answer = client.patch(PATH, json={"attribution_domains": []}, headers=alice.headers)
    assert answer.json()["source"]["attribution_domains"] == []
    public = client.get(f"/api/v1/accounts/{alice.account_id}").json()
    assert "source" not in public and "attribution_domains" not in public


def test_what_is_not_a_domain_is_refused(client, make_user):
    alice = make_user("alice")
    client.patch(PATH, json={"attribution_domains": ["kept.example"]}, headers=alice.headers)
    for bad in (["fine.example", "not a domain"], ["example.com/path"], ["-x.example"]):
        answer = client.patch(PATH, json={"attribution_domains": bad}, headers=alice.headers)
        assert answer.status_code == 422, bad
        assert answer.json() == {
            "error": "Validation failed: Attribution domains is not a valid domain name"
        }
    many = [f"d{i}.example" for i in range(101)]
    answer = client.patch(PATH, json={"attribution_domains": many}, headers=alice.headers)
    assert answer.status_code == 422
    assert answer.json()["error"].startswith("Validation failed: Attribution domains is too long")
    answer = client.patch(PATH, json={"attribution_domains": [{"x": 1}]}, headers=alice.headers)
    assert answer.status_code == 422
    # Nothing refused was kept, nor anything else of the refused changes.
    answer = client.patch(
        PATH,
        json={"display_name": "Changed", "attribution_domains": ["no way"]},
        headers=alice.headers,
    )
    assert answer.status_code == 422
    me = client.get("/api/v1/accounts/verify_credentials", headers=alice.headers).json()
    assert me["display_name"] != "Changed"
    assert me["source"]["attribution_domains"] == ["kept.example"]


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_edited_on_the_web_profile_page(client, make_user):
    alice = make_user("alice")
    client.get("/auth/sign_in")
    signed_in = client.post(
        "/auth/sign_in",
        data={
            "login": "alice",
            "password": "correct horse battery",
            "csrf_token": client.cookies["pnyx_csrf"],
        },
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    page = client.get("/settings/profile").text
    assert 'name="attribution_domains"' in page
    assert (
        "&lt;meta name=&#34;fediverse:creator&#34; content=&#34;@alice@pnyx.test&#34;&gt;" in page
    )

    def save(domains: str):
        token = _csrf(client.get("/settings/profile").text)
        return client.post(
            "/settings/profile",
            data={"csrf_token": token, "display_name": "Alice", "attribution_domains": domains},
            follow_redirects=False,
        )

    assert save("Example.com\r\n\r\nblog.example.org\n").status_code == 303
    row = client.app.state.db.run_sync(core_accounts.get, alice.account_id)
    assert row.attribution_domains == ["example.com", "blog.example.org"]
    page = client.get("/settings/profile").text
    assert ">example.com\nblog.example.org</textarea>" in page

    refused = save("example.com\nnot a domain")
    assert refused.status_code == 422
    assert re.search(
        r'id="attribution_domains-error">One of the websites is not a valid', refused.text
    )
    assert "not a domain</textarea>" in refused.text  # what was typed is given back
    row = client.app.state.db.run_sync(core_accounts.get, alice.account_id)
    assert row.attribution_domains == ["example.com", "blog.example.org"]
    assert _source(client, alice)["attribution_domains"] == ["example.com", "blog.example.org"]

    assert save("").status_code == 303
    assert _source(client, alice)["attribution_domains"] == []
