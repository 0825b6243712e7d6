"""Moving a study between a file and PostgreSQL (observation/transfer.py) with its contributions
observed live: every row as it was, identical rows included, and new ones numbered after."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from observation import db, ingest, transfer
from tests import postgres

# Two identical rows (A-SU1 spoke twice in minute 3), a tap's time to the microsecond, and an
# imported one without a time.
ROWS = [
    (1, 3, "spoke", 3, "OB-01", dt.datetime(2020, 1, 10, 10, 3, 7, 123456)),
    (1, 3, "spoke", 3, "OB-01", dt.datetime(2020, 1, 10, 10, 3, 7, 123456)),
    (2, 4, "took_action", 44, "OB-02", None),
]
QUERY = "select id, meeting_id, participant_id, kind, minute, observer, recorded_at from contributions order by id"


def test_contributions_go_to_postgresql_and_back_exactly(
    postgres_server: postgres.Server, small_path: Path, tmp_path: Path
) -> None:
    con = db.connect(small_path)
    con.executemany(
        "insert into contributions (meeting_id, participant_id, kind, minute, observer, recorded_at) "
        "values (?, ?, ?, ?, ?, ?)",
        ROWS,
    )
    original = con.execute(QUERY).fetchall()
    con.close()
    url = postgres_server.new_database()
    assert transfer.copy_study(small_path, url)["contributions"] == 3
    back = tmp_path / "back.duckdb"
    transfer.copy_study(url, back)
    taps = tmp_path / "taps.csv"
    taps.write_text("team,date,minute,participant,kind,observer\nAlpha,24/01/2020,50,A-ST1,spoke,OB-02\n")
    for there in (url, back):
        con = db.connect(there)
        try:
            assert con.execute(QUERY).fetchall() == original
            ingest.import_files(con, [taps])  # a new contribution is numbered after the copied ones
            assert con.execute("select max(id) from contributions where minute = 50").fetchone() == (4,)
        finally:
            con.close()
