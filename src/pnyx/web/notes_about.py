"""How community notes work, in the open (issue 13): the rules and the algorithm
(`/notes/about`), the running scorer's source (`/notes/source`), and the open data
(`/notes/data`, each file at `/notes/data/:file`).

The about page states the rules with core's numbers (`settings.notes_min_account_days`,
`writing.MAX_SUMMARY`, `data_files.PUBLICATION_DELAY`), prints the scorer's own description
(its module docstring) and every constant it runs with (`scorer.PARAMS`) under its version,
and shows the latest run: when, which version, what it counted, how long it took, and its
model drawn (`notes_chart`). The data files are X's TSV files (`core.notes.data_files`), so X's
reference scorer runs on them; anyone may download them, without an account.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from pnyx.core.algorithms import versions
from pnyx.core.notes import data_files, matrix, queries, scorer, writing
from pnyx.edges.http import database
from pnyx.web import notes_chart
from pnyx.web.message_pages import not_found_page
from pnyx.web.session import Visitor, respond, visit, visitor

KINDS = {data_files.file_name(kind): kind for kind in data_files.FILES}
PUBLIC_CACHE = "public, max-age=300"


_MARKER = re.compile(r"(\d+\.|-) ")


@dataclass(frozen=True)
class DocLine:
    """One paragraph, list item or formula of a docstring, as the about page shows it."""

    kind: str  # "text" or "code"
    level: int  # how deep in its lists (0 outside any)
    text: str
    gap: bool  # a blank line before it


def described(doc: str) -> list[DocLine]:
    """A docstring's text reflowed for the page: the lines of a paragraph or of a list item
    ("1. ...", "- ...") joined, items kept with their markers and depth, a block indented
    by four spaces kept as it is (a formula)."""
    found: list[DocLine] = []
    text_at = -1  # where the current paragraph's or item's text starts (-1: none open)
    gap = False
    for raw in inspect.cleandoc(doc).splitlines():
        line = raw.strip()
        indent = len(raw) - len(raw.lstrip())
        marker = _MARKER.match(line)
        if not line:
            text_at, gap = -1, True
        elif text_at == -1 and indent >= 4 and not marker:
            found.append(DocLine("code", 0, line, gap))
            gap = False
        elif marker is None and text_at != -1 and indent >= text_at:
            last = found[-1]
            found[-1] = dataclasses.replace(last, text=f"{last.text} {line}")
        else:
            level = (1 if indent < 2 else 2) if marker else 0
            found.append(DocLine("text", level, line, gap))
            text_at = indent + (len(marker.group(0)) if marker else 0)
            gap = False
    return found


def _parameters() -> list[tuple[str, object]]:
    return [(f.name, getattr(scorer.PARAMS, f.name)) for f in dataclasses.fields(scorer.PARAMS)]


def _latest(tx, _who: Visitor) -> dict | None:
    """The latest run, with its model drawn, or None when notes were never scored."""
    run = queries.latest_run(tx)
    if run is None:
        return None
    raters, notes = queries.run_points(tx, run.id)
    return {
        "run": run,
        "counts": sorted((run.counts or {}).items()),
        "raters_chart": notes_chart.chart(raters, notes=False),
        "notes_chart": notes_chart.chart(notes, notes=True, params=run.params),
        "thresholds": notes_chart.thresholds(run.params),
    }


async def about(request: Request) -> Response:
    who, latest = await visit(request, _latest)
    settings = who.site or request.app.state.settings
    return respond(
        request,
        who,
        "site/notes_about.html",
        min_days=settings.notes_min_account_days,
        max_summary=writing.MAX_SUMMARY,
        delay_hours=int(data_files.PUBLICATION_DELAY.total_seconds() // 3600),
        description=described(scorer.__doc__ or ""),
        parameters=_parameters(),
        version=scorer.version(),
        latest=latest,
        current_thresholds=notes_chart.thresholds(None),
    )


async def source(request: Request) -> Response:
    """The running scorer's source, as text: the modules its version hashes, in order."""
    parts = [
        f"# ===== pnyx/core/notes/{m.__name__.rsplit('.', 1)[-1]}.py =====\n"
        + versions.source_of(m)
        for m in (matrix, scorer)
    ]
    header = f"# notes scorer, version {scorer.version()}: matrix.py, then scorer.py\n"
    return PlainTextResponse(header + "\n".join(parts))


# --- The open data -------------------------------------------------------------------------


async def data_page(request: Request) -> Response:
    who = await visitor(request)
    response = respond(
        request,
        who,
        "site/notes_data.html",
        files=[(kind, data_files.file_name(kind)) for kind in data_files.FILES],
        delay_hours=int(data_files.PUBLICATION_DELAY.total_seconds() // 3600),
    )
    if who.user is None and "set-cookie" not in response.headers:
        response.headers["Cache-Control"] = PUBLIC_CACHE  # (a cookie is nobody else's)
    return response


def _lines(tx, kind: str) -> list[str]:
    return list(data_files.rows(tx, kind))


async def _chunks(lines: list[str]) -> AsyncIterator[bytes]:
    for start in range(0, len(lines), 512):
        yield "".join(lines[start : start + 512]).encode("utf-8")


async def data_file(request: Request) -> Response:
    """GET /notes/data/:file: one of X's TSV files, UTF-8, as a download."""
    name = request.path_params["name"]
    kind = KINDS.get(name)
    if kind is None:
        return not_found_page(request, await visitor(request))
    db = database(request)
    # Read on a thread of its own: a large file does not hold up the pages' reads.
    read = functools.partial(db.run_sync, _lines, kind, write=False)
    lines = await anyio.to_thread.run_sync(read, limiter=db.limiter)
    return StreamingResponse(
        _chunks(lines),
        media_type="text/tab-separated-values; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": PUBLIC_CACHE,
            "X-Content-Type-Options": "nosniff",
        },
    )


routes = [
    Route("/notes/about", about, methods=["GET"]),
    Route("/notes/source", source, methods=["GET"]),
    Route("/notes/data", data_page, methods=["GET"]),
    Route("/notes/data/{name}", data_file, methods=["GET"]),
]
