"""Streamlit internals the app leans on, pinned: an upgrade that drops one fails here, by name,
rather than quietly changing what Back and Forward do."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
from streamlit.runtime.scriptrunner import ScriptRunContext

from observation.ui import state


def test_the_installed_streamlit_says_whether_back_or_forward_started_a_run() -> None:
    fields = {f.name for f in dataclasses.fields(ScriptRunContext)}
    assert "is_history_navigation" in fields, (
        "Streamlit's ScriptRunContext no longer has is_history_navigation: observation/ui/state.py "
        "history_navigation() now always answers False, so Back after a page change may be undone "
        "by the filter being written again. Find the new way Streamlit marks a Back/Forward run."
    )


def test_without_it_no_run_counts_as_back_or_forward(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state, "get_script_run_ctx", lambda: SimpleNamespace())  # a context without the attribute
    assert state.history_navigation() is False
    monkeypatch.setattr(state, "get_script_run_ctx", lambda: SimpleNamespace(is_history_navigation=True))
    assert state.history_navigation() is True
    monkeypatch.setattr(state, "get_script_run_ctx", lambda: None)  # outside a Streamlit run
    assert state.history_navigation() is False


def test_the_installed_streamlit_has_the_old_multipage_mode_the_first_link_leaves() -> None:
    from streamlit.runtime.pages_manager import PagesManager

    assert hasattr(PagesManager, "uses_pages_directory"), (
        "Streamlit's PagesManager no longer has uses_pages_directory: observation/ui/sidebar.py "
        "_leave_legacy_multipage_mode() cannot tell a fresh server's first link from any other run. "
        "Open a page's address as a fresh server's first request and see whether the old mode is gone."
    )
    assert isinstance(getattr(PagesManager, "main_script_path", None), property), (
        "PagesManager.main_script_path is gone: a fresh server's first link no longer runs through app.py"
    )
