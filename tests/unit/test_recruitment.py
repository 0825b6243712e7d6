"""The recruitment funnel on the small study (answers in tests/small_study.py), and on the demo
study against a second, plain-pandas reading of definitions.FUNNEL."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observation import db, definitions, notes, recruitment, theme_charts
from observation.filters import StudyFilter
from tests.small_study import add_interviews

pytestmark = pytest.mark.both_backends  # every measure read the same from PostgreSQL

ALL = StudyFilter()
STAGES = (*recruitment.FUNNEL, *recruitment.DROP_OUTS)


def counts(con: duckdb.DuckDBPyConnection, flt: StudyFilter) -> dict[str, list[int]]:
    """Per team name, people at each stage in STAGES order."""
    rows = recruitment.funnel(con, flt)
    got = {(r["team_name"], r["stage"]): int(r["people"]) for r in rows.to_dict("records")}
    return {team: [got[(team, s)] for s in STAGES] for team in dict.fromkeys(rows["team_name"])}


def people(con: duckdb.DuckDBPyConnection, flt: StudyFilter, stage: str) -> list[tuple[str, str, str]]:
    """(code, date, source) of each person behind a stage's bars."""
    rows = recruitment.events(con, flt, stage=stage).to_dict("records")
    return [(r["code"], str(r["event_date"])[:10], r["source"]) for r in rows]


def test_the_funnel_counts_people_at_each_stage_per_team(small: duckdb.DuckDBPyConnection) -> None:
    # Alpha: A-SU1 (recorded steps, present at m1 and m2) and A-CA1, a carer with no recorded step
    # who was present at m2; both were present at one of Alpha's last three recorded meetings (m1,
    # m2, m4), so both are still attending.
    # Beta: B-SU1 agreed, was present at m6 (one of Beta's two recorded meetings: m8 is held but
    # unrecorded) and later withdrew; B-SU2 was approached and declined. Withdrawing is counted
    # from the recorded event and does not undo being present at one of the last three meetings.
    assert counts(small, ALL) == {"Alpha": [2, 2, 2, 2, 2, 0, 0], "Beta": [2, 2, 1, 1, 1, 1, 1]}


def test_a_carer_who_attended_without_a_recorded_step_is_in_the_funnel(small: duckdb.DuckDBPyConnection) -> None:
    # Carers used to have no place in the funnel: A-CA1 has no recruitment event at all, yet was
    # present on 24 Jan 2020, so is identified, approached and agreed by implication, and first attended then.
    for stage in ("identified", "approached", "agreed"):
        assert ("A-CA1", "2020-01-24", "implied by attendance") in people(small, ALL, stage)
    assert ("A-CA1", "2020-01-24", "attendance") in people(small, ALL, "first_attended")
    # A-SU1's own recorded steps stay recorded, with their own dates
    assert ("A-SU1", "2019-12-01", "recorded") in people(small, ALL, "identified")


def test_still_attending_is_presence_at_the_last_three_recorded_meetings_not_a_recorded_event(
    small: duckdb.DuckDBPyConnection,
) -> None:
    # The demo showed everyone "still attending" by a recorded event, whatever their attendance.
    # Three more Alpha meetings in March and April: A-SU1 (whose recorded still_attending event is
    # dated 11 Mar 2020) is absent or sends apologies at all three; A-CA1 is present at one.
    with db.transaction(small) as cur:  # a write as the app makes one: the meeting facts follow
        cur.execute(
            """
            insert into meetings (id, team_id, meeting_date, status) values
                (9, 1, '2020-03-06', 'held'), (10, 1, '2020-03-20', 'held'), (11, 1, '2020-04-03', 'held');
            insert into attendance (meeting_id, participant_id, status, participation) values
                (9, 1, 'present', 'contributing'), (9, 3, 'absent', null), (9, 4, 'apologies', null),
                (10, 1, 'present', 'contributing'), (10, 3, 'apologies', null), (10, 4, 'present', 'contributing'),
                (11, 1, 'present', 'contributing'), (11, 3, 'absent', null);
            """
        )
    assert counts(small, StudyFilter(teams=(1,)))["Alpha"] == [2, 2, 2, 2, 1, 0, 0]
    assert people(small, StudyFilter(teams=(1,)), "still_attending") == [("A-CA1", "2020-03-20", "attendance")]
    # Still attending is read at the period's end: at the end of February, Alpha's last three
    # recorded meetings were m1, m2 and m4, and A-SU1 had been present at two of them.
    february = StudyFilter(teams=(1,), end=dt.date(2020, 2, 29))
    assert counts(small, february)["Alpha"] == [2, 2, 2, 2, 2, 0, 0]
    assert [p[0] for p in people(small, february, "still_attending")] == ["A-CA1", "A-SU1"]


def test_first_attended_is_the_first_present_attendance_not_a_recorded_event(small: duckdb.DuckDBPyConnection) -> None:
    # A recorded first_attended event that disagrees with the register is ignored: the date, and
    # the days from agreeing to attending, come from A-SU1's first presence (m1, 10 Jan 2020).
    with db.transaction(small) as cur:
        cur.execute("update recruitment_events set event_date = '2019-12-24' where id = 4")
    assert ("A-SU1", "2020-01-10", "attendance") in people(small, ALL, "first_attended")
    rows = recruitment.stage_times(small, ALL).to_dict("records")
    times = {(r["team_name"], r["from_stage"], r["to_stage"]): r["median_days"] for r in rows}
    assert times[("Alpha", "agreed", "first_attended")] == 21  # 20 Dec 2019 → 10 Jan 2020


def test_a_filter_ending_before_someone_first_attended_does_not_count_them_as_attended(
    small: duckdb.DuckDBPyConnection,
) -> None:
    # The demo's date-filtered funnel counted events dated after the period. To the end of January:
    # B-SU1 had agreed (10 Jan) but first attended on 12 Feb and withdrew on 1 Mar, so counts at
    # neither; B-SU2's recorded steps, all in January, count.
    january = StudyFilter(teams=(2,), end=dt.date(2020, 1, 31))
    assert counts(small, january)["Beta"] == [2, 2, 1, 0, 0, 1, 0]
    assert people(small, january, "first_attended") == []
    # To the end of 2019 in the community setting: A-SU1, identified in December, had agreed but
    # not yet attended; A-CA1's recruitment began in 2020 (first present 24 Jan), so is not in the cohort.
    assert counts(small, StudyFilter(setting="community", end=dt.date(2019, 12, 31))) == {
        "Alpha": [1, 1, 1, 0, 0, 0, 0]
    }


def test_the_funnel_follows_a_cohort_whose_recruitment_began_in_the_dates(small: duckdb.DuckDBPyConnection) -> None:
    # only B-SU2's recruitment began in 2020: identified, approached, declined; B-SU1 (identified
    # in December 2019) is left out although every later step of theirs was in 2020
    beta = StudyFilter(teams=(2,), start=dt.date(2020, 1, 1))
    assert counts(small, beta) == {"Beta": [1, 1, 0, 0, 0, 1, 0]}
    times = recruitment.stage_times(small, beta).to_dict("records")
    assert [(r["from_stage"], r["to_stage"], r["people"]) for r in times] == [
        ("identified", "approached", 1),
        ("approached", "declined", 1),
    ]
    # A-CA1's recruitment began with their first presence, 24 Jan 2020: in a cohort from 2020
    assert counts(small, StudyFilter(teams=(1,), start=dt.date(2020, 1, 1))) == {"Alpha": [1, 1, 1, 1, 1, 0, 0]}


ENDS = [None, dt.date(2019, 12, 31), dt.date(2020, 1, 15), dt.date(2020, 1, 31), dt.date(2020, 2, 20)]


@pytest.mark.parametrize("end", ENDS)
def test_each_stage_counts_no_more_people_than_the_one_before(small: duckdb.DuckDBPyConnection, end: dt.date) -> None:
    # A later stage implies the earlier ones, so the funnel can only narrow, whatever the period:
    # identified ≥ approached ≥ agreed ≥ first attended ≥ still attending, and those who declined
    # were approached, those who withdrew had agreed.
    for team, n in counts(small, StudyFilter(end=end)).items():
        identified, approached, agreed, first, still, declined, withdrew = n
        assert identified >= approached >= agreed >= first >= still, team
        assert approached >= declined, team
        assert agreed >= withdrew, team


def test_days_between_stages(small: duckdb.DuckDBPyConnection) -> None:
    rows = recruitment.stage_times(small, ALL).to_dict("records")
    got = {(r["team_name"], r["from_stage"], r["to_stage"]): (r["people"], r["median_days"]) for r in rows}
    # A-CA1's identified and approached are only implied by attendance, so have no dates to measure
    assert got[("Alpha", "identified", "approached")] == (1, 4)
    assert got[("Beta", "identified", "approached")] == (2, 19)  # 23 and 15 days
    assert got[("Beta", "approached", "declined")] == (1, 5)
    assert got[("Beta", "agreed", "first_attended")] == (1, 33)  # 10 Jan → first present 12 Feb
    assert got[("Beta", "first_attended", "withdrew")] == (1, 18)


def test_the_events_behind_a_bar_come_with_their_coded_reasons(small: duckdb.DuckDBPyConnection) -> None:
    rows = recruitment.events(small, ALL, team_id=2, stage="declined").to_dict("records")
    assert [(r["code"], str(r["event_date"])[:10], r["reason"]) for r in rows] == [
        ("B-SU2", "2020-01-25", "Complexity of mental illness")
    ]


@pytest.mark.parametrize("flt", [ALL, StudyFilter(end=dt.date(2020, 1, 31)), StudyFilter(start=dt.date(2020, 1, 1))])
def test_a_bar_lists_exactly_the_people_it_counts(small: duckdb.DuckDBPyConnection, flt: StudyFilter) -> None:
    # Clicking a bar must open the people behind that number, no more and no fewer, once each
    for r in recruitment.funnel(small, flt).to_dict("records"):
        behind = recruitment.events(small, flt, team_id=int(r["team_id"]), stage=r["stage"])
        assert len(behind) == behind["code"].nunique() == r["people"], (r["team_name"], r["stage"])


@pytest.mark.parametrize(
    "flt", [ALL, StudyFilter(teams=(2,)), StudyFilter(end=dt.date(2020, 1, 31)), StudyFilter(start=dt.date(2020, 1, 1))]
)
def test_the_recruitment_pages_tables_are_the_funnel_the_times_and_each_drop_out(
    small: duckdb.DuckDBPyConnection, flt: StudyFilter
) -> None:
    # The page reads its three tables from one working-out of who reached which stage: the same
    # as the funnel and the stage times read alone, and the people behind each drop-out stage's bars.
    found = recruitment.recruitment(small, flt)
    pd.testing.assert_frame_equal(found.funnel, recruitment.funnel(small, flt))
    pd.testing.assert_frame_equal(found.stage_times, recruitment.stage_times(small, flt))
    one_by_one = [
        recruitment.events(small, flt, team_id=int(r["team_id"]), stage=r["stage"])
        for r in recruitment.funnel(small, flt).to_dict("records")
        if r["stage"] in recruitment.DROP_OUTS
    ]
    expected = pd.concat(one_by_one).sort_values(["event_date", "team_name", "code", "stage"], ignore_index=True)
    assert found.drop_outs["stage"].isin(recruitment.DROP_OUTS).all()
    assert found.drop_outs["event_date"].is_monotonic_increasing
    in_order = found.drop_outs.sort_values(["event_date", "team_name", "code", "stage"], ignore_index=True)
    assert in_order.to_dict("records") == expected.to_dict("records")
    assert len(expected) > 0  # each filter has someone who declined or withdrew, to compare


def test_tension_notes_per_held_meeting_by_team_and_month(small: duckdb.DuckDBPyConnection) -> None:
    rows = recruitment.tension_by_month(small, ALL).to_dict("records")
    got = {(r["team_name"], str(r["month"])[:7]): (r["notes"], r["held"]) for r in rows}
    assert got == {
        ("Alpha", "2020-01"): (1, 2),
        ("Alpha", "2020-02"): (0, 1),
        ("Beta", "2020-01"): (1, 1),
        ("Beta", "2020-02"): (0, 1),
        ("Beta", "2020-03"): (0, 1),
    }


def tensions(con: duckdb.DuckDBPyConnection, source: notes.Source, flt: StudyFilter = ALL) -> dict[tuple, tuple]:
    """(notes, held, tension transcripts, transcripts) per (team, month); None where not counted."""
    rows = recruitment.tension_by_month(con, flt, source).to_dict("records")
    columns = ("notes", "held", "interviews", "transcripts")
    return {
        (r["team_name"], str(r["month"])[:7]): tuple(None if pd.isna(r[c]) else int(r[c]) for c in columns)
        for r in rows
    }


def test_tension_transcripts_count_by_the_month_of_the_interview_not_per_meeting(
    small: duckdb.DuckDBPyConnection,
) -> None:
    # An interview is not held at a meeting: its transcripts are counted per month (out of every
    # transcript of that team and month), never divided by meetings, with rows of their own.
    add_interviews(small)
    both = tensions(small, "both")
    assert both == {
        ("Alpha", "2020-01"): (1, 2, 1, 1),  # n2 at m1; i2
        ("Alpha", "2020-02"): (0, 1, 0, 1),  # i4, coded with nothing
        ("Beta", "2020-01"): (1, 1, None, None),  # no interview that month
        ("Beta", "2020-02"): (0, 1, 0, 1),  # i5, coded with a presence code only
        ("Beta", "2020-03"): (0, 1, 1, 1),  # i3
        (notes.NO_TEAM, "2020-02"): (None, None, 1, 1),  # i1, three segments: one transcript
    }
    # each source alone is the same count, the other source's columns empty
    assert tensions(small, "notes") == {k: (n, h, None, None) for k, (n, h, _, _) in both.items() if h is not None}
    assert tensions(small, "interviews") == {k: (None, None, i, t) for k, (_, _, i, t) in both.items() if t is not None}
    # the sidebar's teams leave out the interview with no team; its dates apply to interviews too
    assert (notes.NO_TEAM, "2020-02") not in tensions(small, "both", StudyFilter(teams=(1, 2)))
    assert tensions(small, "interviews", StudyFilter(start=dt.date(2020, 3, 1))) == {
        ("Beta", "2020-03"): (None, None, 1, 1)
    }


def test_the_tension_charts_name_their_source_and_never_add_notes_to_transcripts(
    small: duckdb.DuckDBPyConnection,
) -> None:
    add_interviews(small)
    by_month = recruitment.tension_by_month(small, ALL, "both")
    in_notes = theme_charts.tension_over_time(by_month, "both")
    # the notes' chart draws the teams' notes per held meeting only, and points to the interviews
    assert [t.name for t in in_notes.data] == ["Alpha (community)", "Beta (inpatient)"]
    assert "source: field notes (interviews: in the chart below)" in in_notes.layout.title.text
    in_interviews = theme_charts.tension_in_interviews(by_month)
    assert "source: interviews" in in_interviews.layout.title.text
    assert "not divided by meetings" in in_interviews.layout.title.text
    lines = {t.name: [list(c) for c in t.customdata] for t in in_interviews.data}
    # a click carries team (none for the interview with no team), month, tension transcripts, transcripts
    assert lines[notes.NO_TEAM] == [[None, "2020-02-01", 1, 1]]
    assert lines["Beta (inpatient)"] == [[2, "2020-02-01", 0, 1], [2, "2020-03-01", 1, 1]]
    assert in_interviews.layout.xaxis.dtick == "M1"  # two months: a tick each
    # a count of transcripts (at most 1 here) is ticked at whole numbers: no "0.5 transcripts"
    assert (in_interviews.layout.yaxis.tickformat, in_interviews.layout.yaxis.dtick) == (",d", 1)
    many = by_month.assign(interviews=by_month["interviews"] * 40)
    assert theme_charts.tension_in_interviews(many).layout.yaxis.dtick is None  # Plotly's own whole steps


def test_interviews_years_apart_are_not_ticked_month_by_month(small: duckdb.DuckDBPyConnection) -> None:
    """Two interviews four years apart: a tick a month would overprint sixty labels."""
    add_interviews(small)
    by_month = recruitment.tension_by_month(small, ALL, "both")
    assert theme_charts.tension_in_interviews(by_month).layout.xaxis.dtick == "M1"
    later = by_month.iloc[[-1]].assign(month=pd.Timestamp("2024-02-01"))
    spread = pd.concat([by_month, later], ignore_index=True)
    assert theme_charts.tension_in_interviews(spread).layout.xaxis.dtick == "M12"  # a tick a year


# The funnel read a second way, in plain pandas over the raw tables, straight from the words of
# definitions.FUNNEL, so that a slip in the SQL shows as a disagreement on the demo study.
CHAIN = {"identified": 1, "approached": 2, "agreed": 3, "first_attended": 4, "still_attending": 5}
REACH = CHAIN | {"declined": 2, "withdrew": 3}  # how far along the chain a stage shows a person got


def funnel_by_hand(con: duckdb.DuckDBPyConnection, start: dt.date | None, end: dt.date | None) -> dict[str, list[int]]:
    def table(name: str) -> pd.DataFrame:
        with db.cursor(con) as cur:
            return cur.execute(f"select * from {name}").fetchdf()  # a fixed table name, not a value

    teams, participants, roles = table("teams"), table("participants"), table("role_categories")
    meetings, attendance, events = table("meetings"), table("attendance"), table("recruitment_events")
    until = pd.Timestamp(end) if end else pd.Timestamp.max
    meetings = meetings.assign(meeting_date=pd.to_datetime(meetings["meeting_date"]))
    events = events.assign(event_date=pd.to_datetime(events["event_date"]))
    role_of = participants.set_index("id")["role"]
    team_of = participants.set_index("id")["team_id"]
    lived = set(roles.loc[roles["lived_experience"], "code"])

    held = meetings[(meetings["status"] == "held") & (meetings["meeting_date"] <= until)].set_index("id")
    present = attendance[(attendance["status"] == "present") & attendance["meeting_id"].isin(held.index)]
    present = present.assign(meeting_date=held.loc[present["meeting_id"], "meeting_date"].to_numpy())
    # attendance recorded: somebody other than an observer present
    recorded = held.loc[sorted(set(present.loc[present["participant_id"].map(role_of) != "observer", "meeting_id"]))]
    last_three = {team: set(m.nlargest(3, "meeting_date").index) for team, m in recorded.groupby("team_id")}

    dates: dict[int, dict[str, pd.Timestamp]] = {}
    for e in events[
        (events["event_date"] <= until) & events["stage"].isin(REACH.keys() - {"first_attended", "still_attending"})
    ].itertuples():
        mine = dates.setdefault(e.participant_id, {})
        mine[e.stage] = min(mine.get(e.stage, e.event_date), e.event_date)
    for person, rows in present.groupby("participant_id"):
        if role_of[person] in lived or person in dates:
            dates.setdefault(person, {})["first_attended"] = rows["meeting_date"].min()
            if set(rows["meeting_id"]) & last_three.get(team_of[person], set()):
                dates[person]["still_attending"] = rows["meeting_date"].max()

    got = {name: [0] * len(STAGES) for name in teams["name"]}
    for person, reached in dates.items():
        if start is not None and min(reached.values()) < pd.Timestamp(start):
            continue  # recruitment began before the period: not in its cohort
        furthest = max(REACH[s] for s in reached)
        row = got[teams.set_index("id").loc[team_of[person], "name"]]
        for i, stage in enumerate(STAGES):
            row[i] += CHAIN[stage] <= furthest if stage in CHAIN else stage in reached
    return got


@pytest.mark.parametrize(
    ("start", "end"),
    [(None, None), (None, dt.date(2019, 12, 31)), (dt.date(2019, 7, 20), dt.date(2019, 12, 10))],
)
def test_the_funnel_agrees_with_a_count_by_hand_over_the_demo_attendance(
    demo: duckdb.DuckDBPyConnection, start: dt.date | None, end: dt.date | None
) -> None:
    # the whole study; a period ending mid-study (stages reached later must not count); and one
    # starting late too (a cohort that leaves out people recruited earlier), whose end falls
    # between some people's agreeing and their first attendance
    expected = funnel_by_hand(demo, start, end)
    assert counts(demo, StudyFilter(start=start, end=end)) == expected
    assert any(n[4] < n[3] for n in expected.values())  # somebody stopped coming: the case is not vacuous


def test_the_measures_page_words_the_funnel_as_the_definitions_do() -> None:
    # docs/MEASURES.md and the page's help must not drift apart
    measures = (Path(__file__).parents[2] / "docs" / "MEASURES.md").read_text(encoding="utf-8")
    flat = re.sub(r"\s+", " ", measures.replace("**", ""))
    assert definitions.FUNNEL in flat
