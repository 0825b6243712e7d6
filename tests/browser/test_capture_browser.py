"""Capture a meeting on a touch screen of 1024 × 768 in Chromium: start today's meeting, tap who
arrives and what each person does, write a quick note; close the page and open its address again
(the meeting resumes, marks and timeline there); finish, confirm and save; the Record page then
shows the meeting's attendance. Every button's words fit it at that size."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from observation.demo import DemoSpec, build_demo
from tests.browser.conftest import ARTIFACTS, Server, Watched, screenshot, start_server
from tests.browser.test_overview_browser import assert_clean

WAIT = 60_000
README_SHOT = ARTIFACTS / "capture-readme.png"  # looked at, then copied to docs/capture.png by hand
TABLET = {"width": 1024, "height": 768}


@dataclass(frozen=True)
class Study:
    server: Server
    path: Path
    people: dict[str, int]
    """The team's people: code -> participant id."""


@pytest.fixture
def study(tmp_path: Path) -> Iterator[Study]:
    path = tmp_path / "study.duckdb"
    build_demo(path, DemoSpec(teams=1, months=2))
    with duckdb.connect(str(path), read_only=True) as con:  # before the server holds the file
        people = dict(con.execute("select code, id from participants where team_id = 1").fetchall())
    server = start_server(path, tmp_path / "streamlit.log")
    yield Study(server, path, {str(c): int(i) for c, i in people.items()})
    server.process.terminate()
    server.process.wait(timeout=30)


@pytest.fixture
def tablet(browser: Browser) -> Iterator[Watched]:
    """A touch screen of 1024 × 768, its console errors and failed requests collected."""
    context = browser.new_context(viewport=TABLET, has_touch=True)
    w = Watched(context.new_page())
    w.watch(w.page)
    context.on("page", w.watch)  # the page opened again, after the first is closed
    yield w
    context.close()


def settled(page: Page) -> None:
    """The run a tap started has finished (the status widget shows only runs that take a while)."""
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=WAIT)


def button(page: Page, key: str) -> Locator:
    return page.locator(f".st-key-{key} button")


def cut_labels(page: Page) -> list[str]:
    """The buttons of the page whose words do not fit them (cut off, or running past their edge)."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stMain"] button')]
            .filter(b => b.offsetParent !== null)
            .filter(b => [...b.querySelectorAll('p, span')].some(e => e.scrollWidth > e.clientWidth + 1)
                         || b.scrollWidth > b.clientWidth + 1)
            .map(b => b.innerText.trim())"""
    )
    return found


def test_a_meeting_is_captured_by_touch_resumed_and_saved(study: Study, tablet: Watched) -> None:
    page = tablet.page
    page.goto(study.server.url)
    page.get_by_test_id("stSidebarNav").get_by_text("Capture a meeting").tap()
    expect(page.get_by_role("heading", level=1, name="Capture a meeting")).to_be_visible(timeout=WAIT)
    observer = page.get_by_role("textbox", name="Observer")
    observer.fill("R01")
    observer.press("Enter")
    settled(page)
    button(page, "capture_start").tap()
    expect(page).to_have_url(re.compile(r"/capture\?meeting=\d+&observer=R01$"), timeout=WAIT)  # the link is R01's
    address = page.url

    # Arrivals: a tap marks someone here (the button fills), a second tap takes it back.
    here = ["CA1-01", "SU1-01", "SU1-02", "ST1-01"]
    for code in [*here, "ST1-02"]:
        button(page, f"capture_here_{study.people[code]}").tap()
        settled(page)
        expect(button(page, f"capture_here_{study.people[code]}")).to_have_attribute("kind", "primary")
    button(page, f"capture_here_{study.people['ST1-02']}").tap()
    settled(page)
    expect(button(page, f"capture_here_{study.people['ST1-02']}")).to_have_attribute("kind", "secondary")
    expect(page.get_by_text(f"({len(here)} of {len(study.people)})")).to_be_visible()

    # Contributions: one tap each, said on the line above the rows.
    taps = [("SU1-01", "raised_item"), ("SU1-01", "took_action"), ("CA1-01", "spoke"), ("ST1-01", "spoke"),
            ("SU1-02", "challenged"), ("CA1-01", "spoke")]  # fmt: skip
    for code, kind in taps:
        button(page, f"capture_{kind}_{study.people[code]}").tap()
        settled(page)
    expect(page.get_by_text(re.compile(r"CA1-01 spoke at minute \d+\."))).to_be_visible(timeout=WAIT)
    note = page.get_by_label("Quick note")
    note.tap()
    note.fill("SU1-01 asked for the waiting-list audit")
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"Note saved at minute \d+\."))).to_be_visible(timeout=WAIT)
    expect(note).to_have_value("")
    expect(page.get_by_text(f"({len(taps) + 1} entries)")).to_be_visible()
    assert cut_labels(page) == []  # every button's words fit it, beside the sidebar, at 1024 wide
    settled(page)
    page.get_by_text("Contributions", exact=True).scroll_into_view_if_needed()
    screenshot_viewport(page, "capture-1024x768")
    assert_clean(tablet)

    # Closed, and opened again at the same address: the meeting resumes where it was.
    page.close()
    page = tablet.page = page.context.new_page()
    page.goto(address)
    expect(page.get_by_text(f"({len(taps) + 1} entries)")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("textbox", name="Observer")).to_have_value("R01")  # the link's observer goes on
    for code in here:
        expect(button(page, f"capture_here_{study.people[code]}")).to_have_attribute("kind", "primary")
    expect(button(page, f"capture_here_{study.people['ST1-02']}")).to_have_attribute("kind", "secondary")
    readme_shot(page)

    # Finish, confirm and save: SU1-01 raised an item and took an action, so co-leading is suggested.
    button(page, "capture_finish").tap()
    expect(button(page, "capture_save")).to_be_visible(timeout=WAIT)
    expect(
        page.get_by_text("Suggested for SU1-01: co-leading — raised an agenda item and took an action")
    ).to_be_visible()
    absent_with_apologies = page.locator(
        f".st-key-capture_review_{meeting_of(address)}_{study.people['SU1-03']}_status"
    )
    absent_with_apologies.get_by_text("apologies", exact=True).tap()  # sent apologies, as the chair says
    settled(page)
    assert cut_labels(page) == []
    screenshot(page, "capture-review")
    button(page, "capture_save").tap()
    expect(page.get_by_text("Saved as the meeting's record")).to_be_visible(timeout=WAIT)
    assert_clean(tablet)

    # The Record page shows the meeting's attendance and levels.
    button(page, "capture_open_record").tap()
    expect(page.get_by_role("heading", level=1, name="Record a meeting")).to_be_visible(timeout=WAIT)
    grid = page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    shown = roster_of(page, grid, len(study.people))
    assert shown["SU1-01"] == ("present", "co-leading")
    assert shown["CA1-01"] == ("present", "contributing")
    assert shown["ST1-01"] == ("present", "contributing")
    assert shown["SU1-02"] == ("present", "contributing")
    assert shown["SU1-03"] == ("apologies", "")
    assert shown["ST1-02"] == ("not expected", "")  # tapped in, then out: never marked absent
    screenshot(page, "capture-on-the-record-page")
    assert_clean(tablet)


def meeting_of(address: str) -> int:
    found = re.search(r"meeting=(\d+)", address)
    assert found is not None
    return int(found[1])


def roster_of(page: Page, grid: Locator, rows: int) -> dict[str, tuple[str, str]]:
    """The Record page's attendance grid, as it gives its cells to screen readers: code -> (attendance,
    took part). The grid draws only the rows in view, so it is scrolled until every row was read."""
    expect(grid.get_by_test_id("glide-cell-0-0")).not_to_have_text("", timeout=WAIT)
    seen: dict[str, tuple[str, str]] = {}
    for _ in range(rows):
        for r in range(rows):
            cell = grid.get_by_test_id(f"glide-cell-0-{r}")
            if cell.count():
                seen[cell.inner_text().strip()] = (
                    grid.get_by_test_id(f"glide-cell-2-{r}").inner_text().strip(),
                    grid.get_by_test_id(f"glide-cell-3-{r}").inner_text().strip(),
                )
        if len(seen) == rows:
            break
        grid.hover()
        page.mouse.wheel(0, 200)
        page.wait_for_timeout(300)
    return seen


def screenshot_viewport(page: Page, name: str) -> Path:
    """What the observer sees on the tablet's screen, as it is (not the whole page)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def readme_shot(page: Page) -> None:
    """The whole capture screen, for the README: the page drawn at 1024 wide, tall enough to hold it."""
    page.set_viewport_size({"width": TABLET["width"], "height": 1820})
    settled(page)
    page.get_by_role("heading", level=1, name="Capture a meeting").scroll_into_view_if_needed()
    page.mouse.move(5, 5)  # off the timeline: no toolbar over it
    page.wait_for_timeout(300)
    page.screenshot(path=str(README_SHOT))
    page.set_viewport_size(TABLET)
    settled(page)
