"""The browser benchmark's reading of a page (bench/browser.py) and its budgets (bench/__main__.py):
when a run ended, when the page was idle, and which budget a figure misses."""

from __future__ import annotations

import base64

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.__main__ import browser_budgets
from bench.browser import finished_runs, idle_at


def frame(at: float, message: ForwardMsg) -> list[object]:
    data = message.SerializeToString()
    return [at, len(data), base64.b64encode(data).decode()]


def ended(status: int) -> ForwardMsg:
    message = ForwardMsg()
    message.script_finished = status  # type: ignore[assignment]
    return message


def test_a_run_ended_for_a_rerun_is_not_the_end_and_a_large_frame_is_skipped() -> None:
    started = ForwardMsg()
    started.new_session.page_script_hash = "abc"
    frames = [
        frame(10.0, started),
        frame(90.0, ended(ForwardMsg.FINISHED_EARLY_FOR_RERUN)),
        [95.0, 2_000_000, None],  # a chart's frame, too large to keep whole
        frame(100.0, started),
        frame(250.0, ended(ForwardMsg.FINISHED_SUCCESSFULLY)),
    ]
    assert finished_runs(frames) == [250.0]


def test_the_page_is_idle_when_the_run_has_ended_nothing_is_stale_and_the_browser_is_free() -> None:
    # busy (running) from 20 ms, idle again at 300 ms; the run's end received at 280 ms
    states = [[0.0, False], [20.0, True], [300.0, False]]
    assert idle_at(280.0, states, []) == 300.0  # the running indicator still showed at the run's end
    assert idle_at(320.0, states, []) == 320.0  # the page was idle before the run's end arrived
    assert idle_at(320.0, states, [[330.0, 1_400.0], [50.0, 120.0]]) == 1_400.0  # a chart drawn after it


def test_each_page_the_filter_change_and_each_tab_are_held_to_their_budgets_and_to_the_demo() -> None:
    def action(idle: float) -> dict[str, object]:
        return {"chart_s": None, "idle_s": idle, "server_s": idle / 4, "kb": 10.0, "runs": 1}

    national = {
        "actions": {
            "first": {"Overview": action(1.4), "Presence and absence": action(1.6)},
            "again": {"Overview": action(0.9), "Presence and absence": action(0.8)},
            "filter": {"Overview": action(0.6)},
            "tab": {"Overview: Run and SPC charts": action(1.1), "Coder agreement: Coded passages": action(0.7)},
        },
        "server_peak_rss_mb": 700.0,
    }
    demo = {"actions": {"again": {"Overview": action(0.5), "Presence and absence": action(0.3)}}}
    missed = {c["budget"] for c in browser_budgets(national, demo) if not c["met"]}
    assert missed == {
        "Presence and absence: idle ≤ 1.5 s after a click on its link, first visit (Chromium)",
        "Overview: idle ≤ 0.5 s after the team filter changes (Chromium)",
        "Presence and absence: idle on a second visit ≤ 2 × its demo-scale time (Chromium)",
        "Overview: Run and SPC charts: idle ≤ 1 s after a click on the tab, its first open (Chromium)",
    }
    assert len(browser_budgets(national, demo)) == 2 + 2 + 1 + 2 + 2
    assert len(browser_budgets(national, None)) == 2 + 2 + 1 + 2  # no demo measured: no ratios
    assert browser_budgets(None, demo) == []
