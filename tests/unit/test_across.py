"""Presenter mode and the aggregate export held together: no small count can be worked out from both.

The reader is test_export_contributions' JointReader (built apart from observation.export and
observation.disclosure: the truth from the raw tables through pandas, the export read back from its
CSV as text), given besides what presenter mode shows of the whole study, as text: every share of
the Overview's headline and table and of its quarterly chart, the voice figures, and each team's and
the study's experience score, response rate and share of changes from lived experience. A share is
every count that prints as it (a half to the even neighbour), a quarter the sum of its months.

Found by an information-governance break-in before the two were checked together: on the demo,
Team A's quarter (83% of 6) beside Oak's months in the export gave its hidden January and February
2020 (2 meetings each); Team C's "—" score beside the export's totals gave Birch's 3 responses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from observation import config, db, export, feedback, presenting
from observation.demo import DemoSpec, build_demo
from observation.filters import StudyFilter
from observation.queries import MEETING_KINDS as KINDS_OF_MEETINGS
from tests.disclosure_check import COUNTS, KINDS, share_range
from tests.unit.test_export import month_truth, read_text
from tests.unit.test_export_contributions import (
    CONTRIBUTIONS,
    EXPERIENCE_ATOMS,
    JointReader,
    experience_truth,
    impact_truth,
    live_truth,
    read_into,
)
from tests.unit.test_export_experience import answered

Cell = tuple[object, ...]
MEASURES = {"presence_share": "presence", "service_user_share": "service_users", "carer_share": "carers",
            "meaningful_share": "meaningful"}  # fmt: skip


class RoomReader(JointReader):
    """JointReader, with a team's quarter as a cell (its months') and what presenter mode shows."""

    def vector(self, cell: Cell, names: tuple[str, ...]) -> np.ndarray:
        if cell[0] != "quarter":
            return super().vector(cell, names)
        quarters = pd.to_datetime(self.atoms["month"]).dt.to_period("Q").dt.start_time
        mine = ((self.atoms["team_id"] == cell[1]) & (quarters == pd.Timestamp(str(cell[2])))).to_numpy()
        vector = np.zeros(self.values.size)
        for i in np.flatnonzero(mine):
            for name in names:
                vector[i * len(self.NAMES) + self.NAMES.index(name)] = 1
        return vector

    def between(self, vector: np.ndarray, low: float, high: float) -> None:
        self.bound(vector, math.ceil(low))
        if high != math.inf:
            self.bound(-vector, -math.floor(high))

    def share(self, cell: Cell, measure: str, text: str) -> None:
        """A share of the cell's meetings as presenter mode prints it; "hidden" and "—" say nothing."""
        meetings = self.true(cell, KINDS)
        found = share_range(text, meetings)
        if found is not None:
            self.between(self.vector(cell, COUNTS[measure]), *found)

    def representation(self, cell: Cell, text: str) -> None:
        """A mean of per-meeting ratios of at most 1: the meetings with anyone present are at least its share."""
        found = re.fullmatch(r"(\d+)%", text)
        if found:
            least = max(0.0, int(found.group(1)) - 0.5) * self.true(cell, KINDS) / 100
            self.bound(self.vector(cell, COUNTS["presence"]), math.ceil(least))

    def ratio(self, cell: Cell, part: tuple[str, ...], whole: tuple[str, ...], text: str) -> None:
        """A whole percentage of one count no output shows out of another: p − ½ ≤ 100 part / whole
        ≤ p + ½, the ends only where they round to p (to the even neighbour)."""
        found = re.fullmatch(r"(\d+)%", text)
        if not found:
            return
        p = int(found.group(1))
        strict = p % 2  # a half rounds to the even neighbour: an odd p has open ends
        part_v, whole_v = self.vector(cell, part), self.vector(cell, whole)
        self.bound(200 * part_v - (2 * p - 1) * whole_v, strict)
        self.bound((2 * p + 1) * whole_v - 200 * part_v, strict)

    def pins(self, threshold: int) -> Iterator[tuple[Cell, str, int]]:
        yield from super().pins(threshold)
        quarters = pd.to_datetime(self.atoms["month"]).dt.to_period("Q").dt.start_time
        for team_id, first in dict.fromkeys(zip(self.atoms["team_id"], quarters, strict=True)):
            cell = ("quarter", int(team_id), first)
            for name, kinds in COUNTS.items():
                value = self.true(cell, kinds)
                if 1 <= value < threshold and self.range_of(self.vector(cell, kinds)) == (value, value):
                    yield cell, name, value


def read_the_room(reader: RoomReader, con: duckdb.DuckDBPyConnection, threshold: int) -> None:
    """Everything presenter mode at ``threshold`` shows of the whole study, as its pages print it."""
    settings = config.load_settings()
    mode = presenting.Presenting(on=True, threshold=threshold, floor=export.threshold_floor(settings))
    room = presenting.room(con, settings.meaningful_level, mode)
    shown = room.overview
    for cell, measures in [(("all",), shown.overall), *((("team", t.team_id), t) for t in shown.teams)]:
        for share, measure in MEASURES.items():
            reader.share(cell, measure, presenting.percent(getattr(measures, share)))
        reader.representation(cell, presenting.percent(measures.mean_representation))
    for row in shown.trend.to_dict("records"):
        cell = ("quarter", int(row["team_id"]), pd.Timestamp(row["month"]))
        for share in ("presence_share", "meaningful_share"):
            value = row[share]
            reader.share(cell, MEASURES[share], "—" if pd.isna(value) else presenting.percent(float(value)))
    said = [(("all",), room.voice.overall), *((("team", t.team_id), t) for t in room.voice.teams)]
    for cell, voice in said:
        for count, atom in ((voice.items_raised, "raised"), (voice.actions_owned, "action")):
            if count is not None:
                reader.see(cell, (atom,), count)
                if count:
                    reader.bound(reader.vector(cell, COUNTS["presence"]), 1)  # someone was there
        if voice.mean_voice_share:
            reader.bound(reader.vector(cell, ("raised", "action", "other")), 1)
    experience = feedback.experience_by_month(con, StudyFilter())
    impact = feedback.impact_by_month(con, StudyFilter())
    teams = [
        (("team", t.team_id), experience["team_id"] == t.team_id, impact["team_id"] == t.team_id) for t in shown.teams
    ]
    every = (("all",), experience["team_id"].notna(), impact["team_id"].notna())
    for cell, mine, theirs in [every, *teams]:
        found = feedback.totals(experience[mine], impact[theirs])
        if cell == ("all",) and not (found.responded or found.changes):
            continue  # the Overview shows no row of them
        seen = presenting.experience_shown(found, mode.rule)
        if seen.score == "—":
            reader.see(cell, ("scored",), 0)
        elif seen.score != "hidden":
            reader.bound(reader.vector(cell, ("scored",)), threshold)
        reader.ratio(cell, ("scored", "unscored"), EXPERIENCE_ATOMS, seen.response_rate)
        reader.ratio(cell, ("changed_with_lived",), ("changed_with_lived", "changed_by_staff"), seen.impact_share)


def worked_out_from_both(con: duckdb.DuckDBPyConnection, out: Path, threshold: int) -> list[tuple[Cell, str, int]]:
    export.export(con, "aggregate", "csv", out, threshold=threshold)
    counts = read_text(out, "csv")["counts"]
    team_ids = {name: int(i) for i, name in con.execute("select id, name from teams").fetchall()}
    reader = RoomReader(month_truth(con), live_truth(con), experience_truth(con), impact_truth(con))
    read_into(reader, counts, team_ids)
    read_the_room(reader, con, threshold)
    return list(reader.pins(threshold))


@pytest.mark.parametrize(("threshold", "floor"), [(5, 5), (8, 5), (2, 2)])
def test_the_demos_export_and_presenter_mode_together_give_no_small_count_away(
    demo_copy: duckdb.DuckDBPyConnection, tmp_path: Path, threshold: int, floor: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 2, a break-in found: Team B's 29% of 14 (4) less its Q4 2019's 60% of 5 (3) left 1 for the
    # rest, and the export's contributions by service users in Birch's February (2 meetings) put it
    # there: presenter mode now knows what the export's months tell of presence.
    monkeypatch.setenv("OBSERVATION_PRESENTER_MINIMUM", str(floor))
    assert worked_out_from_both(demo_copy, tmp_path / "agg", threshold) == []


@pytest.mark.parametrize(("seed", "teams", "months"), [(2181, 4, 9), (545, 4, 9), (5292, 3, 8)])
def test_a_generated_studys_export_and_presenter_mode_together_give_no_small_count_away(
    tmp_path: Path, seed: int, teams: int, months: int
) -> None:
    # seed 2181: the two outputs once hid different teams, and one less the other gave a team's 3 meetings
    path = tmp_path / "study.duckdb"
    build_demo(path, DemoSpec(seed=seed, teams=teams, months=months))
    con = db.connect(path)
    try:
        assert worked_out_from_both(con, tmp_path / "agg", 5) == []
    finally:
        con.close()


def test_presenter_modes_response_rates_hide_the_exports_responses_that_would_give_an_attendance_away(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Alpha's 3 service users and carers all answered (100%), all teams' 3 of 4 (75%): with Alpha's
    # 3 responses shown, all teams' 4 attendances less Alpha's 3 would be Beta's one.
    answered(small)
    monkeypatch.setenv("OBSERVATION_PRESENTER_MINIMUM", "2")
    assert worked_out_from_both(small, tmp_path / "agg", 2) == []
    counts = read_text(tmp_path / "agg", "csv")["counts"]
    alpha = counts[(counts["team"] == "Alpha") & (counts["month"] == export.WHOLE_PERIOD)].iloc[0]
    assert alpha["responses_by_lived_experience"] == "[c]"


def test_a_team_heard_only_at_a_months_one_meeting_has_its_voice_hidden_in_presenter_mode(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Beta was observed live once, at its one February meeting, where B-SU1 raised 3 items. The export
    # shows each month's contributions and meetings: presenter mode's "3 items raised" by Beta would
    # say that meeting had a service user there (1 meeting, hidden in the export).
    small.executemany(
        "insert into contributions (meeting_id, participant_id, kind, minute, observer, recorded_at) "
        "values (?, ?, ?, ?, ?, ?::timestamp)",
        [(m, p, kind, minute, who, at) for m, p, kind, n, minute, who, at in CONTRIBUTIONS for _ in range(n)],
    )
    monkeypatch.setenv("OBSERVATION_PRESENTER_MINIMUM", "2")
    assert worked_out_from_both(small, tmp_path / "agg", 2) == []
    mode = presenting.Presenting(on=True, threshold=2, floor=2)
    heard = presenting.room(small, "contributing", mode).voice
    assert heard.of_team(2).items_raised is None
    assert heard.overall.items_raised is None  # all teams' 6 less Alpha's 3
    assert heard.of_team(1).items_raised == 3


def test_a_team_is_localised_only_where_its_other_months_observed_live_cannot_hold_what_they_said() -> None:
    jan, feb = pd.Timestamp("2020-01-01"), pd.Timestamp("2020-02-01")
    kinds = pd.DataFrame(
        [(1, jan, 3), (1, feb, 1), (2, feb, 1), (3, jan, 2)], columns=["team_id", "period", "nobody"]
    ).assign(**{k: 0 for k in KINDS_OF_MEETINGS if k != "nobody"})
    months = pd.DataFrame(  # voice.by_month's: by service users and carers (other here), and staff
        [(1, jan, 4, 6), (1, feb, 5, 0), (2, feb, 6, 2), (3, jan, 0, 4)], columns=["team_id", "month", "other", "staff"]
    ).assign(raised=0, action=0)
    # Team 1's service users and carers said 9 things; January (3 meetings) heard 10 in all, which
    # could hold all 9, so February's one meeting may have had none of them. Team 2 was heard only
    # at its one February meeting. Team 3's said nothing.
    assert presenting.export_tells(months, kinds).localised == {2}
    months.loc[0, "staff"] = 4  # 9 cannot all have been said among January's 8
    assert presenting.export_tells(months, kinds).localised == {1, 2}
