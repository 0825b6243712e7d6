"""The synthetic demo study: deterministic, valid, written all at once, and telling the setting's story."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from observation import db, demo, models
from observation.demo import DemoSpec, build_demo
from observation.demo.content import (
    CARER,
    CLOSING,
    HOME,
    PROCESS,
    SU_ABSENT,
    SU_PRESENT,
    TENSION_COMMUNITY,
    TENSION_INPATIENT,
    TRAINED,
    by_level,
)
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


def test_feedback_is_from_people_present_and_changes_arise_at_their_own_teams_meetings(
    demo: duckdb.DuckDBPyConnection,
) -> None:
    """What a reader of the experience and impact measures relies on, counted here in SQL: every
    answer is by a service user or carer present at a held meeting, one for each item asked then;
    a change's meeting, when it names one, is a held meeting of its own team on or before its
    date; and feedback began part-way, so the study has months of attendance before it."""
    not_present = demo.execute(
        """
        select count(*) from feedback_responses as f
        where not exists (
            select 1 from attendance as a
            join meetings as m on m.id = a.meeting_id
            join participants as p on p.id = a.participant_id
            join role_categories as r on r.code = p.role
            where a.meeting_id = f.meeting_id and a.participant_id = f.participant_id
              and a.status = 'present' and m.status = 'held' and r.lived_experience
        )
        """
    ).fetchone()
    assert not_present == (0,)
    answered = demo.execute(
        "select count(*), count(*) filter (where items <> 4 or keys <> 4) from ("
        "  select count(*) as items, count(distinct i.item_key) as keys from feedback_responses as f"
        "  join feedback_items as i on i.id = f.item_id group by f.meeting_id, f.participant_id)"
    ).fetchone()
    assert answered is not None
    assert answered[0] >= 5  # not vacuous
    assert answered[1] == 0  # every item answered once by whoever answered
    elsewhere = demo.execute(
        "select count(*) from impact_entries as e join meetings as m on m.id = e.meeting_id "
        "where m.team_id <> e.team_id or m.meeting_date > e.entry_date or m.status <> 'held'"
    ).fetchone()
    assert elsewhere == (0,)
    with_meeting, without = demo.execute(
        "select count(meeting_id), count(*) - count(meeting_id) from impact_entries"
    ).fetchone()  # type: ignore[misc]
    assert with_meeting > 0
    assert without > 0
    first_attended, first_answered, months_before = demo.execute(
        """
        with attended as (
            select distinct date_trunc('month', m.meeting_date) as month from attendance as a
            join meetings as m on m.id = a.meeting_id where a.status = 'present'
        ), answered as (
            select distinct date_trunc('month', m.meeting_date) as month from feedback_responses as f
            join meetings as m on m.id = f.meeting_id
        )
        select (select min(month) from attended), (select min(month) from answered),
               (select count(*) from attended where month < (select min(month) from answered))
        """
    ).fetchone()  # type: ignore[misc]
    assert first_attended < first_answered
    assert months_before >= 2


def test_experience_answers_and_changes_follow_the_involvement_story(demo: duckdb.DuckDBPyConnection) -> None:
    """Those who contributed or co-led answer higher than those who observed; influence lower than
    being listened to; not everyone answers; a change from people with lived experience arose at a
    meeting one of them came to (or at none); a reworded item keeps its earlier answers."""
    by_level = dict(
        demo.execute(
            "select a.participation = 'observing', avg(f.answer) from feedback_responses as f "
            "join attendance as a using (meeting_id, participant_id) group by all"
        ).fetchall()
    )
    assert by_level[True] + 0.5 < by_level[False]
    by_item = dict(
        demo.execute(
            "select i.item_key, avg(f.answer) from feedback_responses as f "
            "join feedback_items as i on i.id = f.item_id group by all"
        ).fetchall()
    )
    assert by_item["influence"] < by_item["listened"]
    rate = demo.execute(
        """
        select count(distinct (f.meeting_id, f.participant_id)) / count(distinct (a.meeting_id, a.participant_id))
        from attendance as a
        join meetings as m on m.id = a.meeting_id
        join participants as p on p.id = a.participant_id
        left join feedback_responses as f using (meeting_id, participant_id)
        where a.status = 'present' and m.status = 'held' and p.role in ('service_user', 'carer')
          and m.meeting_date >= (select min(x.meeting_date) from meetings as x
                                 join feedback_responses as y on y.meeting_id = x.id)
        """
    ).fetchone()[0]  # type: ignore[index]
    assert 0.3 <= rate <= 0.9
    unseen = demo.execute(
        """
        select count(*) from impact_entries as e
        where e.origin in ('lived_experience', 'both') and e.meeting_id is not null and not exists (
            select 1 from attendance as a join participants as p on p.id = a.participant_id
            where a.meeting_id = e.meeting_id and a.status = 'present' and p.role in ('service_user', 'carer'))
        """
    ).fetchone()
    assert unseen == (0,)
    assert {o for (o,) in demo.execute("select distinct origin from impact_entries").fetchall()} >= {
        "staff",
        "lived_experience",
    }
    versions = demo.execute(
        "select i.version, i.active, max(m.meeting_date), min(m.meeting_date) from feedback_items as i "
        "join feedback_responses as f on f.item_id = i.id join meetings as m on m.id = f.meeting_id "
        "where i.item_key = 'understood' group by all order by i.version"
    ).fetchall()
    assert [(v, active) for v, active, *_ in versions] == [(1, False), (2, True)]
    assert versions[0][2] < versions[1][3]  # the old wording's answers all come before the new one's


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
    assert {"identified", "approached", "agreed", "declined", "withdrew"} <= stages
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


# --- A demo that agrees with itself ----------------------------------------------------------
#
# What a reader of the notes would take each kind of note to say, judged here (not taken from
# the generator), and checked against the records of the meeting it was written at.

PERSON_CODE = re.compile(r"\b[A-Z]{2}[0-9]+-[0-9]{2}\b")
LEVELS = frozenset(("observing", "contributing", "co_leading"))
# Phrase (a regular expression) -> the participation levels that the person the note names can
# have had at that meeting for the phrase to be true. A note matching several gets all of them.
PARTICIPATION_SAID: tuple[tuple[str, frozenset[str]], ...] = (
    (r"listened throughout|and listened\b|chose to listen", frozenset({"observing"})),
    (r"stayed in the background", frozenset({"observing"})),
    (
        r"spoke|asked why|suggested|described|written comment|brought|raised",
        frozenset({"contributing", "co_leading"}),
    ),
    (r"\blead the discussion|\bled the\b|facilitated|summed up", frozenset({"co_leading"})),
    # these say the person was there, and nothing of how they took part
    (r"joined the meeting|held at .*'s home", LEVELS),
)
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


Row = dict[str, Any]


class _Records:
    """The demo's tables, and what a reader would look up in them to check a note."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        def rows(sql: str) -> list[Row]:
            cur = con.execute(sql)
            names = [d[0] for d in cur.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

        self.meetings = {m["id"]: m for m in rows("select * from meetings")}
        self.people = {p["id"]: p for p in rows("select * from participants")}
        self.by_code = {p["code"]: pid for pid, p in self.people.items()}
        # (meeting, person) -> the participation level of each person present
        self.levels: dict[tuple[int, int], str] = {
            (a["meeting_id"], a["participant_id"]): a["participation"]
            for a in rows("select * from attendance where status = 'present'")
        }
        self.roles = rows("select * from meeting_roles where participant_id is not null")
        self.holders = {(r["meeting_id"], r["role"]): r["participant_id"] for r in self.roles}
        self.notes = rows(
            "select n.*, coalesce(list(c.slug) filter (where c.slug is not null), []) as codes "
            "from field_notes n left join coded_segments s on s.note_id = n.id and s.coder = 'R01' "
            "left join codes c on c.id = s.code_id group by all order by n.id"
        )
        self.events = rows(
            "select e.*, p.team_id from recruitment_events e join participants p on p.id = e.participant_id"
        )
        self.annotations = rows("select * from annotations")

    def level(self, meeting_id: int, person_id: int) -> str | None:
        """The participation level recorded for someone present at a meeting; None if not present."""
        return self.levels.get((meeting_id, person_id))

    def present_roles(self, meeting_id: int) -> list[str]:
        return [self.people[pid]["role"] for (mid, pid) in self.levels if mid == meeting_id]

    def held_before(self, meeting_id: int) -> list[Row]:
        """The team's held meetings before this one, latest first."""
        m = self.meetings[meeting_id]
        earlier = [
            x
            for x in self.meetings.values()
            if x["team_id"] == m["team_id"] and x["status"] == "held" and x["meeting_date"] < m["meeting_date"]
        ]
        return sorted(earlier, key=lambda x: x["meeting_date"], reverse=True)

    def days_present(self, person_id: int, fmt: str | None = None) -> list[dt.date]:
        return sorted(
            self.meetings[mid]["meeting_date"]
            for (mid, pid) in self.levels
            if pid == person_id and fmt in (None, self.meetings[mid]["format"])
        )


def test_notes_describe_the_participation_recorded_for_the_person_they_name(demo: duckdb.DuckDBPyConnection) -> None:
    """A note saying how someone took part agrees with the level recorded for them at that meeting
    (the participation ladder: observing, contributing, co-leading)."""
    records = _Records(demo)
    wrong: list[str] = []
    checked = 0
    for note in records.notes:
        named = PERSON_CODE.findall(note["body"])
        if not named:
            continue
        allowed = LEVELS
        understood = False
        for pattern, levels in PARTICIPATION_SAID:
            if re.search(pattern, note["body"]):
                allowed, understood = allowed & levels, True
        assert understood, f"a new kind of note names someone: say above what it claims of them: {note['body']!r}"
        date = records.meetings[note["meeting_id"]]["meeting_date"]
        for code in named:
            level = records.level(note["meeting_id"], records.by_code[code])
            checked += 1
            if level not in allowed:
                wrong.append(f"{date} {code} recorded {level or 'not present'}: {note['body']!r}")
    assert checked >= 10
    assert not wrong, f"{len(wrong)} notes contradict the recorded participation:\n" + "\n".join(wrong)


def test_every_note_template_about_a_person_is_tied_to_the_levels_a_reader_would_read_in_it() -> None:
    """The generator picks a note about someone from the templates tied to the level it recorded
    for them; each template's tie is the one the phrases above give its words."""
    templates = [t for group in (SU_PRESENT, CARER, HOME, TRAINED) for t in group]
    for template in templates:
        assert "{who}" in template.text
        said = LEVELS
        for pattern, levels in PARTICIPATION_SAID:
            if re.search(pattern, template.text):
                said &= levels
        assert template.levels == said, template.text
    for level, tied in by_level(SU_PRESENT).items():
        assert tied, f"no note can describe a service user who was {level}"
    for level in ("observing", "contributing"):
        assert by_level(CARER)[level], f"no note can describe a carer who was {level}"
    others = [t for group in (SU_ABSENT, TENSION_COMMUNITY, TENSION_INPATIENT, PROCESS, CLOSING) for t in group]
    assert all(t.levels is None and "{who}" not in t.text for t in others)


def _meeting_claims(records: _Records, note: Row) -> list[str]:
    """What one note says about its meeting that its records contradict."""
    body: str = note["body"]
    mid: int = note["meeting_id"]
    codes: list[str] = note["codes"]
    m = records.meetings[mid]
    named = [records.by_code[c] for c in PERSON_CODE.findall(body)]
    present = records.present_roles(mid)
    wrong = []

    def claim(holds: bool, what: str) -> None:
        if not holds:
            wrong.append(what)

    if m["status"] != "held":
        said = "cancelled" if "cancelled" in body else "postponed" if "postponed" in body else None
        claim(said == m["status"], f"a note on a {m['status']} meeting says {said or 'it happened'}")
        if "room" in body:
            claim(m["format"] in ("ward", "service_base"), f"a room for a meeting to be held {m['format']}")
        return wrong
    claim(note["minute"] is None or note["minute"] <= m["duration_minutes"], "written after the meeting ended")
    claim("cancelled" not in body and "postponed" not in body, "says a held meeting did not happen")
    for pid in named:
        claim(records.level(mid, pid) is not None, f"names {records.people[pid]['code']}, who was not present")
    roles_named = {records.people[pid]["role"] for pid in named}
    if "presence.service_user_present" in codes:
        claim("service_user" in roles_named, "a service user present, but not named")
    if "presence.carer_present" in codes or "a carer" in body.lower():
        claim("carer" in roles_named, "a carer present, but not named")
    if "presence.service_user_absent" in codes:
        claim("service_user" not in present, "no service user, but one was present")
    if "Staff-only" in body or "without anyone with lived experience" in body:
        claim(not {"service_user", "carer"} & set(present), "staff only, but someone with lived experience was there")
    if "empty again" in body:
        before = records.held_before(mid)
        claim(
            bool(before) and "service_user" not in records.present_roles(before[0]["id"]),
            "empty again, but a service user came to the last meeting (or there was none)",
        )
    if "involvement.home_meeting" in codes or re.search(r"[Hh]ome meeting|'s home", body):
        claim(m["format"] == "home", f"a home meeting, recorded as {m['format']}")
    if re.search(r"\bthe leader\b", body, re.IGNORECASE):
        claim((mid, "leader") in records.holders, "the leader, but nobody led")
    if "timekeeper" in body:
        claim((mid, "timekeeper") in records.holders, "a timekeeper, but nobody kept time")
    if "new recorder" in body:
        earlier = {records.holders.get((x["id"], "recorder")) for x in records.held_before(mid)}
        recorder = records.holders.get((mid, "recorder"))
        claim(recorder is not None and recorder not in earlier, "a new recorder, but not new")
    if "facilitated" in body:
        claim(bool(named) and records.holders.get((mid, "facilitator")) == named[0], "facilitated, but not facilitator")
    if "involvement.qi_training" in codes or "QI course" in body or "QI training" in body:
        trained = [
            a["event_date"]
            for a in records.annotations
            if a["team_id"] == m["team_id"] and a["category"] == "qi_training"
        ]
        claim(bool(named) and records.people[named[0]]["qi_trained"], "trained in QI, but not recorded as such")
        claim(bool(trained) and min(trained) <= m["meeting_date"], "trained before the training")
    if match := re.search(r"(\w+) actions? agreed", body):
        said_actions = NUMBERS.get(match.group(1).lower())
        claim(said_actions == m["action_items"], f"{match.group(1)} actions, recorded {m['action_items']}")
    if "evaluation" in body.lower():
        claim(bool(m["evaluated"]), "an evaluation, recorded as not evaluated")
        last = max(n["position"] for n in records.notes if n["meeting_id"] == mid)
        claim(note["position"] == last, "a closing evaluation before the meeting closed")
    if "two nurses" in body:
        claim(present.count("nurse") >= 2, f"two nurses, {present.count('nurse')} present")
    if "manager said" in body:
        claim("manager" in present, "the manager said, but no manager was present")
    if "than at the base" in body:
        at_base = [d for pid in named for d in records.days_present(pid, "service_base") if d < m["meeting_date"]]
        claim(bool(at_base), "more than at the base, but never present at the base")
    if "had been approached" in body:
        upto = [e for e in records.events if e["team_id"] == m["team_id"] and e["event_date"] <= m["meeting_date"]]
        decided = {e["participant_id"] for e in upto if e["stage"] in ("agreed", "declined")}
        waiting = {e["participant_id"] for e in upto if e["stage"] == "approached"} - decided
        claim(bool(waiting), "a patient approached and waiting, but none was")
    if "rarely attend twice" in body:
        wrong.append("staff rarely attend twice, but the same staff attend most meetings")
    return wrong


def test_what_notes_say_about_their_meeting_agrees_with_its_records(demo: duckdb.DuckDBPyConnection) -> None:
    """Who was there or not, who led, kept time or facilitated, where it was held, how many
    actions, whether it was evaluated or happened at all: as the note says, so say the records."""
    records = _Records(demo)
    wrong = []
    for note in records.notes:
        date = records.meetings[note["meeting_id"]]["meeting_date"]
        wrong += [f"{date}: {what}: {note['body']!r}" for what in _meeting_claims(records, note)]
    assert not wrong, f"{len(wrong)} claims contradict the records:\n" + "\n".join(wrong)


def test_the_records_agree_with_each_other(demo: duckdb.DuckDBPyConnection) -> None:
    """Attendance, roles, formats and recruitment steps tell one story."""
    records = _Records(demo)
    wrong = []
    # First attended and still attending are read from attendance, never recorded.
    recorded = {e["stage"] for e in records.events}
    wrong += [f"a recorded {stage} event" for stage in sorted(recorded & {"first_attended", "still_attending"})]
    for pid, person in records.people.items():
        day = {e["stage"]: e["event_date"] for e in records.events if e["participant_id"] == pid}
        came = records.days_present(pid)
        code = person["code"]
        if "withdrew" in day:
            if "agreed" not in day or day["agreed"] > day["withdrew"]:
                wrong.append(f"{code} withdrew without having agreed")
            if came and came[-1] >= day["withdrew"]:
                wrong.append(f"{code} withdrew {day['withdrew']} but came {came[-1]}")
        if person["role"] == "service_user" and came and ("agreed" not in day or day["agreed"] > came[0]):
            wrong.append(f"{code} came before agreeing")
        if "declined" in day and came:
            wrong.append(f"{code} declined but came")
    for mid, m in records.meetings.items():
        if m["format"] == "home" and m["status"] == "held" and "service_user" not in records.present_roles(mid):
            wrong.append(f"{m['meeting_date']}: a home meeting with no service user")
    for r in records.roles:
        level = records.level(r["meeting_id"], r["participant_id"])
        who = f"{records.meetings[r['meeting_id']]['meeting_date']} {records.people[r['participant_id']]['code']}"
        if level is None:
            wrong.append(f"{who} held the {r['role']} role but was not present")
        elif r["role"] in ("leader", "facilitator") and level != "co_leading":
            wrong.append(f"{who} was {r['role']} but recorded {level}")
    assert not wrong, f"{len(wrong)} records contradict each other:\n" + "\n".join(wrong)


# What a reader takes an interview passage to say of the informant or their team.
STAFF_SAY = r"just are not there|someone who can represent others|too unwell, and when|phone round|As a manager"
SERVICE_USERS_SAY = r"asked me|my idea|wait to be asked|decide for you|After the training I knew"


def test_what_interviews_say_agrees_with_the_informant_and_their_teams_records(
    demo: duckdb.DuckDBPyConnection,
) -> None:
    """An informant speaks as one of their group, and of what their team did before the interview."""
    records = _Records(demo)
    interviews = demo.execute(
        "select i.*, t.setting from interviews i join teams t on t.id = i.team_id order by i.id"
    ).fetchall()
    names = [d[0] for d in demo.description or ()]
    wrong = []
    for row in interviews:
        i = dict(zip(names, row, strict=True))
        said, group, day = i["transcript"], i["informant_group"], i["interview_date"]

        def claim(holds: bool, what: str, i: Row = i) -> None:
            if not holds:
                wrong.append(f"{i['informant_code']} ({i['informant_group']}, team {i['team_id']}): {what}")

        if re.search(STAFF_SAY, said):
            claim(group in ("leader_manager", "frontline_staff"), "speaks as staff")
        if "As a manager" in said:
            claim(group == "leader_manager", "speaks as a manager")
        if re.search(SERVICE_USERS_SAY, said):
            claim(group == "service_user", "speaks as a service user")
        if re.search(r"[Oo]n the ward", said):
            claim(i["setting"] == "inpatient", f"speaks of the ward, in a {i['setting']} team")
        if "homes" in said:
            homes = [
                m["meeting_date"]
                for m in records.meetings.values()
                if m["team_id"] == i["team_id"] and m["format"] == "home" and m["status"] == "held"
            ]
            claim(bool(homes) and min(homes) <= day, "speaks of home meetings the team had not held")
        if "training" in said:
            trained = [
                a["event_date"]
                for a in records.annotations
                if a["team_id"] == i["team_id"] and a["category"] == "qi_training"
            ]
            claim(bool(trained) and min(trained) <= day, "speaks of QI training the team had not had")
    assert len(interviews) == 25
    assert not wrong, f"{len(wrong)} interviews contradict the records:\n" + "\n".join(wrong)


# Contributions observed live. The default demo runs July 2019 to February 2020: its last four
# months, from November 2019, were observed live.
LIVE_FROM = dt.date(2019, 11, 1)
LIVED = ("service_user", "carer")


def suggested(kinds: set[str]) -> str:
    """The suggested participation level (docs/MEASURES.md), worked out here on its own: observing
    with nothing recorded; co-leading with an agenda item raised or a change proposed, and an action
    taken; contributing with anything else recorded."""
    if not kinds:
        return "observing"
    if kinds & {"raised_item", "proposed_change"} and "took_action" in kinds:
        return "co_leading"
    return "contributing"


def test_every_held_meeting_of_the_last_months_was_observed_live_and_agrees_with_its_levels(
    demo: duckdb.DuckDBPyConnection,
) -> None:
    meetings = (
        demo.execute("select id, meeting_date, status, duration_minutes from meetings order by id")
        .fetchdf()
        .set_index("id")
    )
    present = demo.execute(
        "select meeting_id, participant_id, participation from attendance where status = 'present'"
    ).fetchall()
    taps = demo.execute("select * from contributions").fetchdf()
    first_notes = dict(demo.execute("select meeting_id, author from field_notes where position = 1").fetchall())
    live = set(taps["meeting_id"])
    held_late = set(
        meetings.index[(meetings["status"] == "held") & (meetings["meeting_date"] >= pd.Timestamp(LIVE_FROM))]
    )
    assert live == held_late
    assert len(live) >= 20
    kinds: dict[tuple[int, int], set[str]] = {}
    for meeting, person, kind in taps[["meeting_id", "participant_id", "kind"]].itertuples(index=False):
        kinds.setdefault((int(meeting), int(person)), set()).add(kind)
    levels = {(m, p): level for m, p, level in present}
    assert set(kinds) <= set(levels), "a contribution by someone not present"
    wrong = [(m, p, level, sorted(kinds.get((m, p), ()))) for (m, p), level in levels.items()
             if m in live and suggested(kinds.get((m, p), set())) != level]  # fmt: skip
    assert wrong == []
    assert {level for (m, _), level in levels.items() if m in live} == {"observing", "contributing", "co_leading"}
    for row in taps.itertuples(index=False):
        meeting = meetings.loc[row.meeting_id]
        assert 0 <= row.minute < meeting["duration_minutes"]
        assert row.observer == first_notes[row.meeting_id]  # the meeting's observer, who wrote its notes
        assert row.recorded_at.date() == meeting["meeting_date"].date()
    # minutes spread over the meeting, not bunched at its start
    share = taps.merge(meetings, left_on="meeting_id", right_index=True)
    assert (share["minute"] / share["duration_minutes"]).between(0.5, 1).mean() > 0.3


# What a note says the person it names did, as a contribution they must have (judged here, as
# PARTICIPATION_SAID is), and the words that say someone spoke up at all.
NOTE_IMPLIES: tuple[tuple[str, str], ...] = (
    (r"asked why", "challenged"),
    (r"suggested changing", "proposed_change"),
    (r"raised the item", "raised_item"),
    (r"spoke|described|summed up|lead the discussion|facilitated|brought a run chart", "spoke"),
)
SPEAKING = re.compile(
    r"\b(spoke|speak\w*|said|says|asked|suggested|described|summed|raised|led|lead|facilitated|brought|proposed|"
    r"comment\w*|talked|questioned|challenged)\b"
)


def test_in_meetings_observed_live_the_notes_agree_with_the_contributions_of_the_people_they_name(
    demo: duckdb.DuckDBPyConnection,
) -> None:
    """A note naming a service user or carer who was observing (nothing recorded of them live) never
    says they spoke up; a note saying they asked why, suggested a change, raised an item or spoke has
    that contribution among theirs at its meeting."""
    records = _Records(demo)
    taps = {
        (m, p, k) for m, p, k in demo.execute("select meeting_id, participant_id, kind from contributions").fetchall()
    }
    live = {m for m, _, _ in taps}
    wrong: list[str] = []
    observing = implied = 0
    for note in records.notes:
        mid, body = note["meeting_id"], note["body"]
        if mid not in live:
            continue
        for code in PERSON_CODE.findall(body):
            pid = records.by_code[code]
            if records.level(mid, pid) == "observing":
                observing += 1
                if SPEAKING.search(body):
                    wrong.append(f"{code} was observing, nothing recorded live: {body!r}")
            for pattern, kind in NOTE_IMPLIES:
                if re.search(pattern, body):
                    implied += 1
                    if (mid, pid, kind) not in taps:
                        wrong.append(f"{code} has no {kind} recorded live at meeting {mid}: {body!r}")
    assert observing >= 3  # not vacuous
    assert implied >= 5
    assert not wrong, f"{len(wrong)} notes contradict the contributions:\n" + "\n".join(wrong)


def test_staff_say_more_than_service_users_and_voice_shares_are_plausible(demo: duckdb.DuckDBPyConnection) -> None:
    taps = demo.execute(
        "select c.meeting_id, c.participant_id, p.role from contributions c "
        "join participants p on p.id = c.participant_id"
    ).fetchdf()
    taps["lived"] = taps["role"].isin(LIVED)
    per_person = taps.groupby(["meeting_id", "participant_id", "lived"]).size().groupby("lived").mean()
    assert per_person[False] > per_person[True] >= 1
    per_meeting = taps.groupby("meeting_id")["lived"].mean()
    spoken = per_meeting[per_meeting > 0]
    assert len(spoken) >= 5
    assert spoken.between(0.05, 0.40).all(), spoken.describe()
    raised = demo.execute(
        "select count(*) filter (where kind = 'raised_item'), count(*) filter (where kind = 'took_action') "
        "from contributions c join participants p on p.id = c.participant_id where p.role in ('service_user', 'carer')"
    ).fetchone()
    assert raised is not None
    assert min(raised) > 0  # items raised and actions owned by service users and carers
