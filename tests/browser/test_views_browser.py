"""The four views in a real browser: each renders cleanly from a copied link, and a real click on a
chart opens the rows behind it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from observation import db
from observation.demo import build_demo
from tests.browser.conftest import Server, Watched, hover_until, screenshot, start_server
from tests.browser.test_overview_browser import assert_clean

PAGES = {
    "presence": "Presence and absence",
    "attendance": "Attendance over time",
    "recruitment": "Recruitment tensions",
    "notes": "Notes and themes",
    "agreement": "Coder agreement",
}


@pytest.mark.parametrize("path", list(PAGES))
def test_each_view_renders_from_a_copied_link(demo_server: Server, watched: Watched, path: str) -> None:
    page = watched.page
    page.goto(f"{demo_server.url}/{path}?setting=community")
    expect(page.get_by_role("heading", level=1, name=PAGES[path])).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Synthetic demo data").first).to_be_visible()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Overview")).to_be_visible()  # the app's navigation, not the file names
    page.wait_for_load_state("networkidle")
    screenshot(page, f"view-{path}")
    assert_clean(watched)


def tallest(marks: Locator) -> Locator:
    """The tallest of some bars (a bar of height 0 cannot be clicked)."""
    heights: list[float] = marks.evaluate_all("els => els.map(e => e.getBBox().height)")
    return marks.nth(max(range(len(heights)), key=heights.__getitem__))


def click_mark(page: Page, mark: Locator) -> None:
    """Click the middle of a chart mark the way a person does (Plotly's drag layer sits on top)."""
    mark.scroll_into_view_if_needed()
    box = mark.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_clicking_a_meeting_opens_its_notes(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{demo_server.url}/presence")
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart).to_be_visible(timeout=60_000)
    bars = chart.locator("g.trace.bars path")  # a bar: the share of service users at one meeting
    expect(bars.first).to_be_attached()
    click_mark(page, tallest(bars))
    expect(page.get_by_role("heading", level=4)).to_contain_text(" — ", timeout=30_000)
    expect(page.get_by_test_id("stText").first).to_be_visible()  # its notes, as plain text
    expect(page).to_have_url(re.compile(r"[?&]meeting=[0-9]+"))
    screenshot(page, "view-presence-meeting")
    assert_clean(watched)


def test_clicking_a_code_by_team_cell_opens_its_notes(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{demo_server.url}/notes")
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Click a cell to read its notes.")).to_be_visible()
    grid = chart.locator(".nsewdrag").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    # the right-hand column is the inpatient ward; a cell low in the grid is a recruitment tension
    page.mouse.click(box["x"] + box["width"] * 5 / 6, box["y"] + box["height"] * 0.75)
    expect(page.get_by_text("Click a cell to read its notes.")).to_have_count(0, timeout=30_000)
    panel = page.get_by_role("tabpanel").first
    expect(panel.get_by_test_id("stText").first).to_be_visible()
    expect(panel.get_by_text("Willow mental-health inpatient ward").first).to_be_visible()
    screenshot(page, "view-notes-cell")
    assert_clean(watched)


def test_clicking_a_funnel_bar_lists_the_people_and_reasons(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{demo_server.url}/recruitment")
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart).to_be_visible(timeout=60_000)
    bars = chart.locator("g.trace.bars path")
    expect(bars.first).to_be_attached()
    click_mark(page, tallest(bars))
    expect(page.get_by_text("the people and reasons behind the bar")).to_be_visible(timeout=30_000)
    assert_clean(watched)


def test_the_matching_excerpts_download_as_csv_when_asked(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(demo_server.url)  # the root first: a fresh tab's deep link can miss the server (see conftest)
    page.goto(f"{demo_server.url}/notes?q=unwell")
    button = page.get_by_test_id("stDownloadButton").filter(has_text="excerpts (CSV")
    expect(button).to_be_visible(timeout=60_000)
    total = int(re.search(r"these ([\d,]+) excerpts", button.inner_text())[1].replace(",", ""))  # type: ignore[index]
    with page.expect_download(timeout=60_000) as download:
        button.click()
    assert download.value.suggested_filename == "excerpts.csv"
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert total > 0
    assert len(rows) == total
    assert all("unwell" in row["body"].lower() for row in rows)
    assert_clean(watched)


def test_a_point_over_time_opens_the_documents_of_its_own_source(demo_server: Server, watched: Watched) -> None:
    # With both sources, notes and transcripts are drawn in panels of their own: a point in the
    # transcripts' panel opens transcripts alone, never the notes of that month
    page = watched.page
    page.goto(f"{demo_server.url}/notes")
    expect(page.get_by_role("heading", level=1, name="Notes and themes")).to_be_visible(timeout=60_000)
    page.get_by_role("tab", name="Codes together").click()
    together = page.get_by_test_id("stPlotlyChart").filter(visible=True)
    expect(together.get_by_text("hover for how many of each")).to_be_visible(timeout=30_000)
    screenshot(page, "view-notes-together")
    page.get_by_role("tab", name="Over time").click()
    chart = page.get_by_test_id("stPlotlyChart").filter(visible=True)
    expect(chart.get_by_text("Interview transcripts per month", exact=True)).to_be_visible(timeout=30_000)
    screenshot(page, "view-notes-over-time")
    points = chart.locator("g.subplot.x2y2 path.point")  # the lower panel: interview transcripts
    expect(points.first).to_be_attached()
    highest: list[float] = points.evaluate_all("els => els.map(e => e.getBoundingClientRect().top)")
    click_mark(page, points.nth(min(range(len(highest)), key=highest.__getitem__)))
    hint = "Click a point to read the notes or the interview transcripts it counts."
    expect(page.get_by_text(hint)).to_have_count(0, timeout=30_000)
    shown = page.get_by_role("tabpanel").filter(visible=True)
    captions = shown.get_by_test_id("stCaptionContainer").filter(has_text=" · codes: ")
    expect(captions.first).to_be_visible()
    expect(captions.filter(has_text="Interview, ").first).to_be_visible()
    expect(captions.filter(has_text=" · Note ")).to_have_count(0)
    screenshot(page, "view-notes-over-time-point")
    assert_clean(watched)


# --- study text shown as text ----------------------------------------------------------------------

LINK_LABEL = '<a href="https://example.org">click</a>'
NOTE_WITH_LINKS = "See https://example.org and [link](https://example.org) or www.example.org, ask me@example.org"


@pytest.fixture(scope="module")
def marked_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, int]]:
    """A demo study whose first team's dated event is labelled with a link in HTML and one of whose
    meetings has a note with a bare address and a Markdown link; the server, and that meeting."""
    folder = tmp_path_factory.mktemp("browser-markup")
    path = folder / "markup.duckdb"
    build_demo(path)
    con = db.connect(path)
    with db.transaction(con) as cur:
        (event,) = cur.execute("select min(id) from annotations where team_id = 1").fetchone() or (None,)
        cur.execute("update annotations set label = ? where id = ?", [LINK_LABEL, event])
        (meeting,) = cur.execute(
            "select min(m.id) from meetings as m join field_notes as n on n.meeting_id = m.id where m.team_id = 1"
        ).fetchone() or (None,)
        (last,) = cur.execute("select max(position) from field_notes where meeting_id = ?", [meeting]).fetchone() or (
            0,
        )
        cur.execute(
            "insert into field_notes (meeting_id, position, author, body) values (?, ?, 'OBS1', ?)",
            [meeting, last + 1, NOTE_WITH_LINKS],
        )
    con.close()
    server = start_server(path, folder / "streamlit.log")
    yield server, int(meeting)
    server.process.terminate()
    server.process.wait(timeout=30)


def links_to(page: Page, where: str) -> list[str]:
    """Every link (HTML ``href`` or SVG ``xlink:href``, as Plotly draws one) whose address holds ``where``."""
    found: list[str] = page.evaluate(
        """where => [...document.querySelectorAll('a')]
            .filter(a => [a.getAttribute('href'), a.getAttribute('xlink:href'),
                          a.getAttributeNS('http://www.w3.org/1999/xlink', 'href')]
                .some(h => (h || '').includes(where)))
            .map(a => a.outerHTML)""",
        where,
    )
    return found


def test_an_event_labelled_in_html_is_drawn_as_text_not_a_link(marked_up: tuple[Server, int], watched: Watched) -> None:
    server, _ = marked_up
    page = watched.page
    page.goto(server.url)
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart).to_be_visible(timeout=60_000)
    expect(chart.locator("g.annotation").first).to_be_attached(timeout=30_000)  # the events are drawn
    page.wait_for_load_state("networkidle")
    assert links_to(page, "example.org") == []
    assert chart.locator("a").count() == 0
    # the label, as typed, from its start: in a crowded panel it may be cut short ("…")
    label = chart.locator("g.annotation text").filter(has_text='<a href="https://')
    expect(label).to_have_count(1)
    shown = label.text_content() or ""
    assert LINK_LABEL.startswith(shown.removesuffix("…")), shown
    assert len(shown.removesuffix("…")) >= 15, shown  # most of it, not "<a…"
    # whole, as text, on hover, with its date
    hover = chart.locator(".hoverlayer")
    hover_until(page, label, hover, f"{LINK_LABEL} (")
    assert links_to(page, "example.org") == []
    assert chart.locator("a").count() == 0
    screenshot(page, "view-markup-event")
    assert_clean(watched)


def test_a_note_with_addresses_shows_them_as_text(marked_up: tuple[Server, int], watched: Watched) -> None:
    server, meeting = marked_up
    page = watched.page
    page.goto(server.url)  # the root first: a fresh tab's deep link can miss the server (see conftest)
    page.goto(f"{server.url}/presence?meeting={meeting}")
    note = page.get_by_test_id("stText").filter(has_text="See https://example.org")
    expect(note).to_be_visible(timeout=60_000)
    expect(note).to_have_text(NOTE_WITH_LINKS)
    page.wait_for_load_state("networkidle")
    assert links_to(page, "example.org") == []
    assert note.locator("a").count() == 0
    # what a researcher copies is the note as typed: no zero-width space hidden in an address
    copied = note.inner_text()
    assert copied == NOTE_WITH_LINKS
    assert "\u200b" not in copied
    typeface = "e => getComputedStyle(e).fontFamily"  # the captions' (and the page's), not a monospace one
    assert note.evaluate(typeface) == page.get_by_test_id("stCaptionContainer").first.evaluate(typeface)
    note.scroll_into_view_if_needed()
    screenshot(page, "view-markup-note")
    assert_clean(watched)
