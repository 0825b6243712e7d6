"""The sidebar's navigation and the address bar in a real browser, at 1440 × 900: every page one
click away under four headings, one browser-history entry per page change and Back to the page
before with its filter, dates typed and applied on Enter, a presenter's link to a page outside
presenter mode, and every page opened at its own address without a console error."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from observation import access
from tests.browser.conftest import Server, Watched, choose, screenshot
from tests.browser.test_access_browser import TITLES, address
from tests.browser.test_overview_browser import assert_clean

SCREEN = {"width": 1440, "height": 900}
PAGE_TITLES = {**TITLES, "coding": "Code notes and transcripts"}
"""Each page's title (test_access_browser's TITLES, and the Coding page's until it is named there too)."""
SECTIONS = {
    "Explore": ["Overview", "Presence and absence", "Attendance over time", "Recruitment tensions",
                "Notes and themes", "Coder agreement", "Team profile"],
    "Record": ["Capture a meeting", "Record a meeting", "Code notes and transcripts", "Study setup"],
    "Data": ["Import", "Export"],
    "Admin": ["Audit trail", "Access"],
}  # fmt: skip


@pytest.fixture
def screen(browser: Browser) -> Page:
    context = browser.new_context(viewport=SCREEN)
    return context.new_page()


def settled(page: Page) -> None:
    """Streamlit has finished the run under way (call it once something shows the run began), so
    the address is final and the page drawn."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=60_000)
    page.wait_for_load_state("networkidle")


def history_length(page: Page) -> int:
    return int(page.evaluate("history.length"))


def go_to(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible(timeout=60_000)
    settled(page)


def test_every_page_is_one_click_away_under_four_headings(screen: Page, demo_server: Server) -> None:
    page = screen
    page.goto(demo_server.url)
    expect(page.get_by_role("heading", level=1, name="Overview")).to_be_visible(timeout=60_000)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_test_id("stSidebarNavViewButton")).to_have_count(0)  # no "View 3 more"
    headers = nav.get_by_test_id("stNavSectionHeader")
    expect(headers.get_by_test_id("stMarkdownContainer")).to_have_text(list(SECTIONS))  # not the icons' names
    expect(nav.get_by_test_id("stSidebarNavLink")).to_have_count(sum(map(len, SECTIONS.values())))
    for heading, titles in SECTIONS.items():
        # a section is its header and the links after it, up to the next header
        group = headers.filter(has_text=heading).locator("xpath=..")
        expect(group.get_by_test_id("stSidebarNavLink").get_by_test_id("stMarkdownContainer")).to_have_text(titles)
        for title in titles:
            expect(group.get_by_role("link", name=title)).to_be_visible()
    settled(page)
    screenshot(page, "navigation-sidebar")


def test_one_page_change_is_one_history_entry_and_back_returns_with_the_filter(
    screen: Page, demo_server: Server
) -> None:
    page = screen
    page.goto(f"{demo_server.url}/presence")
    expect(page.get_by_role("heading", level=1, name="Presence and absence")).to_be_visible(timeout=60_000)
    settled(page)  # a run still drawing the sidebar would close the list just opened
    choose(page, "Setting", "Community")
    expect(page).to_have_url(re.compile(r"/presence\?setting=community$"), timeout=60_000)
    typed = page.get_by_role("textbox", name="From")
    typed.fill("01/10/2019")
    typed.press("Enter")
    expect(page).to_have_url(re.compile(r"/presence\?setting=community&from=2019-10-01$"), timeout=60_000)
    settled(page)
    filtered = "setting=community&from=2019-10-01"
    start = history_length(page)
    for step, title in enumerate(["Overview", "Attendance over time", "Team profile", "Recruitment tensions"], 1):
        go_to(page, title)
        expect(page).to_have_url(re.compile(rf"\?{filtered}$"))  # the filter came along
        assert history_length(page) == start + step, f"{title}: one click, one entry"
    for title in ["Team profile", "Attendance over time", "Overview", "Presence and absence"]:
        page.go_back()
        expect(page.get_by_role("heading", level=1, name=title)).to_be_visible(timeout=60_000)
        expect(page).to_have_url(re.compile(rf"\?{filtered}$"))
        expect(page.get_by_role("combobox", name="Setting")).to_have_value("Community")
        expect(page.get_by_role("textbox", name="From")).to_have_value("01/10/2019")
        settled(page)
    # Back once more: the entry from before the dates were typed, and the page shows that filter.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/presence\?setting=community$"), timeout=60_000)
    expect(page.get_by_role("textbox", name="From")).to_have_value("02/07/2019", timeout=60_000)


def test_typed_dates_apply_on_enter(screen: Page, demo_server: Server) -> None:
    page = screen
    page.goto(f"{demo_server.url}/presence")
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart).to_contain_text("2019", timeout=60_000)  # the study starts in July 2019
    start, end = page.get_by_role("textbox", name="From"), page.get_by_role("textbox", name="To")
    expect(start).to_have_value("02/07/2019")
    start.fill("1/2/2020")
    start.press("Enter")  # and nothing else: no click elsewhere
    expect(chart).not_to_contain_text("2019", timeout=60_000)
    expect(start).to_have_value("01/02/2020")
    expect(start).to_be_focused()
    end.fill("20/02/2020")
    end.press("Enter")
    expect(page).to_have_url(re.compile(r"from=2020-02-01&to=2020-02-20"), timeout=60_000)
    settled(page)
    screenshot(page, "navigation-typed-dates")
    end.fill("31/02/2020")  # no such day: nothing changes, and the sidebar says why
    end.press("Enter")
    expect(page.get_by_text("Could not read '31/02/2020' as a date")).to_be_visible(timeout=60_000)
    expect(end).to_have_value("20/02/2020")


def test_a_presenter_link_to_a_page_outside_presenter_mode_says_so(watched: Watched, demo_server: Server) -> None:
    page = watched.page
    page.goto(f"{demo_server.url}/audit?mode=present")
    expect(page.get_by_text("This page is not part of presenter mode.")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    nav = page.get_by_test_id("stSidebarNav")
    listed = nav.get_by_test_id("stSidebarNavLink").get_by_test_id("stMarkdownContainer")
    expect(listed).to_have_text(["Overview", "Team profile"])  # presenter mode lists only its pages
    settled(page)
    screenshot(page, "navigation-presenter-audit")
    assert_clean(watched)


@pytest.mark.parametrize("name", list(access.PAGES))
def test_each_page_opened_at_its_address_logs_no_console_error(
    watched: Watched, demo_server: Server, name: str
) -> None:
    page = watched.page
    page.goto(f"{demo_server.url}/{address(name)}")
    expect(page.get_by_role("heading", level=1, name=PAGE_TITLES[name])).to_be_visible(timeout=60_000)
    settled(page)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=60_000)
    assert_clean(watched)


def test_a_fresh_servers_first_link_opens_as_the_app_does(screen: Page, fresh_server: Server) -> None:
    # A fresh server's first deep link ran the page without app.py (Streamlit's old multipage mode
    # for a pages/ folder): the sidebar listed the pages' file names ("app", "access", "agreement"…)
    # and the page had neither the app's title nor its wide layout
    page = screen
    page.goto(f"{fresh_server.url}/presence?tab=run-and-spc-charts")
    expect(page.get_by_role("heading", level=1, name="Presence and absence")).to_be_visible(timeout=60_000)
    settled(page)
    nav = page.get_by_test_id("stSidebarNav")
    links = [str(text).splitlines()[-1].strip() for text in nav.get_by_role("link").all_inner_texts()]
    assert links == [title for titles in SECTIONS.values() for title in titles]  # the app's, not "app", "access"…
    expect(page).to_have_title("Microsystem involvement")  # app.py's page settings
    expect(page.get_by_role("tab", name="Run and SPC charts", exact=True)).to_have_attribute("aria-selected", "true")
    box = page.get_by_test_id("stMainBlockContainer").bounding_box()
    assert box is not None
    assert box["width"] > 900  # the wide layout (the narrow one is 736 px)
    assert len(page.get_by_role("heading", level=1).all()) == 1  # the page drawn once
    screenshot(page, "navigation-fresh-server-first-link")
