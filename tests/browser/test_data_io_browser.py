"""Importing through the browser: a real upload, its preview, the import, and the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from observation.demo import DemoSpec, build_demo
from tests.browser.conftest import Server, Watched, screenshot, start_server
from tests.browser.test_overview_browser import assert_clean

EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "examples"


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[Server]:
    """A server of its own, on a study this test may write to."""
    build_demo(tmp_path / "study.duckdb", DemoSpec(teams=1, months=2))
    server = start_server(tmp_path / "study.duckdb", tmp_path / "streamlit.log")
    yield server
    server.process.terminate()
    server.process.wait(timeout=30)


def test_uploading_the_example_files_previews_then_imports_them(fresh_server: Server, watched: Watched) -> None:
    page = watched.page
    # A cold server's very first request is the front door: a first deep link can outrun its start-up.
    page.goto(fresh_server.url)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    page.goto(f"{fresh_server.url}/data_import")
    expect(page.get_by_text("Choose one or more files to see what they would change.")).to_be_visible(timeout=60_000)
    files = sorted(str(p) for p in EXAMPLES.glob("*.csv"))
    page.locator("input[type=file]").set_input_files(files)
    expect(page.get_by_text("Ready to import")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Import these files").click()
    expect(page.get_by_text("Imported annotations.csv")).to_be_visible(timeout=60_000)
    screenshot(page, "import-done")
    page.goto(f"{fresh_server.url}/audit")
    expect(page.get_by_role("heading", level=1, name="Audit trail")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("The latest")).to_be_visible()
    assert_clean(watched)


def test_recording_a_change_to_a_meeting_through_the_browser(fresh_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(fresh_server.url)  # the app's front door first, as a person arrives
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    page.get_by_test_id("stSidebarNav").get_by_text("Record a meeting").click()
    expect(page.get_by_role("heading", level=1, name="Record a meeting")).to_be_visible(timeout=60_000)
    page.get_by_role("combobox", name="Meeting").click()
    page.get_by_role("option").nth(1).click()  # the latest meeting
    settled(page)  # the form of the meeting chosen replaces the first one's
    actions = page.get_by_role("spinbutton", name="Action items agreed")
    expect(actions).to_have_count(1)
    expect(actions).to_be_visible()
    actions.fill("11")
    actions.press("Enter")
    page.get_by_role("button", name="Save the meeting").click()
    expect(page.get_by_text("Saved. Every page now shows it")).to_be_visible(timeout=60_000)
    screenshot(page, "record-saved")
    assert_clean(watched)


def settled(page: Page) -> None:
    """Wait until a rerun that may just have started has finished: a grid drawn during one is drawn again."""
    page.wait_for_timeout(1_000)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)


def test_renaming_a_team_in_the_setup_grid(fresh_server: Server, watched: Watched) -> None:
    """The one grid AppTest cannot type into: a cell edited in the browser, saved, and shown everywhere."""
    page = watched.page
    page.goto(fresh_server.url)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    page.get_by_test_id("stSidebarNav").get_by_text("Study setup").click()
    expect(page.get_by_role("heading", level=1, name="Study setup")).to_be_visible(timeout=60_000)
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible()
    settled(page)
    box = grid.bounding_box()
    assert box is not None
    page.mouse.dblclick(box["x"] + 60, box["y"] + 35 + 17)  # the first team's name, below the header row
    editor = page.locator("textarea:focus")  # the cell's editor, once it has opened
    editor.fill("Riverside QI")
    expect(editor).to_have_value("Riverside QI")
    page.keyboard.press("Enter")
    settled(page)  # the grid sends its edit with a rerun of its own
    page.get_by_role("button", name="Save the teams").click()
    expect(page.get_by_text("0 added, 1 changed.")).to_be_visible(timeout=60_000)
    screenshot(page, "setup-teams-saved")
    page.get_by_role("tab", name="Participants").click()
    page.get_by_role("combobox", name="Team", exact=True).click()
    expect(page.get_by_role("option", name="Riverside QI")).to_be_visible()
    page.keyboard.press("Escape")
    page.get_by_role("tab", name="Codebook").click()
    expect(page.get_by_role("heading", name="Merge two codes")).to_be_visible()
    screenshot(page, "setup-codebook")
    assert_clean(watched)
