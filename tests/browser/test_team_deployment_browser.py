"""A team deployment in Chromium: two `streamlit run` servers on one PostgreSQL study, each with
sign-in, as behind a load balancer. An import through one is read by the other on its next
rerun, and a meeting form opened on one is refused when the other saved the meeting since."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from observation import access, db
from tests import postgres
from tests.browser.conftest import Server, screenshot, spreadsheets
from tests.browser.oidc import Provider
from tests.browser.test_access_browser import sign_in, start_signed_server
from tests.browser.test_data_io_browser import settled
from tests.small_study import build_small_study

FIRST, SECOND = "lead@example.org", "second@example.org"


@pytest.fixture
def two_servers(tmp_path: Path, postgres_server: postgres.Server) -> Iterator[tuple[Server, Server, Provider]]:
    url = postgres_server.new_database()
    build_small_study(url)
    con = db.connect(url)
    with access.acting_as(access.local_researcher()):
        access.grant(con, FIRST, "researcher")
        access.grant(con, SECOND, "researcher")
    con.close()
    provider = Provider()
    servers = [start_signed_server(tmp_path / name, url, provider) for name in ("one", "two")]
    yield servers[0], servers[1], provider
    for server in servers:
        server.process.terminate()
        server.process.wait(timeout=30)
    provider.close()


def held(page: Page) -> object:
    return expect(page.get_by_test_id("stMetric").filter(has_text="Meetings held").get_by_test_id("stMetricValue"))


def open_the_latest_meeting(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/record")
    expect(page.get_by_role("heading", level=1, name="Record a meeting")).to_be_visible(timeout=60_000)
    page.get_by_role("combobox", name="Meeting").click()
    page.get_by_role("option").nth(1).click()  # the latest meeting
    settled(page)


def set_action_items(page: Page, count: int) -> None:
    actions = page.get_by_role("spinbutton", name="Action items agreed")
    expect(actions).to_have_count(1)
    actions.fill(str(count))
    actions.press("Enter")
    page.get_by_role("button", name="Save the meeting").click()


def test_two_app_servers_share_one_postgresql_study(
    browser: Browser, two_servers: tuple[Server, Server, Provider], tmp_path: Path
) -> None:
    one, two, provider = two_servers
    first = browser.new_context(viewport={"width": 1400, "height": 1400}).new_page()
    second = browser.new_context(viewport={"width": 1400, "height": 1400}).new_page()
    sign_in(first, one, provider, FIRST)
    sign_in(second, two, provider, SECOND)
    held(second).to_have_text("6", timeout=60_000)  # the small study: six held meetings

    # An import through the first server …
    meetings, marks = tmp_path / "meetings.csv", tmp_path / "attendance.csv"
    # after the study's last meeting (11 Mar 2020): the second server's period must follow too
    meetings.write_text("team,date,status\nAlpha,2020-03-20,held\n")
    marks.write_text("team,date,participant,status,participation\nAlpha,2020-03-20,A-SU1,present,contributing\n")
    first.goto(f"{one.url}/data_import")
    expect(first.get_by_text("Choose one or more files to see what they would change.")).to_be_visible(timeout=60_000)
    spreadsheets(first).set_input_files([str(meetings), str(marks)])
    expect(first.get_by_text("Ready to import")).to_be_visible(timeout=60_000)
    first.get_by_role("button", name="Import these files").click()
    expect(first.get_by_text("Imported meetings.csv, attendance.csv.")).to_be_visible(timeout=60_000)

    # … is read by the second on its next rerun, though it had the old figures cached.
    second.reload()
    held(second).to_have_text("7", timeout=60_000)
    screenshot(second, "team-second-server-sees-the-import")

    # A form opened on the second server, then the meeting saved through the first: refused.
    open_the_latest_meeting(second, two)
    open_the_latest_meeting(first, one)
    set_action_items(first, 4)
    expect(first.get_by_text("Saved. Every page now shows it")).to_be_visible(timeout=60_000)
    set_action_items(second, 9)
    refusal = second.get_by_text(f"{FIRST} saved this meeting")
    expect(refusal).to_be_visible(timeout=60_000)
    refusal.scroll_into_view_if_needed()
    screenshot(second, "team-second-server-refused-a-stale-save")
    first.context.close()
    second.context.close()
