"""The browser probe: ``python -m bench.browser STUDY.duckdb`` prints one JSON object.

Starts the app with ``streamlit run`` on the study and opens each page with a chart in Debian's
Chromium (Playwright), timing from the request to the first chart drawn on screen: ``first_s`` on
the first visit after the server started (its caches empty), ``again_s`` on a second visit in a
fresh tab (the server's caches warm, the browser drawing everything anew). Each is the median of
ROUNDS servers started afresh: one visit on two busy cores varies by a second. ``server_peak_rss_mb``
is the Streamlit servers' largest peak memory (VmHWM).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, start_server

PAGES = {"overview": "", "presence": "presence", "attendance": "attendance", "recruitment": "recruitment",
         "notes": "notes", "team_profile": "team_profile"}  # fmt: skip
CHART = '[data-testid="stPlotlyChart"] .main-svg'
ROUNDS = 3


def first_chart(browser: Browser, url: str) -> float:
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        started = time.perf_counter()
        tab.goto(url)
        tab.locator(CHART).first.wait_for(state="visible", timeout=300_000)
        return time.perf_counter() - started
    finally:
        tab.close()


def main() -> None:
    study = Path(sys.argv[1])
    first: dict[str, list[float]] = {name: [] for name in PAGES}
    again: dict[str, list[float]] = {name: [] for name in PAGES}
    peak = 0.0
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(ROUNDS):
            server = start_server(study, Path(tmp) / "streamlit.log")
            try:
                for name, path in PAGES.items():
                    first[name].append(first_chart(browser, f"{server.url}/{path}"))
                for name, path in PAGES.items():
                    again[name].append(first_chart(browser, f"{server.url}/{path}"))
                peak = max(peak, peak_rss_mb(server.process.pid))
            finally:
                server.process.terminate()
                server.process.wait(timeout=30)
        browser.close()
    pages = {
        name: {"first_s": statistics.median(first[name]), "again_s": statistics.median(again[name]),
               "first_samples_s": first[name]}
        for name in PAGES
    }  # fmt: skip
    print(json.dumps({"pages": pages, "server_peak_rss_mb": peak}))


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (Linux: VmHWM in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    main()
