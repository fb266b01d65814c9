"""The remote client against real HTTP servers on 127.0.0.1 standing in for remote instances.

Each server answers with canned responses per path and records what it received, so the tests
see exactly what went over the wire (headers, signatures, the number of requests).
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

import pnyx
from pnyx.config import Settings
from pnyx.core.keys import generate_keypair
from pnyx.federation import fetch, signatures
from pnyx.federation.fetch import AP_ACCEPT, FetchError, RemoteClient, check_destination

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "activitypub"
ALLOWED = Settings(domain="127.0.0.1:8001", scheme="http", allow_private_addresses=True)
STRICT = Settings(domain="127.0.0.1:8001", scheme="http", allow_private_addresses=False)
AP = "application/activity+json"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def reply(handler, status=200, body=b"", content_type=AP, headers=None, length=True):
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


class Remote:
    """A stand-in remote server: `routes[path] = fn(handler)`; `requests` lists what came in."""

    def __init__(self):
        self.routes = {}
        self.requests: list[Seen] = []
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                remote.handle(self)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def handle(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        self.requests.append(
            Seen(handler.command, handler.path, dict(handler.headers.items()), body)
        )
        route = self.routes.get(handler.path.split("?")[0])
        if route is None:
            reply(handler, 404, b"not found", "text/plain")
        else:
            route(handler)

    def document(self, path, doc, content_type=AP):
        body = json.dumps(doc).encode() if not isinstance(doc, bytes) else doc
        self.routes[path] = lambda h: reply(h, 200, body, content_type)

    def redirect(self, path, location, status=302):
        self.routes[path] = lambda h: reply(h, status, b"", None, {"Location": location})

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def remote():
    server = Remote()
    yield server
    server.close()


@pytest.fixture
def other():
    server = Remote()
    yield server
    server.close()


@pytest.fixture
def client():
    with RemoteClient(ALLOWED, timeout=5.0) as c:
        yield c


@pytest.fixture(scope="module")
def keys():
    return generate_keypair()


def note(remote, path="/objects/1"):
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": remote.base + path,
        "type": "Note",
    }


# ---------------------------------------------------------------- where we may connect


def test_loopback_refused_unless_private_addresses_allowed(remote):
    remote.document("/objects/1", note(remote))
    with RemoteClient(STRICT) as strict, pytest.raises(FetchError) as excinfo:
        strict.get_activity(remote.base + "/objects/1")
    assert "loopback" in excinfo.value.reason
    assert excinfo.value.status is None
    assert remote.requests == []
    with RemoteClient(ALLOWED) as allowed:
        assert allowed.get_activity(remote.base + "/objects/1")["type"] == "Note"
    assert len(remote.requests) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/users/a",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://100.64.0.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[64:ff9b::a00:1]/",
        "http://[2002:7f00:1::]/",
        "ftp://93.184.216.34/",
        "file:///etc/passwd",
        "https:///nohost",
    ],
)
def test_check_destination_refuses(url):
    with pytest.raises(FetchError):
        check_destination(url, STRICT)


def test_check_destination_allows_public_and_private_when_allowed():
    check_destination("https://93.184.216.34/users/a", STRICT)
    check_destination("https://[2606:4700:4700::1111]:8443/x", STRICT)
    check_destination("http://127.0.0.1:9/", ALLOWED)
    with pytest.raises(FetchError):
        check_destination("gopher://127.0.0.1/", ALLOWED)


def test_redirect_hop_to_private_address_is_refused(remote):
    """A public server redirecting to our loopback: the hop is checked before connecting.

    A real loopback server cannot play the public first hop (it is private by definition), so
    httpx.MockTransport answers for 93.184.216.34; the client code under test is unchanged.
    """
    hits = []

    def public_server(request: httpx.Request) -> httpx.Response:
        hits.append(str(request.url))
        return httpx.Response(302, headers={"Location": remote.base + "/secret"})

    client = RemoteClient(STRICT, transport=httpx.MockTransport(public_server))
    with client, pytest.raises(FetchError) as excinfo:
        client.get("http://93.184.216.34/users/a", accept=AP_ACCEPT)
    assert "loopback" in excinfo.value.reason
    assert hits == ["http://93.184.216.34/users/a"]
    assert remote.requests == []


def test_connect_time_check_refuses_private_address():
    """The default transport re-checks the address it connects to (DNS rebinding)."""
    with pytest.raises(FetchError, match="loopback"):
        fetch._GuardedBackend(STRICT).connect_tcp("127.0.0.1", 9, timeout=1.0)


def test_redirect_to_other_scheme_is_refused(remote, client):
    remote.redirect("/r", "file:///etc/passwd")
    with pytest.raises(FetchError, match="scheme file"):
        client.get(remote.base + "/r", accept=AP_ACCEPT)


def _self_signed(tmp_path):
    from datetime import UTC, datetime, timedelta
    from ipaddress import IPv4Address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_https_certificates_are_verified(remote, client, tmp_path):
    """TLS goes through the guarded transport with verification on: self-signed is refused."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_self_signed(tmp_path))
    remote.server.socket = context.wrap_socket(remote.server.socket, server_side=True)
    remote.document("/objects/1", note(remote))
    https = remote.base.replace("http://", "https://")
    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):
        client.get_activity(https + "/objects/1")
    assert remote.requests == []


def _private_ca(tmp_path):
    """A certificate authority made here, and a certificate for 127.0.0.1 that it signed:
    (CA file, server certificate file, server key file)."""
    from datetime import UTC, datetime, timedelta
    from ipaddress import IPv4Address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Pnyx test private CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (tmp_path / n for n in ("ca.pem", "leaf.pem", "leaf.key"))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


def test_a_private_ca_is_trusted_only_when_configured(remote, tmp_path, monkeypatch):
    """PNYX_CA_BUNDLE adds a private CA to certifi's; the environment's SSL_CERT_FILE does not."""
    import ssl

    ca_file, cert_file, key_file = _private_ca(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    remote.server.socket = context.wrap_socket(remote.server.socket, server_side=True)
    https = remote.base.replace("http://", "https://")
    remote.document("/objects/1", {**note(remote), "id": https + "/objects/1"})

    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with (
        RemoteClient(ALLOWED, timeout=5.0) as plain,
        pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        plain.get_activity(https + "/objects/1")

    trusting = ALLOWED.with_overrides(ca_bundle=str(ca_file))
    with RemoteClient(trusting, timeout=5.0) as client:
        assert client.get_activity(https + "/objects/1")["id"] == https + "/objects/1"


def test_an_unusable_ca_bundle_stops_the_settings(tmp_path):
    from pnyx.config import load_settings

    def load(path):
        return load_settings({"PNYX_CA_BUNDLE": str(path)}, str(tmp_path / "x.toml"))

    with pytest.raises(ValueError, match="PNYX_CA_BUNDLE names no file"):
        load(tmp_path / "none.pem")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(ValueError, match="no usable PEM"):
        load(garbage)
    ca_file, _, _ = _private_ca(tmp_path)
    assert load(ca_file).ca_bundle == str(ca_file)


# ---------------------------------------------------------------- redirects, size, time


def test_redirects_followed_up_to_the_cap(remote):
    remote.document("/objects/1", note(remote))
    remote.redirect("/r1", "/objects/1", 301)
    remote.redirect("/r2", remote.base + "/r1", 307)
    remote.redirect("/r3", "r2", 308)
    remote.redirect("/r4", "/r3")
    with RemoteClient(ALLOWED, max_redirects=3) as client:
        response = client.get(remote.base + "/r3", accept=AP_ACCEPT)
        assert response.url == remote.base + "/objects/1"
        assert response.status == 200
        assert response.headers["content-type"] == AP
        with pytest.raises(FetchError, match="more than 3 redirects"):
            client.get(remote.base + "/r4", accept=AP_ACCEPT)
    assert [r.path for r in remote.requests[-4:]] == ["/r4", "/r3", "/r2", "/r1"]


def test_redirect_loop_ends(remote, client):
    remote.redirect("/loop", "/loop")
    with pytest.raises(FetchError, match="redirects"):
        client.get(remote.base + "/loop", accept=AP_ACCEPT)
    assert len(remote.requests) == 4


def test_body_size_cap(remote):
    remote.routes["/declared"] = lambda h: reply(h, 200, b"x" * 5000)

    def undeclared(handler):  # HTTP/1.0, no Content-Length: the body ends when we close
        reply(handler, 200, b"", AP, length=False)
        for _ in range(50):
            handler.wfile.write(b"y" * 100)

    remote.routes["/undeclared"] = undeclared
    remote.routes["/fits"] = lambda h: reply(h, 200, b"z" * 1000)
    with RemoteClient(ALLOWED, max_bytes=1000) as client:
        for path in ("/declared", "/undeclared"):
            with pytest.raises(FetchError, match="exceeds 1000"):
                client.get(remote.base + path, accept="*/*")
        assert client.get(remote.base + "/fits", accept="*/*").body == b"z" * 1000


def test_gzip_bodies_are_decoded_within_the_cap(remote):
    doc = json.dumps(note(remote)).encode()
    bomb = gzip.compress(b"0" * 20_000_000)  # 20 MB of zeros in about 20 kB
    headers = {"Content-Encoding": "gzip"}
    remote.routes["/objects/1"] = lambda h: reply(h, 200, gzip.compress(doc), AP, headers)
    remote.routes["/bomb"] = lambda h: reply(h, 200, bomb, AP, headers)
    remote.routes["/double"] = lambda h: reply(
        h, 200, gzip.compress(gzip.compress(doc)), AP, {"Content-Encoding": "gzip, gzip"}
    )
    remote.routes["/broken"] = lambda h: reply(h, 200, b"not gzip at all", AP, headers)
    with RemoteClient(ALLOWED, max_bytes=100_000) as client:
        assert client.get_activity(remote.base + "/objects/1")["type"] == "Note"
        assert remote.requests[0].headers["Accept-Encoding"] == "gzip"
        with pytest.raises(FetchError, match="exceeds 100000"):
            client.get(remote.base + "/bomb", accept="*/*")
        with pytest.raises(FetchError, match="content encoding"):
            client.get(remote.base + "/double", accept="*/*")
        with pytest.raises(FetchError, match="gzip"):
            client.get(remote.base + "/broken", accept="*/*")


def test_server_that_sleeps_hits_the_deadline(remote):
    def sleepy(handler):
        time.sleep(4)
        reply(handler, 200, b"{}")

    remote.routes["/sleepy"] = sleepy
    # Without the deadline this would succeed after the server's 4 s: no timing needed.
    with RemoteClient(ALLOWED, timeout=0.5) as client, pytest.raises(FetchError, match="deadline"):
        client.get(remote.base + "/sleepy", accept=AP_ACCEPT)


def test_deadline_is_total_not_per_read(remote):
    """A byte every 0.1 s never trips a per-read timeout; the total deadline still ends it."""

    def drip(handler):
        reply(handler, 200, b"", AP, length=False)
        for _ in range(60):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.1)

    remote.routes["/drip"] = drip
    # Per-read timeouts alone would let this complete (after 6 s) without an error.
    with RemoteClient(ALLOWED, timeout=1.0) as client, pytest.raises(FetchError, match="deadline"):
        client.get(remote.base + "/drip", accept=AP_ACCEPT)


def test_http_errors_and_network_errors(remote, client):
    remote.routes["/gone"] = lambda h: reply(h, 410, b"gone", "text/plain")
    with pytest.raises(FetchError) as excinfo:
        client.get(remote.base + "/gone", accept=AP_ACCEPT)
    assert excinfo.value.status == 410
    with pytest.raises(FetchError) as excinfo:
        client.get(remote.base + "/missing", accept=AP_ACCEPT)
    assert excinfo.value.status == 404
    closed = Remote()
    closed.close()
    with pytest.raises(FetchError, match="network error") as excinfo:
        client.get(closed.base + "/x", accept=AP_ACCEPT)
    assert excinfo.value.status is None
    with pytest.raises(FetchError):
        client.get("not a url at all", accept=AP_ACCEPT)


# ---------------------------------------------------------------- ActivityPub documents


@pytest.mark.parametrize(
    "content_type",
    [
        "application/activity+json",
        "application/activity+json; charset=utf-8",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "application/ld+json;profile=https://www.w3.org/ns/activitystreams",
        'Application/LD+JSON ; charset=utf-8; profile="https://www.w3.org/ns/activitystreams"',
    ],
)
def test_activitypub_content_types_accepted(remote, client, content_type):
    remote.document("/objects/1", note(remote), content_type)
    assert client.get_activity(remote.base + "/objects/1")["id"] == remote.base + "/objects/1"
    assert remote.requests[0].headers["Accept"] == AP_ACCEPT


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html; charset=utf-8",
        "application/json",
        "application/ld+json",
        'application/ld+json; profile="https://example.com/other"',
        "",
    ],
)
def test_other_content_types_refused(remote, client, content_type):
    remote.document("/objects/1", note(remote), content_type)
    with pytest.raises(FetchError, match="content type"):
        client.get_activity(remote.base + "/objects/1")


def test_spoofed_object_refused(remote, client):
    """Pleroma's spoofed-object case: a document served by one host claiming another's id."""
    spoof = (FIXTURES / "negative" / "spoofed_object.json").read_bytes()
    remote.document("/media/0f3a.json", spoof)
    with pytest.raises(FetchError, match="not on the origin"):
        client.get_activity(remote.base + "/media/0f3a.json")


def test_id_checked_against_final_url_after_redirect(remote, other, client):
    # remote redirects to other; other serves a document claiming to be remote's: refused.
    other.document("/objects/1", note(remote))
    remote.redirect("/objects/1", other.base + "/objects/1")
    with pytest.raises(FetchError, match="not on the origin"):
        client.get_activity(remote.base + "/objects/1")
    # other serving its own document after a redirect from remote: accepted.
    other.document("/objects/2", note(other, "/objects/2"))
    remote.redirect("/objects/2", other.base + "/objects/2")
    assert client.get_activity(remote.base + "/objects/2")["id"] == other.base + "/objects/2"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[1, 2]", "not a JSON object"),
        (b"{not json", "not valid JSON"),
        (b'{"type": "Note"}', "no id"),
        (b'{"id": 5}', "no id"),
    ],
)
def test_malformed_documents_refused(remote, client, body, reason):
    remote.document("/objects/1", body)
    with pytest.raises(FetchError, match=reason):
        client.get_activity(remote.base + "/objects/1")


def test_deep_json_refused(remote, client):
    def nested(depth):
        doc = note(remote)
        inner = doc
        for _ in range(depth - 1):
            inner["x"] = {}
            inner = inner["x"]
        return doc

    remote.document("/objects/1", nested(64))
    assert client.get_activity(remote.base + "/objects/1")["type"] == "Note"
    remote.document("/objects/1", nested(65))
    with pytest.raises(FetchError, match="deeper than 64"):
        client.get_activity(remote.base + "/objects/1")
    remote.document(
        "/objects/1",
        b'{"id": "%s", "a": ' % remote.base.encode() + b"[" * 5000 + b"]" * 5000 + b"}",
    )
    with pytest.raises(FetchError):
        client.get_activity(remote.base + "/objects/1")


# ---------------------------------------------------------------- what we send


def test_user_agent_names_pnyx(remote, client):
    remote.document("/objects/1", note(remote))
    client.get_activity(remote.base + "/objects/1")
    assert (
        remote.requests[0].headers["User-Agent"]
        == f"Pnyx/{pnyx.__version__} (+http://127.0.0.1:8001)"
    )


def test_signed_get_verifies_on_the_server_side(remote, client, keys):
    key_id = "http://127.0.0.1:8001/users/alice#main-key"
    remote.document("/objects/1", note(remote))
    remote.redirect("/users/x", "/objects/1?page=1")
    client.get_activity(remote.base + "/users/x#frag", signer=(key_id, keys.private_pem))
    assert [r.path for r in remote.requests] == ["/users/x", "/objects/1?page=1"]
    for seen in remote.requests:  # every hop signed for its own path
        assert "Signature" in seen.headers
        signed = signatures.verify_request(
            method=seen.method,
            path=seen.path,
            headers=seen.headers,
            body=seen.body,
            public_key_pem=keys.public_pem,
            scheme="http",
            expected_host=remote.base.removeprefix("http://"),
        )
        assert signed.key_id == key_id
    # Verified against another path, the same headers fail: the check is real.
    with pytest.raises(signatures.SignatureError):
        signatures.verify_request(
            method="GET",
            path="/objects/2",
            headers=remote.requests[-1].headers,
            body=b"",
            public_key_pem=keys.public_pem,
        )


def test_unsigned_get_carries_no_signature(remote, client):
    remote.document("/objects/1", note(remote))
    client.get_activity(remote.base + "/objects/1")
    assert "Signature" not in remote.requests[0].headers


def test_signed_post_delivery(remote, client, keys):
    key_id = "http://127.0.0.1:8001/users/alice#main-key"
    activity = json.dumps({"type": "Create", "id": "http://127.0.0.1:8001/a/1"}).encode()
    remote.routes["/inbox"] = lambda h: reply(h, 202, b"", None)
    remote.routes["/broken"] = lambda h: reply(h, 500, b"oops", "text/plain")
    remote.routes["/moved"] = lambda h: reply(h, 302, b"", None, {"Location": "/inbox"})
    remote.routes["/chatty"] = lambda h: reply(h, 400, b"e" * 5000, "text/plain")

    response = client.post(remote.base + "/inbox", activity, signer=(key_id, keys.private_pem))
    assert response.status == 202
    seen = remote.requests[0]
    assert seen.body == activity
    assert seen.headers["Content-Type"] == AP
    assert (
        signatures.verify_request(
            method="POST",
            path="/inbox",
            headers=seen.headers,
            body=seen.body,
            public_key_pem=keys.public_pem,
        ).key_id
        == key_id
    )

    assert (
        client.post(remote.base + "/broken", activity, signer=(key_id, keys.private_pem)).status
        == 500
    )
    moved = client.post(remote.base + "/moved", activity, signer=(key_id, keys.private_pem))
    assert moved.status == 302
    assert [r.path for r in remote.requests] == ["/inbox", "/broken", "/moved"]
    with RemoteClient(ALLOWED, max_bytes=100) as small:
        chatty = small.post(remote.base + "/chatty", activity, signer=(key_id, keys.private_pem))
        assert (chatty.status, chatty.body) == (400, b"e" * 100)


def test_post_to_private_address_refused_when_not_allowed(remote, keys):
    with RemoteClient(STRICT) as strict, pytest.raises(FetchError, match="loopback"):
        strict.post(remote.base + "/inbox", b"{}", signer=("k", keys.private_pem))
    assert remote.requests == []


def test_a_body_of_a_type_not_asked_for_is_never_read(remote):
    """`only_types`: a link preview wants a web page; an answer of another type is refused as
    soon as its headers arrive. This one would drip for 6 s: reading it would end at the
    total deadline instead (no timing needed to tell the two apart)."""

    def video(handler):
        reply(handler, 200, b"", "video/mp4", length=False)
        for _ in range(60):
            handler.wfile.write(b"\0" * 1024)
            handler.wfile.flush()
            time.sleep(0.1)

    remote.routes["/video"] = video
    remote.document("/page", b"<html><title>Hi</title></html>", "text/html; charset=utf-8")
    with RemoteClient(ALLOWED, timeout=2.0) as client:
        with pytest.raises(FetchError) as refused:
            client.get(remote.base + "/video", accept="text/html", only_types=("text/html",))
        assert refused.value.reason == "content type video/mp4 is not text/html"
        assert refused.value.status == 200
        page = client.get(remote.base + "/page", accept="text/html", only_types=("text/html",))
        assert page.body == b"<html><title>Hi</title></html>"
