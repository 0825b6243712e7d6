"""Shared fixtures: a hand-built small study with hand-computed answers, and the demo study.

A test module marked ``pytestmark = pytest.mark.both_backends`` runs each test that opens the
small study (``small``, ``small_location``) twice: on a DuckDB file and on PostgreSQL
(tests/postgres.py starts a throwaway server).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from observation import access, db, export, figures
from observation.demo import DemoSpec, build_demo
from tests import postgres
from tests.small_study import build_small_study

BACKENDS = ("file", "postgres")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_backends: run the module's study tests on a file and on PostgreSQL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_backends") is not None
        metafunc.parametrize("backend", BACKENDS if both else BACKENDS[:1])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.Server]:
    reason = postgres.missing_reason()
    if reason:
        if os.environ.get("OBSERVATION_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with postgres.server() as server:
        yield server


@pytest.fixture
def new_location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path | str]:
    """Where a new, empty study goes on the test's backend: a file path, or a new PostgreSQL database."""
    if backend == "postgres":
        yield request.getfixturevalue("postgres_server").new_database()
    else:
        yield tmp_path / "study.duckdb"


@pytest.fixture(autouse=True)
def local_researcher() -> Iterator[access.Identity]:
    """Tests act as the local researcher unless they say otherwise (``access.acting_as``)."""
    with access.acting_as(access.local_researcher()) as who:
        yield who


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default demo study, built once per run and opened read-only. Tests must not write to it.
    (tests/app and tests/browser build their own: their connections outlive a test.)"""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(path, DemoSpec())
    return path


@pytest.fixture
def small_path(tmp_path: Path) -> Path:
    """A fresh copy of the small hand-built study (see tests/small_study.py for its answers)."""
    path = tmp_path / "small.duckdb"
    build_small_study(path)
    return path


@pytest.fixture
def small_location(new_location: Path | str) -> Path | str:
    """The small study on the test's backend (a file, or PostgreSQL in both_backends modules)."""
    build_small_study(new_location)
    return new_location


@pytest.fixture
def small(small_location: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    con = db.connect(small_location)
    yield con
    con.close()


@pytest.fixture
def demo(demo_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = db.connect(demo_path, read_only=True)
    yield con
    con.close()


@pytest.fixture
def demo_copy(demo_path: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable copy of the demo (an export is audited)."""
    path = tmp_path / "demo.duckdb"
    path.write_bytes(demo_path.read_bytes())
    con = db.connect(path)
    yield con
    con.close()


@pytest.fixture
def chromium() -> None:
    need_chromium()


def need_chromium() -> None:
    """Chromium for kaleido's PNG and SVG: a failure where the run requires the browser, else a skip."""
    if figures.chromium() is None:
        if os.environ.get("OBSERVATION_REQUIRE_BROWSER") == "1":
            pytest.fail("no Chromium for kaleido")
        pytest.skip("no Chromium for kaleido")


Reloaded = Callable[[duckdb.DuckDBPyConnection], duckdb.DuckDBPyConnection]


@pytest.fixture
def reloaded(tmp_path: Path) -> Iterator[Reloaded]:
    """Give it a study: its full export (Parquet) loaded into a new study file, open."""
    opened: list[duckdb.DuckDBPyConnection] = []

    def load(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
        out = tmp_path / f"reloaded-{len(opened)}"
        export.export(con, "full", "parquet", out)
        opened.append(db.connect(out.with_suffix(".duckdb")))
        export.load_full_export(opened[-1], out)
        return opened[-1]

    yield load
    for con in opened:
        con.close()
