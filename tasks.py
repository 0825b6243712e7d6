#!/usr/bin/env python3
"""Set up and run the project with nothing but Python 3.11+ (Linux, macOS or Windows).

    python3 tasks.py run     # virtual environment, demo study if missing, dashboard on 127.0.0.1:8501
    python3 tasks.py test    # virtual environment with test tools, then lint, types, the docs (strict) and every test
    python3 tasks.py demo    # recreate data/study.duckdb from the synthetic demo (never replaces a real study)
    python3 tasks.py bench   # the benchmark (see docs/benchmark.md)

Installs only when requirements*.txt change (a hash is kept inside .venv).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
DEFAULT_DB = ROOT / "data" / "study.duckdb"


def _requirements_digest(name: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("requirements*.txt")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{name}:{digest.hexdigest()}"


def ensure_environment(requirements: str) -> None:
    """Create .venv if needed and install ``requirements`` into it when they changed."""
    if not PYTHON.exists():
        print(f"Creating the virtual environment in {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    stamp = VENV / f".installed-{Path(requirements).stem}"
    wanted = _requirements_digest(requirements)
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print(f"Installing {requirements} …", flush=True)
    call(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(ROOT / requirements))
    stamp.write_text(wanted)


def call(*args: object) -> None:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, check=False)
    if result.returncode != 0:
        raise SystemExit(result.returncode)


def demo(replace: bool = False) -> None:
    ensure_environment("requirements.txt")
    if os.environ.get("OBSERVATION_DB"):
        return  # the user chose a study file of their own
    call(PYTHON, "-m", "observation", "demo", "--db", DEFAULT_DB, "--replace" if replace else "--if-missing")


def run() -> None:
    demo()
    command = [str(PYTHON), "-m", "streamlit", "run", str(ROOT / "app.py")]
    os.chdir(ROOT)
    if os.name == "nt":
        raise SystemExit(subprocess.call(command))
    os.execv(command[0], command)


def test() -> None:
    ensure_environment("requirements-dev.txt")
    call(PYTHON, "-m", "ruff", "check", ".")
    call(PYTHON, "-m", "ruff", "format", "--check", ".")
    call(PYTHON, "-m", "mypy")
    docs()
    # On every core; the browser tests stay together on one worker (tests/browser/conftest.py), as one
    # Chromium and one Streamlit server at a time is what a 2-core machine keeps within their timeouts.
    call(PYTHON, "-m", "pytest", "-n", "auto", "--dist", "loadgroup", *sys.argv[2:])


def docs() -> None:
    """Build the docs site strictly (mkdocs.yml: a dead link, a missing anchor or a page left out of nav
    fails), into a temporary folder, so the working tree stays clean."""
    with tempfile.TemporaryDirectory(prefix="docs-site-") as site:
        call(PYTHON, "-m", "properdocs", "build", "--strict", "--quiet", "-f", ROOT / "mkdocs.yml", "-d", site)


def bench() -> None:
    ensure_environment("requirements-dev.txt")
    call(PYTHON, "-m", "bench", *sys.argv[2:])


TASKS = {"run": run, "test": test, "demo": lambda: demo(replace=True), "bench": bench}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        print(__doc__)
        raise SystemExit(2)
    TASKS[sys.argv[1]]()
