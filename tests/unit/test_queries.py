"""Every measure on the small hand-built study, against the answers worked out in small_study.py."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from observation import db, queries
from observation.filters import StudyFilter

pytestmark = pytest.mark.both_backends  # every measure read the same from PostgreSQL


def by_name(overview: queries.Overview) -> dict[str, queries.TeamMeasures]:
    return {t.team_name: t for t in overview.teams}


def test_overall_measures_match_the_hand_computed_answers(small: duckdb.DuckDBPyConnection) -> None:
    o = queries.overview(small, StudyFilter(), "contributing").overall
    assert (o.meetings_held, o.meetings_cancelled, o.meetings_postponed, o.meetings_unrecorded) == (6, 1, 1, 1)
    assert o.presence_share == pytest.approx(3 / 5)
    assert o.service_user_share == pytest.approx(3 / 5)
    assert o.carer_share == pytest.approx(1 / 5)
    assert o.mean_representation == pytest.approx(0.3)
    assert o.meaningful_share == pytest.approx(1 / 5)


def test_per_team_measures_match_the_hand_computed_answers(small: duckdb.DuckDBPyConnection) -> None:
    teams = by_name(queries.overview(small, StudyFilter(), "contributing"))
    alpha, beta = teams["Alpha"], teams["Beta"]
    assert (alpha.meetings_held, alpha.meetings_cancelled, alpha.meetings_postponed) == (3, 1, 0)
    assert alpha.presence_share == pytest.approx(2 / 3)
    assert alpha.service_user_share == pytest.approx(2 / 3)
    assert alpha.carer_share == pytest.approx(1 / 3)
    assert alpha.mean_representation == pytest.approx(1 / 3)  # the observer at m1 is not counted
    assert alpha.meaningful_share == pytest.approx(1 / 3)
    assert (beta.meetings_held, beta.meetings_cancelled, beta.meetings_postponed) == (3, 0, 1)
    # m8 had nobody recorded present: it counts as held, and is left out of every share.
    assert beta.meetings_unrecorded == 1
    assert beta.presence_share == pytest.approx(1 / 2)
    assert beta.service_user_share == pytest.approx(1 / 2)
    assert beta.carer_share == 0
    assert beta.mean_representation == pytest.approx(1 / 4)
    assert beta.meaningful_share == 0


@pytest.mark.parametrize(
    ("level", "alpha", "beta"),
    [
        ("observing", 2 / 3, 0.0),  # B-SU1 was present with no level recorded: never counts
        ("contributing", 1 / 3, 0.0),
        ("co_leading", 1 / 3, 0.0),
    ],
)
def test_meaningful_involvement_follows_the_chosen_ladder_level(
    small: duckdb.DuckDBPyConnection, level: str, alpha: float, beta: float
) -> None:
    teams = by_name(queries.overview(small, StudyFilter(), level))  # type: ignore[arg-type]
    assert teams["Alpha"].meaningful_share == pytest.approx(alpha)
    assert teams["Beta"].meaningful_share == pytest.approx(beta)


def test_setting_filter_keeps_only_that_setting(small: duckdb.DuckDBPyConnection) -> None:
    o = queries.overview(small, StudyFilter(setting="inpatient"), "contributing")
    assert [t.team_name for t in o.teams] == ["Beta"]
    assert o.overall.presence_share == pytest.approx(1 / 2)


def test_team_and_date_filters_combine(small: duckdb.DuckDBPyConnection) -> None:
    february = StudyFilter(start=dt.date(2020, 2, 1), end=dt.date(2020, 2, 29))
    o = queries.overview(small, february, "contributing")
    assert (o.overall.meetings_held, o.overall.meetings_cancelled, o.overall.meetings_postponed) == (2, 1, 1)
    assert o.overall.presence_share == pytest.approx(1 / 2)
    only_alpha = queries.overview(small, february.model_copy(update={"teams": (1,)}), "contributing")
    assert only_alpha.overall.meetings_held == 1
    assert only_alpha.overall.presence_share == 0


def test_no_matching_meetings_gives_empty_measures_not_an_error(small: duckdb.DuckDBPyConnection) -> None:
    o = queries.overview(small, StudyFilter(start=dt.date(2030, 1, 1)), "contributing")
    assert not o.has_meetings
    assert o.overall.presence_share is None
    assert o.teams == ()
    assert o.trend.empty


def test_trend_is_per_team_and_month_over_held_meetings(small: duckdb.DuckDBPyConnection) -> None:
    trend = queries.overview(small, StudyFilter(), "contributing").trend
    rows = {
        (r.team_name, r.month.strftime("%Y-%m")): (r.meetings, r.presence_share, r.meaningful_share)
        for r in trend.itertuples()
    }
    assert rows == {
        ("Alpha", "2020-01"): (2, 1.0, 0.5),
        ("Alpha", "2020-02"): (1, 0.0, 0.0),
        ("Beta", "2020-01"): (1, 0.0, 0.0),
        ("Beta", "2020-02"): (1, 1.0, 0.0),
    }  # Beta's March meeting has no attendance recorded


def test_study_info_and_teams(small: duckdb.DuckDBPyConnection) -> None:
    info = queries.study_info(small)
    assert info is not None
    assert info.study.name == "Small hand-built study"
    assert not info.study.is_demo
    assert (info.first_meeting, info.last_meeting) == (dt.date(2020, 1, 10), dt.date(2020, 3, 11))
    # one team has a coach and one has none: both read back (a null is None, never NaN)
    assert [(t.name, t.coach) for t in queries.teams(small)] == [("Alpha", "CO-01"), ("Beta", None)]


def test_study_info_is_none_for_an_empty_study(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from observation import db

    con = db.connect(tmp_path / "empty.duckdb")
    assert queries.study_info(con) is None
    con.close()


def test_the_trend_holds_only_the_teams_a_chart_draws(small: duckdb.DuckDBPyConnection) -> None:
    o = queries.overview(small, StudyFilter(), "contributing", trend_teams=1)
    assert set(o.trend["team_name"]) == {"Alpha"}
    assert len(o.teams) == 2  # the table still has every team


def test_events_come_for_the_charted_teams_and_the_whole_study_within_the_period(
    small: duckdb.DuckDBPyConnection,
) -> None:
    small.execute(
        """
        insert into annotations (team_id, event_date, label, category) values
            (1, '2020-01-20', 'Home meetings began', 'home_meetings'),
            (2, '2020-01-21', 'Recruitment drive', 'recruitment_drive'),
            (null, '2020-02-15', 'Winter pressures', 'service_change'),
            (1, '2021-06-01', 'Long after', 'other')
        """
    )
    flt = StudyFilter(end=dt.date(2020, 12, 31))
    labels = list(queries.overview(small, flt, "contributing", trend_teams=1).events["label"])
    assert labels == ["Home meetings began", "Winter pressures"]  # Beta is not charted; 2021 is outside
    both = queries.overview(small, StudyFilter(), "contributing").events
    assert list(both["label"]) == ["Home meetings began", "Recruitment drive", "Winter pressures", "Long after"]


def test_a_carer_alone_gives_presence_and_can_give_meaningful_involvement(small: duckdb.DuckDBPyConnection) -> None:
    with db.transaction(small) as cur:  # a write as the app makes one: the meeting facts follow
        cur.execute(
            """
            insert into participants (id, code, team_id, role) values (9, 'B-CA1', 2, 'carer');
            insert into meetings (id, team_id, meeting_date, status) values (9, 2, '2020-04-08', 'held');
            insert into attendance values (9, 5, 'present', 'contributing'), (9, 9, 'present', 'contributing');
            """
        )
    april = queries.overview(small, StudyFilter(start=dt.date(2020, 4, 1)), "contributing").overall
    assert (april.presence_share, april.service_user_share, april.carer_share) == (1.0, 0.0, 1.0)
    assert april.mean_representation == pytest.approx(1 / 2)
    assert april.meaningful_share == 1.0


def test_the_meeting_series_has_one_row_per_recorded_held_meeting(small: duckdb.DuckDBPyConnection) -> None:
    series = queries.overview(small, StudyFilter(), "contributing").series
    columns = ["present_total", "present_lived_experience", "lived_experience_present", "meaningful"]
    rows = [
        (r["team_name"], str(r["meeting_date"].date()), *(int(r[c]) for c in columns))
        for r in series.to_dict("records")
    ]
    assert rows == [
        ("Alpha", "2020-01-10", 3, 1, 1, 0),
        ("Alpha", "2020-01-24", 3, 2, 1, 1),
        ("Alpha", "2020-02-21", 2, 0, 0, 0),
        ("Beta", "2020-01-15", 1, 0, 0, 0),
        ("Beta", "2020-02-12", 2, 1, 1, 0),
    ]  # cancelled, postponed and unrecorded meetings are not points


def test_presenter_mode_charts_its_first_teams_by_id_not_by_name(demo: duckdb.DuckDBPyConnection) -> None:
    # Which teams a capped chart shows must not follow their real names' order when they are
    # shown as Team A, Team B… (assigned by id).
    by_name = queries.overview(demo, StudyFilter(), "contributing", trend_teams=1)
    by_id = queries.overview(demo, StudyFilter(), "contributing", trend_teams=1, first_by_id=True)
    first_id = min(t.team_id for t in by_id.teams)
    first_name = min(by_name.teams, key=lambda t: t.team_name).team_id
    assert first_id != first_name  # the demo's first team by id is not its first by name
    assert set(by_id.trend["team_id"]) == {first_id}
    assert set(by_name.trend["team_id"]) == {first_name}


def test_yes_or_no_measures_are_counted_per_subgroup_of_held_meetings(small: duckdb.DuckDBPyConnection) -> None:
    # Alpha's recorded held meetings: m1 (10 Jan, presence), m2 (24 Jan, presence, meaningful),
    # m4 (21 Feb, neither). Beta's: m5 (15 Jan, neither), m6 (12 Feb, presence, no level); m8 is
    # held but unrecorded, so it is in no subgroup, like the cancelled m3 and the postponed m7.
    def counts(by: queries.SubgroupKind, block: int = 4, level: str = "contributing") -> list[tuple[object, ...]]:
        found = queries.qi_subgroups(small, StudyFilter(), level, (1, 2), by, block)  # type: ignore[arg-type]
        return [
            (r.team_name, str(r.subgroup_start)[:10], r.first_nth, r.last_nth, r.meetings, r.presence, r.meaningful)
            for r in found.itertuples()
        ]

    assert counts("month") == [
        ("Alpha", "2020-01-01", 1, 2, 2, 2, 1),
        ("Alpha", "2020-02-01", 3, 3, 1, 0, 0),
        ("Beta", "2020-01-01", 1, 1, 1, 0, 0),
        ("Beta", "2020-02-01", 2, 2, 1, 1, 0),  # B-SU1 present with no level: presence, not meaningful
    ]
    assert counts("quarter") == [("Alpha", "2020-01-01", 1, 3, 3, 2, 1), ("Beta", "2020-01-01", 1, 2, 2, 1, 0)]
    # blocks of two of each team's meetings in date order, starting at the block's first meeting
    assert counts("block", 2) == [
        ("Alpha", "2020-01-10", 1, 2, 2, 2, 1),
        ("Alpha", "2020-02-21", 3, 3, 1, 0, 0),
        ("Beta", "2020-01-15", 1, 2, 2, 1, 0),
    ]
    assert counts("month", level="observing")[0] == ("Alpha", "2020-01-01", 1, 2, 2, 2, 2)  # SU1 observing at m1
    only_alpha = queries.qi_subgroups(small, StudyFilter(end=dt.date(2020, 1, 31)), "contributing", (1,), "month")
    assert list(only_alpha["meetings"]) == [2]


@pytest.mark.parametrize(("by", "block"), [("month", 4), ("quarter", 4), ("block", 3), ("block", 5)])
def test_subgroups_counted_in_duckdb_agree_with_pandas_on_the_demo(
    demo: duckdb.DuckDBPyConnection, by: queries.SubgroupKind, block: int
) -> None:
    # The other way: tests/qi_series.subgroups groups the per-meeting series in pandas.
    from tests.qi_series import subgroups

    series = queries.overview(demo, StudyFilter(), "contributing").series
    teams = tuple(int(t) for t in series["team_id"].unique())
    found = queries.qi_subgroups(demo, StudyFilter(), "contributing", teams, by, block)
    expected = subgroups(series, by, block)
    columns = ["team_id", "meetings", "presence", "meaningful", "first_nth", "last_nth"]
    assert found[columns].astype(int).values.tolist() == expected[columns].astype(int).values.tolist()
    assert [str(d)[:10] for d in found["subgroup_start"]] == [str(d)[:10] for d in expected["subgroup_start"]]
