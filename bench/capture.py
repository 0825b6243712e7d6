"""The live capture probe: ``python -m bench.capture STUDY`` prints one JSON object.

Issue 24's budget: on the Capture page, a tap (``capture.contribute``) is saved and acknowledged
within MOST_TAP_S, and so is marking someone present or not (``capture.mark``), warm, at national
scale. Into the study (a copy the caller made, as ``python -m bench`` makes one per scale) goes a
new meeting of the first team, its clock started, with the team's people marked present; then,
each the median of WARM_RUNS after a first, cold one:

- ``contribute_s``: one contribution tapped, written in its transaction with its tap key and its
  audit entry, and returned (what the page shows as acknowledged);
- ``repeat_s``: the same tap sent again (a retry), which writes nothing;
- ``mark_s``: someone marked present, then not, in turn (each a write that moves the meeting's
  version on and keeps its facts);
- ``roster_s``, ``timeline_s``: the two reads the page makes again after a tap;
- ``acknowledged_s``: a tap and those two reads, in turn: what the observer waits for before the
  page confirms the tap (the budget);
- ``mark_acknowledged_s``: a mark and the roster read again.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from observation import access, capture, db

WARM_RUNS = 11
MOST_TAP_S = 0.2


def timed(step: Callable[[], Any]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def warm(step: Callable[[int], Any]) -> tuple[float, float]:
    """The first (cold) run of ``step`` and the median of WARM_RUNS after it; ``step`` gets the run's number."""
    times = []
    for n in range(WARM_RUNS + 1):
        started = time.perf_counter()
        step(n)
        times.append(time.perf_counter() - started)
    return times[0], statistics.median(times[1:])


def main() -> None:
    con = db.connect(sys.argv[1])
    with access.acting_as(access.local_researcher()):
        with db.cursor(con) as cur:
            (team, last) = cur.execute(  # type: ignore[misc]
                "select team_id, max(meeting_date) from meetings where team_id = (select min(id) from teams) "
                "group by team_id"
            ).fetchone()
        live = capture.start(con, int(team), last + dt.timedelta(days=7), observer="OB-BENCH")
        people = [p.participant_id for p in capture.roster(con, live.meeting_id)]
        tapping, toggled = people[0], people[-1]
        for person in people[:-1]:
            capture.mark(con, live.meeting_id, person, True, observer="OB-BENCH")
        kinds = capture.KINDS
        first = uuid.uuid4().hex

        def tap(n: int) -> capture.Entry:
            key = first if n == 0 else uuid.uuid4().hex
            return capture.contribute(con, live.meeting_id, tapping, kinds[n % len(kinds)], key, observer="OB-BENCH")

        tap_cold, tap_warm = warm(tap)
        repeat = statistics.median(
            timed(lambda: capture.contribute(con, live.meeting_id, tapping, kinds[0], first, observer="OB-BENCH"))
            for _ in range(WARM_RUNS)
        )
        mark_cold, mark_warm = warm(lambda n: capture.mark(con, live.meeting_id, toggled, n % 2 == 0, "OB-BENCH"))
        _, roster = warm(lambda n: capture.roster(con, live.meeting_id))
        _, timeline = warm(lambda n: capture.timeline(con, live.meeting_id))
        _, acknowledged = warm(
            lambda n: (tap(n + 1), capture.roster(con, live.meeting_id), capture.timeline(con, live.meeting_id))
        )
        _, mark_acknowledged = warm(
            lambda n: (
                capture.mark(con, live.meeting_id, toggled, n % 2 == 0, "OB-BENCH"),
                capture.roster(con, live.meeting_id),
            )
        )
        with db.cursor(con) as cur:
            (taps,) = cur.execute(  # type: ignore[misc]
                "select count(*) from contributions where meeting_id = ?", [live.meeting_id]
            ).fetchone()
    con.close()
    print(
        json.dumps(
            {
                "people": len(people),
                "contributions_written": int(taps),
                "contribute_cold_s": tap_cold,
                "contribute_s": tap_warm,
                "repeat_s": repeat,
                "mark_cold_s": mark_cold,
                "mark_s": mark_warm,
                "roster_s": roster,
                "timeline_s": timeline,
                "acknowledged_s": acknowledged,
                "mark_acknowledged_s": mark_acknowledged,
                "most_s": MOST_TAP_S,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
