"""The synthetic demo study: deterministic, valid, written all at once, and telling DOMAIN.md's story."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observation import db, demo, models
from observation.demo import DemoSpec, build_demo
from observation.errors import ObservationError


def all_tables(path: Path) -> dict[str, pd.DataFrame]:
    con = db.connect(path, read_only=True)
    try:
        return {t: con.execute(f"select * from {t} order by all").fetchdf() for t in db.STUDY_TABLES}
    finally:
        con.close()


def test_the_same_arguments_give_identical_contents(tmp_path: Path) -> None:
    spec = DemoSpec(seed=11, teams=4, months=5)
    build_demo(tmp_path / "a.duckdb", spec)
    build_demo(tmp_path / "b.duckdb", spec)
    a, b = all_tables(tmp_path / "a.duckdb"), all_tables(tmp_path / "b.duckdb")
    for table in db.STUDY_TABLES:
        pd.testing.assert_frame_equal(a[table], b[table], obj=table)


def test_another_seed_gives_another_study(tmp_path: Path) -> None:
    build_demo(tmp_path / "a.duckdb", DemoSpec(seed=1))
    build_demo(tmp_path / "b.duckdb", DemoSpec(seed=2))
    assert not all_tables(tmp_path / "a.duckdb")["attendance"].equals(all_tables(tmp_path / "b.duckdb")["attendance"])


def test_every_demo_row_satisfies_its_model(demo: duckdb.DuckDBPyConnection) -> None:
    for table, model in models.TABLE_MODELS.items():
        rows = demo.execute(f"select * from {table}").fetchdf()
        records = rows.astype(object).where(rows.notna(), None).to_dict("records")
        assert records, f"the demo study has no {table}"
        for record in records:
            model.model_validate(record)


def test_the_demo_says_it_is_synthetic(demo: duckdb.DuckDBPyConnection) -> None:
    name, is_demo, description = demo.execute("select name, is_demo, description from study").fetchone()  # type: ignore[misc]
    assert is_demo
    assert "Synthetic" in name
    assert "Invented" in description


def test_default_shape_follows_the_domain_brief(demo: duckdb.DuckDBPyConnection) -> None:
    teams = demo.execute("select setting, service from teams order by id").fetchall()
    assert [s for s, _ in teams] == ["community", "community", "inpatient"]
    assert "brain-injury" in teams[0][1]
    assert "brain-injury" in teams[1][1]
    first, last = demo.execute("select min(meeting_date), max(meeting_date) from meetings").fetchone()  # type: ignore[misc]
    assert (first.year, first.month) == (2019, 7)
    assert (last.year, last.month) == (2020, 2)
    gaps = demo.execute(
        "select distinct meeting_date - lag(meeting_date) over (partition by team_id order by meeting_date) "
        "from meetings "
        "qualify meeting_date - lag(meeting_date) over (partition by team_id order by meeting_date) is not null"
    ).fetchall()
    assert gaps == [(14,)]  # fortnightly
    assert demo.execute("select count(*) from codes").fetchone()[0] in range(20, 31)  # type: ignore[index]
    assert demo.execute("select count(*) from field_notes").fetchone()[0] in range(100, 500)  # type: ignore[index]
    assert demo.execute("select count(*) from meetings where status = 'cancelled'").fetchone()[0] > 0  # type: ignore[index]


def presence_by_team(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    rows = con.execute(
        "select t.setting || ':' || t.name, avg(if(present_service_users > 0, 1.0, 0.0)) "
        "from meeting_facts f join teams t on t.id = f.team_id where status = 'held' group by all"
    ).fetchall()
    return dict(rows)


def test_service_users_are_mostly_absent_and_rarest_in_the_inpatient_team(demo: duckdb.DuckDBPyConnection) -> None:
    presence = presence_by_team(demo)
    inpatient = [v for k, v in presence.items() if k.startswith("inpatient")]
    community = [v for k, v in presence.items() if k.startswith("community")]
    assert 0 < inpatient[0] <= 0.2  # rarely, but not never
    assert inpatient[0] < min(community)
    overall = demo.execute(
        "select avg(if(present_service_users > 0, 1.0, 0.0)) from meeting_facts where status = 'held'"
    ).fetchone()[0]  # type: ignore[index]
    assert overall < 0.5  # mostly absent


def test_presence_rises_after_home_meetings_begin(demo: duckdb.DuckDBPyConnection) -> None:
    team_id, began = demo.execute(
        "select team_id, event_date from annotations where category = 'home_meetings'"
    ).fetchone()  # type: ignore[misc]
    before, after = demo.execute(
        "select avg(if(present_service_users > 0, 1.0, 0.0)) filter (where meeting_date < $d), "
        "avg(if(present_service_users > 0, 1.0, 0.0)) filter (where meeting_date >= $d) "
        "from meeting_facts where status = 'held' and team_id = $t",
        {"d": began, "t": team_id},
    ).fetchone()  # type: ignore[misc]
    assert before <= 0.3
    assert after >= 0.7
    assert demo.execute(
        "select count(*) from meetings where format = 'home' and team_id = ? and meeting_date < ?", [team_id, began]
    ).fetchone() == (0,)
    assert demo.execute("select count(*) from meetings where format = 'home'").fetchone()[0] > 0  # type: ignore[index]


def test_inpatient_notes_carry_more_recruitment_tension(demo: duckdb.DuckDBPyConnection) -> None:
    per_meeting = dict(
        demo.execute(
            """
            select t.setting, count(s.id) / count(distinct m.id)
            from meetings m
            join teams t on t.id = m.team_id
            left join field_notes n on n.meeting_id = m.id
            left join coded_segments s on s.note_id = n.id and s.coder = 'R01'
                and s.code_id in (select id from codes where slug like 'recruitment_tension%')
            where m.status = 'held'
            group by t.setting
            """
        ).fetchall()
    )
    assert per_meeting["inpatient"] > 1.5 * per_meeting["community"]


def test_training_carers_recruitment_and_double_coding_appear(demo: duckdb.DuckDBPyConnection) -> None:
    assert demo.execute("select count(*) from participants where qi_trained").fetchone()[0] > 0  # type: ignore[index]
    assert demo.execute("select count(*) from annotations where category = 'qi_training'").fetchone() == (1,)
    assert demo.execute("select sum(present_carers) from meeting_facts").fetchone()[0] > 0  # type: ignore[index]
    stages = {s for (s,) in demo.execute("select distinct stage from recruitment_events").fetchall()}
    assert {"identified", "approached", "agreed", "declined", "first_attended", "still_attending"} <= stages
    assert demo.execute(
        "select count(*) from recruitment_events where stage = 'declined' and reason_code_id is null"
    ).fetchone() == (0,)
    double = demo.execute(
        "select count(*) from (select note_id from coded_segments where note_id is not null "
        "group by note_id having count(distinct coder) = 2)"
    ).fetchone()[0]  # type: ignore[index]
    assert double >= 10


def test_notes_name_people_only_by_their_codes(demo: duckdb.DuckDBPyConnection) -> None:
    codes = {c for (c,) in demo.execute("select code from participants").fetchall()}
    bodies = " ".join(b for (b,) in demo.execute("select body from field_notes").fetchall())
    mentioned = set(re.findall(r"\b[A-Z]{2}[0-9]+-[0-9]{2}\b", bodies))
    assert mentioned, "the demo notes should mention someone by code"
    assert mentioned <= codes


def test_an_existing_file_is_kept_unless_replace_is_asked(tmp_path: Path) -> None:
    path = tmp_path / "study.duckdb"
    path.write_bytes(b"precious")
    with pytest.raises(ObservationError, match="already exists"):
        build_demo(path)
    assert path.read_bytes() == b"precious"


def test_a_failure_while_writing_leaves_the_old_file_and_no_leftovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "study.duckdb"
    build_demo(path, DemoSpec(teams=1, months=2))
    before = path.read_bytes()

    def broken(*_: object) -> None:
        raise ObservationError("disk full")

    monkeypatch.setattr(demo, "write_tables", broken)
    with pytest.raises(ObservationError, match="disk full"):
        build_demo(path, replace=True)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.duckdb"]


def test_more_teams_and_months_scale_the_study(tmp_path: Path) -> None:
    build_demo(tmp_path / "big.duckdb", DemoSpec(teams=12, months=24))
    con = db.connect(tmp_path / "big.duckdb", read_only=True)
    counts = db.table_counts(con)
    settings = {s for (s,) in con.execute("select distinct setting from teams").fetchall()}
    con.close()
    assert counts["teams"] == 12
    assert 12 * 24 * 2 <= counts["meetings"] <= 12 * 24 * 2.3
    assert counts["attendance"] > 8 * counts["meetings"] * 0.7
    assert {"community", "inpatient"} <= settings


def test_replace_refuses_a_real_study(small_path: Path) -> None:
    before = small_path.read_bytes()
    with pytest.raises(ObservationError, match=r"holds a real study .* not the synthetic demo"):
        build_demo(small_path, replace=True)
    assert small_path.read_bytes() == before


def test_replace_refuses_a_demo_that_another_program_has_open(tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    build_demo(path, DemoSpec(teams=1, months=2))
    hold = "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('holding', flush=True); sys.stdin.read()"
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(ObservationError, match="already open in another program"):
            build_demo(path, replace=True)
    finally:
        holder.communicate("", timeout=30)


def test_replacing_the_demo_leaves_nothing_of_the_old_one(tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    build_demo(path, DemoSpec(seed=1, teams=1, months=2))
    con = db.connect(path)
    con.execute("insert into annotations (event_date, label) values ('2019-07-05', 'Left behind')")
    con.close()
    Path(f"{path}.wal").write_bytes(b"stale log")  # as a crash would leave it
    build_demo(path, DemoSpec(seed=2, teams=1, months=2), replace=True)
    assert not Path(f"{path}.wal").exists()
    labels = {
        label for (label,) in db.connect(path, read_only=True).execute("select label from annotations").fetchall()
    }
    assert "Left behind" not in labels


def test_an_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ObservationError, match="cannot write the demo study here"):
        build_demo(blocker / "demo.duckdb")
