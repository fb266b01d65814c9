from __future__ import annotations
import json, traceback
import pytest
from starlette.testclient import TestClient
import factories as f

STAFF = "read write follow push admin:read admin:write"
HUGE = "99999999999999999999"
VALUES = [HUGE, 99999999999999999999, -1, "-1", 0, 1e308, "\x00", "a\x00b", [], ["\x00"], {}, {"a": 1}, None,
          True, "true", "x" * 70000, "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00",
          "99999-01-01", "nan", "inf", 1.5, "1e400", " ", "ZZZ", 2**63, str(2**63), 2**64, -2**63-1]

FIELDS = ["limit", "offset", "max_id", "since_id", "min_id", "title", "context", "filter_action",
    "expires_in", "keywords_attributes", "keyword", "whole_word", "status_id", "phrase", "irreversible",
    "replies_policy", "exclusive", "account_ids", "name", "description", "focus", "id", "types",
    "exclude_types", "account_id", "include_filtered", "grouped_types", "expand_accounts",
    "scheduled_at", "domain", "remote", "local", "active", "pending", "disabled", "silenced",
    "suspended", "staff", "username", "display_name", "by_domain", "email", "ip", "origin", "status",
    "permissions", "text", "type", "report_id", "resolved", "target_account_id", "category", "rule_ids",
    "severity", "reject_media", "reject_reports", "private_comment", "public_comment", "obfuscate",
    "for_not_following", "for_not_followers", "for_new_accounts", "for_private_mentions",
    "for_limited_accounts", "filter_not_following", "filter_not_followers", "filter_new_accounts",
    "filter_private_mentions", "list", "tag", "stream", "access_token", "send_email_notification",
    "warning_preset_id", "notify", "with_dismissed", "page", "summary", "source"]


def test_fuzz(app, make_user, db):
    me = make_user("me", role="admin", scopes=STAFF)
    other = make_user("other")
    client = TestClient(app, base_url="https://pnyx.test", raise_server_exceptions=False)
    h = me.headers
    post = f.status(db, other.account_id, "hello #tag")
    fid = client.post("/api/v2/filters", json={"title": "t", "context": ["home"], "keywords_attributes": [{"keyword": "x"}]}, headers=h).json()
    filter_id = fid["id"]; kw_id = fid["keywords"][0]["id"]
    fs = client.post(f"/api/v2/filters/{filter_id}/statuses", json={"status_id": str(post)}, headers=h).json()
    lst = client.post("/api/v1/lists", json={"title": "l"}, headers=h).json()["id"]
    sched = client.post("/api/v1/statuses", json={"status": "later", "scheduled_at": "2099-01-01T00:00:00Z"}, headers=h).json()
    rep = client.post("/api/v1/reports", json={"account_id": str(other.account_id), "comment": "x"}, headers=other.headers)
    rep = client.post("/api/v1/reports", json={"account_id": str(me.account_id), "comment": "x"}, headers=other.headers).json()
    db_ = client.post("/api/v1/admin/domain_blocks", json={"domain": "evil.example"}, headers=h).json()
    ids = {"filter": filter_id, "kw": kw_id, "fs": fs.get("id", "1"), "list": lst, "sched": sched.get("id", "1"),
           "report": rep.get("id", "1"), "db": db_.get("id", "1"), "acct": other.account_id, "post": post}
    print(ids, sched, rep, db_)
    routes = [
        ("GET", "/api/v2/filters"), ("POST", "/api/v2/filters"), ("GET", "/api/v2/filters/{filter}"),
        ("PUT", "/api/v2/filters/{filter}"), ("POST", "/api/v2/filters/{filter}/keywords"),
        ("PUT", "/api/v2/filters/keywords/{kw}"), ("POST", "/api/v2/filters/{filter}/statuses"),
        ("POST", "/api/v1/filters"), ("PUT", "/api/v1/filters/{kw}"),
        ("GET", "/api/v1/lists"), ("POST", "/api/v1/lists"), ("PUT", "/api/v1/lists/{list}"),
        ("GET", "/api/v1/lists/{list}/accounts"), ("POST", "/api/v1/lists/{list}/accounts"),
        ("DELETE", "/api/v1/lists/{list}/accounts"), ("GET", "/api/v1/timelines/list/{list}"),
        ("GET", "/api/v1/followed_tags"), ("POST", "/api/v1/featured_tags"),
        ("GET", "/api/v1/conversations"),
        ("GET", "/api/v2/notifications/policy"), ("PATCH", "/api/v2/notifications/policy"),
        ("GET", "/api/v1/notifications/requests"), ("GET", "/api/v1/notifications/requests/merged"),
        ("POST", "/api/v1/notifications/requests/accept"), ("POST", "/api/v1/notifications/requests/dismiss"),
        ("GET", "/api/v1/notifications"), ("GET", "/api/v1/notifications/unread_count"),
        ("GET", "/api/v2/notifications"), ("GET", "/api/v2/notifications/unread_count"),
        ("GET", "/api/v1/scheduled_statuses"), ("PUT", "/api/v1/scheduled_statuses/{sched}"),
        ("GET", "/api/v1/announcements"),
        ("GET", "/api/v1/trends"), ("GET", "/api/v1/trends/tags"), ("GET", "/api/v1/trends/statuses"),
        ("GET", "/api/v1/trends/links"), ("GET", "/api/v2/suggestions"), ("GET", "/api/v1/suggestions"),
        ("GET", "/api/v1/endorsements"), ("GET", "/api/v1/accounts/{acct}/endorsements"),
        ("GET", "/api/v1/domain_blocks"), ("POST", "/api/v1/domain_blocks"), ("DELETE", "/api/v1/domain_blocks"),
        ("GET", "/api/v1/admin/accounts"), ("GET", "/api/v2/admin/accounts"),
        ("POST", "/api/v1/admin/accounts/{acct}/action"),
        ("GET", "/api/v1/admin/reports"), ("PUT", "/api/v1/admin/reports/{report}"),
        ("GET", "/api/v1/admin/domain_blocks"), ("POST", "/api/v1/admin/domain_blocks"),
        ("PUT", "/api/v1/admin/domain_blocks/{db}"), ("GET", "/api/v1/instance/domain_blocks"),
        ("GET", "/api/v1/streaming/health"),
    ]
    bad = []
    for method, path in routes:
        url = path.format(**ids)
        for field in FIELDS:
            for v in VALUES:
                if method == "GET":
                    if isinstance(v, (list, dict)) or v is None:
                        continue
                    sv = str(v).lower() if isinstance(v, bool) else str(v)
                    r = client.request(method, url, params={field: sv[:5000]}, headers=h)
                    desc = f"{method} {url}?{field}={sv[:40]!r}"
                else:
                    r = client.request(method, url, content=json.dumps({field: v}), headers={**h, "Content-Type": "application/json"})
                    desc = f"{method} {url} json {{{field!r}: {repr(v)[:40]}}}"
                if r.status_code >= 500:
                    bad.append((desc, r.status_code, r.text[:200]))
    with open(f"/tmp/rv/fuzz_{db.engine.dialect.name}.txt", "w") as out:
        for b in bad:
            out.write(repr(b) + "\n")
    print(len(bad))
