"""Voice at the meetings observed live in Chromium: the Overview's row of voice figures under the
headline, and a meeting's timeline of who contributed when on Presence and absence, with no error.
Screenshots go to tests/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from observation import db
from tests.browser.conftest import Server, Watched, screenshot, start_server
from tests.browser.test_overview_browser import assert_clean
from tests.small_study import build_small_study
from tests.unit.test_voice import add_contributions


@pytest.fixture
def heard_server(tmp_path: Path) -> Iterator[Server]:
    """A server of its own on the small study with tests/unit/test_voice.py's contributions."""
    path = tmp_path / "small.duckdb"
    build_small_study(path)
    con = db.connect(path)
    try:
        add_contributions(con)
    finally:
        con.close()
    server = start_server(path, tmp_path / "streamlit.log")
    yield server
    server.process.terminate()
    server.process.wait(timeout=30)


def test_voice_reads_on_the_overview_and_in_a_meetings_drill_down(heard_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(heard_server.url)
    voice = page.get_by_test_id("stMetric").filter(has_text="Voice share")
    expect(voice).to_contain_text("50%", timeout=60_000)
    expect(page.get_by_test_id("stMetric").filter(has_text="Items raised")).to_contain_text("3")
    screenshot(page, "voice-overview")
    page.goto(f"{heard_server.url}/presence?meeting=1")
    expect(page.get_by_text("Who contributed when").first).to_be_visible(timeout=60_000)
    timeline = page.get_by_test_id("stPlotlyChart").last
    timeline.scroll_into_view_if_needed()
    expect(timeline).to_contain_text("A-SU1")
    screenshot(page, "voice-meeting-timeline")
    assert_clean(watched)
