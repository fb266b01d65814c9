"""The repository stands on its own: a clone with nothing beside it passes its tests.

Someone who clones Pnyx from its public repository has nothing next to it, so no test may read
a file above the repository's root. One test reads the test sources for paths that climb out
of the repository; the other copies the tracked files to a fresh directory with no neighbours
and runs there every test module that reads files of its own (fixtures).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [name for name in listed.stdout.splitlines() if (ROOT / name).is_file()]


def _modules_reading_files() -> list[str]:
    """Test modules that read the fixtures under tests/fixtures/."""
    found = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        if path.name == "test_repository.py":
            continue
        if re.search(r"\bFIXTURES\b", path.read_text(encoding="utf-8")):
            found.append(str(path.relative_to(ROOT)))
    return found


_UP = re.compile(r"(^|/)\.\.(/|$)")


def _up_string(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and bool(_UP.search(node.value))
    )


def _climbs_out(path: Path) -> list[str]:
    """Where a test module builds a file path above the repository: `...parents[n]` with n
    past the root, `path / ".."`, or `Path("../x")` / `open("../x")`."""
    depth = len(path.relative_to(ROOT).parts) - 1  # Path(__file__).parents[depth] is the root
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "parents"
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, int)
            and node.slice.value > depth
        ):
            found.append(f"line {node.lineno}: parents[{node.slice.value}]")
        elif (
            isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and _up_string(node.right)
        ):
            found.append(f"line {node.lineno}: / {node.right.value!r}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("Path", "open")
            and node.args
            and _up_string(node.args[0])
        ):
            found.append(f"line {node.lineno}: {node.func.id}({node.args[0].value!r})")
    return found


def test_no_test_reads_outside_the_repository():
    offenders = {
        str(path.relative_to(ROOT)): where
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if (where := _climbs_out(path))
    }
    assert offenders == {}


def test_a_lone_copy_passes_the_tests_that_read_files(tmp_path):
    lone = tmp_path / "clone" / "pnyx"  # its parent holds nothing else
    for name in _tracked_files():
        target = lone / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / name).read_bytes())
    modules = _modules_reading_files()
    assert len(modules) >= 5, modules
    env = {
        **os.environ,
        "PYTHONPATH": str(lone / "src"),  # the copy's code, not the installed checkout's
        "PNYX_TEST_DATABASE_URL": "",  # SQLite is enough to show the files are found
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", *modules],
        cwd=lone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
