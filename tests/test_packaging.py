"""The built wheel is a working Pnyx: installed alone in a fresh environment, it serves the web
pages (templates in subfolders), their static files and the French translation.

Tests normally import Pnyx from src/ (an editable install), which hides files the wheel leaves
out. Here the wheel is built from a copy of the sources, installed with `--no-deps` into a new
venv whose only view of the libraries Pnyx needs is a .pth line to the test environment's
site-packages (no package index needed), and `pnyx serve` is started from that venv. Runs once,
on SQLite: it checks the package, not a database.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx

from server import PnyxServer

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 300  # seconds for each build or install step, on a busy machine


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _build_wheel(tmp_path: Path) -> Path:
    """Build from a copy, so nothing (build/, *.egg-info) is written into the repository."""
    source = tmp_path / "source"
    shutil.copytree(
        ROOT / "src" / "pnyx",
        source / "src" / "pnyx",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    dist = tmp_path / "dist"
    # No build isolation: the setuptools of the test extras builds it, without the network.
    pip = (sys.executable, "-m", "pip")
    _run(*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", dist, ".", cwd=source)
    (wheel,) = dist.glob("pnyx-*.whl")
    return wheel


def _venv_with(wheel: Path, tmp_path: Path) -> Path:
    """A new venv holding only the wheel; returns its bin/ directory."""
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel
    )
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    libraries = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    # Added after the venv's own site-packages, so Pnyx itself still comes from the wheel.
    (Path(site.strip()) / "test_libraries.pth").write_text("\n".join(libraries) + "\n")
    return venv / "bin"


def test_the_wheel_serves_pages_static_files_and_translations(tmp_path):
    wheel = _build_wheel(tmp_path)
    bin_dir = _venv_with(wheel, tmp_path)
    where = _run(bin_dir / "python", "-c", "import pnyx; print(pnyx.__file__)", cwd=tmp_path)
    assert Path(where.strip()).is_relative_to(tmp_path / "venv"), where

    with PnyxServer(tmp_path / "data", executable=str(bin_dir / "pnyx")) as server:
        english = httpx.get(server.url("/about"), timeout=30)
        assert english.status_code == 200, english.text[:500]
        assert "About Pnyx" in english.text
        french = httpx.get(server.url("/about"), headers={"Accept-Language": "fr"}, timeout=30)
        assert french.status_code == 200
        assert '<html lang="fr">' in french.text and "À propos de Pnyx" in french.text
        landing = httpx.get(server.url("/"), timeout=30)
        assert landing.status_code == 200 and "<main" in landing.text
        style = httpx.get(server.url("/static/site.css"), timeout=30)
        assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
