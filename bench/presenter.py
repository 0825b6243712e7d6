"""The presenter probe: ``python -m bench.presenter STUDY`` prints one JSON object.

What presenter mode costs beyond the pages: working out which figures can be shown (the Overview's
shares, checked by observation.disclosure over the whole study) at thresholds 5 and 8 — the work a
first presenter view of a study does once per change to the data, before the cache has it.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from observation import access, db, presenting


def main() -> None:
    con = db.connect(sys.argv[1], read_only=True)
    seconds = {}
    hidden = {}
    presenter = access.Identity(email="benchmark presenter", role="presenter")
    for threshold in (5, 8):
        started = time.perf_counter()
        with access.acting_as(presenter):
            shown = presenting.room_overview(con, "contributing", presenting.Presenting(on=True, threshold=threshold))
        seconds[str(threshold)] = time.perf_counter() - started
        hidden[str(threshold)] = len(shown.hidden)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"room_overview_s": seconds, "hidden": hidden, "peak_rss_mb": peak}))


if __name__ == "__main__":
    main()
