"""The browser probe: ``python -m bench.browser STUDY.duckdb`` prints one JSON object.

What a user waits for, measured where the user is. The app runs on the study as ``streamlit run``
does, each run of a page timed inside the server (``python -m bench.timed_streamlit run``); Debian's
Chromium (Playwright) opens the Access page by its address, twice (the server now warm: imported,
the study open), then reaches **every page by clicking its
link in the sidebar**, in the sidebar's order — each page's *first visit*, its caches empty — and
then every page again — its *second visit*, its reads cached — then, on each page that works out
only its open tab (TABBED), **clicks each of its other tabs** in turn — each tab's *first open* —
and its first tab again, and last, on the Overview, **changes the team filter** (types a team's
name and presses Enter). ROUNDS rounds, each on a server started afresh; the JSON holds each
round's figures and their medians.

For each action, from the click (or the key) as the page received it:

- ``chart_s``: the first chart drawn — the first node added inside a Plotly chart that is not stale,
  after the server answered (None: no chart);
- ``idle_s``: the page idle — the run's end received over the websocket (``script_finished``), no
  running indicator, no element still stale, and the browser's main thread free (the end of the
  last task that held it 50 ms or more: drawing the charts, laying out a grid; Plotly draws after
  the run has ended);
- ``server_s``: the server's own run(s) of the page, timed inside the server
  (bench/timed_streamlit.py); the rest of ``idle_s`` is the transfer and the browser;
- ``kb``: what the server sent over the websocket for the action;
- ``runs``: how many runs of the page the action caused.

``server_peak_rss_mb``: the Streamlit servers' largest peak memory (VmHWM). The Access page's first
visit follows its two loads by address (the server has run it before).
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, sync_playwright
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, start_server

ROUNDS = 3
START = "access"
"""The page opened by its address before the clicks begin: the lightest."""
TABBED = ("Overview", "Presence and absence", "Attendance over time", "Notes and themes", "Coder agreement")
"""The pages (by title) whose tabs are worked out only when opened (observation.ui.choices.open_tab_only):
a click on a tab is a run of the page, and the user waits for it as for a link."""
WAIT_S = 120.0
QUIET_S = 0.4
"""How long no message may arrive after a run's end before the action is over (a rerun would send one)."""

# Before the app's own scripts: every websocket message is noted (when, how large, and the small
# ones whole, for Python to decode), and every animation frame notes when the page turns busy or
# idle, when a chart first changes, and when the click or key that starts an action arrives.
RECORDER = """
(() => {
  const rec = window.__bench = {frames: [], states: [], tasks: [], chart: null, t0: null, armed: false};
  // The browser's main thread busy for 50 ms or more at a time (drawing a chart, laying out a grid).
  new PerformanceObserver((list) => {
    for (const task of list.getEntries()) rec.tasks.push([task.startTime, task.startTime + task.duration]);
  }).observe({type: 'longtask'});
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const socket = new Native(...args);
    socket.addEventListener('message', (event) => {
      const data = event.data;
      const at = performance.now();
      if (data instanceof ArrayBuffer) {
        const small = data.byteLength <= 65536;
        let text = null;
        if (small) {
          let s = ''; const bytes = new Uint8Array(data);
          for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
          text = btoa(s);
        }
        rec.frames.push([at, data.byteLength, text]);
      } else if (data instanceof Blob) {
        rec.frames.push([at, data.size, null]);
      }
    });
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  const begin = (event) => { if (rec.armed) { rec.armed = false; rec.t0 = event.timeStamp; } };
  document.addEventListener('click', begin, true);
  document.addEventListener('keydown', begin, true);
  // Busy: a run going (the running indicator) or an element stale. _settle asks the same.
  const busy = window.__benchBusy =
    () => !!document.querySelector('[data-testid="stStatusWidget"], [data-stale="true"]');
  let was = null, last = performance.now();
  const tick = () => {
    const at = performance.now(), now = busy();
    if (now !== was) { rec.states.push([at, now]); was = now; }
    // A frame late by 50 ms or more: the main thread was held (noted at once, where a long task's
    // own entry comes only some time after it ends).
    if (at - last >= 50) rec.tasks.push([last, at]);
    last = at;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  // A chart drawn for this action: a node added inside a Plotly chart that is not stale, once the
  // server has answered (before that, a change is the last page's).
  const drawn = (node) => node && node.closest('[data-testid="stPlotlyChart"]') && !node.closest('[data-stale="true"]');
  new MutationObserver((changes) => {
    if (rec.t0 === null || rec.chart !== null || !rec.frames.some((f) => f[0] > rec.t0)) return;
    for (const change of changes) {
      for (const added of change.addedNodes) {
        if (added.nodeType === 1 && (drawn(added) || drawn(added.querySelector('[data-testid="stPlotlyChart"] svg')))) {
          rec.chart = performance.now(); return;
        }
      }
    }
  }).observe(document, {subtree: true, childList: true});
})();
"""


@dataclass(frozen=True)
class Timing:
    """One action, in seconds from the click or key (see the module's notes)."""

    chart_s: float | None
    idle_s: float
    server_s: float
    kb: float
    runs: int


def act(page: Page, runs_log: Path, action: Callable[[], None]) -> Timing:
    """Do ``action`` (a click or a key) and wait until the page is idle again; what it cost."""
    logged = len(runs_log.read_text().splitlines())
    page.evaluate("() => Object.assign(window.__bench, {frames: [], tasks: [], chart: null, t0: null, armed: true})")
    action()
    deadline = time.monotonic() + WAIT_S
    frames: list[list[Any]] = []
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError("the page did not become idle")
        time.sleep(0.05)
        seen = page.evaluate(  # the frames not fetched yet only: the page's own thread copies them
            "(n) => ({...window.__bench, frames: window.__bench.frames.slice(n), now: performance.now()})", len(frames)
        )
        frames += seen["frames"]
        if seen["t0"] is None or not frames:
            continue
        finished = finished_runs(frames)
        last = max([frames[-1][0], *(end for _, end in seen["tasks"])])
        if finished and seen["now"] - last > QUIET_S * 1000 and not _busy_at(seen["states"], float("inf")):
            break
    t0 = seen["t0"]
    idle = idle_at(finished[-1], seen["states"], seen["tasks"])
    runs = runs_log.read_text().splitlines()[logged:]
    return Timing(
        chart_s=None if seen["chart"] is None else (seen["chart"] - t0) / 1000,
        idle_s=(idle - t0) / 1000,
        server_s=sum(float(line) for line in runs),
        kb=sum(size for _, size, _ in frames) / 1024,
        runs=len(runs),
    )


def finished_runs(frames: list[list[Any]]) -> list[float]:
    """When each run the frames hold ended (not one ended early for a rerun), as the browser got it."""
    ends = []
    for at, _, text in frames:
        if text is None:
            continue
        message = ForwardMsg.FromString(base64.b64decode(text))
        early = message.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN
        if message.WhichOneof("type") == "script_finished" and not early:
            ends.append(at)
    return ends


def _busy_at(states: list[list[Any]], at: float) -> bool:
    """Whether the page was busy (running, or an element stale) at ``at``, by the states noted."""
    busy = False
    for when, now in states:
        if when > at:
            break
        busy = now
    return busy


def idle_at(end: float, states: list[list[Any]], tasks: list[list[float]]) -> float:
    """When the page became idle: the first moment at or after the last run's ``end`` that nothing
    ran or was stale (``states``: when the page turned busy or idle), or, if later, the end of the
    last task that held the browser's main thread (``tasks``: start and end)."""
    free = end if not _busy_at(states, end) else next(when for when, now in states if when > end and not now)
    return float(max([free, *(stop for _, stop in tasks)]))


def visit(page: Page, runs_log: Path, href: str) -> Timing:
    return act(page, runs_log, page.get_by_test_id("stSidebarNav").locator(f'a[href="{href}"]').click)


def open_tabs(page: Page, runs_log: Path, title: str) -> dict[str, Timing]:
    """Each tab of the page on the screen but the first, clicked in turn, then the first again (not
    timed: the page is left as it was found); each click's cost by "page: tab"."""
    tabs = [str(t).strip() for t in page.get_by_role("tab").all_inner_texts()]

    def click(name: str) -> Callable[[], None]:
        return lambda: page.get_by_role("tab", name=name, exact=True).click()

    found = {f"{title}: {name}": act(page, runs_log, click(name)) for name in tabs[1:]}
    act(page, runs_log, click(tabs[0]))
    return found


def teams_filter(page: Page) -> Locator:
    """The sidebar's team filter's input."""
    return page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="Teams").locator("input")


def filter_change(page: Page, runs_log: Path, team: str) -> Timing:
    teams_filter(page).click()
    page.keyboard.type(team)
    page.get_by_role("option", name=team, exact=True).wait_for(state="visible")
    return act(page, runs_log, lambda: page.keyboard.press("Enter"))


def one_round(study: Path, folder: Path, round_no: int) -> tuple[dict[str, dict[str, Timing]], float]:
    runs_log = folder / f"runs-{round_no}.txt"
    runs_log.touch()
    os.environ["OBSERVATION_BENCH_RUNS"] = str(runs_log)
    server = start_server(study, folder / "streamlit.log", streamlit="bench.timed_streamlit")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.add_init_script(RECORDER)
            # Twice: the second load finds the server warm (imported, the study open).
            for _ in range(2):
                page.goto(f"{server.url}/{START}")
                page.get_by_test_id("stSidebarNav").wait_for(state="visible", timeout=WAIT_S * 1000)
                _settle(page)
            more = page.get_by_test_id("stSidebarNavViewButton")
            if more.count():  # a long list starts folded
                more.click()
            links = {  # the page's title (the link's last line; an icon's name comes first), its address
                str(link.inner_text()).splitlines()[-1].strip(): str(link.get_attribute("href"))
                for link in page.get_by_test_id("stSidebarNav").get_by_role("link").all()
            }
            found: dict[str, dict[str, Timing]] = {"first": {}, "again": {}, "tab": {}}
            for visit_name in ("first", "again"):
                for title, href in links.items():
                    found[visit_name][title] = visit(page, runs_log, href)
            for title in TABBED:
                visit(page, runs_log, links[title])
                found["tab"] |= open_tabs(page, runs_log, title)
            visit(page, runs_log, next(iter(links.values())))  # the Overview
            teams_filter(page).click()
            options = [o.strip() for o in page.get_by_role("option").all_inner_texts() if o.strip() != "Select all"]
            page.keyboard.press("Escape")
            _settle(page)
            found["filter"] = {"Overview": filter_change(page, runs_log, options[round_no % len(options)])}
            browser.close()
        return found, peak_rss_mb(server.process.pid)
    finally:
        server.process.terminate()
        server.process.wait(timeout=30)


def _settle(page: Page) -> None:
    """Wait until the page is idle and has been for a moment (no run pending)."""
    deadline = time.monotonic() + WAIT_S
    quiet = 0
    while quiet < 5:
        if time.monotonic() > deadline:
            raise TimeoutError("the page did not settle")
        busy = page.evaluate("() => window.__benchBusy()")
        quiet = 0 if busy else quiet + 1
        time.sleep(0.1)


def main() -> None:
    study = Path(sys.argv[1])
    rounds: list[dict[str, dict[str, Timing]]] = []
    peak = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(ROUNDS):
            found, rss = one_round(study, Path(tmp), r)
            rounds.append(found)
            peak = max(peak, rss)
    actions: dict[str, dict[str, Any]] = {}
    for kind, by_page in rounds[0].items():
        for title in by_page:
            samples = [asdict(r[kind][title]) for r in rounds if title in r[kind]]
            median = {key: _median([s[key] for s in samples]) for key in samples[0]}
            actions.setdefault(kind, {})[title] = {**median, "rounds": samples}
    print(json.dumps({"actions": actions, "server_peak_rss_mb": peak}))


def _median(values: list[Any]) -> Any:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (Linux: VmHWM in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    main()
