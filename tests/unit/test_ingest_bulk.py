"""Long-format attendance is written set-based (observation/ingest/bulk.py). Its promise: the same
problems, counts, rows, audit trail and meeting versions as the row-by-row writer it replaced,
which is kept here as the oracle, on random files. One difference in the audit trail, on purpose:
the rows it creates are one entry naming every row's key, not one entry per row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from observation import db, ingest
from observation.ingest import Sheet, _present
from tests.small_study import build_small_study

pytestmark = pytest.mark.both_backends  # storage, import, export, audit and access: on both backends


class RowByRow(ingest._Writer):
    """The writer before bulk.py: every attendance row checked and upserted on its own."""

    def rows(self, sheet: Sheet, kind: ingest.Kind) -> None:
        if kind.name != "attendance":
            super().rows(sheet, kind)
            return
        for number, row in enumerate(sheet.rows, start=2):
            self.tally.row(sheet, number)
            if any(row.values()) and (parsed := self.parse(sheet, number, row, kind)) is not None:
                self.write_attendance(sheet, number, parsed)

    def write_attendance(self, sheet: Sheet, number: int, r: dict[str, Any]) -> None:
        team = self.team_id(sheet, number, r["team"])
        person = self.participant_id(sheet, number, r["participant"])
        if team is None or person is None:
            return
        meeting = self.meeting_id(sheet, number, team, r["date"])
        if meeting is None:
            return
        if r.get("participation") and r["status"] != "present":
            self.problem(
                sheet, number, "participation", r["participation"], "a level is recorded only for people present"
            )
            return
        values = {"status": r["status"]} | _present(r, "participation")
        if r["status"] != "present":
            values["participation"] = None
        self.upsert("attendance", {"meeting_id": meeting, "participant_id": person}, values)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bulk") / "small.duckdb"
    build_small_study(path)
    return path


# Meetings of the small study (team as a file might write it, date in either form), its people,
# and values that are wrong in every way the writer checks.
MEETINGS = [("Alpha", "2020-01-10"), ("alpha", "10/01/2020"), (" ALPHA ", "2020-01-24"), ("Alpha", "2020-02-07"),
            ("Beta", "2020-01-15"), ("beta", "12/02/2020"), ("Beta", "2020-03-11")]  # fmt: skip
PEOPLE = ["A-SU1", "a-ca1", "A-ST1", "A-ST2", "B-SU1", "B-SU2", "B-ST1"]
STATUSES = ["present", "Present", "absent", "apologies"]
LEVELS = ["", "observing", "contributing", "co-leading"]
WRONG = {
    0: ["Nowhere", ""],
    1: ["2020-01-11", "31/02/2020", ""],
    2: ["Z-XX9", "nobody"],
    3: ["maybe", ""],
    4: ["shouting", "observing"],  # "observing" is wrong only for someone not present
}


def _row(meeting: tuple[str, str], person: str, status: str, level: str) -> tuple[str, ...]:
    return (*meeting, person, status, level if status.lower() == "present" else "")


good = st.builds(_row, st.sampled_from(MEETINGS), st.sampled_from(PEOPLE), st.sampled_from(STATUSES),
                 st.sampled_from(LEVELS))  # fmt: skip


@st.composite
def wrong(draw: st.DrawFn) -> tuple[str, ...]:
    row = list(draw(good))
    for column in draw(st.sets(st.sampled_from(sorted(WRONG)), min_size=1, max_size=3)):
        row[column] = draw(st.sampled_from(WRONG[column]))
    return tuple(row)


def _key(row: tuple[str, ...]) -> tuple[str, str, str]:
    days = {"10/01/2020": "2020-01-10", "12/02/2020": "2020-02-12"}
    return row[0].strip().lower(), days.get(row[1], row[1]), row[2].upper()


# Most files are all good (so rows are written and compared); some carry one or more wrong rows.
files = st.one_of(
    st.lists(good, max_size=14, unique_by=_key),
    st.lists(st.one_of(good, wrong()), min_size=1, max_size=14, unique_by=_key),
)


def outcome(path: Path, csv: Path, writer: type[ingest._Writer], monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    """What importing ``csv`` did: the problems, or the counts, rows, audit trail and versions."""
    monkeypatch.setattr(ingest, "_Writer", writer)
    con = db.connect(path)
    try:
        try:
            done = ingest.import_files(con, [csv])
        except ingest.ImportProblems as refused:
            return ("refused", [str(p) for p in refused.problems])
        return (
            {t: dict(c) for t, c in done.counts.items()},
            con.execute("select * from attendance order by all").fetchall(),
            audited(con.execute("select actor, action, table_name, row_key, before, after from audit order by id")),
            con.execute("select meeting_id, version, saved_by from meeting_versions order by all").fetchall(),
        )
    finally:
        con.close()


def audited(entries: Any) -> tuple[list[tuple[Any, ...]], set[tuple[str, str]]]:
    """The audit trail as (every entry but attendance created, in order; (actor, key) of every
    attendance row created), whether the rows were audited one by one or as one entry."""
    others, created = [], set()
    for actor, action, table, row_key, before, after in entries.fetchall():
        if (action, table) != ("create", "attendance"):
            others.append((actor, action, table, row_key, before, after))
        elif row_key.startswith("meeting_id="):  # one entry per row (the oracle)
            created.add((actor, row_key))
        else:  # one entry per file: the file, how many rows, and each row's key
            listed = json.loads(after)
            keys = {
                (actor, f"meeting_id={meeting}, participant_id={person}")
                for meeting, people in listed["participant_ids by meeting_id"].items()
                for person in people
            }
            assert len(keys) == listed["rows"]
            assert row_key == f"every row created from {listed['file']}"
            created |= keys
    return others, created


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=files, with_level=st.booleans())
# someone unknown with a level but not present: one problem (who they are), not two
@example(lines=[("Alpha", "2020-01-10", "Z-XX9", "absent", "observing")], with_level=True)
def test_bulk_attendance_does_what_the_row_by_row_writer_did(
    pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lines: list[tuple[str, ...]], with_level: bool
) -> None:
    header = "team,date,participant,status" + (",participation" if with_level else "")
    body = [",".join(line if with_level else line[:4]) for line in lines]
    csv = tmp_path / "attendance.csv"
    csv.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
    results = []
    for name, writer in (("old", RowByRow), ("bulk", ingest._Writer)):
        study = tmp_path / f"{name}.duckdb"
        shutil.copy(pristine, study)
        with monkeypatch.context() as m:
            results.append(outcome(study, csv, writer, m))
    assert results[1] == results[0]


def test_the_oracle_is_the_row_by_row_writer(pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The comparison above is only worth something if the oracle really takes the old path.
    csv = tmp_path / "attendance.csv"
    csv.write_text("team,date,participant,status\nAlpha,2020-01-10,A-SU1,absent\n", encoding="utf-8")
    shutil.copy(pristine, tmp_path / "old.duckdb")
    called: list[int] = []
    monkeypatch.setattr(RowByRow, "upsert", lambda self, *a: called.append(1))
    outcome(tmp_path / "old.duckdb", csv, RowByRow, monkeypatch)
    assert called == [1]


def test_a_team_name_held_in_two_cases_takes_the_exact_one_in_both_writers(
    pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Study setup can hold "Alpha" and "alpha"; a row names the one it spells, else the older.
    csv = tmp_path / "attendance.csv"
    csv.write_text(
        "team,date,participant,status\nalpha,2020-06-01,A-SU1,present\nALPHA,2020-01-10,A-CA1,apologies\n",
        encoding="utf-8",
    )
    results = []
    for name, writer in (("old", RowByRow), ("bulk", ingest._Writer)):
        study = tmp_path / f"{name}.duckdb"
        shutil.copy(pristine, study)
        con = db.connect(study)
        con.execute(
            "insert into teams (id, name, service, setting, start_date) values (3, 'alpha', '', 'other', '2020-01-01')"
        )
        con.execute("insert into meetings (id, team_id, meeting_date, status) values (9, 3, '2020-06-01', 'held')")
        con.close()
        with monkeypatch.context() as m:
            results.append(outcome(study, csv, writer, m))
        con = db.connect(study)
        placed = con.execute(
            "select a.meeting_id, p.code, a.status from attendance as a "
            "join participants as p on p.id = a.participant_id "
            "where a.meeting_id = 9 or (a.meeting_id = 1 and p.code = 'A-CA1') order by all"
        ).fetchall()
        con.close()
        assert placed == [(1, "A-CA1", "apologies"), (9, "A-SU1", "present")], name
    assert results[1] == results[0]
