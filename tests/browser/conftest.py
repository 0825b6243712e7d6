"""The real app under `streamlit run`, driven by Playwright through Debian's Chromium.

Browser tests skip when Chromium is missing, unless OBSERVATION_REQUIRE_BROWSER=1 (as in CI),
when they fail instead. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from observation import access
from observation.demo import DemoSpec, build_demo

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("OBSERVATION_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Five seconds is Playwright's default wait; on a 2-core machine running the unit tests beside these
# (python3 tasks.py test runs the suite on every core) a rerun can take longer than that.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium, or set OBSERVATION_CHROMIUM)"
        if os.environ.get("OBSERVATION_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_server(
    db: Path | str | None,
    log: Path,
    port: int | None = None,
    cwd: Path = ROOT,
    script: Path = ROOT / "app.py",
    streamlit: str = "streamlit",
) -> Server:
    """``streamlit run app.py`` (or another ``script`` of the project's) on ``db`` (a study file, or a
    PostgreSQL study; None: a script that opens none); ``cwd`` holds the .streamlit/ folder it reads
    (the project's, or a test's own with a secrets.toml that configures sign-in). ``streamlit``: the
    module run as ``python -m`` (the benchmark's times each run: bench/timed_streamlit.py)."""
    port = port or free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    if db is not None:
        env["OBSERVATION_DB"] = str(db)
    command = [
        sys.executable,
        "-m",
        streamlit,
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return Server(url, process, log)
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"streamlit did not answer on {url} within 90s:\n{log.read_text()}")


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[Server]:
    """A server of its own, on a demo study of one team (two months) that the test may write to."""
    build_demo(tmp_path / "study.duckdb", DemoSpec(teams=1, months=2))
    server = start_server(tmp_path / "study.duckdb", tmp_path / "streamlit.log")
    yield server
    server.process.terminate()
    server.process.wait(timeout=30)


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Its own demo file: the server process holds it open (locked) for the whole run.
    folder = tmp_path_factory.mktemp("browser-demo")
    build_demo(folder / "demo.duckdb")
    server = start_server(folder / "demo.duckdb", folder / "streamlit.log")
    yield server
    server.process.terminate()
    server.process.wait(timeout=30)


# Opened at a page's own address (/presence), Streamlit 1.67's front end looks for its server first
# under that path, then at the root (its frontend's list of base addresses: the page's path and its
# parent, tried in turn, until health and host-config both answer). The first two requests answer
# 404, and Chromium logs each in the console ("Failed to load resource"). They cannot be answered
# instead: a page path that answered would become the server's base address for the connection,
# uploads, media and the pages' own addresses (/presence/overview). Only these two requests, at a
# page's own path, are excused, with the console line each one causes. (streamlit/streamlit#7074)
STREAMLIT_PROBES = re.compile(
    rf"^https?://[^/]+/(?:{'|'.join(map(re.escape, access.PAGES))})/_stcore/(?:health|host-config)$"
)
FAILED_TO_LOAD = "console: Failed to load resource: the server responded with a status of 404 (Not Found)"


@dataclass
class Watched:
    """A page whose console errors, failed requests and uncaught exceptions are collected. A console
    line may end with the address it is about, in brackets (``watch`` adds it)."""

    page: Page
    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        probes = [url for url in self.failed if STREAMLIT_PROBES.match(url)]
        real_failures = [url for url in self.failed if url not in probes]
        console = list(self.console)
        for url in probes:  # each probe's own console line, by its address, or else one unaddressed line
            for line in (f"{FAILED_TO_LOAD} ({url})", FAILED_TO_LOAD):
                if line in console:
                    console.remove(line)
                    break
        return console + [f"failed request: {url}" for url in real_failures]

    def watch(self, page: Page) -> None:
        """Collect ``page``'s console errors (a failed load with the address it is about), its
        uncaught exceptions and its failed requests here."""

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                url = message.location.get("url") if message.text.startswith("Failed to load resource") else None
                self.console.append(f"console: {message.text}" + (f" ({url})" if url else ""))

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.console.append(f"page error: {exc}"))
        page.on("response", lambda r: self.failed.append(r.url) if r.status >= 400 else None)


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    w = Watched(context.new_page())
    w.watch(w.page)
    yield w
    context.close()


def screenshot(page: Page, name: str) -> Path:
    """Keep a picture of the page once Streamlit has finished drawing it (no placeholder left)."""
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=60_000)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_tab(page: Page, name: str) -> None:
    """Click the tab ``name`` as a person does and wait until it is the open one (the page then works
    out and draws what it holds: choices.open_tab_only)."""
    page.get_by_role("tab", name=name, exact=True).click()
    expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute("aria-selected", "true", timeout=60_000)


def hover_until(page: Page, target: Locator, hover: Locator, text: str | re.Pattern[str]) -> None:
    """Point at ``target`` until the chart's ``hover`` layer says ``text``: a chart still settling
    (a resize, a redraw after the run) clears a hover, so it is pointed at again, up to five times."""
    for _ in range(5):
        target.hover(force=True)  # plotly's drag layer sits on top
        try:
            expect(hover).to_contain_text(text, timeout=3_000)
            return
        except AssertionError:
            page.mouse.move(0, 0)
    expect(hover).to_contain_text(text)


def choose(page: Page, box: str, option: str) -> None:
    """Pick `option` in the select box named `box`. A run that redraws the sidebar just after the
    click closes the list it opened, so the list is opened again until the option can be clicked."""
    for _ in range(5):
        page.get_by_role("combobox", name=box).click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"the option {option!r} of {box!r} never stayed open long enough to click")


def spreadsheets(page: Page) -> Locator:
    """The Import page's uploader of spreadsheets and transcripts (its other tab has the .qdpx one)."""
    return (
        page.get_by_test_id("stFileUploader")
        .filter(has_text="Spreadsheets and interview transcripts")
        .locator("input[type=file]")
    )


# Where the n-th character (from the end when negative) of the first `needle` in the passage widget's
# text is drawn: the script's own offsets, in UTF-16, never leave the browser here.
CHAR_BOX = """([needle, nth]) => {
  const content = document.querySelector('.obs-passage-text');
  const walker = document.createTreeWalker(content, NodeFilter.SHOW_TEXT);
  let all = ''; const nodes = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([n, all.length]); all += n.data; }
  const found = all.indexOf(needle);
  if (found < 0) return null;
  const at = found + (nth < 0 ? needle.length + nth : nth);
  for (const [n, base] of nodes) if (at >= base && at < base + n.data.length) {
    const r = document.createRange(); r.setStart(n, at - base); r.setEnd(n, at - base + 1);
    const b = r.getBoundingClientRect();
    return {left: b.left, right: b.right, top: b.top, bottom: b.bottom, y: (b.top + b.bottom) / 2};
  }
  return null;
}"""


def char_box(page: Page, needle: str, nth: int = 0) -> dict[str, float]:
    """Where the character is drawn once it stays there: measured until two readings 250 ms apart agree
    (under load the rest of the page can arrive after the text and move it, and a drag measured before
    that began outside the text and chose nothing)."""
    found = page.evaluate(CHAR_BOX, [needle, nth])
    for _ in range(40):
        assert found is not None, f"{needle!r} is not in the widget's text"
        page.wait_for_timeout(250)
        again = page.evaluate(CHAR_BOX, [needle, nth])
        if again == found:
            return dict(found)
        found = again
    raise AssertionError(f"{needle!r} kept moving for 10 s")
