"""The page probe: ``python -m bench.pages STUDY`` prints one JSON object (STUDY: a study file,
or a postgresql:// study).

For every page, with the default filter and with one team chosen (``?team=ID``), in AppTest:

- ``cold_s``: the first run after opening the study (every Streamlit cache cleared first);
- ``warm_s``: the median of eleven reruns after it;
- ``floor_s``: the DuckDB queries the cold run sent, replayed directly and fetched in full, nothing
  else (the median of three replays);
- ``points`` and ``figure_bytes``: the data points and the JSON bytes of the page's largest figure;
- ``table_rows``: the most rows any one table on the page ships to the browser.

``bare_s`` is the warm rerun of a page that only writes a line: Streamlit's own cost of a rerun.

AppTest compiles the page's script on every run; Streamlit's server compiles it once and keeps
the code for its life (its Runtime's one ScriptCache). The probe keeps one too, so that a warm
rerun here is a warm rerun there; it is emptied with the other caches before each cold run.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import streamlit as st
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest, local_script_runner

from observation import db

ROOT = Path(__file__).resolve().parent.parent
PAGES = (
    "overview", "presence", "attendance", "recruitment", "notes", "agreement", "team_profile", "record",
    "study_setup", "data_import", "data_export", "audit", "access",
)  # fmt: skip
WARM_RUNS = 11
TIMEOUT_S = 600


REGISTER = "register"
"""A log entry's first item when it is a table kept on the cursor (``cur.register``), not a statement."""


class Recorder:
    """A DuckDB connection that notes every statement sent through it (and its cursors), and every
    table a read keeps on its cursor for the statements after it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, log: list[tuple[str, Any]]) -> None:
        self._con, self._log = con, log
        db.bind(self, db.backend_of(con))  # type: ignore[arg-type]  # a stand-in: db.cursor must know its backend

    def execute(self, query: str, parameters: Any = None) -> duckdb.DuckDBPyConnection:
        self._log.append((query, parameters))
        return self._con.execute(query, parameters)

    def register(self, name: str, table: Any) -> duckdb.DuckDBPyConnection:
        self._log.append((REGISTER, (name, table)))
        return self._con.register(name, table)

    def cursor(self) -> Recorder:
        return Recorder(self._con.cursor(), self._log)

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self._con.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def replay(con: duckdb.DuckDBPyConnection, log: list[tuple[str, Any]]) -> float:
    """Seconds to send ``log``'s reads again and fetch every row; writes and transactions are skipped.
    A table a read kept on its cursor is kept again (the statement that made it is replayed too)."""
    cur = db.cursor(con)
    started = time.perf_counter()
    for query, parameters in log:
        if query == REGISTER:
            cur.register(*parameters)
        elif query.lstrip().lower().startswith(("select", "with", "from", "(")):
            cur.execute(query, parameters).to_arrow_table()
    seconds = time.perf_counter() - started
    cur.close()
    return seconds


def count(values: Any) -> int:
    """How many numbers a Plotly JSON array holds (plain list or base64 typed array)."""
    if isinstance(values, dict) and "bdata" in values:
        return int(np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])).size)
    if isinstance(values, list):
        return sum(count(v) if isinstance(v, list | dict) else 1 for v in values)
    return 0


def figure_points(spec: str) -> int:
    """Data points of one figure: the longest of its traces' coordinate arrays, summed over traces."""
    data = json.loads(spec).get("data", [])
    return sum(max((count(t.get(axis)) for axis in ("x", "y", "z", "values", "r", "lat")), default=0) for t in data)


def table_rows(element: Any) -> int:
    proto = element.proto
    data = getattr(getattr(proto, "arrow_data", None), "data", b"") or getattr(proto, "data", b"")
    if not data:
        return 0
    return int(pa.ipc.open_stream(data).read_all().num_rows)


def shipped(at: AppTest) -> dict[str, int]:
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    tables = [*at.get("arrow_data_frame"), *at.dataframe, *at.table]
    return {
        "figures": len(specs),
        "points": max((figure_points(s) for s in specs), default=0),
        "figure_bytes": max((len(s.encode()) for s in specs), default=0),
        "table_rows": max((table_rows(t) for t in tables), default=0),
    }


SCRIPTS = ScriptCache()  # the server's one cache (main() hands it to every AppTest run)


def fresh() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()
    SCRIPTS.clear()


def timed(run: Callable[[], AppTest]) -> tuple[float, AppTest]:
    started = time.perf_counter()
    at = run()
    return time.perf_counter() - started, at


def failed(at: AppTest) -> list[str]:
    return [str(e.value)[:200] for e in (*at.exception, *at.error)]


def measure_page(page: str, team: int | None, opened: list[duckdb.DuckDBPyConnection]) -> dict[str, Any]:
    fresh()
    opened.clear()
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=TIMEOUT_S)
    if team is not None:
        at.query_params["team"] = str(team)
    log: list[tuple[str, Any]] = []
    RECORDING.append(log)
    cold, at = timed(at.run)
    RECORDING.remove(log)
    warm = statistics.median(timed(at.run)[0] for _ in range(WARM_RUNS))
    floor = statistics.median(replay(opened[0], log) for _ in range(3)) if opened and log else 0.0
    return {"cold_s": cold, "warm_s": warm, "floor_s": floor, "queries": len(log), **shipped(at), "errors": failed(at)}


RECORDING: list[list[tuple[str, Any]]] = []


def recording_connect(
    original: Callable[..., duckdb.DuckDBPyConnection], opened: list[duckdb.DuckDBPyConnection]
) -> Callable[..., Any]:
    def connect(*args: Any, **kwargs: Any) -> Any:
        con = original(*args, **kwargs)
        opened.append(con)
        return Recorder(con, _Tee())

    return connect


class _Tee(list[tuple[str, Any]]):
    """Appends to whichever log is recording now (none between cold runs)."""

    def append(self, item: tuple[str, Any]) -> None:
        for log in RECORDING:
            log.append(item)


def bare_rerun() -> float:
    at = AppTest.from_string("import streamlit as st\nst.write('A bare page')", default_timeout=TIMEOUT_S).run()
    at.run()
    return statistics.median(timed(at.run)[0] for _ in range(WARM_RUNS * 2))


def first_team(path: str) -> int:
    con = db.connect(path, read_only=True)
    with db.cursor(con) as cur:
        row = cur.execute("select min(id) from teams").fetchone()
    con.close()
    assert row is not None
    return int(row[0])


def pages(path: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    opened: list[duckdb.DuckDBPyConnection] = []
    team = first_team(path)
    db.connect = recording_connect(db.connect, opened)
    for page in PAGES:
        for filter_name, chosen in (("all_teams", None), ("one_team", team)):
            yield page, filter_name, measure_page(page, chosen, opened)


def main() -> None:
    local_script_runner.ScriptCache = lambda: SCRIPTS  # type: ignore[attr-defined,assignment]
    path = sys.argv[1]
    os.environ["OBSERVATION_DB"] = path
    out: dict[str, Any] = {"bare_s": bare_rerun(), "pages": {}}
    for page, filter_name, figures in pages(path):
        out["pages"].setdefault(page, {})[filter_name] = figures
        print(page, filter_name, {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()},
              file=sys.stderr, flush=True)  # fmt: skip
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main()
