"""Charts a newcomer can read, in a real browser at 1440 × 900 (issue 22): absence is drawn on the
Presence page, event labels sit level above the data, and no two tension lines look alike."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from observation import db, ui
from observation.demo import build_demo
from tests.browser.conftest import ARTIFACTS, Server, Watched, open_tab, screenshot
from tests.browser.test_overview_browser import assert_clean
from tests.unit.test_view_charts import held_without_lived_experience

ABSENCE = "No service user or carer present"
VERMILLION = "stroke: rgb(213, 94, 0)"  # the absence marker's outline (view_charts.ABSENCE_COLOUR)


def open_at_laptop_size(page: Page, server: Server, title: str) -> None:
    """The page named ``title`` in a 1440 × 900 window, opened from the app's navigation as a person
    opens it (a fresh server's first deep link runs the page without the app's wide layout)."""
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(server.url)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Overview")).to_be_visible(timeout=60_000)
    if title != "Overview":
        nav.get_by_text(title).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible(timeout=60_000)


def keep(page: Page, chart: Locator, name: str) -> None:
    """A picture of one chart, whole: the window grows to hold it for the picture (a page's own
    screenshot holds only what fits the window, Streamlit scrolling inside it)."""
    box = chart.bounding_box()
    assert box is not None
    page.set_viewport_size({"width": 1440, "height": max(900, int(box["height"]) + 300)})
    chart.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chart.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size({"width": 1440, "height": 900})


def point_at(page: Page, mark: Locator) -> None:
    """Rest the mouse on a chart mark as a person does (Plotly's drag layer sits on top of it)."""
    mark.scroll_into_view_if_needed()
    box = mark.bounding_box()
    assert box is not None
    # a little above its middle: a mark on the baseline is half over the x axis, which shows no hover
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 4)


def test_held_meetings_without_lived_experience_are_marked_on_the_presence_page(
    demo_server: Server, watched: Watched, tmp_path: Path
) -> None:
    page = watched.page
    open_at_laptop_size(page, demo_server, "Presence and absence")
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart.locator("text.legendtext", has_text=ABSENCE)).to_be_visible(timeout=60_000)
    # the demo is built the same every time: count its meetings with no service user or carer
    # from the attendance rows of a copy (the server keeps its own file locked)
    build_demo(tmp_path / "demo.duckdb")
    with db.connect(tmp_path / "demo.duckdb", read_only=True) as con:
        expected = held_without_lived_experience(con)
    marks = chart.locator(f"g.trace.scatter path.point[style*='{VERMILLION}']")
    expect(marks).to_have_count(sum(len(ids) for ids in expected.values()))
    assert all("fill: none" in (style or "") for style in marks.evaluate_all("els => els.map(e => e.style.cssText)"))
    legend, figure = chart.locator("g.legend").bounding_box(), chart.locator("svg.main-svg").first.bounding_box()
    assert legend is not None
    assert figure is not None
    assert legend["y"] + legend["height"] <= figure["y"] + figure["height"]  # the legend is not cut off
    point_at(page, marks.first)
    expect(chart.locator(".hoverlayer")).to_contain_text("no service user or carer present")
    page.wait_for_load_state("networkidle")
    screenshot(page, "charts-presence")
    keep(page, chart, "charts-presence-chart")
    assert_clean(watched)


def boxes(elements: Locator) -> list[dict[str, Any]]:
    """Where ``elements`` are on the screen, once they have stopped moving: a chart still being laid
    out (a fresh server's first page is drawn again in the app's wide layout) moves them."""
    found, before = _boxes(elements), None
    for _ in range(20):
        if found == before:
            break
        time.sleep(0.3)
        found, before = _boxes(elements), found
    return found


def _boxes(elements: Locator) -> list[dict[str, Any]]:
    return elements.evaluate_all(
        "els => els.map(e => { const b = e.getBoundingClientRect();"
        " return {left: b.left, right: b.right, top: b.top, bottom: b.bottom, text: e.textContent,"
        " size: parseFloat(getComputedStyle(e).fontSize), turned: (e.getAttribute('transform') || '')"
        ".includes('rotate')}; })"
    )


APART = 16
"""px at least between the labels of neighbouring panels, so that they never read as one line."""


def test_event_labels_are_level_readable_and_above_the_data(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    open_at_laptop_size(page, demo_server, "Overview")
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart.get_by_text("QI training for service users")).to_be_visible(timeout=60_000)
    plots = boxes(chart.locator("rect.nsewdrag"))
    labels = [b for b in boxes(chart.locator("g.annotation text")) if b["size"] < 16]  # panel titles are 16 px
    assert len(labels) == 6  # Birch: 1, Oak: 3, Willow: 2 (the study-wide event on every panel)
    for label in labels:
        assert label["size"] >= 12
        assert not label["turned"]
        assert label["right"] - label["left"] > 2 * (label["bottom"] - label["top"]), label  # level, not upright
        assert label["bottom"] <= min(p["top"] for p in plots), f"{label['text']} covers the plot"
        # over its own panel: none reaches into the gap, where it met the next panel's label
        middle = (label["left"] + label["right"]) / 2
        (own,) = [p for p in plots if p["left"] <= middle <= p["right"]]
        label["panel"] = plots.index(own)
        assert own["left"] <= label["left"], f"{label['text']} leaves its panel"
        assert label["right"] <= own["right"], f"{label['text']} leaves its panel"
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            one_row = a["top"] < b["bottom"] and b["top"] < a["bottom"]
            if a["panel"] != b["panel"] and one_row:  # "Winter pressures across the trust Home microsystem…"
                apart = max(b["left"] - a["right"], a["left"] - b["right"])
                assert apart >= APART, (a["text"], b["text"], apart)
            apart = (
                a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] or b["bottom"] <= a["top"]
            )
            assert apart, (a["text"], b["text"])
    # the whole text and the date on hover, of a whole label and of one cut to keep clear
    chart.get_by_text("QI training for service users").hover(force=True)
    expect(chart.locator(".hoverlayer")).to_contain_text("QI training for service users (01 Jan 2020)")
    for label in labels:
        if label["text"].endswith("…"):
            chart.locator("g.annotation text").filter(has_text=label["text"]).first.hover(force=True)
            expect(chart.locator(".hoverlayer")).to_contain_text(label["text"].removesuffix("…"))
            expect(chart.locator(".hoverlayer")).to_contain_text(" 20")  # the whole label, and its date
    page.mouse.move(0, 0)  # the picture without a hover over the labels
    expect(chart.locator(".hoverlayer .hovertext")).to_have_count(0)
    keep(page, chart, "charts-event-labels")
    assert_clean(watched)


def test_a_team_with_one_meeting_in_the_dates_is_drawn_over_weeks_ticked_by_day(
    demo_server: Server, watched: Watched
) -> None:
    # From 01/02/2020 to 20/02/2020 each team has one meeting: Plotly zoomed in to a millisecond
    # either side of it, ticked the axis "23:59:59.9996" and drew its bar a millisecond wide
    page = watched.page
    open_at_laptop_size(page, demo_server, "Overview")
    page.goto(f"{demo_server.url}/presence?from=2020-02-01&to=2020-02-20")
    expect(page.get_by_role("heading", level=1, name="Presence and absence")).to_be_visible(timeout=60_000)
    chart = page.get_by_test_id("stPlotlyChart").first
    ticks = chart.locator("g.xaxislayer-above g.xtick text")
    expect(ticks.first).to_be_visible(timeout=60_000)
    words = ticks.all_text_contents()
    assert words
    assert not [w for w in words if ":" in w or "." in w], words  # no times of day, no fractions of a second
    assert any("Feb" in w for w in words), words
    bars = chart.locator("g.trace.bars path")
    expect(bars.first).to_be_attached()
    widths: list[float] = bars.evaluate_all("els => els.map(e => e.getBBox().width)")
    assert min(widths) >= 10, widths  # a bar to see and to click
    page.wait_for_load_state("networkidle")
    keep(page, chart, "charts-one-meeting")
    assert_clean(watched)


def test_no_two_tension_lines_look_alike(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    open_at_laptop_size(page, demo_server, "Recruitment tensions")
    chart = page.get_by_test_id("stPlotlyChart").filter(has_text="Recruitment tensions in the field notes")
    expect(chart).to_be_visible(timeout=60_000)
    lines = chart.locator("g.trace.scatter path.js-line")
    expect(lines).to_have_count(3)
    looks = lines.evaluate_all("els => els.map(e => [e.style.stroke, e.style.strokeDasharray || 'solid'])")
    assert len({tuple(look) for look in looks}) == 3, looks  # Birch and Oak were drawn alike
    keep(page, chart, "charts-tensions")
    assert_clean(watched)


TICKS_APART = 8
"""px at least between the tick labels of neighbouring panels (and of one panel)."""


def panel_ticks(chart: Locator) -> list[list[dict[str, Any]]]:
    """Each panel's drawn x tick labels, left to right (Plotly names them g.xtick, g.x2tick…)."""
    return chart.locator("g.cartesianlayer > g.subplot").evaluate_all(
        "els => els.map(s => [...s.querySelectorAll('g.xaxislayer-above text')].map(t => {"
        " const b = t.getBoundingClientRect(); return {left: b.left, right: b.right, top: b.top,"
        " bottom: b.bottom, text: t.textContent}; }))"
    )


def assert_ticks_apart(chart: Locator) -> None:
    panels = panel_ticks(chart)
    assert all(panels), panels  # every panel is ticked
    labels = [label for panel in panels for label in panel]
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            if a["top"] < b["bottom"] and b["top"] < a["bottom"]:  # one row
                apart = max(b["left"] - a["right"], a["left"] - b["right"])
                assert apart >= TICKS_APART, (a["text"], b["text"], apart)


def test_tick_labels_of_neighbouring_panels_stay_apart(demo_server: Server, watched: Watched) -> None:
    # At 1440 px the last tick of one panel touched the first of the next ("Mar 2020Jul 2019"),
    # and Oak's panel lost its first tick
    page = watched.page
    open_at_laptop_size(page, demo_server, "Attendance over time")
    chart = page.get_by_test_id("stPlotlyChart").filter(has_text="Who attended, by role")
    expect(chart.locator("g.xaxislayer-above text").first).to_be_visible(timeout=60_000)
    assert len(panel_ticks(chart)) == 3
    assert_ticks_apart(chart)
    for panel in panel_ticks(chart):
        assert any(ch.isdigit() for ch in panel[0]["text"]), panel  # each panel's first tick, with its year
    keep(page, chart, "charts-attendance-ticks")
    open_tab(page, "Continuity")
    swimlane = page.get_by_test_id("stPlotlyChart").filter(has_text="People with lived experience")
    expect(swimlane.locator("g.xaxislayer-above text").first).to_be_visible(timeout=60_000)
    assert_ticks_apart(swimlane)
    keep(page, swimlane, "charts-swimlane-ticks")
    open_at_laptop_size(page, demo_server, "Presence and absence")
    presence = page.get_by_test_id("stPlotlyChart").first
    expect(presence.locator("g.xaxislayer-above text").first).to_be_visible(timeout=60_000)
    assert_ticks_apart(presence)
    screenshot(page, "charts-presence-ticks")
    assert_clean(watched)


REDRAWS = """(() => { window.__redraws = []; const seen = new WeakSet();
  new MutationObserver(() => document.querySelectorAll('.js-plotly-plot').forEach((gd) => {
    if (seen.has(gd) || !gd.on) return;
    seen.add(gd); const chart = {gd, n: 0}; window.__redraws.push(chart);
    gd.on('plotly_beforeplot', () => { chart.n += 1; });
  })).observe(document, {subtree: true, childList: true}); })();"""
"""Counts each chart's full drawings after its first (Plotly announces each with plotly_beforeplot;
the first has begun by the time a chart can be listened to)."""
ON_THE_PAGE = "() => window.__redraws.filter((chart) => chart.gd.isConnected).map((chart) => chart.n)"
"""The counts of the charts on the page now (the page before's, drawn or not, are gone)."""


def test_each_chart_is_drawn_once_as_its_page_appears(demo_server: Server, watched: Watched) -> None:
    # Every chart was drawn twice by the browser (at a width of Plotly's choosing, then the page's,
    # with the page's theme applied twice): at national scale a second of a page's wait
    page = watched.page
    page.add_init_script(REDRAWS)
    # and a heat map whose labels needed more room than its margins gave was drawn a second time
    shown_on = (
        ("Presence and absence", None, 1), ("Presence and absence", "Who came to each meeting", 1),
        ("Attendance over time", None, 1), ("Attendance over time", "Continuity", 1),
        ("Attendance over time", ui.QI_TAB, 1),
        ("Recruitment tensions", None, 3), ("Notes and themes", None, 1),
    )  # fmt: skip
    for title, tab, charts in shown_on:
        open_at_laptop_size(page, demo_server, title)
        if tab:
            open_tab(page, tab)
        shown = page.get_by_test_id("stPlotlyChart")
        expect(shown).to_have_count(charts, timeout=60_000)
        for k in range(charts):
            expect(shown.nth(k).locator("g.xaxislayer-above text").first).to_be_attached(timeout=60_000)
        page.wait_for_timeout(1500)  # a second drawing came within a few hundred ms of the first
        assert page.evaluate(ON_THE_PAGE) == [0] * charts, (title, tab)
    screenshot(page, "charts-drawn-once")
    assert_clean(watched)


DRAWING_LOADED = "performance.getEntriesByType('resource').filter(e => e.name.includes('/PlotlyChart.')).length"
TABLES_LOADED = (
    "performance.getEntriesByType('resource').filter(e => /[/]DataFrame[.][\\w-]+[.]js$/.test(e.name)).length"
)


def test_the_chart_drawing_loads_while_a_page_without_charts_is_open(demo_server: Server, watched: Watched) -> None:
    # The browser loaded Plotly (1.2 s in Chromium) only when a page first showed a chart
    page = watched.page
    open_at_laptop_size(page, demo_server, "Overview")
    page.get_by_test_id("stSidebarNav").get_by_text("Access").click()
    expect(page.get_by_role("heading", level=1, name="Access")).to_be_visible(timeout=60_000)
    page.reload()  # a fresh browser page on a page with no chart
    expect(page.get_by_role("heading", level=1, name="Access")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(0)
    page.wait_for_function(f"{DRAWING_LOADED} === 1", timeout=30_000)
    page.wait_for_function(f"{TABLES_LOADED} === 1", timeout=30_000)  # the tables' too, before a page has one
    loader = page.locator(".st-key-scripts_early")
    expect(loader).to_have_count(1)
    assert loader.bounding_box() is None  # it takes no room on the page
    page.get_by_test_id("stSidebarNav").get_by_text("Presence and absence").click()
    expect(page.get_by_test_id("stPlotlyChart").first.locator("g.xaxislayer-above text").first).to_be_attached(
        timeout=60_000
    )
    assert page.evaluate(DRAWING_LOADED) == 1  # the chart used the script loaded before: the same address
    screenshot(page, "charts-drawing-loaded-early")
    assert_clean(watched)


NARROW = 1024
"""px: a tablet held sideways, the sidebar open: a chart is drawn 564 px wide (charts.NARROWEST)."""
CHART_PAGES = ("Overview", "Presence and absence", "Attendance over time", "Recruitment tensions",
               "Notes and themes", "Team profile")  # fmt: skip
OVERRUN = """(chart) => {
  const svg = chart.querySelector('svg.main-svg');
  const title = chart.querySelector('text.gtitle');
  if (!svg || !title) return null;
  const panels = [...chart.querySelectorAll('text.annotation-text')]
    .filter((t) => t.style.fontSize === '16px').map((t) => [t.textContent, t.getBoundingClientRect()]);
  const touching = panels.flatMap(([a, r], i) => panels.slice(i + 1)
    .filter(([, q]) => r.left < q.right + 4 && q.left < r.right + 4 && r.top < q.bottom && q.top < r.bottom)
    .map(([b]) => [a, b]));
  return {text: title.textContent, over: title.getBoundingClientRect().right - svg.getBoundingClientRect().right,
          touching};
}"""
"""How far a chart's title runs past the chart's right edge, in px (the chart cuts it there), and the
pairs of its panels' titles (16 px) that run into each other (4 px apart or less: read as one)."""


def test_every_chart_title_is_whole_in_a_narrow_window(demo_server: Server, watched: Watched) -> None:
    # At 1100 px with the sidebar open, the tension charts' and the QI chart's small print was cut at
    # the chart's edge ("click a point to read the notes" gone): figures.for_screen breaks it over lines.
    # At 1,024 px two teams' names over the funnel's panels read "brain-injury teambrain-injury team":
    # charts.wrap breaks them to fit their panel there
    page = watched.page
    seen = 0
    for title in CHART_PAGES:
        open_at_laptop_size(page, demo_server, title)
        page.set_viewport_size({"width": NARROW, "height": 900})
        for tab in [str(t).strip() for t in page.get_by_role("tab").all_inner_texts()] or [None]:
            if tab is not None:
                open_tab(page, tab)
            for found in titles_drawn(page):
                assert found["over"] <= 1, (title, tab, found)
                assert found["touching"] == [], (title, tab, found)
                seen += 1
    assert seen >= 12  # every page and tab with a chart was reached
    assert_clean(watched)


def titles_drawn(page: Page) -> list[dict[str, Any]]:
    """OVERRUN of each chart on the page once it has settled (a chart of the tab before, still on the
    page as the run begins, goes: then it is asked again)."""
    for _ in range(5):
        page.wait_for_timeout(300)
        expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
        expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=60_000)
        charts = page.get_by_test_id("stPlotlyChart")
        try:
            found = []
            for i in range(charts.count()):
                chart = charts.nth(i)
                chart.scroll_into_view_if_needed(timeout=5_000)
                expect(chart.locator("text.gtitle")).to_have_count(1, timeout=30_000)
                found.append(chart.evaluate(OVERRUN))
                if "tensions in the field notes" in found[-1]["text"]:
                    chart.screenshot(path=str(ARTIFACTS / "charts-title-narrow.png"))
            return found
        except PlaywrightError:  # a chart went as it was asked
            continue
    raise AssertionError("the charts did not settle")


CUT_TEXT = """(root) => [...root.querySelectorAll('[data-testid="stMetric"] *')]
  .filter((el) => el.textContent.trim() && el.scrollWidth > el.clientWidth + 1)
  .map((el) => el.textContent.trim())"""
"""The texts of the metric cards that do not fit their box (Streamlit ends them with "…")."""


def test_no_headline_figure_or_its_note_is_cut_in_a_narrow_window(demo_server: Server, watched: Watched) -> None:
    # In four columns at 1100 px the cards read "Lived-experie…", "service users 2…", "2 cancelled · 2 …":
    # a number cut off. The cards now wrap to the next line whole.
    page = watched.page
    for title in ("Overview", "Team profile"):
        open_at_laptop_size(page, demo_server, title)
        page.set_viewport_size({"width": NARROW, "height": 900})
        expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=60_000)
        page.wait_for_timeout(300)  # the row laid out again at the new width
        assert page.get_by_test_id("stMetric").count() >= 7, title  # the headline and the voice figures
        assert page.evaluate(CUT_TEXT, page.locator("body").element_handle()) == [], title
    screenshot(page, "charts-metrics-narrow")
    assert_clean(watched)


CUT_CONTROLS = """(root) => [...root.querySelectorAll(
    '[data-testid="stSelectbox"] *, [data-testid="stNumberInput"] *, [data-testid="stCheckbox"] *')]
  .filter((el) => el.textContent.trim() && el.scrollWidth > el.clientWidth + 1)
  .map((el) => el.textContent.trim())"""
"""The texts of the page's choosers that do not fit their box (cut with "…", or scrolled sideways)."""


def test_the_qi_charts_controls_are_whole_in_a_narrow_window(demo_server: Server, watched: Watched) -> None:
    # In four columns at 1,024 px the rules read "Making Data Coun…" and the toggle "Reb…": the
    # controls now go in a row that wraps, each as wide as its longest choice
    page = watched.page
    page.set_viewport_size({"width": NARROW, "height": 900})
    page.goto(f"{demo_server.url}/presence?tab=run-and-spc-charts&subgroup=block&rules=classic")
    expect(page.get_by_test_id("stNumberInput").get_by_text("Meetings per block")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Classic run-chart rules (shift 6, trend 5)").first).to_be_visible()
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
    page.wait_for_timeout(300)
    assert page.evaluate(CUT_CONTROLS, page.locator("body").element_handle()) == []
    screenshot(page, f"charts-qi-controls-{NARROW}")
    assert_clean(watched)
