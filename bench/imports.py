"""The import probe: ``python -m bench.imports STUDY.duckdb WORK_FOLDER`` prints one JSON object;
``python -m bench.imports --scale national [--times 3]`` builds that scale's study first and measures
it that many times (one JSON object each), for working on the import alone.

Writes the study's attendance as the long-format file researchers import (team, date,
participant, status, participation; at most ``ROWS`` rows, which stays under the 20 MB an import
takes), removes those rows from a copy of the study, and times:

- ``import_rows_per_s``: ``observation.ingest.import_files`` putting them back, with every check
  it makes (values, references, the integrity check, the audit trail);
- ``reimport_rows_per_s``: the same file imported again, every row found unchanged;
- ``read_csv_rows_per_s``: DuckDB's own ``read_csv`` of the same file into a new table of the study
  file, committed: the least any import has to do to land those rows (it reads typed columns; an
  import reads text and checks it);
- ``keyed_insert_rows_per_s``: the least an import into the study can do (the rows removed again
  first): one statement that reads the file, finds each row's meeting and person by joins and
  inserts into the attendance table (keyed on meeting and person), committed. No value, reference
  or duplicate is checked, nothing is audited, no meeting's facts or version is kept.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from observation import access, db, ingest
from observation.demo import DemoSpec, build_demo

ROWS = 300_000


def main() -> None:
    if sys.argv[1:2] != ["--scale"]:
        with access.acting_as(access.local_researcher()):  # as `python -m observation import` does
            measure(Path(sys.argv[1]), Path(sys.argv[2]))
        return
    from bench.__main__ import SCALES

    parser = argparse.ArgumentParser(prog="python -m bench.imports")
    parser.add_argument("--scale", choices=SCALES, required=True)
    parser.add_argument("--times", type=int, default=1)
    args = parser.parse_args()
    teams, months = SCALES[args.scale]
    with tempfile.TemporaryDirectory() as tmp, access.acting_as(access.local_researcher()):
        study = Path(tmp) / f"{args.scale}.duckdb"
        build_demo(study, DemoSpec(teams=teams, months=months))
        for _ in range(args.times):
            measure(study, Path(tmp))


def measure(study: Path, work: Path) -> None:
    copy, csv = work / "import-target.duckdb", work / "attendance.csv"
    shutil.copy(study, copy)
    con = db.connect(copy)
    con.execute(
        """
        create temp table chosen as
        select a.meeting_id, a.participant_id, t.name as team, strftime(m.meeting_date, '%Y-%m-%d') as date,
               p.code as participant, a.status, coalesce(a.participation, '') as participation
        from attendance as a join meetings as m on m.id = a.meeting_id join teams as t on t.id = m.team_id
        join participants as p on p.id = a.participant_id
        order by m.team_id, m.meeting_date, p.code limit ?
        """,
        [ROWS],
    )
    con.execute(
        f"copy (select team, date, participant, status, participation from chosen) to '{csv}' (header, delimiter ',')"  # noqa: S608 - COPY takes no parameter; our own temporary path
    )
    rows = con.execute("select count(*) from chosen").fetchone()[0]  # type: ignore[index]
    remove_chosen = (
        "delete from attendance where (meeting_id, participant_id) in (select (meeting_id, participant_id) from chosen)"
    )
    con.execute(remove_chosen)
    con.execute("checkpoint")  # each timed step starts from a checkpointed file, none pays for the last

    started = time.perf_counter()
    outcome = ingest.import_files(con, [csv])
    imported = time.perf_counter() - started
    created = outcome.counts["attendance"]["created"]
    if created != rows:
        raise SystemExit(f"the import created {created} attendance rows, not {rows}")

    con.execute("checkpoint")
    started = time.perf_counter()
    again = ingest.import_files(con, [csv])
    reimported = time.perf_counter() - started
    if again.counts["attendance"].get("skipped") != rows:
        raise SystemExit(f"the second import left {dict(again.counts['attendance'])} rows, not {rows} unchanged")

    con.execute(remove_chosen)
    con.execute("drop table chosen")
    con.execute("checkpoint")
    started = time.perf_counter()
    con.execute("begin")
    (landed,) = con.execute(
        """
        insert into attendance (meeting_id, participant_id, status, participation)
        select m.id, p.id, f.status, nullif(f.participation, '')
        from read_csv(?, all_varchar = true) as f
        join teams as t on t.name = f.team
        join meetings as m on m.team_id = t.id and m.meeting_date = f.date::date
        join participants as p on p.code = f.participant
        """,
        [str(csv)],
    ).fetchone()  # type: ignore[misc]
    con.execute("commit")
    inserted = time.perf_counter() - started
    if landed != rows:
        raise SystemExit(f"the keyed insert wrote {landed} attendance rows, not {rows}")

    con.execute("checkpoint")
    started = time.perf_counter()
    con.execute("create table read_back as select * from read_csv(?)", [str(csv)])
    read = time.perf_counter() - started
    con.close()
    print(
        json.dumps(
            {
                "rows": rows,
                "file_mb": round(csv.stat().st_size / 2**20, 1),
                "import_s": imported,
                "keyed_insert_s": inserted,
                "read_csv_s": read,
                "import_rows_per_s": rows / imported,
                "reimport_rows_per_s": rows / reimported,
                "keyed_insert_rows_per_s": rows / inserted,
                "read_csv_rows_per_s": rows / read,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
