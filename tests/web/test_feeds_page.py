"""The public page of the feed algorithms, in English and French, and the running source
each links to when the operator publishes no source URL."""

from __future__ import annotations

from starlette.testclient import TestClient

from pnyx.app import create_app
from pnyx.core.algorithms import catalog, versions


def test_the_feeds_page_lists_every_algorithm_with_its_version(client):
    page = client.get("/feeds")
    assert page.status_code == 200
    for algorithm in catalog.ALGORITHMS.values():
        assert algorithm.title in page.text
        assert algorithm.version in page.text
        assert f'href="https://pnyx.test/feeds/{algorithm.id}/source"' in page.text
    assert "<caption>Parameters</caption>" in page.text
    french = client.get("/feeds", headers={"Accept-Language": "fr"})
    assert "<caption>Paramètres</caption>" in french.text and "<h1>Fils</h1>" in french.text
    assert 'href="/feeds"' in client.get("/about").text


def test_the_source_page_serves_the_running_modules(client):
    algorithm = catalog.ALGORITHMS["bridging"]
    text = client.get("/feeds/bridging/source").text
    assert text.startswith(f"# bridging@{algorithm.version}")
    for module in algorithm.modules:
        assert versions.source_of(module) in text
    assert client.get("/feeds/nothing/source").status_code == 404


def test_a_published_source_url_is_linked_instead(settings):
    app = create_app(
        settings.with_overrides(source_url="https://git.example/pnyx/src/branch/main/"),
        run_workers=False,
        migrate=False,
    )
    with TestClient(app, base_url="https://pnyx.test") as client:
        body = client.get("/api/v1/pnyx/feeds/diverse").json()
        assert body["source_url"] == (
            "https://git.example/pnyx/src/branch/main/src/pnyx/core/algorithms/diverse.py"
        )
        assert body["source_url"] in client.get("/feeds").text
