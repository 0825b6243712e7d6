from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Dataframe

from observation import db
from observation.demo import build_demo
from tests.small_study import add_interviews

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app tests' own demo study: their cached connections must not share a file with other suites."""
    path = tmp_path_factory.mktemp("app-demo") / "demo.duckdb"
    build_demo(path)
    return path


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    # st.cache_data and st.cache_resource outlive an AppTest: clear them around each test.
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """An AppTest of app.py on the given study file, with optional query parameters, already run."""

    def start(db: Path, **params: str) -> AppTest:
        monkeypatch.setenv("OBSERVATION_DB", str(db))
        at = AppTest.from_file(APP, default_timeout=60)
        for name, value in params.items():
            at.query_params[name] = value
        return at.run()

    return start


@pytest.fixture
def interviewed_path(small_path: Path) -> Path:
    """The small study with its interview transcripts added (the app opens the file itself)."""
    con = db.connect(small_path)
    try:
        add_interviews(con)
    finally:
        con.close()
    return small_path


LAZY_TABS = ("notes_tab", "overview_tab", "presence_tab", "attendance_tab", "agreement_tab")
"""The keys of the tabs that pages work out only when open (choices.open_tab_only)."""


def each_tab(at: AppTest) -> Iterator[AppTest]:
    """``at`` with each of its tabs open in turn, where the page works out only the open tab
    (choices.open_tab_only: LAZY_TABS); just ``at`` where it has no such tabs. A tab that raises
    fails the test there and then."""
    key = next((k for k in LAZY_TABS if k in at.session_state), None)
    if key is None:
        yield at
        return
    for label in [t.label for t in at.tabs]:
        assert not open_tab(at, key, label).exception, f"the {label} tab: {[e.value for e in at.exception]}"
        yield at


def open_tab(at: AppTest, key: str, label: str) -> AppTest:
    """``at`` run again with its tab ``label`` open (tabs keyed ``key``, of LAZY_TABS)."""
    at.session_state[key] = label
    return at.run()


def table(at: AppTest, name: str) -> Dataframe:
    """The table keyed ``name`` whose rows can be chosen (tables.choosing_key adds a signature of
    the rows it shows to its key)."""
    return next(d for d in at.dataframe if d.key is not None and d.key.rsplit("_", 1)[0] == name)


def choose_row(at: AppTest, name: str, row: int) -> AppTest:
    """``at`` run again with row ``row`` (its position) of the table ``name`` chosen, as a click does."""
    at.session_state[table(at, name).key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def matching(at: AppTest) -> str:
    """The Notes page's tab of every matching note or transcript, opened: the count it starts with
    ("6 notes")."""
    count = next(
        c.value
        for c in open_tab(at, "notes_tab", "Matching excerpts").caption
        if c.value.endswith(" in these teams and dates")
    )
    return count.removesuffix(" in these teams and dates")
