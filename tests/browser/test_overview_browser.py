"""The Overview in a real browser: it renders, says the data are synthetic, and links reproduce views."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import Server, Watched, screenshot


def assert_clean(w: Watched) -> None:
    expect(w.page.get_by_test_id("stException")).to_have_count(0)
    assert w.errors == []


def test_overview_renders_with_the_demo_badge_and_no_errors(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(demo_server.url)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Synthetic demo data").first).to_be_visible()
    expect(page.get_by_text("Meaningful involvement").first).to_be_visible()
    chart = page.get_by_test_id("stPlotlyChart").first
    for team in ("Oak community", "Birch community", "Willow mental-health"):  # long panel titles wrap
        expect(chart.get_by_text(team)).to_be_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "overview")
    assert_clean(watched)


def test_a_link_reproduces_a_filtered_view(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{demo_server.url}/?team=3&setting=inpatient")
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Willow mental-health inpatient ward")).to_be_visible()
    expect(sidebar.get_by_text("Inpatient")).to_be_visible()
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart.get_by_text("Willow mental-health")).to_be_visible()
    expect(chart.get_by_text("Oak community")).to_have_count(0)
    screenshot(page, "overview-inpatient-link")
    assert_clean(watched)


def test_choosing_a_setting_puts_it_in_the_address(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(demo_server.url)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    page.get_by_role("combobox", name="Setting").click()
    page.get_by_role("option", name="Community").click()
    expect(page).to_have_url(re.compile(r"[?&]setting=community"))
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart.get_by_text("Willow mental-health")).to_have_count(0)
    expect(chart.get_by_text("Oak community")).to_be_visible()
    assert_clean(watched)


def test_a_bad_link_shows_a_notice_not_an_error(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{demo_server.url}/?setting=mars&team=abc")
    expect(page.get_by_text("Ignored setting='mars' in the link").first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Ignored team='abc' in the link").first).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    assert_clean(watched)


def test_hovering_a_flagged_point_says_why(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(demo_server.url)
    qi_chart = page.get_by_test_id("stPlotlyChart").nth(1)
    expect(qi_chart.get_by_text("Lived-experience presence at each held meeting")).to_be_visible(timeout=60_000)
    # special causes read as improvement are drawn in Okabe-Ito blue, rgb(0, 114, 178)
    flagged = qi_chart.locator("path.point[style*='fill: rgb(0, 114, 178)']")
    expect(flagged.first).to_be_visible()
    flagged.last.hover(force=True)  # plotly's drag layer sits on top; the hover comes from the position
    expect(qi_chart.locator(".hoverlayer")).to_contain_text("points in a row above the centre line")
    expect(page.get_by_text("Oak community brain-injury team: 8 points in a row above the centre line")).to_be_visible()
    expect(page.get_by_text("Willow mental-health inpatient ward: no signal")).to_be_visible()
    qi_chart.scroll_into_view_if_needed()
    screenshot(page, "overview-qi-hover")
    assert_clean(watched)
