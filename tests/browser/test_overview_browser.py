"""The Overview in a real browser: it renders, says the data are synthetic, and links reproduce views."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from observation import db, ui
from observation.demo import build_demo
from tests.browser.conftest import ARTIFACTS, Server, Watched, choose, hover_until, open_tab, screenshot


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
    choose(page, "Setting", "Community")
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
    # the notices come before the page's queries; its first chart can take as long as any page's
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    assert_clean(watched)


def test_presence_is_charted_by_month_and_too_few_months_say_so(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(demo_server.url)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    open_tab(page, ui.QI_TAB)
    qi_chart = page.get_by_test_id("stPlotlyChart").filter(has_text="share of held meetings per month")
    expect(qi_chart).to_be_visible(timeout=60_000)
    expect(qi_chart.locator("path.point").first).to_be_visible()
    hover_until(page, qi_chart.locator("path.point").nth(3), qi_chart.locator(".hoverlayer"),
                re.compile(r"\d+ of \d+ held meetings"))  # fmt: skip
    # eight months of fortnightly meetings: no limits, no flags, and the sentence says why
    expect(
        page.get_by_text(re.compile(r"Oak community brain-injury team: 8 months, .* too few to set limits"))
    ).to_be_visible()
    qi_chart.scroll_into_view_if_needed()
    screenshot(page, "overview-qi-by-month")
    assert_clean(watched)


def test_hovering_a_flagged_point_says_why(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{demo_server.url}/?measure=representation")  # a link with a QI chart's choice opens its tab
    qi_chart = page.get_by_test_id("stPlotlyChart").first
    expect(qi_chart.get_by_text("Representation at each held meeting")).to_be_visible(timeout=60_000)
    # special causes read as improvement are drawn in Okabe-Ito blue, rgb(0, 114, 178)
    flagged = qi_chart.locator("path.point[style*='fill: rgb(0, 114, 178)']")
    expect(flagged.first).to_be_visible()
    hover_until(page, flagged.last, qi_chart.locator(".hoverlayer"), "points in a row above the centre line")
    expect(qi_chart.locator(".hoverlayer")).to_contain_text(re.compile(r"\d+ of \d+ people present"))
    expect(page.get_by_text("Oak community brain-injury team: 8 points in a row above the centre line")).to_be_visible()
    qi_chart.scroll_into_view_if_needed()
    screenshot(page, "overview-qi-hover")
    assert_clean(watched)


def test_a_g_chart_counts_the_meetings_between_meetings_with_presence(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{demo_server.url}/?chart=g")
    qi_chart = page.get_by_test_id("stPlotlyChart").first
    expect(qi_chart.get_by_text("Held meetings between meetings with a service user or carer present")).to_be_visible(
        timeout=60_000
    )
    expect(page.get_by_text(re.compile("a longer gap is worse")).first).to_be_visible()
    qi_chart.scroll_into_view_if_needed()
    screenshot(page, "overview-qi-g-chart")
    assert_clean(watched)


def test_presenter_mode_shows_teams_by_letter_and_nobody_by_code(
    demo_server: Server, watched: Watched, tmp_path: Path
) -> None:
    same_demo = tmp_path / "demo.duckdb"  # the demo is deterministic: the server holds the same rows
    build_demo(same_demo)
    con = db.connect(same_demo, read_only=True)
    private = [c for (c,) in con.execute("select code from participants").fetchall()]
    private += [n for (n,) in con.execute("select name from teams").fetchall()]
    private += [b[:30] for (b,) in con.execute("select body from field_notes").fetchall()]
    private += [x for (x,) in con.execute("select label from annotations").fetchall()]
    con.close()
    page = watched.page
    page.goto(demo_server.url)  # the front door first: a cold server's first deep link can outrun it
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    page.goto(f"{demo_server.url}/?mode=present")
    expect(page.get_by_text("Presenter mode · counts under 5 hidden").first).to_be_visible(timeout=60_000)
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart.get_by_text("Team A")).to_be_visible()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link")).to_have_count(2)  # the Overview and the Team profile only
    # The presenter's controls wait in a closed popover: the room sees the badge, not the controls.
    settings = page.get_by_test_id("stSidebar").get_by_role("button", name=re.compile("Presenter settings"))
    expect(settings).to_be_visible()
    expect(page.get_by_text("Hide counts under")).to_be_hidden()
    page.wait_for_load_state("networkidle")
    screenshot(page, "presenter-overview")
    assert [p for p in private if p in page.content()] == []
    nav.get_by_text("Team profile").click()
    expect(page.get_by_text("Presenter mode leaves out what follows one person")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Presenter mode · counts under 5 hidden").first).to_be_visible()  # still on
    page.wait_for_load_state("networkidle")
    screenshot(page, "presenter-team-profile")
    assert [p for p in private if p in page.content()] == []
    assert_clean(watched)


def test_presenter_mode_on_a_projector_reads_from_the_back_of_the_room(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.set_viewport_size({"width": 1280, "height": 720})  # a projector
    page.goto(demo_server.url)  # the front door first: a cold server's first deep link can outrun it
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    page.goto(f"{demo_server.url}/?mode=present")
    expect(page.get_by_text("Presenter mode · counts under 5 hidden").first).to_be_visible(timeout=60_000)
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart.get_by_text("2019 Q3").first).to_be_visible(timeout=60_000)  # quarters named as quarters
    expect(page.get_by_text("Hide counts under")).to_be_hidden()  # the popover is closed
    drawn = chart.locator("svg text").evaluate_all(
        """texts => texts.filter(t => t.textContent.trim()).map(t => {
            const style = getComputedStyle(t);
            return [t.textContent, parseFloat(style.fontSize), style.fill];
        })"""
    )
    assert drawn
    small = [(text, size) for text, size, _ in drawn if size < 18]
    assert small == [], f"chart text under 18 px on the projector: {small[:5]}"
    fills = {fill for _, _, fill in drawn}
    assert all(contrast_on_white(fill) >= 4.5 for fill in fills), fills
    chart.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "presenter-projector.png"))  # what the room sees, as it sees it
    page.get_by_test_id("stSidebar").get_by_role("button", name=re.compile("Presenter settings")).click()
    expect(page.get_by_text("Hide counts under")).to_be_visible()  # there for the presenter, on a click
    assert_clean(watched)


def contrast_on_white(fill: str) -> float:
    """WCAG 2's contrast of a computed CSS colour ("rgb(31, 41, 51)") against white."""
    channels = [float(v) / 255 for v in re.findall(r"[\d.]+", fill)[:3]]
    red, green, blue = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 1.05 / (0.2126 * red + 0.7152 * green + 0.0722 * blue + 0.05)


def test_a_chart_downloads_as_a_png_drawn_in_chromium(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(demo_server.url)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    # Under load the page is still drawing after its first chart shows: wait until it is done, so
    # that the PNG button is the chart's.
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
    expect(page.get_by_test_id("stDownloadButton").filter(has_text="PNG")).to_have_count(1, timeout=60_000)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_test_id("stDownloadButton").filter(has_text="PNG").first.click()
    assert download.value.suggested_filename == "involvement-by-month.png"
    png = download.value.path().read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    (ARTIFACTS / "overview-trend-download.png").write_bytes(png)  # to look at
    assert_clean(watched)


def test_the_filter_stays_when_another_page_is_opened_from_the_menu(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(demo_server.url)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    page.goto(f"{demo_server.url}/?setting=inpatient")
    setting = page.get_by_role("combobox", name="Setting")
    expect(setting).to_have_value("Inpatient", timeout=60_000)
    page.get_by_test_id("stSidebarNav").get_by_text("Team profile").click()
    expect(page.get_by_role("heading", level=1, name="Team profile")).to_be_visible(timeout=60_000)
    expect(setting).to_have_value("Inpatient")
    expect(page).to_have_url(re.compile(r"/team_profile\?(.*&)?setting=inpatient"))
    expect(page.get_by_role("heading", name="In short")).to_be_visible(timeout=60_000)
    page.wait_for_load_state("networkidle")
    screenshot(page, "team-profile")
    assert_clean(watched)


def test_a_pages_own_choice_is_kept_after_visiting_another_page(demo_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(demo_server.url)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    open_tab(page, ui.QI_TAB)
    page.get_by_role("radio", name="Representation", exact=True).click()
    expect(page).to_have_url(re.compile(r"measure=representation"), timeout=60_000)
    expect(page.get_by_text("Representation at each held meeting")).to_be_visible(timeout=60_000)
    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_text("Attendance over time").click()
    expect(page.get_by_role("heading", level=1, name="Attendance over time")).to_be_visible(timeout=60_000)
    nav.get_by_text("Overview").click()
    expect(page.get_by_role("heading", level=1, name="Overview")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("tab", name=ui.QI_TAB)).to_have_attribute("aria-selected", "true")  # its tab too
    expect(page.get_by_text("Representation at each held meeting")).to_be_visible(timeout=60_000)
    assert_clean(watched)
