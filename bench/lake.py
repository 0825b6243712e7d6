"""Which way to put a study in PostgreSQL: ``python -m bench.lake STUDY.duckdb POSTGRES_URL CATALOG_URL``
prints one JSON object.

POSTGRES_URL holds the study copied in (``python -m observation migrate``): DuckDB's postgres
extension, the way the app runs. The same tables also go into a DuckLake whose catalog is the
empty PostgreSQL database CATALOG_URL and whose data files sit in a local folder. Four reads
every page makes in some form are timed on the file, on PostgreSQL and on the lake (median of
five, after one warm-up); and the constraints the study relies on are tried on the lake.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from observation import db

READS = {
    "meetings by team and month": (
        "select team_id, date_trunc('month', meeting_date) as month, count(*) filter (where attendance_recorded), "
        "avg((present_lived_experience > 0)::integer) filter (where attendance_recorded) "
        "from meeting_facts group by all"
    ),
    "one team's meetings": "select * from meeting_facts where team_id = 1 order by meeting_date",
    "notes search": "select count(*) from field_notes where body ilike '%transport%'",
    "one meeting's attendance": "select * from attendance where meeting_id = 42",
}
TRIED = {
    "primary key": "create table lake.tried_pk (id integer primary key)",
    "unique": "create table lake.tried_unique (name varchar unique)",
    "check": "create table lake.tried_check (n integer check (n > 0))",
    "sequence": "create sequence lake.tried_sequence",
}


def timed(cur: duckdb.DuckDBPyConnection, sql: str) -> float:
    cur.execute(sql).fetchall()
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        cur.execute(sql).fetchall()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def lake(study: Path, catalog: str, folder: Path) -> tuple[duckdb.DuckDBPyConnection, dict[str, str]]:
    """The study's tables in a new DuckLake (PostgreSQL catalog, local data files), and what the
    lake said to each constraint the study relies on."""
    con = duckdb.connect()
    db.load_extension(con, "postgres_scanner")
    db.load_extension(con, "ducklake")
    con.execute(f"attach 'ducklake:postgres:{catalog}' as lake (data_path '{folder}/')")
    said = {}
    for what, sql in TRIED.items():
        try:
            con.execute(sql)
            said[what] = "accepted"
        except duckdb.Error as exc:
            said[what] = str(exc).splitlines()[0]
    con.execute(f"attach '{study}' as source (read_only)")
    for table in ("teams", "participants", "role_categories", "participation_levels", "meetings", "attendance",
                  "field_notes"):  # fmt: skip
        con.execute(f"create table lake.{table} as from source.{table}")
    view = re.search(r"create or replace view meeting_facts_computed as(.*?);", db.SCHEMA_SQL, re.S)
    assert view is not None
    con.execute("use lake")
    con.execute(f"create view meeting_facts as {view.group(1)}")
    con.execute("detach source")
    return con, said


def main() -> None:
    study, url, catalog = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    with tempfile.TemporaryDirectory() as folder:
        on_lake, said = lake(study, catalog, Path(folder))
        file, postgres = db.connect(study, read_only=True), db.connect(url, read_only=True)
        reads: dict[str, dict[str, float]] = {}
        for name, sql in READS.items():
            with db.cursor(file) as a, db.cursor(postgres) as b, on_lake.cursor() as c:
                c.execute("use lake")
                reads[name] = {"file": timed(a, sql), "postgres": timed(b, sql), "ducklake": timed(c, sql)}
        out: dict[str, Any] = {"reads": reads, "ducklake_constraints": said}
        for con in (file, postgres, on_lake):
            con.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
