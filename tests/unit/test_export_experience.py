"""The experience feedback and the impact log in the aggregate export: their counts by team and month,
hidden under the same rules as the counts of meetings, and the score hidden with its responses.

The reader with a solver is test_export_contributions' (JointReader): built apart from
observation.export and observation.disclosure, with the truth from the raw tables, every count the
export shows read back as text, and the attendances by service users and carers tied to the meetings
as a careful reader ties them (a month's attendances are at least its meetings with service users plus
those with carers, and none without a meeting with one of them present). Its checks of the small
study and the demo (test_export_contributions.worked_out) read every column of this file's too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from observation import export, feedback, queries
from observation.disclosure import Rule
from observation.errors import ObservationError
from tests.disclosure_check import KINDS
from tests.unit.test_export import read_notes, read_text
from tests.unit.test_export_contributions import (
    EXPERIENCE_ATOMS,
    FEEDBACK_COLUMNS,
    IMPACT_COUNTS,
    LIVE_ATOMS,
    LIVE_COLUMNS,
    MEETING_COLUMNS,
    Cell,
    JointReader,
    experience_truth,
    worked_out,
)

pytestmark = pytest.mark.both_backends

EXPERIENCE_COLUMNS = {c: atoms for c, atoms in FEEDBACK_COLUMNS.items() if c in export.EXPERIENCE_HIDEABLE}
JAN, FEB, MAR = (pd.Timestamp(f"2020-0{m}-01") for m in (1, 2, 3))


@pytest.fixture
def alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The export's own rules, without presenter mode's figures to check against (which hide more:
    test_across checks the two together)."""
    monkeypatch.setattr(export, "_room", lambda con, level: None)


def frames(
    meetings: list[tuple[int, pd.Timestamp, dict[str, int]]], attended: list[tuple[int, pd.Timestamp, int, int, int]]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Hand-made tables as export.hidden_figures reads them: the meetings of each kind per team and
    month (queries.meeting_kinds; the test reader's names too), the attendances, responses and scored
    responses per team and month (feedback.experience_by_month), and no contributions or changes."""
    kinds = pd.DataFrame(
        [{"team_id": t, "period": m, **dict.fromkeys(queries.MEETING_KINDS, 0), **n} for t, m, n in meetings]
    )
    experience = pd.DataFrame(
        [(t, f"Team {t}", m, a, r, s, 4.0 if s else None) for t, m, a, r, s in attended],
        columns=list(feedback.EXPERIENCE_COLUMNS),
    )
    names = dict(zip(queries.MEETING_KINDS, KINDS, strict=True))
    truth = kinds.rename(columns={**names, "period": "month"})
    live = pd.DataFrame(columns=["team_id", "month", "meetings_observed_live", *LIVE_ATOMS])
    impact = pd.DataFrame(columns=list(feedback.IMPACT_COLUMNS))
    return kinds, experience, truth, live, impact


def experience_atoms(attended: list[tuple[int, pd.Timestamp, int, int, int]]) -> pd.DataFrame:
    rows = [(t, m, s, r - s, a - r) for t, m, a, r, s in attended]
    return pd.DataFrame(rows, columns=["team_id", "month", *EXPERIENCE_ATOMS])


def key_of(cell: Cell) -> Any:
    """A reader's cell as the export keys it: None (the study), a team id, or (team id, first day)."""
    if cell[0] == "all":
        return None
    return cell[1] if cell[0] == "team" else (cell[1], pd.Timestamp(cell[2]).date())


def read_shown(reader: JointReader, hidden: Iterable[Any], columns: dict[str, tuple[str, ...]]) -> None:
    """What the export would show of ``columns``: every figure not ``hidden``, of every month, team and
    the study (meetings_recorded of the months: the teams' and the study's are their sums)."""
    hidden = set(hidden)
    cells: list[Cell] = [("all",)]
    for team_id, month in reader.atoms[["team_id", "month"]].itertuples(index=False):
        cells += [("team", int(team_id)), ("month", int(team_id), pd.Timestamp(month))]
    for cell in dict.fromkeys(cells):
        for column, names in columns.items():
            if column == "meetings_recorded" and cell[0] != "month":
                continue
            if (key_of(cell), column) not in hidden:
                reader.see(cell, names, reader.true(cell, names))


def reading(
    truth: pd.DataFrame, live: pd.DataFrame, attended: list[tuple[int, pd.Timestamp, int, int, int]], hidden: Any
) -> JointReader:
    """A reader of everything the export would show but ``hidden`` (export.Hidden)."""
    reader = JointReader(truth, live, experience_atoms(attended))
    read_shown(reader, hidden.meetings, MEETING_COLUMNS)
    read_shown(reader, hidden.contributions, LIVE_COLUMNS)
    read_shown(reader, hidden.experience, EXPERIENCE_COLUMNS)
    read_shown(reader, hidden.impact, IMPACT_COUNTS)
    return reader


# --- the rules on hand-made tables ------------------------------------------------------------------


def test_a_months_two_responses_are_hidden_and_no_total_gives_them_away() -> None:
    # Two teams, each month with six meetings with a service user and one without: counts of meetings
    # that are shown (so the months' feedback may be). Team 1's January had 2 responses.
    busy = {"service_users_only": 6, "nobody": 1}
    months = [(1, JAN), (1, FEB), (1, MAR), (2, JAN), (2, FEB)]
    attended = [(1, JAN, 12, 2, 2), (1, FEB, 16, 6, 6), (1, MAR, 17, 7, 7), (2, JAN, 20, 8, 8), (2, FEB, 21, 9, 9)]
    kinds, experience, truth, live, impact = frames([(t, m, busy) for t, m in months], attended)
    _, hidden = export.hidden_figures(kinds, live, experience, impact, Rule(5))
    assert not hidden.meetings  # every count of meetings is 0 or at least 5
    january = (1, JAN.date())
    assert {(january, export.RESPONDED), (january, export.SCORED)} <= hidden.experience
    # team 1's 15 responses and the study's 32 stay shown, so a second month of team 1 is hidden with it
    for key in (1, None):
        assert (key, export.RESPONDED) not in hidden.experience
        assert (key, export.SCORED) not in hidden.experience
    others = {((1, m.date()), export.RESPONDED) for m in (FEB, MAR)}
    assert others & hidden.experience
    assert list(reading(truth, live, attended, hidden).pins(5)) == []


@pytest.mark.parametrize("threshold", [2, 5])
def test_attendances_shown_are_kept_from_telling_a_hidden_count_of_meetings(threshold: int) -> None:
    # Team 1's only meeting with someone with lived experience is February's only one, six service
    # users there; its January had two meetings with nobody. Team 1's attendances, 6, say someone came
    # in one of its months: told nothing more, a reader pins February's meetings with lived experience
    # at 1 (hidden) from January's 0. The export hides what it must for that not to be so.
    meetings = [
        (1, JAN, {"nobody": 2}),
        (1, FEB, {"service_users_only": 1}),
        (2, JAN, {"service_users_only": 2, "nobody": 1}),
        (2, FEB, {"service_users_only": 3, "carers_only": 2, "nobody": 2}),
    ]
    attended = [(1, FEB, 6, 0, 0), (2, JAN, 9, 4, 4), (2, FEB, 14, 6, 6)]
    kinds, experience, truth, live, impact = frames(meetings, attended)

    _, hidden = export.hidden_figures(kinds, live, experience, impact, Rule(threshold))
    assert (1, "attendances_by_lived_experience") not in hidden.experience  # the 6 are shown
    assert list(reading(truth, live, attended, hidden).pins(threshold)) == []
    # Shown with the 6 attendances, January's 0 meetings with lived experience would give February's 1 away.
    small = {f.key for f in export.counts_system(kinds).figures if Rule(threshold).hides(f.count)}
    naive = dataclasses.replace(hidden, meetings=small)
    assert (("month", 1, FEB), "presence", 1) in reading(truth, live, attended, naive).pins(threshold)


def test_a_months_feedback_is_hidden_where_its_counts_of_meetings_are() -> None:
    # Team 1's January: 2 meetings with service users (hidden) and 9 attendances, which would say that
    # it had at least one, and at most 9; February: nobody with lived experience, a 0 that says so.
    meetings = [(1, JAN, {"service_users_only": 2, "nobody": 5}), (1, FEB, {"nobody": 6}), (2, JAN, {"nobody": 3})]
    kinds, experience, *_, live, impact = frames(meetings, [(1, JAN, 9, 8, 8)])
    _, hidden = export.hidden_figures(kinds, live, experience, impact, Rule(5))
    january = (1, JAN.date())
    assert export._tells(hidden.meetings, january)
    for month in (january, (1, FEB.date()), (2, JAN.date())):
        if export._tells(hidden.meetings, month):
            assert {(month, column) for column in export.EXPERIENCE_HIDEABLE} <= hidden.experience, month


def test_feedback_and_meetings_read_a_moment_apart_must_agree() -> None:
    # A month with attendances and no meeting with anyone with lived experience: the study changed
    # between the two reads, and the export, worked out from both, would not be what it checked.
    kinds, experience, *_, live, impact = frames([(1, JAN, {"nobody": 2})], [(1, JAN, 3, 0, 0)])
    with pytest.raises(ObservationError, match="the study changed while the export was being made"):
        export.hidden_figures(kinds, live, experience, impact, Rule(5))


# --- the export --------------------------------------------------------------------------------------


def answered(con: duckdb.DuckDBPyConnection) -> None:
    """Answers from every service user and carer present at Alpha's January meetings (small_study):
    A-SU1 at m1 (mean 4) and m2 (mean 5), A-CA1 at m2 (4, 4, 3 and "prefer not to say": mean 11/3).
    Alpha's experience score: (4 + 5 + 11/3) / 3 = 4.22."""
    ids = dict(con.execute("select code, id from participants").fetchall())
    given = [
        (1, "A-SU1", {"listened": 4, "understood": 4, "influence": 3, "come_again": 5}),
        (2, "A-SU1", {"listened": 5, "understood": 5, "influence": 5, "come_again": 5}),
        (2, "A-CA1", {"listened": 4, "understood": 4, "influence": 3, "come_again": None}),
    ]
    for meeting, code, answers in given:
        feedback.record_answers(con, meeting, ids[code], answers, "paper")


def counts_of(con: duckdb.DuckDBPyConnection, out: Path, threshold: int | None = None) -> dict[tuple[str, str], Any]:
    export.export(con, "aggregate", "csv", out, threshold=threshold)
    counts = read_text(out, "csv")["counts"]
    return {(r["team"], r["month"]): r for r in counts.to_dict("records")}


def test_a_score_over_three_responses_is_hidden_at_five_and_shown_at_two(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alone: None
) -> None:
    # (presenter mode's response rates, Alpha's 100% and all teams' 75%, with Alpha's 3 responses
    # would give Beta's one attendance away: held together, the export hides them: test_across)
    answered(small)
    rows = counts_of(small, tmp_path / "at5")
    alpha = rows[("Alpha", export.WHOLE_PERIOD)]
    assert alpha[export.SCORED] == "[c]"
    assert alpha[export.SCORE] == "[c]"
    assert rows[(export.STUDY_ROW, export.WHOLE_PERIOD)][export.SCORE] == "[c]"
    monkeypatch.setenv("OBSERVATION_PRESENTER_MINIMUM", "2")
    rows = counts_of(small, tmp_path / "at2", threshold=2)
    alpha = rows[("Alpha", export.WHOLE_PERIOD)]
    assert alpha[export.SCORED] == "3"
    assert alpha["responses_by_lived_experience"] == "3"
    assert alpha[export.SCORE] == "4.22"
    # January's meetings with carers (1) are hidden, so its feedback is too; February had nobody
    # with lived experience, which its counts of meetings, hidden, must not be told by a 0 either.
    for month in ("2020-01", "2020-02"):
        row = rows[("Alpha", month)]
        assert row["meetings_with_lived_experience"] == "[c]"
        assert [row[c] for c in (*export.EXPERIENCE_HIDEABLE, export.SCORE)] == ["[c]"] * 4
    assert rows[("Beta", "2020-03")]["attendances_by_lived_experience"] == "0"  # nothing recorded
    assert rows[("Beta", "2020-03")][export.SCORE] == ""


def test_a_change_logged_in_a_month_without_a_meeting_has_its_row(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    for day, origin in [(dt.date(2020, 4, 2), "both"), (dt.date(2020, 4, 20), "staff")]:
        feedback.record_impact(small, 2, day, "change_idea", "An agenda in plain English", origin)
    rows = counts_of(small, tmp_path / "agg")
    april = rows[("Beta", "2020-04")]
    assert [april[c] for c in export.OPEN_COLUMNS] == ["0"] * 4
    assert [april[c] for c in export.IMPACT_HIDEABLE] == ["[c]", "[c]"]  # 2 and 1
    teams = list(dict.fromkeys(team for team, _ in rows))
    assert teams == ["Alpha", "Beta", export.STUDY_ROW]
    assert [month for team, month in rows if team == "Beta"] == ["2020-01", "2020-02", "2020-03", "2020-04", "all"]
    assert worked_out(small, tmp_path / "again", 5) == []


@pytest.mark.parametrize("threshold", [5, 8])
def test_the_demos_feedback_and_changes_are_shown_with_small_counts_hidden(
    demo_copy: duckdb.DuckDBPyConnection, tmp_path: Path, threshold: int, alone: None
) -> None:
    # (test_export_contributions reads this export back with a solver: it pins no small count)
    export.export(demo_copy, "aggregate", "csv", tmp_path / "agg", threshold=threshold)
    counts = read_text(tmp_path / "agg", "csv")["counts"]
    study = counts[counts["team"] == export.STUDY_ROW].iloc[0]
    assert study["attendances_by_lived_experience"] != "[c]"
    new = counts[[*export.EXPERIENCE_HIDEABLE, *export.IMPACT_HIDEABLE]]
    assert (new == "[c]").any().all()  # small counts in every column
    assert (~new.isin(["[c]", "0"])).any().any()  # and some shown
    scores = counts[export.SCORE]
    shown = scores[~scores.isin(["[c]", ""])]
    assert (counts.loc[shown.index, export.SCORED].astype(int) >= threshold).all()  # never on fewer
    assert len(shown) or threshold > 5


def unscored_under(con: duckdb.DuckDBPyConnection, counts: pd.DataFrame) -> dict[tuple[str, str], int]:
    """For each team's and the study's row whose score the export shows: the scored responses under it
    (in the raw tables) whose own score it does not show, and which no shown score of a team between
    them accounts for. A shown score times its scored responses is a sum: the row's less the shown
    rows under it is the mean of exactly these."""
    truth = experience_truth(con)
    names = dict(con.execute("select id, name from teams").fetchall())
    shown = {(r["team"], r["month"]) for r in counts.to_dict("records") if r[export.SCORE] not in ("[c]", "")}
    hidden_months: dict[str, int] = {}
    for team_id, month, scored in truth[["team_id", "month", "scored"]].itertuples(index=False):
        team = names[team_id]
        if (team, f"{pd.Timestamp(month):%Y-%m}") not in shown:
            hidden_months[team] = hidden_months.get(team, 0) + int(scored)
    under = {
        (team, export.WHOLE_PERIOD): n for team, n in hidden_months.items() if (team, export.WHOLE_PERIOD) in shown
    }
    if (export.STUDY_ROW, export.WHOLE_PERIOD) in shown:
        under[export.STUDY_ROW, export.WHOLE_PERIOD] = sum(
            n for team, n in hidden_months.items() if (team, export.WHOLE_PERIOD) not in shown
        )
    return under


@pytest.mark.parametrize("threshold", [5, 8])
def test_no_score_shown_gives_away_the_mean_of_fewer_responses_than_the_threshold(
    demo_copy: duckdb.DuckDBPyConnection, tmp_path: Path, threshold: int, alone: None
) -> None:
    # Found by hand on the demo: the study's 11 responses at 3.74 less Oak's 8 at 3.74 gave the
    # other 3 responses' mean, to two decimals.
    export.export(demo_copy, "aggregate", "csv", tmp_path / "agg", threshold=threshold)
    counts = read_text(tmp_path / "agg", "csv")["counts"].fillna("")
    under = unscored_under(demo_copy, counts)
    assert {row: n for row, n in under.items() if 0 < n < threshold} == {}
    assert under  # some score of a team or the study is shown, so the check checks something


def test_a_teams_score_is_hidden_where_it_less_its_months_shown_is_a_mean_of_few() -> None:
    jan, feb = (1, JAN.date()), (1, FEB.date())
    felt = {jan: {export.SCORED: 3}, feb: {export.SCORED: 9}, 1: {export.SCORED: 12},
            (2, JAN.date()): {export.SCORED: 8}, 2: {export.SCORED: 8}, None: {export.SCORED: 20}}  # fmt: skip
    hidden = {(jan, export.SCORED)}
    assert export.scores_hidden(felt, hidden, Rule(5)) == {jan, 1, None}  # team 1 less February is January's 3
    assert export.scores_hidden(felt, hidden, Rule(3)) == {jan}  # 3 is not under 3
    felt[(1, MAR.date())] = {export.SCORED: 4}
    hidden.add(((1, MAR.date()), export.SCORED))
    assert export.scores_hidden(felt, hidden, Rule(5)) == {jan, (1, MAR.date())}  # 3 + 4 together


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_the_aggregate_notes_say_what_each_feedback_and_changes_column_means(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: export.Format
) -> None:
    out = tmp_path / ("agg.xlsx" if fmt == "xlsx" else "agg")
    export.export(small, "aggregate", fmt, out)
    notes = read_notes(out, fmt)
    for column in (*export.EXPERIENCE_HIDEABLE, export.SCORE, *export.IMPACT_HIDEABLE):
        assert f"{column}:" in notes, column
    assert "or logged a change" in notes
    if fmt == "parquet":
        table = pd.read_parquet(out / "counts.parquet")
        for column in (*export.EXPERIENCE_HIDEABLE, export.SCORE, *export.IMPACT_HIDEABLE):
            assert table[column].dtype == "string", column
