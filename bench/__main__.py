"""python -m bench [--scales demo,trust,national] [--out bench/results.json]

For each scale: build the synthetic demo study in a child process (wall time, peak RSS, file
size, rows), then time the Overview's queries in another child process, cold (first run after
opening the study) and warm (median of five), with all teams and with one team.
Writes JSON and a Markdown table (bench/results.md) that the README shows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

SCALES = {"demo": (3, 8), "trust": (50, 36), "national": (1000, 60)}
ROOT = Path(__file__).resolve().parent.parent

BUILD_PROBE = """
import json, resource, sys, time
from observation.demo import DemoSpec, build_demo

started = time.perf_counter()
build_demo(sys.argv[1], DemoSpec(teams=int(sys.argv[2]), months=int(sys.argv[3])))
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

QUERY_PROBE = """
import json, statistics, sys, time, resource
from observation import db, queries
from observation.filters import StudyFilter

con = db.connect(sys.argv[1], read_only=True)
out = {}
for name, flt in (("all_teams", StudyFilter()), ("one_team", StudyFilter(teams=(2,)))):
    runs = []
    for _ in range(6):
        started = time.perf_counter()
        result = queries.overview(con, flt, "contributing")
        runs.append(time.perf_counter() - started)
    out[name] = {"cold_s": runs[0], "warm_s": statistics.median(runs[1:]), "trend_points": 2 * len(result.trend)}
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def child(args: list[str]) -> str:
    """Run a Python child in the project folder and return what it printed."""
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def measure(scale: str, folder: Path) -> dict[str, object]:
    teams, months = SCALES[scale]
    path = folder / f"{scale}.duckdb"
    build = json.loads(child(["-c", BUILD_PROBE, str(path), str(teams), str(months)]))
    rows = {
        line.split()[0]: int(line.split()[1].replace(",", ""))
        for line in child(["-m", "observation", "info", "--db", str(path)]).splitlines()
        if line.startswith("  ")
    }
    return {
        "teams": teams,
        "months": months,
        "demo_build_s": round(build["seconds"], 2),
        "demo_build_peak_rss_mb": round(build["peak_rss_mb"], 1),
        "file_mb": round(path.stat().st_size / 2**20, 1),
        "rows": rows,
        "overview_queries": json.loads(child(["-c", QUERY_PROBE, str(path)])),
    }


def markdown(results: dict[str, dict[str, object]]) -> str:
    lines = [
        "| scale | teams × months | meetings | attendance rows | build (s) | build peak RSS (MB) | file (MB) "
        "| Overview queries, all teams: cold / warm (ms) | one team: cold / warm (ms) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for scale, r in results.items():
        rows: Any = r["rows"]
        queries: Any = r["overview_queries"]
        a, o = queries["all_teams"], queries["one_team"]
        lines.append(
            f"| {scale} | {r['teams']} × {r['months']} | {rows['meetings']:,} | {rows['attendance']:,} "
            f"| {r['demo_build_s']} | {r['demo_build_peak_rss_mb']} | {r['file_mb']} "
            f"| {a['cold_s'] * 1000:.0f} / {a['warm_s'] * 1000:.0f} "
            f"| {o['cold_s'] * 1000:.0f} / {o['warm_s'] * 1000:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    parser.add_argument("--scales", default="demo,trust,national", help="comma-separated: demo, trust, national")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args()
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    unknown = [s for s in scales if s not in SCALES]
    if unknown:
        parser.error(f"unknown scale {', '.join(unknown)}: choose from {', '.join(SCALES)}")
    with tempfile.TemporaryDirectory() as tmp:
        results = {scale: measure(scale, Path(tmp)) for scale in scales}
        for scale, r in results.items():
            print(f"{scale}: {json.dumps(r)}", flush=True)
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    machine = (
        f"{platform.machine()}, {platform.system()}, {os.cpu_count()} cores, {memory_gb:.0f} GB, "
        f"Python {platform.python_version()}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "scales": results}, indent=2) + "\n")
    table = markdown(results)
    args.out.with_suffix(".md").write_text(f"Measured on {machine} (`python -m bench`).\n\n{table}")
    print(table)


if __name__ == "__main__":
    main()
