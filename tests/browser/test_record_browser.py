"""The Record page in a real browser: a new meeting starts at the team's next expected meeting, and
the attendance grid is edited the way the hint above it says, then saved."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Server, Watched, screenshot
from tests.browser.test_overview_browser import assert_clean

HINT = "To change a cell, double-click it, or click it once and start typing; Enter keeps the change"
ATTENDANCE, TOOK_PART = 2, 3  # the grid's columns: code, role, attendance, took part
ROW = 35  # the grid's header and rows, in pixels (Streamlit's default row height)


def cell(grid: Locator, column: int, row: int) -> Locator:
    """A cell's text, as the grid gives it to screen readers (it draws the cells on a canvas)."""
    return grid.get_by_test_id(f"glide-cell-{column}-{row}")


def middle_of(grid: Locator, column: int, row: int, columns: int = 4) -> tuple[float, float]:
    """Where a person points at a cell: the grid's columns share its width (none is given one)."""
    box = grid.bounding_box()
    assert box is not None
    return box["x"] + box["width"] * (column + 0.5) / columns, box["y"] + ROW * (row + 1) + ROW / 2


def double_click(page: Page, x: float, y: float) -> None:
    """A person's double-click: each button press lasts a moment. (Playwright's own, with none, opens a
    cell's editor only the first time: the grid takes its second click for a click on an open editor.)"""
    page.mouse.dblclick(x, y, delay=60)


def settled(page: Page) -> None:
    """Wait until the rerun a change starts has finished: a grid redrawn by it closes a cell's editor
    opened meanwhile (the status widget shows only runs that take a while)."""
    page.wait_for_timeout(1_000)
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=60_000)


def test_the_attendance_grid_is_edited_as_its_hint_says_and_saved(fresh_server: Server, watched: Watched) -> None:
    page = watched.page
    page.set_viewport_size({"width": 1440, "height": 900})  # the screen the issue was found on
    page.goto(fresh_server.url)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    page.get_by_test_id("stSidebarNav").get_by_text("Record a meeting").click()
    expect(page.get_by_role("heading", level=1, name="Record a meeting")).to_be_visible(timeout=60_000)

    # A new meeting: the date is the team's next expected meeting, with the rule beside it.
    # (the demo's meetings are years old, so the team reads as overdue: the date is when the next was due)
    said = re.compile(
        r"^The team's (?:next expected meeting: (\d\d/\d\d/\d{4}), 2 weeks after its last one"
        r"|meetings are overdue: .* at its usual gap of 2 weeks the next was due (\d\d/\d\d/\d{4}))"
    )
    rule = page.get_by_text(said)
    expect(rule).to_be_visible()
    found = said.search(rule.inner_text())
    assert found is not None
    expected = re.search(r"(\d\d)/(\d\d)/(\d{4})", found[1] or found[2])
    assert expected is not None
    day, month, year = expected.groups()
    date = page.get_by_test_id("stMainBlockContainer").get_by_test_id("stDateInput").locator("input")
    expect(date).to_have_value(f"{year}-{month}-{day}")
    assert "team_view" not in page.url

    grid = page.get_by_test_id("stDataFrame").first
    expect(page.get_by_text(HINT)).to_be_visible()
    grid.scroll_into_view_if_needed()
    expect(cell(grid, ATTENDANCE, 0)).to_have_text("not expected")
    # Double-click a cell, choose, Enter keeps it.
    double_click(page, *middle_of(grid, ATTENDANCE, 0))
    page.keyboard.type("pres", delay=100)
    expect(page.get_by_role("option", name="present")).to_be_visible()  # its list, narrowed to the words typed
    page.keyboard.press("Enter")
    expect(cell(grid, ATTENDANCE, 0)).to_have_text("present")
    settled(page)
    double_click(page, *middle_of(grid, TOOK_PART, 0))
    page.keyboard.type("co-", delay=100)
    expect(page.get_by_role("option", name="co-leading")).to_be_visible()  # the level's words, not its code
    page.keyboard.press("Enter")
    expect(cell(grid, TOOK_PART, 0)).to_have_text("co-leading")  # words, for screen readers too
    settled(page)
    # Or click it once and start typing.
    page.mouse.click(*middle_of(grid, ATTENDANCE, 1))
    page.wait_for_timeout(300)
    page.keyboard.type("apol", delay=150)
    page.keyboard.press("Enter")
    expect(cell(grid, ATTENDANCE, 1)).to_have_text("apologies")
    settled(page)
    # Esc cancels.
    double_click(page, *middle_of(grid, ATTENDANCE, 2))
    page.keyboard.type("abs", delay=100)
    expect(page.get_by_role("option", name="absent")).to_be_visible()
    page.keyboard.press("Escape")
    settled(page)
    expect(cell(grid, ATTENDANCE, 2)).to_have_text("not expected")
    screenshot(page, "record-grid-edited")

    page.get_by_role("button", name="Save the meeting").click()
    expect(page.get_by_text("Saved. Every page now shows it")).to_be_visible(timeout=60_000)
    settled(page)
    # The new meeting opens as saved: its date fixed, the grid read back from the study.
    opened = dt.date(int(year), int(month), int(day))
    expect(page.get_by_role("combobox", name="Meeting")).to_have_value(f"{opened:%d %b %Y} (held)")
    grid = page.get_by_test_id("stDataFrame").first
    expect(cell(grid, ATTENDANCE, 0)).to_have_text("present")
    expect(cell(grid, TOOK_PART, 0)).to_have_text("co-leading")  # words, for screen readers too
    expect(cell(grid, ATTENDANCE, 1)).to_have_text("apologies")
    expect(cell(grid, ATTENDANCE, 2)).to_have_text("not expected")
    assert "team_view" not in page.url
    page.get_by_text("Saved. Every page now shows it").scroll_into_view_if_needed()
    screenshot(page, "record-grid-saved")
    assert_clean(watched)
