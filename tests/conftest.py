"""Shared fixtures: a hand-built small study with hand-computed answers, and the demo study."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from observation import access, db
from observation.demo import DemoSpec, build_demo
from tests.small_study import build_small_study


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
def small(small_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = db.connect(small_path)
    yield con
    con.close()


@pytest.fixture
def demo(demo_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = db.connect(demo_path, read_only=True)
    yield con
    con.close()
