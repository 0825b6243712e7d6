"""``python -m bench.timed_streamlit run app.py …``: Streamlit as ``python -m streamlit``, with each
run of a page timed in the server and its seconds appended, one line per run, to the file named by
OBSERVATION_BENCH_RUNS. The browser probe (bench/browser.py) reads them: what the server spent on
an action, apart from what the browser spent drawing it."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from streamlit.runtime.scriptrunner import script_runner
from streamlit.web.cli import main

RUNS = os.environ["OBSERVATION_BENCH_RUNS"]
_run_script = script_runner.ScriptRunner._run_script


def _timed(self: script_runner.ScriptRunner, rerun_data: Any) -> None:
    started = time.perf_counter()
    try:
        _run_script(self, rerun_data)
    finally:
        with open(RUNS, "a", encoding="utf-8") as out:
            out.write(f"{time.perf_counter() - started:.6f}\n")


script_runner.ScriptRunner._run_script = _timed  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
