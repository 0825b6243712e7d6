"""Experience feedback at the end of a captured meeting, in Chromium: on the review, the observer
shows a QR code for a service user's own phone; the phone (390 × 844, touch) opens the link, sees
the questionnaire and nothing of the study, answers and is thanked; the same link then answers no
more. A carer's answers are typed in by the observer at the review. The study keeps both, by way
of each."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Browser, expect

from observation import access, capture, db
from observation.demo import DemoSpec, build_demo
from tests.browser.conftest import ARTIFACTS, Server, Watched, screenshot, start_server
from tests.browser.test_capture_browser import button, settled
from tests.browser.test_overview_browser import assert_clean

WAIT = 60_000
PHONE = {"width": 390, "height": 844}
README_SHOT = ARTIFACTS / "experience-phone.png"  # looked at, then copied to docs/experience-phone.png by hand


@dataclass(frozen=True)
class Study:
    server: Server
    path: Path
    meeting_id: int
    people: dict[str, int]


@pytest.fixture
def study(tmp_path: Path) -> Iterator[Study]:
    """A one-team demo study with today's meeting being captured: SU1-01, CA1-01 and ST1-01 marked here."""
    path = tmp_path / "study.duckdb"
    build_demo(path, DemoSpec(teams=1, months=2))
    with db.connect(path) as con, access.acting_as(access.local_researcher()):
        people = {
            str(c): int(i) for c, i in con.execute("select code, id from participants where team_id = 1").fetchall()
        }
        live = capture.start(con, 1, dt.date.today(), "R01")
        for code in ("SU1-01", "CA1-01", "ST1-01"):
            capture.mark(con, live.meeting_id, people[code], True, "R01")
    server = start_server(path, tmp_path / "streamlit.log")
    yield Study(server, path, live.meeting_id, people)
    server.process.terminate()
    server.process.wait(timeout=30)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
    w = Watched(context.new_page())
    w.watch(w.page)
    yield w
    context.close()


def test_feedback_is_collected_on_a_phone_from_a_qr_code_and_typed_in_at_the_review(
    study: Study, watched: Watched, phone: Watched
) -> None:
    page = watched.page
    page.goto(f"{study.server.url}/capture?meeting={study.meeting_id}&observer=R01")
    button(page, "capture_finish").click()
    expect(page.get_by_role("heading", name="How the meeting was for them")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("ST1-01 ·")).to_have_count(1)  # on the register above, not asked below
    page.get_by_text("SU1-01 · Service user", exact=False).last.click()
    page.get_by_test_id("stExpander").filter(has_text="SU1-01 · Service user").get_by_text("On their phone").click()
    settled(page)
    page.locator(f".st-key-experience_link_{study.meeting_id}_{study.people['SU1-01']} button").click()
    link = page.get_by_test_id("stCode").filter(has_text="?answer=")
    expect(link).to_be_visible(timeout=WAIT)
    url = link.inner_text().strip()
    assert re.fullmatch(r"http://(localhost|127\.0\.0\.1):\d+/\?answer=[A-Za-z0-9_-]{43}", url), url
    assert "SU1" not in url
    qr = page.get_by_test_id("stImage").last
    expect(qr).to_be_visible()  # the QR code
    qr.scroll_into_view_if_needed()
    settled(page)
    page.screenshot(path=str(ARTIFACTS / "experience-review-qr.png"))

    # The phone: the questionnaire and nothing else of the study.
    mobile = phone.page
    mobile.goto(url)
    expect(mobile.get_by_role("heading", name="Your view of the meeting")).to_be_visible(timeout=WAIT)
    expect(mobile.get_by_test_id("stSidebarNav")).to_have_count(0)
    assert "SU1" not in mobile.get_by_test_id("stMain").inner_text()
    chosen = (("I felt listened to", "5 · Strongly agree"), ("I could influence what was decided", "3 · Neither"),
              ("I would come again", "Prefer not to say"))  # fmt: skip
    for question, answer in chosen:
        group = mobile.get_by_role("radiogroup", name=question)
        group.get_by_text(answer).tap()
    overflow = mobile.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the questionnaire is {overflow}px wider than the phone"
    mobile.get_by_role("heading", name="Your view of the meeting").scroll_into_view_if_needed()
    mobile.screenshot(path=str(README_SHOT))
    mobile.get_by_role("button", name="Send my answers").tap()
    expect(mobile.get_by_text("Thank you: your answers are saved")).to_be_visible(timeout=WAIT)
    screenshot(mobile, "experience-phone-thanks")
    assert_clean(phone)

    again = mobile.context.new_page()
    again.goto(url)
    expect(again.get_by_text("This link cannot be used")).to_be_visible(timeout=WAIT)
    expect(again.get_by_role("radiogroup")).to_have_count(0)
    again.close()

    # The carer answers with the observer, typed in at the review.
    page.get_by_text("CA1-01 · Carer", exact=False).last.click()
    form = page.get_by_test_id("stExpander").filter(has_text="CA1-01 · Carer")
    form.get_by_role("radiogroup", name="I felt listened to").get_by_text("4 · Agree").click()
    form.get_by_role("radiogroup", name="I understood what was discussed").get_by_text("2 · Disagree").click()
    form.get_by_role("button", name="Save the answers").click()
    expect(page.get_by_text("CA1-01's answers saved (2 items).")).to_be_visible(timeout=WAIT)
    assert_clean(watched)

    study.server.process.terminate()  # the server holds the study file
    study.server.process.wait(timeout=30)
    with duckdb.connect(str(study.path), read_only=True) as con:
        kept = con.execute(
            """
            select p.code, i.item_key, r.answer, r.via
            from feedback_responses as r
            join participants as p on p.id = r.participant_id
            join feedback_items as i on i.id = r.item_id
            where r.meeting_id = ? order by all
            """,
            [study.meeting_id],
        ).fetchall()
    assert kept == [
        ("CA1-01", "listened", 4, "review"), ("CA1-01", "understood", 2, "review"),
        ("SU1-01", "come_again", None, "phone"), ("SU1-01", "influence", 3, "phone"),
        ("SU1-01", "listened", 5, "phone"),
    ]  # fmt: skip


def test_a_coach_sees_a_teams_experience_and_impact_beside_its_attendance(
    demo_server: Server, watched: Watched
) -> None:
    page = watched.page
    page.goto(f"{demo_server.url}/team_profile?profile=1")
    heading = page.get_by_role("heading", name="Experience and impact")
    expect(heading).to_be_visible(timeout=WAIT)
    section = page.get_by_test_id("stMetric").filter(has_text="Experience score")
    expect(section).to_contain_text(re.compile(r"\d\.\d of 5"))
    expect(page.get_by_text("Changes to the improvement work")).to_be_visible()
    settled(page)
    heading.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    main = page.get_by_test_id("stMain").bounding_box()
    assert main is not None
    page.screenshot(path=str(ARTIFACTS / "experience-team-profile.png"),  # the page, not the sidebar
                    clip={"x": main["x"], "y": 0, "width": main["width"], "height": 760})  # fmt: skip
    assert_clean(watched)

    # The QI chart of the experience score: an XmR chart, month by month
    page.goto(f"{demo_server.url}/team_profile?profile=1&measure=experience")
    chart = page.get_by_test_id("stPlotlyChart").filter(has_text="Experience score per month with answers")
    expect(chart).to_be_visible(timeout=WAIT)
    chart.scroll_into_view_if_needed()
    settled(page)
    page.screenshot(path=str(ARTIFACTS / "experience-qi-chart.png"))
    assert_clean(watched)


def test_a_reworded_item_leaves_the_questionnaire_tab_open_with_its_new_version(study: Study, watched: Watched) -> None:
    page = watched.page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{study.server.url}/study_setup")
    tab = page.get_by_role("tab", name="Experience questionnaire")
    expect(tab).to_be_visible(timeout=WAIT)
    settled(page)  # the page's first run over: a tab chosen during it could be drawn again unchosen
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    settled(page)  # and the choice of tab is the server's before the form is sent
    # each button says its word whole: in columns, a 1,280 px window cut Reword and Remove to "Re…"
    buttons = page.get_by_role("button", name=re.compile("^(Reword|Remove)$"))
    expect(buttons.first).to_be_visible(timeout=WAIT)
    cut = buttons.evaluate_all("(all) => all.flatMap((b) => [...b.querySelectorAll('*')])"
                               ".filter((el) => el.textContent.trim() && el.scrollWidth > el.clientWidth + 1)"
                               ".map((el) => el.textContent.trim())")  # fmt: skip
    assert buttons.count() >= 8
    assert cut == []
    page.get_by_label("Item 1 (version 1)").fill("People listened to me")
    page.get_by_role("button", name="Reword").first.click()
    expect(page.get_by_label("Item 1 (version 2)")).to_have_value("People listened to me", timeout=WAIT)
    settled(page)
    expect(tab).to_have_attribute("aria-selected", "true")  # the save's message above does not open "Teams"
    assert_clean(watched)


def test_an_item_refused_keeps_its_words_and_one_added_leaves_an_empty_box(study: Study, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{study.server.url}/study_setup")
    tab = page.get_by_role("tab", name="Experience questionnaire")
    expect(tab).to_be_visible(timeout=WAIT)
    settled(page)
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    settled(page)
    box = page.get_by_label("A new item")
    asked = page.get_by_label("Item 1 (version 1)").input_value()
    box.fill(asked.upper())  # asked already, in other case
    page.get_by_role("button", name="Add the item").click()
    expect(page.get_by_test_id("stAlert").filter(has_text="already asks")).to_be_visible(timeout=WAIT)
    settled(page)
    expect(box).to_have_value(asked.upper())  # the words stay, to mend (the form once cleared them)
    box.fill("The papers came in time for me to read them")
    page.get_by_role("button", name="Add the item").click()
    expect(page.get_by_text("Added: The papers came in time for me to read them")).to_be_visible(timeout=WAIT)
    settled(page)
    expect(page.get_by_label("A new item")).to_have_value("")
    assert_clean(watched)
