"""HTTP Signatures: what we sign verifies, and every kind of forgery or replay is refused."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from pnyx.core.keys import generate_keypair
from pnyx.federation import signatures as sig
from pnyx.federation.signatures import SignatureError, SignedBy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "activitypub"
KEY_ID = "https://a.example/users/alice#main-key"
INBOX = "https://b.example/users/bob/inbox"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
BODY = b'{"type":"Create","id":"https://a.example/activities/1"}'


@pytest.fixture(scope="module")
def alice():
    return generate_keypair()


@pytest.fixture(scope="module")
def mallory():
    return generate_keypair()


def _sign(alice, method="POST", url=INBOX, body=BODY, now=NOW, **kw):
    return sig.sign_request(
        method=method,
        url=url,
        body=body,
        key_id=KEY_ID,
        private_key_pem=alice.private_pem,
        now=now,
        **kw,
    )


def _verify(key, headers, method="POST", path="/users/bob/inbox", body=BODY, now=NOW, **kw):
    return sig.verify_request(
        method=method,
        path=path,
        headers=headers,
        body=body,
        public_key_pem=key.public_pem,
        now=now,
        **kw,
    )


def _reason(excinfo) -> str:
    return excinfo.value.reason.lower()


# ---------------------------------------------------------------- draft-cavage


def test_post_round_trip(alice):
    headers = _sign(alice)
    assert headers["Host"] == "b.example"
    assert headers["Date"] == "Wed, 01 May 2024 12:00:00 GMT"
    assert headers["Digest"] == sig.body_digest(BODY)
    assert 'headers="(request-target) host date digest"' in headers["Signature"]
    assert 'algorithm="rsa-sha256"' in headers["Signature"]
    assert _verify(alice, headers) == SignedBy(key_id=KEY_ID, scheme="cavage")
    assert sig.signature_key_id(headers) == KEY_ID
    # Header names are case-insensitive on the receiving side.
    lowered = {k.upper(): v for k, v in headers.items()}
    assert _verify(alice, lowered).key_id == KEY_ID


def test_get_round_trip_with_query_and_port(alice):
    url = "http://127.0.0.1:8001/users/bob/outbox?page=true&min_id=5"
    headers = _sign(alice, method="GET", url=url, body=None)
    assert headers["Host"] == "127.0.0.1:8001"
    assert "Digest" not in headers
    assert 'headers="(request-target) host date"' in headers["Signature"]
    signed = _verify(
        alice, headers, method="GET", path="/users/bob/outbox?page=true&min_id=5", body=b""
    )
    assert signed.key_id == KEY_ID
    with pytest.raises(SignatureError):
        _verify(alice, headers, method="GET", path="/users/bob/outbox?page=true", body=b"")


def test_default_port_is_left_out_of_host(alice):
    assert _sign(alice, url="https://b.example:443/inbox")["Host"] == "b.example"
    assert _sign(alice, url="https://B.Example:8443/inbox")["Host"] == "b.example:8443"


def test_body_altered_after_signing_is_rejected(alice):
    headers = _sign(alice)
    with pytest.raises(SignatureError) as excinfo:
        _verify(alice, headers, body=BODY.replace(b"Create", b"Delete"))
    assert "digest" in _reason(excinfo)


def test_digest_header_replaced_to_match_altered_body_is_rejected(alice):
    headers = _sign(alice)
    forged = BODY.replace(b"Create", b"Delete")
    headers["Digest"] = sig.body_digest(forged)
    with pytest.raises(SignatureError) as excinfo:
        _verify(alice, headers, body=forged)
    assert "does not verify" in _reason(excinfo)


def test_signature_over_wrong_host_is_rejected(alice):
    headers = _sign(alice, url="https://c.example/users/bob/inbox")
    replayed = dict(headers, Host="b.example")
    with pytest.raises(SignatureError) as excinfo:
        _verify(alice, replayed)
    assert "does not verify" in _reason(excinfo)
    # Replayed unchanged (Host still c.example) to us: refused when the caller names its host.
    with pytest.raises(SignatureError) as excinfo:
        _verify(alice, headers, expected_host="b.example")
    assert "addressed to" in _reason(excinfo)
    assert _verify(alice, _sign(alice), expected_host="B.example").key_id == KEY_ID


def test_wrong_method_or_path_is_rejected(alice):
    headers = _sign(alice)
    with pytest.raises(SignatureError):
        _verify(alice, headers, path="/inbox")
    with pytest.raises(SignatureError):
        _verify(alice, headers, method="PUT")


def test_stale_date_is_rejected(alice):
    headers = _sign(alice, now=NOW - timedelta(hours=13))
    with pytest.raises(SignatureError) as excinfo:
        _verify(alice, headers)
    assert "too old" in _reason(excinfo)
    # Eleven hours is inside Mastodon's twelve-hour window.
    assert _verify(alice, _sign(alice, now=NOW - timedelta(hours=11))).key_id == KEY_ID


def test_future_date_is_rejected(alice):
    headers = _sign(alice, now=NOW + timedelta(minutes=90))
    with pytest.raises(SignatureError) as excinfo:
        _verify(alice, headers)
    assert "future" in _reason(excinfo)
    # Up to an hour ahead is clock skew, as Mastodon allows.
    assert _verify(alice, _sign(alice, now=NOW + timedelta(minutes=50))).key_id == KEY_ID


def test_date_changed_after_signing_is_rejected(alice):
    headers = _sign(alice, now=NOW - timedelta(hours=13))
    headers["Date"] = _sign(alice)["Date"]
    with pytest.raises(SignatureError) as excinfo:
        _verify(alice, headers)
    assert "does not verify" in _reason(excinfo)


def test_other_key_is_rejected(alice, mallory):
    headers = _sign(alice)
    with pytest.raises(SignatureError) as excinfo:
        _verify(mallory, headers)
    assert "does not verify" in _reason(excinfo)


def test_post_without_signed_digest_is_rejected(alice):
    # Signed over (request-target) host date only, with the Digest sent along unsigned.
    headers = _sign(alice, body=None)
    headers["Digest"] = sig.body_digest(BODY)
    with pytest.raises(SignatureError) as excinfo:
        _verify(alice, headers)
    assert "digest" in _reason(excinfo)
    # Only a caller that explicitly waives the digest accepts it.
    assert _verify(alice, headers, require_digest=False).key_id == KEY_ID


def test_required_signed_headers(alice):
    headers = _sign(alice)
    params = sig.parse_cavage(headers["Signature"])
    for headers_param in (
        "host date digest",
        "(request-target) date digest",
        "(request-target) host digest",
    ):
        forged = dict(headers)
        forged["Signature"] = (
            f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="{headers_param}",'
            f'signature="{params["signature"]}"'
        )
        with pytest.raises(SignatureError) as excinfo:
            _verify(alice, forged)
        assert "must include" in _reason(excinfo)


def test_digest_header_variants(alice):
    # Signed without a digest (a GET), so the Digest header can vary; when present it is
    # still checked against the body.
    headers = _sign(alice, method="GET", body=None)
    sha512 = base64.b64encode(hashlib.sha512(BODY).digest()).decode()

    def check(digest):
        return _verify(alice, dict(headers, Digest=digest), method="GET", require_digest=False)

    # Several digests, unknown algorithms ignored; every known one must match.
    assert check(f"X-Unknown=abc, {sig.body_digest(BODY)}, SHA-512={sha512}").key_id == KEY_ID
    assert check(f"sha-256={sig.body_digest(BODY)[8:]}").key_id == KEY_ID
    with pytest.raises(SignatureError, match="SHA-256"):
        check(f"SHA-512={sha512}")
    with pytest.raises(SignatureError, match="sha-512"):
        check(f"{sig.body_digest(BODY)}, SHA-512={sha512[:-4]}AAA=")
    with pytest.raises(SignatureError, match="base64"):
        check("SHA-256=not base64!")
    with pytest.raises(SignatureError, match="does not match"):
        check(sig.body_digest(b"other"))


def test_hs2019_accepted_and_other_algorithms_refused(alice):
    headers = _sign(alice)
    headers["Signature"] = headers["Signature"].replace("rsa-sha256", "hs2019")
    assert _verify(alice, headers).key_id == KEY_ID
    headers["Signature"] = headers["Signature"].replace("hs2019", "hmac-sha256")
    with pytest.raises(SignatureError, match="algorithm"):
        _verify(alice, headers)


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "garbage",
        'keyId="x",signature="%%%"',
        'keyId="x",headers="(request-target) host date",signature=""',
        'keyId="x",keyId="y",signature="AAAA"',
        "a" * 20_000,
    ],
)
def test_malformed_headers_are_signature_errors(alice, signature):
    headers = _sign(alice)
    headers["Signature"] = signature
    with pytest.raises(SignatureError):
        _verify(alice, headers)


def test_garbage_everywhere_never_raises_anything_else(alice):
    headers = _sign(alice)
    for name in ("Date", "Host", "Digest"):
        broken = dict(headers, **{name: "\x00\udcff"})
        with pytest.raises(SignatureError):
            _verify(alice, broken)
    with pytest.raises(SignatureError):
        sig.verify_request(
            method="POST",
            path="/inbox",
            headers=headers,
            body=BODY,
            public_key_pem="not a key",
        )
    with pytest.raises(SignatureError):
        sig.signature_key_id({})
    with pytest.raises(SignatureError):
        sig.signature_key_id({"Signature": 'algorithm="rsa-sha256"'})
    with pytest.raises(SignatureError):
        sig.signature_key_id({"Signature-Input": "sig1=(", "Signature": "sig1=:AA==:"})


def test_authorization_header_form(alice):
    headers = _sign(alice)
    headers["Authorization"] = "Signature " + headers.pop("Signature")
    assert _verify(alice, headers).key_id == KEY_ID


def test_extra_headers_are_signed(alice):
    headers = _sign(alice, extra_headers={"Content-Type": "application/activity+json"})
    assert 'headers="(request-target) host date digest content-type"' in headers["Signature"]
    assert _verify(alice, headers).key_id == KEY_ID
    headers["Content-Type"] = "text/plain"
    with pytest.raises(SignatureError):
        _verify(alice, headers)


# ---------------------------------------------------------------- a real Mastodon request


def _mastodon_sample():
    sample = json.loads(
        (FIXTURES / "peertube-tests" / "mastodon_bad_body_http_signature.json").read_text()
    )
    key = json.loads((FIXTURES / "peertube-tests" / "mastodon_public_key.json").read_text())
    return sample, key["publicKey"]


def _verify_sample(sample, public_pem, path="/accounts/ronan/inbox", **kw):
    return sig.verify_request(
        method="POST",
        path=path,
        headers=sample["headers"],
        body=json.dumps(sample["body"]).encode(),
        public_key_pem=public_pem,
        now=parsedate_to_datetime(sample["headers"]["date"]),
        **kw,
    )


def test_mastodon_sample_signature_verifies_but_digest_does_not():
    sample, public_pem = _mastodon_sample()
    assert sig.signature_key_id(sample["headers"]) == "http://localhost:3000/users/ronan2#main-key"
    # verify_request checks the RSA signature before the body digest, so a digest reason
    # means Mastodon's signature over `post /accounts/ronan/inbox` itself verified ...
    with pytest.raises(SignatureError) as excinfo:
        _verify_sample(sample, public_pem)
    assert _reason(excinfo) == "digest header (sha-256) does not match the body"
    # ... which the same sample under another request-target does not.
    with pytest.raises(SignatureError) as excinfo:
        _verify_sample(sample, public_pem, path="/accounts/other/inbox")
    assert "does not verify" in _reason(excinfo)
    # And today, years later, the Date alone rules it out.
    with pytest.raises(SignatureError, match="too old"):
        sig.verify_request(
            method="POST",
            path="/accounts/ronan/inbox",
            headers=sample["headers"],
            body=b"",
            public_key_pem=public_pem,
        )


def test_mastodon_sample_with_matching_body_digest_passes_only_with_original_digest():
    """Recomputing the Digest for the altered body breaks the signature instead."""
    sample, public_pem = _mastodon_sample()
    body = json.dumps(sample["body"]).encode()
    headers = dict(sample["headers"], digest=sig.body_digest(body))
    with pytest.raises(SignatureError) as excinfo:
        sig.verify_request(
            method="POST",
            path="/accounts/ronan/inbox",
            headers=headers,
            body=body,
            public_key_pem=public_pem,
            now=parsedate_to_datetime(headers["date"]),
        )
    assert "does not verify" in _reason(excinfo)


# ---------------------------------------------------------------- RFC 9421


def _sign9421(alice, method="POST", url=INBOX, body=BODY, now=NOW):
    return sig.sign_request_rfc9421(
        method=method,
        url=url,
        body=body,
        key_id=KEY_ID,
        private_key_pem=alice.private_pem,
        now=now,
    )


def test_rfc9421_post_round_trip(alice):
    headers = _sign9421(alice)
    assert headers["Content-Digest"] == sig.content_digest(BODY)
    assert headers["Signature-Input"].startswith(
        'sig1=("@method" "@target-uri" "@authority" "content-digest");created='
    )
    assert _verify(alice, headers) == SignedBy(key_id=KEY_ID, scheme="rfc9421")
    assert sig.signature_key_id(headers) == KEY_ID


def test_rfc9421_get_round_trip(alice):
    url = "http://127.0.0.1:8001/users/bob?x=1"
    headers = _sign9421(alice, method="GET", url=url, body=None)
    signed = _verify(alice, headers, method="GET", path="/users/bob?x=1", body=b"", scheme="http")
    assert signed.scheme == "rfc9421"
    # The target URI includes the scheme: the same request over https is another request.
    with pytest.raises(SignatureError):
        _verify(alice, headers, method="GET", path="/users/bob?x=1", body=b"")


def test_rfc9421_tampering_is_rejected(alice, mallory):
    headers = _sign9421(alice)
    with pytest.raises(SignatureError) as excinfo:
        _verify(alice, headers, body=BODY + b" ")
    assert "content-digest" in _reason(excinfo)
    tampered = dict(headers, **{"Content-Digest": sig.content_digest(BODY + b" ")})
    with pytest.raises(SignatureError) as excinfo:
        _verify(alice, tampered, body=BODY + b" ")
    assert "does not verify" in _reason(excinfo)
    with pytest.raises(SignatureError, match="does not verify"):
        _verify(mallory, headers)
    with pytest.raises(SignatureError, match="does not verify"):
        _verify(alice, dict(headers, Host="c.example"))
    with pytest.raises(SignatureError, match="too old"):
        _verify(alice, _sign9421(alice, now=NOW - timedelta(hours=13)))
    with pytest.raises(SignatureError, match="future"):
        _verify(alice, _sign9421(alice, now=NOW + timedelta(hours=2)))


def test_rfc9421_post_must_cover_content_digest(alice):
    headers = _sign9421(alice, body=None)
    headers["Content-Digest"] = sig.content_digest(BODY)
    with pytest.raises(SignatureError, match="content-digest"):
        _verify(alice, headers)


def test_rfc9421_preferred_when_both_present(alice, mallory):
    """A cavage signature next to Signature-Input is not consulted: Signature is 9421's."""
    headers = _sign9421(alice)
    headers["Date"] = _sign(mallory)["Date"]
    assert _verify(alice, headers).scheme == "rfc9421"


@pytest.mark.parametrize(
    "signature_input",
    [
        'sig1=("@method" "@authority" "content-digest");keyid="k";alg="rsa-pss-sha512";created=1714564800',
        'sig1=("@method" "@authority" "content-digest");keyid="k"',
        'sig1=("@method" "@authority" "@path" "content-digest");keyid="k";created=1714564800',
        'sig1=("@status" "@authority");keyid="k";created=1714564800',
        'sig1="not a list"',
        'sig2=();keyid="k";created=1714564800',
    ],
)
def test_rfc9421_bad_inputs_are_signature_errors(alice, signature_input):
    headers = _sign9421(alice)
    headers["Signature-Input"] = signature_input
    with pytest.raises(SignatureError):
        _verify(alice, headers)
