"""`pnyx verify URL|FILE` against a real `pnyx serve`: a post, its Create, an actor and the
instance actor are valid; the same post saved to a file (as an export archive holds it) is
valid, a tampered copy is not, nor an object with no proof or one signed by someone else; a
server that cannot be reached, or an address private networks only allow, is a reason given
in one line, never a traceback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from federation.people import login
from server import PnyxServer, free_port

AP = {"Accept": "application/activity+json"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with PnyxServer(tmp_path_factory.mktemp("verify"), backend="sqlite") as server:
        alice = login(server, "alice")
        post = alice.api.status_post("a post anyone can check")
        yield server, alice, post["uri"]


def verify(server: PnyxServer, target: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**server.environment(), **env}
    return subprocess.run(
        [server.executable, "verify", target],
        env={k: v for k, v in environment.items() if v != ""},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr


def test_a_post_its_create_and_the_actors_are_valid(served):
    server, alice, post_uri = served
    alice_uri = server.url("/users/alice")
    for target, signer in (
        (post_uri, alice_uri),
        (post_uri + "/activity", alice_uri),
        (alice_uri, alice_uri),
        (server.url("/actor"), server.url("/actor")),
    ):
        result = verify(server, target)
        assert result.returncode == 0, (target, result.stdout, result.stderr)
        line = result.stdout.strip()
        assert line.startswith(f"valid: signed by {signer} with {signer}#ed25519-key at "), line
        assert line.endswith("Z")


def _saved(served, tmp_path: Path, change=None) -> Path:
    server, alice, post_uri = served
    doc = httpx.get(post_uri, headers=AP, timeout=30).json()
    if change is not None:
        change(doc)
    path = tmp_path / "post.json"
    path.write_text(json.dumps(doc))
    return path


def test_a_saved_post_is_valid_and_a_tampered_one_is_not(served, tmp_path: Path):
    server = served[0]
    result = verify(server, str(_saved(served, tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("valid: signed by ")

    def tamper(doc):
        doc["content"] = "<p>words alice never wrote</p>"

    result = verify(server, str(_saved(served, tmp_path, tamper)))
    assert result.returncode == 1
    assert result.stdout.strip() == (
        "not valid: the signature does not match: the object was changed after it was signed"
    )
    _no_traceback(result)


def test_an_object_without_a_proof_or_with_another_actor_s_key_is_not_valid(served, tmp_path: Path):
    server = served[0]
    result = verify(server, str(_saved(served, tmp_path, lambda d: d.pop("proof"))))
    assert (result.returncode, result.stdout.strip()) == (1, "not valid: it has no proof")

    def other_author(doc):
        doc["attributedTo"] = server.url("/actor")

    result = verify(server, str(_saved(served, tmp_path, other_author)))
    assert result.returncode == 1
    assert "is signed with a key of " in result.stdout
    assert f"not of {server.url('/actor')}" in result.stdout


def test_unreachable_and_private_addresses_are_reasons_not_tracebacks(served, tmp_path: Path):
    server = served[0]
    closed = f"http://127.0.0.1:{free_port()}/users/nobody"
    result = verify(server, closed)
    assert result.returncode == 1
    assert result.stdout.startswith(f"not valid: could not fetch {closed}: ")
    _no_traceback(result)
    # Without PNYX_ALLOW_PRIVATE_ADDRESSES, loopback is refused as federation refuses it.
    result = verify(server, served[2], PNYX_ALLOW_PRIVATE_ADDRESSES="")
    assert result.returncode == 1
    assert "loopback" in result.stdout
    _no_traceback(result)
    result = verify(server, str(tmp_path / "missing.json"))
    assert result.returncode == 1
    assert "cannot read" in result.stderr
    _no_traceback(result)


def test_the_command_needs_no_database(served, tmp_path: Path):
    """It runs where Pnyx is installed: no PNYX_DATABASE_URL, an empty data folder."""
    server = served[0]
    env = {"PNYX_DATABASE_URL": "", "PNYX_DATA_DIR": str(tmp_path / "empty")}
    result = verify(server, served[2], **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (tmp_path / "empty").exists()
