"""The presenter probe: ``python -m bench.presenter STUDY`` prints one JSON object.

What presenter mode costs beyond the pages: working out which figures can be shown (the Overview's
shares and voice at the meetings observed live, checked together by observation.disclosure over the
whole study: presenting.room) at thresholds 5 and 8 — the work a first presenter view of a study does
once per change to the data, before the cache has it. ``room_overview_s``: the Overview's shares
alone, as the slide deck works them out.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from observation import access, db, presenting


def main() -> None:
    con = db.connect(sys.argv[1], read_only=True)
    seconds, overview_seconds, hidden, voice_hidden = {}, {}, {}, {}
    presenter = access.Identity(email="benchmark presenter", role="presenter")
    for threshold in (5, 8):
        mode = presenting.Presenting(on=True, threshold=threshold)
        with access.acting_as(presenter):
            started = time.perf_counter()
            shown = presenting.room(con, "contributing", mode)
            seconds[str(threshold)] = time.perf_counter() - started
            started = time.perf_counter()
            presenting.room_overview(con, "contributing", mode)
            overview_seconds[str(threshold)] = time.perf_counter() - started
        hidden[str(threshold)] = len(shown.overview.hidden)
        voice_hidden[str(threshold)] = len(shown.voice.hidden)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"room_s": seconds, "room_overview_s": overview_seconds, "hidden": hidden,
                      "voice_hidden": voice_hidden, "peak_rss_mb": peak}))  # fmt: skip


if __name__ == "__main__":
    main()
