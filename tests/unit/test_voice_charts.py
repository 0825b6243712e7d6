"""The charts of voice at the meetings observed live read as whole numbers where they count: a
count's run or XmR chart, and a g-chart's gaps, ticked at whole numbers only (never 0, 1, 1, 2, 2
from fractional ticks printed rounded); and a meeting's "who contributed when", where the kinds
one person made in the same minute stand side by side and the minutes are whole."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from observation import charts, labels, qi, view_charts
from tests.unit.test_charts import qi_panels

NO_EVENTS = pd.DataFrame({"team_id": [], "event_date": [], "label": [], "category": []})


def live_series(counts: list[tuple[int, int]]) -> pd.DataFrame:
    """One team's meetings observed live a week apart: (items raised, actions owned) each, by
    service users and carers, of ten contributions, half theirs."""
    return pd.DataFrame(
        [
            {"team_id": 1, "team_name": "Oak", "meeting_id": i + 1,
             "meeting_date": pd.Timestamp(dt.date(2021, 1, 4) + dt.timedelta(weeks=i)),
             "contributions": 10, "contributions_lived_experience": 5, "items_raised": items,
             "actions_owned": actions, "voice_share": 0.5}
            for i, (items, actions) in enumerate(counts)
        ]
    )  # fmt: skip


def y_axes(fig: Any) -> list[Any]:
    return [fig.layout[name] for name in fig.layout if name.startswith("yaxis")]


def ticked_at_whole_numbers(axis: Any) -> bool:
    """Every tick a whole number: ticks from a whole ``tick0`` every whole ``dtick`` (Plotly's
    linear ticks, its default when both are given), printed as whole numbers."""
    whole = [isinstance(v, int | float) and float(v).is_integer() for v in (axis.tick0, axis.dtick)]
    return all(whole) and axis.dtick >= 1 and axis.tickformat == "d" and axis.tickmode in (None, "linear")


@pytest.mark.parametrize("chart", ["run", "xmr"])
@pytest.mark.parametrize("measure", ["items_raised", "actions_owned"])
def test_a_count_of_a_few_is_ticked_at_whole_numbers_only(measure: qi.MeasureName, chart: qi.ChartName) -> None:
    # The walk-through's chart: counts of 0 to 2 a meeting, on which Plotly's own ticks fall every
    # 0.5, printed "0, 1, 1, 2, 2".
    frame = live_series([(k % 3, (k + 1) % 3) for k in range(14)])
    choice = qi.ChartChoice(measure=measure, chart=chart)
    fig = charts.qi_chart(qi.panels(frame, NO_EVENTS, choice), choice, target=None)
    axes = y_axes(fig)
    assert axes
    for axis in axes:
        assert ticked_at_whole_numbers(axis), axis
        assert axis.dtick == 1  # 0, 1, 2 (and 3 above an upper limit): each whole number once
        assert axis.rangemode == "tozero"


def test_a_count_of_many_is_ticked_at_whole_steps_that_do_not_crowd() -> None:
    frame = live_series([(30 + k % 11, k) for k in range(14)])
    choice = qi.ChartChoice(measure="items_raised", chart="run")
    fig = charts.qi_chart(qi.panels(frame, NO_EVENTS, choice), choice, target=None)
    (axis,) = y_axes(fig)
    assert ticked_at_whole_numbers(axis)
    assert axis.dtick in (5, 10)
    assert 40 / axis.dtick <= 8


def test_a_g_charts_gaps_in_meetings_are_ticked_at_whole_numbers() -> None:
    choice = qi.ChartChoice(measure="meaningful", chart="g")
    fig = charts.qi_chart(qi_panels(choice), choice, target=None)
    for axis in y_axes(fig):
        assert ticked_at_whole_numbers(axis), axis


@pytest.mark.parametrize("top", [0, 0.4, 1, 2, 3, 6, 7, 12, 59, 90, 480, 12_345])
def test_whole_ticks_take_the_smallest_whole_step_that_fits(top: float) -> None:
    ticks = charts.whole_ticks(top, most=6)
    step = ticks["dtick"]
    assert isinstance(step, int)
    assert step >= 1
    assert ticks["tick0"] == 0
    assert step * 6 >= top  # no more than six ticks above 0
    smaller = [s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if s < step]
    assert all(s * 6 < top for s in smaller)  # and none finer would do


def timeline(rows: list[tuple[int, str, str, bool, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["minute", "code", "role", "lived_experience", "kind"])
    return frame.assign(observer=False, contribution=frame["kind"].map(labels.CONTRIBUTIONS))[
        ["minute", "code", "role", "lived_experience", "observer", "kind", "contribution"]
    ]


# The walk-through: one service user spoke, raised an item and took an action in minute 1, drawn
# as one blob; a nurse spoke in the same minute.
MINUTE_ONE = timeline(
    [(1, "A-SU1", "Service user", True, "spoke"), (1, "A-SU1", "Service user", True, "raised_item"),
     (1, "A-SU1", "Service user", True, "took_action"), (1, "A-ST1", "Nurse", False, "spoke")]
)  # fmt: skip


def test_kinds_made_in_the_same_minute_by_one_person_stand_side_by_side() -> None:
    fig = view_charts.contribution_timeline(MINUTE_ONE)
    assert fig.layout.scattermode == "group"  # traces of different offset groups side by side ...
    for trace in fig.data:
        assert trace.orientation == "h"  # ... along the people's axis, not the minutes'
    groups = {t.name: t.offsetgroup for t in fig.data}
    assert len(set(groups.values())) == len(groups) == 3  # a place for each kind drawn
    # The same kind by someone with lived experience and by someone without: one place in a row.
    spoke = [t.offsetgroup for t in fig.data if t.name == labels.CONTRIBUTIONS["spoke"]]
    assert len(spoke) == 2
    assert len(set(spoke)) == 1
    assert list(fig.layout.yaxis.categoryarray) == ["A-SU1", "A-ST1"]
    # Each row tall enough for its kinds side by side: at least a lane of KIND_LANE pixels each.
    rows = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    assert rows >= 2 * 3 * view_charts.KIND_LANE


def test_the_rows_of_people_are_banded_so_that_a_mark_is_read_in_its_row() -> None:
    fig = view_charts.contribution_timeline(MINUTE_ONE)
    bands = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(b.y0, b.y1) for b in bands] == [(-0.5, 0.5)]  # every other row, from the first
    assert fig.layout.yaxis.showgrid is False
    assert list(fig.layout.yaxis.range) == [1.5, -0.5]  # every row whole, the first at the top


@pytest.mark.parametrize("last", [1, 2, 7, 59, 120])
def test_the_minutes_are_ticked_whole(last: int) -> None:
    fig = view_charts.contribution_timeline(
        timeline([(0, "A-SU1", "Service user", True, "spoke"), (last, "A-ST1", "Nurse", False, "spoke")])
    )
    assert ticked_at_whole_numbers(fig.layout.xaxis)
    assert last / fig.layout.xaxis.dtick <= 8


@pytest.mark.parametrize(("measure", "one"), [("items_raised", "1 item raised"), ("actions_owned", "1 action owned")])
def test_one_item_or_action_is_said_in_the_singular(measure: qi.MeasureName, one: str) -> None:
    """The walk-through read "1 items raised" under the chart."""
    frame = live_series([(1, 1)] + [(0, 0)] * 13)
    choice = qi.ChartChoice(measure=measure, chart="run")
    (sentence,) = qi.signal_sentences(qi.panels(frame, NO_EVENTS, choice), choice, target=None)
    assert f"{one} by service users and carers at 14 meetings" in sentence
