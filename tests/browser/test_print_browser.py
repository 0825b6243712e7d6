"""The Team profile printed from Chromium (Save as PDF, A4): the whole profile over as many pages
as it needs, charts whole, metric labels whole, no sidebar. The PDFs go to tests/artifacts/."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import ARTIFACTS, Server, Watched
from tests.browser.test_overview_browser import assert_clean

LABELS = ("Meetings held", "Lived-experience presence", "Mean representation", "Meaningful involvement")
ON_TOP = ("Synthetic demo data", "Team profile")  # the badge that says the data are invented stays on paper
SIDEBAR = ("Local mode: no sign-in", "Study setup")  # the account line and a page link, in the sidebar alone


def printed(page: Page, url: str, charts: int, name: str) -> tuple[int, str]:
    """Open ``url`` at 1440×900 as a person would, wait for its ``charts`` to be drawn, and print it
    to an A4 PDF the way Chromium's Save as PDF does: its page count and its text. The media is left
    alone: the charts keep the width the screen gave them, as when a person prints."""
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(url.split("/team_profile")[0])  # the front door first: a cold server's deep link can outrun it
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    page.goto(url)
    drawn = page.get_by_test_id("stPlotlyChart")
    expect(drawn).to_have_count(charts, timeout=60_000)
    for n in range(charts):
        expect(drawn.nth(n).locator("svg.main-svg").first).to_be_attached(timeout=60_000)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=60_000)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    page.pdf(path=str(path), format="A4", print_background=True)
    reader = PdfReader(path)
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def one_line(text: str) -> str:
    """The text with its line breaks undone: a word broken after its hyphen joined again, every other
    break a space (a label cut inside a word, "representati / on", stays cut)."""
    return re.sub(r"\s+", " ", re.sub(r"-\s*\n\s*", "-", text))


def assert_whole(text: str, shown: tuple[str, ...]) -> None:
    flat = one_line(text)
    assert [s for s in shown if s not in flat] == []
    assert [s for s in SIDEBAR if s in flat] == []  # the sidebar is left off the paper


def test_the_team_profile_prints_whole_with_its_charts(demo_server: Server, watched: Watched) -> None:
    pages, text = printed(watched.page, f"{demo_server.url}/team_profile?profile=1", 3, "team-profile-print")
    assert pages > 1
    below_the_fold = ("Who kept coming", "How the meetings ran", "Recruitment tensions in the notes and interviews")
    charts = (
        "share of held meetings per month (n = held meetings in the month)",  # the QI chart's title, to its end
        "Recruitment funnel click a bar for the people and reasons",  # one team's: not "per team"
        "Still attending",  # the funnel's last bar, at its right-hand edge
        "People with lived experience across the team's meetings",
        "absent (invited, did not come)",  # the swimlane's legend, at its right-hand edge
    )
    assert_whole(text, ON_TOP + LABELS + below_the_fold + charts)
    assert_clean(watched)


def test_the_presenter_profile_prints_whole_with_its_chart(demo_server: Server, watched: Watched) -> None:
    url = f"{demo_server.url}/team_profile?mode=present&profile=1"
    pages, text = printed(watched.page, url, 1, "team-profile-presenter-print")
    assert pages > 1
    badge = ("Presenter mode · counts under 5 hidden",)
    below_the_fold = ("Recruitment tensions in the notes and interviews",)
    chart = (
        "Service users and carers at held meetings, by quarter",
        "a quarter resting on a count under 5 is left out",  # the end of its subtitle, at its right-hand edge
    )
    closing = ("Presenter mode leaves out what follows one person",)
    assert_whole(text, ON_TOP + badge + LABELS + chart + below_the_fold + closing)
    assert_clean(watched)
