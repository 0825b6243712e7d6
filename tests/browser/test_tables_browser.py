"""Tables in Chromium at 1440×900, the new user's screen (issue 22): the Overview's By-team table
fits the page with every column shown (its right columns were cut, "Servi…"); Coder agreement's
notes wrap, and a chosen row shows its note in full; the Audit trail tells its entries in words,
a chosen one in full. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from observation.demo import build_demo
from tests.app.test_words_not_codes import RAW, make_busy
from tests.browser.conftest import ARTIFACTS, Server, Watched, screenshot, start_server
from tests.browser.test_overview_browser import assert_clean

SCREEN = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo after a month of use (an import, a saved meeting, edits, deletions, access), so the
    Audit trail has every kind of entry."""
    folder = tmp_path_factory.mktemp("busy-browser")
    build_demo(folder / "demo.duckdb")
    make_busy(folder / "demo.duckdb", folder)
    server = start_server(folder / "demo.duckdb", folder / "streamlit.log")
    yield server
    server.process.terminate()
    server.process.wait(timeout=30)


@pytest.fixture
def screen(browser: Browser) -> Iterator[Watched]:
    """A 1440×900 window whose console errors and failed requests are collected."""
    context = browser.new_context(viewport=SCREEN)
    page = context.new_page()
    w = Watched(page)
    page.on("console", lambda m: w.console.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: w.console.append(f"page error: {exc}"))
    page.on("response", lambda r: w.failed.append(r.url) if r.status >= 400 else None)
    yield w
    context.close()


def open_page(page: Page, server: Server, title: str | None = None) -> None:
    """The Overview, then (by the sidebar, as a user goes) the page called ``title``."""
    page.goto(server.url)
    expect(page.get_by_role("heading", level=1, name="Overview")).to_be_visible(timeout=60_000)
    if title is not None:
        nav = page.get_by_test_id("stSidebarNav")
        if not nav.get_by_text(title).is_visible():
            nav.get_by_text("View").click()
        nav.get_by_text(title).click()
        expect(page.get_by_role("heading", level=1, name=title)).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=60_000)
    page.wait_for_load_state("networkidle")


def hidden_to_the_right(table: Locator) -> int:
    """How many pixels of the table lie beyond its right edge (to scroll to): 0 when it fits."""
    table.scroll_into_view_if_needed()
    return int(
        table.evaluate(
            """t => {
                const s = t.querySelector('.dvn-scroller');
                return s ? s.scrollWidth - s.clientWidth : -1;
            }"""
        )
    )


def choose_row(page: Page, table: Locator, row: int, row_height: int) -> None:
    """Tick a row's box in the selection column at the table's left."""
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 18, box["y"] + 36 + row_height * row + row_height / 2)


def test_the_overview_team_table_fits_with_every_column(demo_server: Server, screen: Watched) -> None:
    page = screen.page
    open_page(page, demo_server)
    table = page.get_by_test_id("stDataFrame").first
    assert hidden_to_the_right(table) == 0  # every column in view, none cut at the right edge
    box, main = table.bounding_box(), page.get_by_test_id("stMainBlockContainer").bounding_box()
    assert box is not None
    assert main is not None
    assert box["x"] + box["width"] <= main["x"] + main["width"] + 1
    page.get_by_role("heading", name="By team").scroll_into_view_if_needed()
    screenshot(page, "tables-overview-by-team-1440")
    table.screenshot(path=str(ARTIFACTS / "tables-overview-by-team-table.png"))
    assert_clean(screen)


def test_a_disagreement_note_wraps_and_reads_in_full_when_chosen(demo_server: Server, screen: Watched) -> None:
    page = screen.page
    open_page(page, demo_server, "Coder agreement")
    codes, notes = page.get_by_test_id("stDataFrame").nth(0), page.get_by_test_id("stDataFrame").nth(1)
    assert hidden_to_the_right(codes) == 0
    assert hidden_to_the_right(notes) == 0
    choose_row(page, notes, 0, 76)
    chosen = page.locator(".st-key-agreement_note")
    expect(chosen).to_be_visible(timeout=30_000)
    expect(chosen).to_have_text(re.compile(r"\S[\s\S]{40,}"))  # the note itself, not a cut cell (waits while it draws)
    page.get_by_role("heading", name="Where they disagree").scroll_into_view_if_needed()
    screenshot(page, "tables-agreement-1440")
    assert_clean(screen)


def test_the_audit_trail_reads_in_words_and_a_chosen_entry_in_full(busy_server: Server, screen: Watched) -> None:
    page = screen.page
    open_page(page, busy_server, "Audit trail")
    table = page.get_by_test_id("stDataFrame").first
    assert hidden_to_the_right(table) == 0
    screenshot(page, "tables-audit-1440")
    choose_row(page, table, 0, 68)
    entry = page.locator(".st-key-audit_entry")
    expect(entry).to_be_visible(timeout=30_000)
    expect(entry).to_contain_text("Refused: teams (not allowed for a coach)")  # the newest entry, in full
    text = page.get_by_test_id("stMain").inner_text()
    assert not RAW.search(text), RAW.search(text)
    expect(page.get_by_role("button", name="Download these entries as stored (CSV)")).to_be_visible()
    screenshot(page, "tables-audit-chosen-1440")
    assert_clean(screen)
