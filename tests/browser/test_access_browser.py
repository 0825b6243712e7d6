"""Sign-in and roles in Chromium, through a real OpenID Connect round trip (a stand-in provider
signing real ID tokens); user text that looks like HTML stays text; a confirmed save survives
``kill -9``."""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Browser, Page, expect

from observation import access, db
from tests.browser.conftest import ROOT, Server, Watched, free_port, screenshot, start_server
from tests.browser.oidc import CLIENT_ID, CLIENT_SECRET, Provider
from tests.small_study import build_small_study

TITLES = {
    "overview": "Overview", "presence": "Presence and absence", "attendance": "Attendance over time",
    "recruitment": "Recruitment tensions", "notes": "Notes and themes", "agreement": "Coder agreement",
    "team_profile": "Team profile", "record": "Record a meeting", "study_setup": "Study setup",
    "data_import": "Import", "data_export": "Export", "audit": "Audit trail", "access": "Access",
    "coding": "Code notes and transcripts", "capture": "Capture a meeting",
}  # fmt: skip
PEOPLE = {"researcher": "lead@example.org", "coach": "coach@example.org", "presenter": "presenter@example.org"}
HOSTILE_NOTE = "Said <img src=x onerror=alert(1)> and [a link](javascript:alert(2)) <script>alert(3)</script>"


def address(page: str) -> str:
    """A page's path in the URL: the first page is the app's root."""
    return "" if page == "overview" else page


def small_study_with_access(folder: Path) -> Path:
    path = folder / "study.duckdb"
    build_small_study(path)
    con = db.connect(path)
    with access.acting_as(access.local_researcher()):
        for role, email in PEOPLE.items():
            access.grant(con, email, role, [1] if role == "coach" else ())
    con.execute("update field_notes set body = ? where id = 1", [HOSTILE_NOTE])
    con.execute("update teams set name = '<b>Beta</b> <img src=y onerror=alert(4)>' where id = 2")
    con.close()
    return path


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    p = Provider()
    yield p
    p.close()


def start_signed_server(folder: Path, study: Path | str, provider: Provider) -> Server:
    """The app on ``study`` with sign-in configured in its own .streamlit/secrets.toml, as a trust
    would run it (``folder`` holds that settings folder and the server's log)."""
    settings = folder / ".streamlit"
    settings.mkdir(parents=True)
    shutil.copy(ROOT / ".streamlit" / "config.toml", settings / "config.toml")
    port = free_port()
    (settings / "secrets.toml").write_text(
        f"""[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "a-cookie-secret-for-the-browser-tests-only"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
server_metadata_url = "{provider.metadata_url}"
"""
    )
    return start_server(study, folder / "streamlit.log", port=port, cwd=folder)


@pytest.fixture(scope="module")
def signed_server(tmp_path_factory: pytest.TempPathFactory, provider: Provider) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("signed-in")
    server = start_signed_server(folder, small_study_with_access(folder), provider)
    yield server
    server.process.terminate()
    server.process.wait(timeout=30)


def open_app(page: Page, server: Server) -> None:
    """The app's first page, drawn: the server warm for the deep links that follow."""
    page.goto(server.url)
    expect(page.get_by_role("heading", level=1, name="Overview")).to_be_visible(timeout=60_000)


def sign_in(page: Page, server: Server, provider: Provider, email: str) -> None:
    provider.next_email = email
    page.goto(server.url)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible(timeout=60_000)


@pytest.mark.parametrize("role", list(PEOPLE))
def test_each_role_signs_in_and_reaches_exactly_its_pages(
    browser: Browser, signed_server: Server, provider: Provider, role: access.Role
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1200})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, signed_server, provider, PEOPLE[role])
    nav = page.get_by_test_id("stSidebarNav")
    if page.get_by_test_id("stSidebarNavViewButton").count():  # a long list starts folded
        page.get_by_test_id("stSidebarNavViewButton").click()
    allowed = [p for p, roles in access.PAGES.items() if role in roles]
    expect(nav.get_by_test_id("stSidebarNavLink")).to_have_count(len(allowed))
    for p in allowed:
        expect(nav.get_by_text(TITLES[p], exact=True)).to_be_visible()
    screenshot(page, f"access-{role}-signed-in")
    for p, roles in access.PAGES.items():
        page.goto(f"{signed_server.url}/{address(p)}")
        if role in roles:
            expect(page.get_by_role("heading", level=1, name=TITLES[p])).to_be_visible(timeout=60_000)
        else:  # not registered for this role: Streamlit's "page not found", then the first page
            expect(page.get_by_text("Page not found")).to_be_visible(timeout=60_000)
            expect(page.get_by_role("heading", level=1, name=TITLES[p])).to_have_count(0)
            expect(page.get_by_text(f"Signed in as {PEOPLE[role]}")).to_be_visible()
    assert dialogs == []
    context.close()


def test_a_coach_sees_only_their_team_in_the_browser(
    browser: Browser, signed_server: Server, provider: Provider
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    sign_in(page, signed_server, provider, PEOPLE["coach"])
    for p in ("overview", "attendance", "notes"):
        page.goto(f"{signed_server.url}/{address(p)}?team=2")
        expect(page.get_by_role("heading", level=1, name=TITLES[p])).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Ignored team 2 in the link")).to_be_visible()
        page.wait_for_load_state("networkidle")
        screenshot(page, f"access-coach-{p}")
        assert "Beta" not in page.content()
        assert "B-SU1" not in page.content()
    context.close()


def test_notes_that_look_like_html_stay_text(demo_path_with_hostile_note: Path, watched: Watched) -> None:
    """Field notes and team names are typed by people: shown as typed, never run. No dialog opens."""
    server = start_server(demo_path_with_hostile_note, demo_path_with_hostile_note.with_suffix(".log"))
    page = watched.page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        open_app(page, server)
        for p, shown in (("notes", "<img src=x onerror=alert(1)>"), ("overview", "<b>Beta</b>"),
                         ("presence", "<b>Beta</b>")):  # fmt: skip
            page.goto(f"{server.url}/{address(p)}")
            expect(page.get_by_role("heading", level=1)).to_be_visible(timeout=60_000)
            page.wait_for_load_state("networkidle")
            if p == "notes":
                page.get_by_role("tab", name="Matching excerpts").click()
                expect(page.get_by_text(shown, exact=False).first).to_be_visible(timeout=30_000)  # as text
            else:
                expect(page.get_by_text(shown, exact=False).first).to_be_attached(timeout=30_000)
            screenshot(page, f"access-hostile-text-{p}")
            assert page.locator("img[src='x'], img[src='y'], script:has-text('alert(3)')").count() == 0
            for link in page.locator("a").all():
                assert not (link.get_attribute("href") or "").lower().startswith("javascript:")
        assert dialogs == []
    finally:
        server.process.terminate()
        server.process.wait(timeout=30)


@pytest.fixture
def demo_path_with_hostile_note(tmp_path: Path) -> Path:
    return small_study_with_access(tmp_path)


def test_a_confirmed_save_survives_kill_9(tmp_path: Path, watched: Watched) -> None:
    """The app says a change is saved only after DuckDB committed it: killing the server at once
    (no shutdown, no checkpoint) loses nothing."""
    path = tmp_path / "study.duckdb"
    build_small_study(path)
    server = start_server(path, tmp_path / "first.log")
    page = watched.page
    open_app(page, server)
    page.goto(f"{server.url}/access")
    expect(page.get_by_role("heading", level=1, name="Access")).to_be_visible(timeout=60_000)
    page.get_by_label("Email", exact=True).fill("new.coach@example.org")
    page.get_by_role("button", name="Give access").click()
    expect(page.get_by_text("may now sign in as a researcher")).to_be_visible(timeout=60_000)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=30)
    again = start_server(path, tmp_path / "second.log")
    try:
        open_app(page, again)
        page.goto(f"{again.url}/access")
        expect(page.get_by_test_id("stDataFrame")).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("glide-cell-0-0")).to_have_text("new.coach@example.org")
        screenshot(page, "access-after-kill-9")
    finally:
        again.process.terminate()
        again.process.wait(timeout=30)
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("select role from access where email = 'new.coach@example.org'").fetchall() == [("researcher",)]
    con.close()
