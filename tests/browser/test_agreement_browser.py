"""Coder agreement's passages in Chromium at 1440×900: the span agreement table and the passages
where the coders differ fit the page, and a chosen passage reads in its context, in bold.
Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import Server, open_tab, screenshot
from tests.browser.test_overview_browser import assert_clean
from tests.browser.test_tables_browser import Watched, choose_row, hidden_to_the_right, open_page, screen

__all__ = ["screen"]  # the 1440×900 window, a fixture


def test_the_passages_where_the_coders_differ_read_in_context(demo_server: Server, screen: Watched) -> None:
    page = screen.page
    open_page(page, demo_server, "Coder agreement")
    open_tab(page, "Coded passages")
    expect(page.get_by_role("heading", name="Span agreement")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stMetric")).to_have_count(0, timeout=30_000)  # the per-note tab's run is over
    tables = page.get_by_test_id("stDataFrame")
    expect(tables).to_have_count(2, timeout=30_000)  # per passage, the passages (the per-note tab is not drawn)
    spans, passages = tables.nth(0), tables.nth(1)
    assert hidden_to_the_right(spans) == 0
    assert hidden_to_the_right(passages) == 0
    page.get_by_role("heading", name="Span agreement").scroll_into_view_if_needed()
    screenshot(page, "agreement-passages-1440")
    choose_row(page, passages, 0, 76)
    chosen = page.locator(".st-key-agreement_passage")
    expect(chosen).to_be_visible(timeout=30_000)
    bold = chosen.locator("strong").last
    expect(bold).to_be_visible()
    expect(bold).to_have_text(re.compile(r"\S[\s\S]{5,}"))  # the passage itself, in bold within its context
    chosen.scroll_into_view_if_needed()
    screenshot(page, "agreement-passage-chosen-1440")
    assert_clean(screen)
