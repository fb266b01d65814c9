"""Author attribution rules (core.attribution): which domain names an account may list, how
they are kept, and which page hosts they cover."""

from __future__ import annotations

import pytest

from pnyx.core import attribution
from pnyx.core.errors import Invalid


def test_typed_domains_are_kept_lowercase_ascii_once_each():
    typed = [
        " Example.COM ",
        "https://blog.example.org",
        "*.news.example",
        "Bücher.de",
        "",
        "example.com",
    ]
    assert attribution.local_domains(typed) == [
        "example.com",
        "blog.example.org",
        "news.example",
        "xn--bcher-kva.de",
    ]
    assert attribution.local_domains(["127.0.0.1", "localhost"]) == ["127.0.0.1", "localhost"]


@pytest.mark.parametrize(
    "bad",
    ["not a domain", "example.com/path", "-bad.example", "a..b", "x" * 64 + ".example", "@me@x"],
)
def test_what_is_not_a_domain_is_refused_with_mastodons_message(bad):
    with pytest.raises(Invalid) as refused:
        attribution.local_domains(["fine.example", bad])
    assert refused.value.message == (
        "Validation failed: Attribution domains is not a valid domain name"
    )


def test_at_most_a_hundred_domains():
    assert len(attribution.local_domains([f"d{i}.example" for i in range(100)])) == 100
    with pytest.raises(Invalid) as refused:
        attribution.local_domains([f"d{i}.example" for i in range(101)])
    assert "maximum is 100" in refused.value.message


def test_a_remote_list_keeps_only_domain_names_and_is_capped():
    sent = ["Example.com", 7, {"x": 1}, "no way", None, "example.com", "b.example"]
    assert attribution.remote_domains(sent) == ["example.com", "b.example"]
    assert attribution.remote_domains("one.example") == ["one.example"]
    assert attribution.remote_domains(None) == []
    assert len(attribution.remote_domains([f"d{i}.example" for i in range(500)])) == 100


def test_a_listed_domain_covers_its_subdomains_not_its_neighbours():
    listed = ["example.com", "127.0.0.1"]
    assert attribution.may_credit(listed, "example.com")
    assert attribution.may_credit(listed, "blog.EXAMPLE.com")
    assert attribution.may_credit(listed, "127.0.0.1")
    assert not attribution.may_credit(["0.1"], "127.0.0.1")  # an address has no parent
    assert not attribution.may_credit(listed, "notexample.com")
    assert not attribution.may_credit(listed, "example.com.evil.test")
    assert not attribution.may_credit(None, "example.com")
    assert not attribution.may_credit([], "example.com")


def test_creator_handles():
    assert attribution.parse_handle("@alice@Pnyx.Test") == ("alice", "pnyx.test")
    assert attribution.parse_handle("bob@127.0.0.1:8080") == ("bob", "127.0.0.1:8080")
    for bad in ("", "@alice", "alice", "https://x.example/@alice", "@a b@x.example"):
        assert attribution.parse_handle(bad) is None
