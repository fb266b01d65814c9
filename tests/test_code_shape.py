"""The code stays in small pieces: no module in src/pnyx over 650 lines, no function over 90.

Issue 9 split the modules and functions that had grown past that (timelines, oauth, the
helpers of the web pages, statuses.create ...). This keeps it so: a module or function that
grows past the limit fails here, and is split by concept rather than added to the list below.
Each exception is named with its reason, and an exception that no longer applies fails too, so
the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pnyx

SOURCE = Path(pnyx.__file__).resolve().parent
MAX_MODULE_LINES = 650
MAX_FUNCTION_LINES = 90

# A migration is a frozen record of the schema at one release: it is never edited once
# shipped, and splitting its upgrade() would only scatter one list of CREATE TABLEs.
INITIAL_SCHEMA = "db/migrations/versions/0001_initial_schema.py"
LONG_MODULES = {
    INITIAL_SCHEMA: "migration: the whole first schema, frozen once shipped",
}
LONG_FUNCTIONS = {
    f"{INITIAL_SCHEMA}:upgrade": "migration: the whole first schema, frozen once shipped",
    "db/migrations/versions/0002_federation.py:upgrade": "migration: frozen once shipped",
}


def _modules() -> list[tuple[str, str]]:
    return [
        (path.relative_to(SOURCE).as_posix(), path.read_text(encoding="utf-8"))
        for path in sorted(SOURCE.rglob("*.py"))
    ]


def _long_modules() -> dict[str, int]:
    return {
        name: len(text.splitlines())
        for name, text in _modules()
        if len(text.splitlines()) > MAX_MODULE_LINES
    }


def _long_functions() -> dict[str, int]:
    found = {}
    for name, text in _modules():
        for node in ast.walk(ast.parse(text, filename=name)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found[f"{name}:{node.name}"] = length
    return found


def test_sources_are_found():
    names = [name for name, _ in _modules()]
    assert "app.py" in names and INITIAL_SCHEMA in names


def test_no_module_over_the_limit():
    too_long = {name: n for name, n in _long_modules().items() if name not in LONG_MODULES}
    assert too_long == {}, f"split these by concept (over {MAX_MODULE_LINES} lines): {too_long}"


def test_no_function_over_the_limit():
    too_long = {name: n for name, n in _long_functions().items() if name not in LONG_FUNCTIONS}
    assert too_long == {}, f"split these into named steps (over {MAX_FUNCTION_LINES}): {too_long}"


def test_every_exception_is_still_needed():
    assert set(LONG_MODULES) <= set(_long_modules())
    assert set(LONG_FUNCTIONS) <= set(_long_functions())
