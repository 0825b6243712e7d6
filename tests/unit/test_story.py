"""The deck's story without drawing it: the notes' lines, the QI reading of the quarters presenter
mode shows (limits and signals where there are enough of them, in words that give no number the
screens do not), and the funnel and tensions as presenter mode may show them."""

from __future__ import annotations

import re
from typing import Any

import duckdb
import pandas as pd

from observation import recruitment, story
from observation.disclosure import Rule
from observation.filters import StudyFilter
from observation.queries import Measures, Overview, TeamMeasures

QUARTERS = pd.date_range("2019-07-01", periods=14, freq="QS")
EVENTS = pd.DataFrame({"team_id": [], "event_date": [], "label": [], "category": []})


def overview(shares: list[float | None], meetings: int = 20, team_share: float | None = 0.46) -> Overview:
    """One team, Team A, with a quarter of ``meetings`` held meetings for each share (None: hidden)."""
    trend = pd.DataFrame(
        {
            "team_id": 1,
            "team_name": "Team A",
            "month": QUARTERS[: len(shares)],
            "meetings": meetings,
            "presence_share": [float("nan") if s is None else s for s in shares],
            "meaningful_share": float("nan"),
        }
    )
    hidden: frozenset[tuple[Any, str]] = frozenset() if team_share is not None else frozenset({(1, "presence_share")})
    team = TeamMeasures(team_id=1, team_name="Team A", setting="community", meetings_held=meetings * len(shares),
                        presence_share=team_share)  # fmt: skip
    return Overview(Measures(), (team,), trend, EVENTS, pd.DataFrame(), hidden)


def test_a_reading_with_limits_names_its_signal_but_not_the_limit() -> None:
    shares: list[float | None] = [0.5] * 13 + [0.0]
    shares[5] = None  # a quarter presenter mode hid
    (reading,) = story.readings(overview(shares), 5)
    assert reading.sentence.startswith("Team A: below the lower limit at the quarter of Q4 2022 — concern")
    assert reading.sentence.endswith("(Making Data Count rules). Q4 2020 is hidden in presenter mode and not read.")
    assert re.findall(r"\d+(?:\.\d+)?%?", reading.sentence.split(" — ")[0]) == ["4", "2022"]  # the quarter's name


def test_too_few_quarters_are_read_as_the_qi_charts_say_with_the_period_share_alone() -> None:
    (reading,) = story.readings(overview([0.5, 0.75, 0.25]), 5)
    assert reading.sentence == (
        "Team A: 3 quarters — too few to set limits or test for signals (that needs 12 or more quarters, most of 3 "
        "meetings or more). Over the period, 46% of held meetings had a service user or carer present."
    )
    (hidden,) = story.readings(overview([None, None], team_share=None), 8)
    assert hidden.sentence == (
        "Team A: every quarter's share is hidden in presenter mode, so there is no chart to read. Over the period, the "
        "share of held meetings with a service user or carer present is hidden (it could reveal a count under 8)."
    )


def test_the_notes_lines_are_regular() -> None:
    found = overview([0.5, None])
    assert story.measures_line("Team A", found.teams[0], 1, frozenset({(1, "carer_share")})) == (
        "Team A: 40 meetings held; presence 46%; service users —; carers hidden; meaningful involvement —; "
        "mean representation —."
    )
    assert story.quarter_lines(found.trend) == [
        "Team A, 2019 Q3: 20 meetings; presence 50%; meaningful involvement hidden.",
        "Team A, 2019 Q4: 20 meetings; presence hidden; meaningful involvement hidden.",
    ]


def test_the_funnel_hides_a_stage_that_would_give_away_who_stopped_before_it(
    demo: duckdb.DuckDBPyConnection,
) -> None:
    people = recruitment.funnel(demo, StudyFilter()).groupby("stage")["people"].sum()
    counts = [int(people[s]) for s in recruitment.FUNNEL]
    for threshold in (5, 8):
        rule = Rule(threshold)
        stages = story.funnel(demo, rule)
        assert [s.stage for s in stages] == list(recruitment.FUNNEL)
        shown = [s.people for s in stages]
        assert all(p is None or (p == c and not rule.hides(c)) for p, c in zip(shown, counts, strict=True))
        for k, count in enumerate(counts):
            after = counts[k + 1] if k + 1 < len(counts) else 0
            both = shown[k] is not None and (k + 1 == len(counts) or shown[k + 1] is not None)
            assert not (both and rule.hides(count - after))
        assert shown[0] is not None


def test_tension_counts_are_never_added_and_small_ones_read_under_the_threshold(
    demo: duckdb.DuckDBPyConnection,
) -> None:
    found = story.tensions(demo, Rule(5))
    assert found
    for t in found:
        for text in (t.notes, t.interviews):
            assert text in ("<5", "hidden") or (text.replace(",", "").isdigit() and int(text.replace(",", "")) >= 0)
            assert not (text.isdigit() and 0 < int(text) < 5)
