"""Searching the notes in a real browser, at the size a new user tried it (1440×900): the matches
show first, under the search, counted, with the searched words highlighted; no tab to open."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from observation.ui import views
from tests.browser.conftest import Server, Watched, screenshot
from tests.browser.test_overview_browser import assert_clean

PHRASE = "right person"


def test_a_search_shows_its_matches_first_with_the_words_highlighted(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(demo_server.url)  # the root first: a fresh tab's deep link can miss the server (see conftest)
    page.goto(f"{demo_server.url}/notes")
    expect(page.get_by_role("heading", level=1, name="Notes and themes")).to_be_visible(timeout=60_000)
    search = page.get_by_label("Words in the note")
    search.fill(PHRASE)
    search.press("Enter")

    heading = page.get_by_role("heading", name=re.compile(f"match(es)? \u201c{PHRASE}\u201d"))
    expect(heading).to_be_visible(timeout=60_000)
    expect(heading).to_be_in_viewport()  # on the first screen, without clicking a tab
    total = int(re.match(r"[\d,]+", heading.inner_text())[0].replace(",", ""))  # type: ignore[index]
    assert total > 0
    matching = page.get_by_role("tab", name="Matching excerpts")  # the matches are not hidden in a tab
    expect(matching).to_have_attribute("aria-selected", "false")
    results = page.locator(".st-key-notes_results")
    expect(results.get_by_test_id("stCaptionContainer").filter(has_text=" · codes: ").first).to_be_in_viewport()

    marks = results.locator(".stMarkdownColoredText")
    expect(marks.first).to_be_visible()
    found = {m.lower() for m in marks.all_inner_texts()}
    assert found == set(PHRASE.split())  # every word highlighted somewhere, and nothing else
    first = results.get_by_test_id("stMarkdownContainer").filter(has=page.locator(".stMarkdownColoredText")).first
    shown = {m.lower() for m in first.locator(".stMarkdownColoredText").all_inner_texts()}
    assert shown == set(PHRASE.split())  # a match has every word, each highlighted
    page.wait_for_load_state("networkidle")
    screenshot(page, "search-results")  # the first screen: the main area scrolls on its own
    tabs = page.get_by_role("tab", name="Codes by team")
    tabs.scroll_into_view_if_needed()
    expect(tabs).to_be_in_viewport()  # the charts follow the matches
    screenshot(page, "search-results-then-the-tabs")
    assert_clean(watched)


def test_many_matches_scroll_in_their_own_box_and_the_charts_stay_near(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(demo_server.url)
    page.goto(f"{demo_server.url}/notes?q=service+user")
    heading = page.get_by_role("heading", name=re.compile("notes and transcripts match \u201cservice user\u201d"))
    expect(heading).to_be_in_viewport(timeout=60_000)
    total = int(re.match(r"[\d,]+", heading.inner_text())[0].replace(",", ""))  # type: ignore[index]
    assert total > views.RESULTS_SCROLL
    box = page.locator(".st-key-notes_results").bounding_box()
    assert box is not None
    assert box["height"] <= views.RESULTS_HEIGHT + 2  # a box of its own that scrolls, not the page
    page.wait_for_load_state("networkidle")
    screenshot(page, "search-many-results")
    assert_clean(watched)
