"""Read markers through the API: saving by form and JSON, versions, and reading them back."""

from __future__ import annotations


def test_markers_save_and_read(client, make_user):
    me, other = make_user("me"), make_user("other")
    assert client.get("/api/v1/markers?timeline[]=home", headers=me.headers).json() == {}

    first = client.post("/api/v1/markers", data={"home[last_read_id]": "1001"}, headers=me.headers)
    assert first.status_code == 200, first.text
    home = first.json()["home"]
    assert home["last_read_id"] == "1001" and home["version"] == 0
    assert isinstance(home["updated_at"], str) and home["updated_at"].endswith("Z")
    assert "notifications" not in first.json()

    second = client.post(
        "/api/v1/markers",
        json={"home": {"last_read_id": "1002"}, "notifications": {"last_read_id": "7"}},
        headers=me.headers,
    ).json()
    assert second["home"] == {**second["home"], "last_read_id": "1002", "version": 1}
    assert second["notifications"]["version"] == 0

    both = client.get(
        "/api/v1/markers?timeline[]=home&timeline[]=notifications", headers=me.headers
    ).json()
    assert both["home"]["last_read_id"] == "1002" and both["home"]["version"] == 1
    assert both["notifications"]["last_read_id"] == "7"
    only_home = client.get("/api/v1/markers?timeline[]=home", headers=me.headers).json()
    assert list(only_home) == ["home"]

    # Markers are per account.
    assert client.get("/api/v1/markers?timeline[]=home", headers=other.headers).json() == {}


def test_markers_reject_bad_input_and_need_a_token(client, make_user):
    me = make_user("me")
    bad = client.post("/api/v1/markers", data={"home[last_read_id]": "abc"}, headers=me.headers)
    assert bad.status_code == 422 and "error" in bad.json()
    assert client.get("/api/v1/markers?timeline[]=home").status_code == 401
    assert client.post("/api/v1/markers", data={"home[last_read_id]": "1"}).status_code == 401
    reader = make_user("reader", scopes="read")
    denied = client.post(
        "/api/v1/markers", data={"home[last_read_id]": "1"}, headers=reader.headers
    )
    assert denied.status_code == 403
