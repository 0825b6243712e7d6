"""The experience score and the changes from lived experience as QI charts (observation.qi,
observation.charts): a mean score month by month is an XmR or run chart, never a p-chart; a share of
the changes logged each month is a p-chart with n = changes. Limits are worked out here by hand."""

from __future__ import annotations

import datetime as dt
import math
import re
from itertools import pairwise

import pandas as pd
import pytest

from observation import charts, qi
from tests.qi_series import NO_EVENTS

MONTHS = [dt.date(2021, m, 1) for m in range(1, 13)] + [dt.date(2022, 1, 1), dt.date(2022, 2, 1)]
SCORES = [3.0, 3.5, 4.0, 3.25, 3.75, 4.5, 3.0, 4.0, 3.5, 4.25, 3.5, 4.0, 4.75, 3.25]
RESPONSES = [2, 4, 3, 5, 2, 3, 4, 2, 6, 3, 2, 4, 3, 5]


def experience(months: int = len(MONTHS)) -> pd.DataFrame:
    return pd.DataFrame({
        "team_id": 1, "team_name": "Alpha", "meeting_date": MONTHS[:months],
        "score": SCORES[:months], "scored": RESPONSES[:months],
    })  # fmt: skip


def test_the_experience_score_is_an_xmr_chart_of_the_monthly_scores() -> None:
    choice = qi.ChartChoice(measure="experience", chart="xmr", rules="anhoej")
    (panel,) = qi.panels(experience(), NO_EVENTS, choice)
    assert panel.chart is not None
    mean = sum(SCORES) / len(SCORES)
    moving = sum(abs(b - a) for a, b in pairwise(SCORES)) / (len(SCORES) - 1)
    first = panel.chart.points[0]
    assert first.centre == pytest.approx(mean)
    assert (first.lower, first.upper) == (pytest.approx(mean - 2.66 * moving), pytest.approx(mean + 2.66 * moving))
    assert panel.labels[:2] == ("Jan 2021", "Feb 2021")
    weighted = sum(s * n for s, n in zip(SCORES, RESPONSES, strict=True)) / sum(RESPONSES)
    assert panel.mean == pytest.approx(weighted)  # every response weighs alike, not every month
    (sentence,) = qi.signal_sentences((panel,), choice, None)
    assert "too few" not in sentence
    assert sentence.startswith("Alpha: no signal")


def test_too_few_months_draw_no_limits_and_say_so() -> None:
    choice = qi.ChartChoice(measure="experience", chart="xmr")
    (panel,) = qi.panels(experience(5), NO_EVENTS, choice)
    assert panel.chart is not None
    assert all(p.upper is None for p in panel.chart.points)
    (sentence,) = qi.signal_sentences((panel,), choice, None)
    weighted = sum(s * n for s, n in zip(SCORES[:5], RESPONSES[:5], strict=True)) / sum(RESPONSES[:5])
    assert sentence == (
        f"Alpha: only 5 months — too few to set limits or test for signals (that needs 12 or more months). "
        f"Over the period, the experience score was {weighted:.1f} of 5 over {sum(RESPONSES[:5])} responses "
        "(the chart's centre line weighs each month alike)."
    )


def test_a_p_chart_does_not_fit_a_mean_score() -> None:
    fitted, notice = qi.fitted(qi.ChartChoice(measure="experience", chart="p"))
    assert fitted.chart == "xmr"
    assert notice is not None
    assert "a mean score each month" in notice
    parsed = qi.choice_from_query_params({"measure": "experience"})
    assert parsed.choice.chart == "xmr"
    assert parsed.notices == ()


def test_the_changes_from_lived_experience_are_a_p_chart_with_n_the_changes_logged() -> None:
    with_lived = [1, 2, 0, 1, 3, 1, 2, 1, 0, 2, 1, 2, 3, 1]
    changes = [2, 3, 1, 2, 4, 2, 3, 1, 2, 3, 2, 2, 4, 3]
    frame = pd.DataFrame({"team_id": 1, "team_name": "Alpha", "meeting_date": MONTHS,
                          "with_lived_experience": with_lived, "changes": changes})  # fmt: skip
    choice = qi.ChartChoice(measure="impact", chart="p")
    (panel,) = qi.panels(frame, NO_EVENTS, choice)
    assert panel.chart is not None
    pooled = sum(with_lived) / sum(changes)
    for point, n in zip(panel.chart.points, changes, strict=True):
        spread = 3 * math.sqrt(pooled * (1 - pooled) / n)
        assert point.centre == pytest.approx(pooled)
        assert point.upper == pytest.approx(min(1.0, pooled + spread))
        assert point.lower == pytest.approx(max(0.0, pooled - spread))
    (sentence,) = qi.signal_sentences((panel,), choice, None)
    assert sentence.startswith("Alpha:")
    fig = charts.qi_chart((panel,), choice, None)
    assert "per month with a change logged (n = changes logged)" in fig.layout.title.text
    assert fig.data[0].customdata[0][1].startswith("1 of 2 changes logged")


def test_the_experience_chart_reads_scores_of_one_to_five() -> None:
    choice = qi.ChartChoice(measure="experience", chart="xmr")
    fig = charts.qi_chart(qi.panels(experience(), NO_EVENTS, choice), choice, None)
    assert list(fig.layout.yaxis.range) == [0.9, 5.1]
    assert "%{y:.1f} of 5" in fig.data[0].hovertemplate
    first, second = fig.data[0].customdata[:2]
    assert first[0] == "Jan 2021"
    assert re.fullmatch(r"from 2 responses · limits \d\.\d+–\d\.\d+", first[1])
    assert second[1].startswith("from 4 responses")


def test_one_response_or_change_is_said_in_the_singular() -> None:
    assert [qi.one_of(c) for c in ("responses", "changes logged", "contributions")] == [
        "response", "change logged", "contribution",
    ]  # fmt: skip
    frame = experience().assign(scored=1)
    choice = qi.ChartChoice(measure="experience", chart="xmr")
    fig = charts.qi_chart(qi.panels(frame, NO_EVENTS, choice), choice, None)
    assert fig.data[0].customdata[0][1].startswith("from 1 response ·")


@pytest.mark.parametrize(
    ("lived", "said"), [(1, "the one change logged came from"), (0, "the one change logged did not come from")]
)
def test_one_change_logged_is_told_as_one(lived: int, said: str) -> None:
    frame = pd.DataFrame({"team_id": [1], "team_name": ["Alpha"], "meeting_date": MONTHS[:1],
                          "with_lived_experience": [lived], "changes": [1]})  # fmt: skip
    choice = qi.ChartChoice(measure="impact", chart="p")
    (sentence,) = qi.signal_sentences(qi.panels(frame, NO_EVENTS, choice), choice, None)
    assert f"Over the period, {said} people with lived experience, alone or with staff." in sentence, sentence
