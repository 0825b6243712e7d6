"""QI panels: a yes/no per meeting is subgrouped before it is charted, only the charts that fit
the data are offered, and every team gets a sentence that says what its chart can tell."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observation import qi, queries, spc
from observation.filters import StudyFilter
from tests.qi_series import NO_EVENTS, series, subgroups

RISE = [0] * 8 + [1] * 8


def panels(frame: pd.DataFrame, choice: qi.ChartChoice, events: pd.DataFrame = NO_EVENTS) -> tuple[qi.TeamPanel, ...]:
    return qi.panels(frame, events, choice, subgroups(frame, choice.subgroup, choice.block))


def monthly(shares: list[tuple[int, int]]) -> pd.DataFrame:
    """A team with ``(yes, held)`` meetings in each of consecutive months, meetings a few days apart."""
    rows = []
    for month, (yes, held) in enumerate(shares):
        first = dt.date(2018 + month // 12, month % 12 + 1, 1)
        rows += [
            {
                "team_id": 1, "team_name": "Oak", "meeting_date": pd.Timestamp(first + dt.timedelta(days=2 * i)),
                "present_total": 5, "present_lived_experience": 2 * (i < yes),
                "lived_experience_present": int(i < yes), "meaningful": int(i < yes),
            }
            for i in range(held)
        ]  # fmt: skip
    return pd.DataFrame(rows)


def test_a_yes_or_no_per_meeting_is_charted_as_the_share_of_each_months_held_meetings() -> None:
    # The p-chart's n is the month's held meetings, so its limits differ month to month; meeting by
    # meeting (n = 1) they were 0% and 100% everywhere.
    frame = monthly([(3, 10), (6, 12), (2, 8)] * 4)
    (panel,) = panels(frame, qi.ChartChoice())
    assert panel.counts[:3] == ((3, 10), (6, 12), (2, 8))
    assert [p.value for p in panel.chart.points[:3]] == [0.3, 0.5, 0.25]
    assert panel.labels[:2] == ("Jan 2018", "Feb 2018")
    widths = [p.upper - p.lower for p in panel.chart.points[:3] if p.upper is not None and p.lower is not None]
    assert widths[1] < widths[0] < widths[2] < 1  # the more meetings in a month, the narrower its limits


def test_every_chart_of_a_yes_or_no_measure_reads_the_subgroups_not_the_meetings() -> None:
    frame = monthly([(1, 4), (2, 4), (3, 4)] * 5)
    for chart in ("p", "run", "xmr"):
        (panel,) = panels(frame, qi.ChartChoice(chart=chart))
        assert [p.value for p in panel.chart.points[:3]] == [0.25, 0.5, 0.75], chart  # never a 0/1 per meeting


def test_quarters_and_blocks_of_meetings_are_subgroups_too() -> None:
    frame = series({"Oak": RISE})  # a meeting every fortnight from 6 Jan 2020
    (by_quarter,) = panels(frame, qi.ChartChoice(subgroup="quarter"))
    assert by_quarter.labels == ("Q1 2020", "Q2 2020", "Q3 2020")
    assert by_quarter.counts == ((0, 7), (5, 6), (3, 3))  # 6 Jan-30 Mar, 13 Apr-22 Jun, 6 Jul-3 Aug
    (by_block,) = panels(frame, qi.ChartChoice(subgroup="block", block=5))
    # the last meeting, short of a block of five, waits for its block: its limits alone would be 0-100%
    assert by_block.counts == ((0, 5), (2, 5), (5, 5))
    assert by_block.pending == 1
    assert by_block.total == (8, 16)  # the period's share still counts it
    choice = qi.ChartChoice(subgroup="block", block=5)
    assert qi.signal_sentences((by_block,), choice, None)[0].endswith(
        "The last held meeting, short of a block of 5, is not charted yet."
    )
    assert by_block.labels[0] == "meetings 1–5 (06 Jan – 02 Mar 2020)"


def test_too_few_subgroups_give_no_limits_and_no_signal_and_the_sentence_says_what_can_be_told() -> None:
    # Eight months of fortnightly meetings: 8 subgroups of about two meetings. Charted meeting by
    # meeting this rise read "8 points above the centre line: improvement"; two meetings a month
    # cannot carry limits, so nothing is flagged and the sentence gives the period's share.
    frame = series({"Oak": RISE})
    for chart in ("p", "run", "xmr"):
        (panel,) = panels(frame, qi.ChartChoice(chart=chart))
        assert panel.withheld is not None
        assert all(p.upper is None and p.special_cause is None for p in panel.chart.points)
        (sentence,) = qi.signal_sentences((panel,), qi.ChartChoice(chart=chart), None)
        task = "test for signals" if chart == "run" else "set limits or test for signals"  # a run chart has no limits
        assert sentence == (
            f"Oak: 8 months, 7 of 8 with fewer than 3 meetings — too few to {task} "
            "(that needs 12 or more months, most of 3 meetings or more). Over the period, 8 of 16 held meetings "
            "had a service user or carer present (50%)."
        )


def test_enough_subgroups_read_a_rise_as_improvement_on_every_chart() -> None:
    frame = monthly([(2, 10)] * 12 + [(8, 10)] * 12)
    for chart in ("p", "xmr", "run"):
        choice = qi.ChartChoice(chart=chart)
        (panel,) = panels(frame, choice)
        assert panel.withheld is None
        (sentence,) = qi.signal_sentences((panel,), choice, None)
        assert "up to the month of Dec 2019 — improvement" in sentence, (chart, sentence)
        assert "concern" not in sentence


def test_the_target_is_read_only_where_limits_say_something() -> None:
    choice = qi.ChartChoice(measure="meaningful")
    (panel,) = panels(monthly([(3, 4), (4, 4)] * 6), choice)
    (sentence,) = qi.signal_sentences((panel,), choice, 0.8)
    assert sentence.endswith("Against the 80% target, the process will meet it only some of the time.")
    (few,) = panels(series({"Oak": RISE}), choice)
    assert qi.signal_sentences((few,), choice, 0.8)[0].endswith(
        "Against the 80% target, too few subgroups to say whether the process will meet it."
    )


def test_an_xmr_chart_of_uneven_subgroups_points_to_the_p_chart() -> None:
    choice = qi.ChartChoice(chart="xmr")
    (uneven,) = panels(monthly([(1, 3), (2, 6)] * 6), choice)
    assert (
        "hold 3 to 6 meetings: with sizes that uneven, the p-chart" in qi.signal_sentences((uneven,), choice, None)[0]
    )
    (even,) = panels(monthly([(1, 4), (2, 4)] * 6), choice)
    assert "uneven" not in qi.signal_sentences((even,), choice, None)[0]


def test_representation_is_charted_meeting_by_meeting_with_n_the_people_present() -> None:
    choice = qi.ChartChoice(measure="representation")
    (panel,) = panels(series({"Oak": [1, 0, 1]}), choice)
    assert [p.value for p in panel.chart.points] == [0.4, 0.0, 0.4]  # 2 of 5 present had lived experience
    assert panel.counts == ((2, 5), (0, 5), (2, 5))
    assert panel.withheld is None


def test_a_g_chart_counts_the_held_meetings_without_presence_between_meetings_with_it() -> None:
    # The two meetings before the first with presence are no gap: nothing with presence opened them.
    choice = qi.ChartChoice(chart="g")
    (panel,) = panels(series({"Oak": [0, 0, 1, 1, 0, 0, 0, 1, 0, 0]}), choice)
    assert [p.value for p in panel.chart.points] == [0, 3]
    assert panel.dates == tuple(dt.date(2020, 1, 6) + dt.timedelta(days=14 * i) for i in (3, 7))
    assert panel.open_gap == 2
    (sentence,) = qi.signal_sentences((panel,), choice, None)
    # two gaps are far too few for limits, as twelve subgroups are needed on the other charts
    assert sentence.startswith(
        "Oak: only 2 gaps between meetings with a service user or carer present — too few to set limits"
    )
    assert "(longest: 3). 2 held meetings without it since the last." in sentence
    assert all(p.upper is None and p.special_cause is None for p in panel.chart.points)


def gaps_of(lengths: list[int], then: int = 0) -> list[int]:
    """Meetings with presence separated by ``lengths`` meetings without, then ``then`` more without."""
    yes = [1]
    for gap in lengths:
        yes += [0] * gap + [1]
    return yes + [0] * then


def test_a_long_gap_is_a_concern_on_a_g_chart_and_the_open_gap_counts() -> None:
    # Fifteen gaps, three of one meeting: mean 0.2 → upper limit 0.2 + 3 × √(0.2 × 1.2) ≈ 1.67. The
    # gap still open at the end, 31 meetings, is far beyond it, and the sentence says so.
    choice = qi.ChartChoice(chart="g")
    lengths = [0, 0, 0, 1] * 3 + [0, 0, 0]
    (panel,) = panels(series({"Oak": gaps_of(lengths, then=31)}), choice)
    assert panel.withheld is None
    assert panel.open_gap == 31
    (sentence,) = qi.signal_sentences((panel,), choice, None)
    assert (
        "31 held meetings without it since the last, already more than the upper limit of 1.7: a concern." in sentence
    )
    (flagged,) = panels(series({"Oak": gaps_of([*lengths, 6])}), choice)
    (sentence,) = qi.signal_sentences((flagged,), choice, None)
    assert sentence.startswith("Oak: above the upper limit (6 > ")
    assert "— concern (" in sentence  # a long gap is worse: never read as improvement
    (shorter,) = panels(series({"Oak": gaps_of([3, 4, 2, 5, 3, 4, 2, 3] + [0] * 8)}), choice)
    # eight short gaps in a row after eight longer ones: below the median, read as improvement
    assert "— improvement (" in qi.signal_sentences((shorter,), choice, None)[0]


@pytest.mark.parametrize(
    ("yes", "said"),
    [
        ([0] * 6, "Willow: no held meeting had a service user or carer present, so there is no gap between such "
                  "meetings to chart; 6 held meetings without."),
        ([0, 1, 0, 0], "Willow: only one held meeting had a service user or carer present, so there is no gap between "
                       "such meetings yet; 2 held meetings without it since."),
    ],
)  # fmt: skip
def test_a_team_with_fewer_than_two_meetings_with_presence_has_no_g_chart_but_a_sentence(
    yes: list[int], said: str
) -> None:
    choice = qi.ChartChoice(chart="g")
    (panel,) = panels(series({"Willow": yes}), choice)
    assert panel.chart is None
    assert qi.signal_sentences((panel,), choice, None) == [said]


def test_representation_at_zero_most_meetings_is_not_charted_meeting_by_meeting() -> None:
    # A ward where nearly every meeting had nobody with lived experience: every 0% lies under a
    # centre line of a few per cent, and the runs rules flagged meeting after meeting as a concern.
    for chart in ("p", "xmr", "run"):
        choice = qi.ChartChoice(measure="representation", chart=chart)
        (panel,) = panels(series({"Willow": [0] * 6 + [1] + [0] * 6 + [1, 0, 1]}), choice)
        (sentence,) = qi.signal_sentences((panel,), choice, None)
        assert sentence.startswith(
            "Willow: 13 of 16 meetings had nobody with lived experience present — too many at 0%"
        )
        assert "the g-chart of presence" in sentence
        assert not any(word in sentence for word in ("improvement", "concern", "common-cause"))


def test_a_run_chart_with_most_points_on_its_median_does_not_claim_a_side() -> None:
    # With the median at 0%, every month off it is "above" it: a run of them is no improvement.
    choice = qi.ChartChoice(chart="run")
    (panel,) = panels(monthly([(0, 4)] * 8 + [(1, 4)] * 6), choice)
    (sentence,) = qi.signal_sentences((panel,), choice, None)
    assert sentence.startswith("Oak: only 6 of 14 points lie off the median — too few for the run-chart rules")
    assert "improvement" not in sentence


def test_rebasing_starts_a_phase_at_the_first_subgroup_on_or_after_each_team_event() -> None:
    frame = monthly([(1, 4)] * 12 + [(4, 4)] * 12)
    events = pd.DataFrame(
        {
            "team_id": [1.0, None],
            "event_date": [pd.Timestamp("2018-12-15"), pd.Timestamp("2018-06-01")],
            "label": ["Home meetings began", "Winter pressures"],
            "category": ["home_meetings", "service_change"],
        }
    )
    (panel,) = panels(frame, qi.ChartChoice(rebase=True), events)
    assert [(p.start, p.end) for p in panel.chart.phases] == [(0, 12), (12, 24)]  # the study-wide event starts none
    assert [label for _, label in panel.events] == ["Home meetings began", "Winter pressures"]  # both drawn
    (sentence,) = qi.signal_sentences((panel,), qi.ChartChoice(rebase=True), None)
    assert sentence.startswith("Oak: no signal since 01 Jan 2019")


def test_a_run_chart_of_meetings_is_a_short_series_not_trial_limits() -> None:
    # eleven meetings with 0 to 10 of 10 present with lived experience: ten lie off the median
    frame = series({"Oak": [1] * 11}, present_total=10).assign(present_lived_experience=range(11))
    choice = qi.ChartChoice(measure="representation", chart="run")
    (panel,) = panels(frame, choice)
    assert panel.withheld is None
    assert "11 meetings: a short series." in qi.signal_sentences((panel,), choice, None)[0]


def test_too_few_crossings_is_said_under_anhoej_rules() -> None:
    choice = qi.ChartChoice(measure="representation", chart="run", rules="anhoej")
    (panel,) = panels(series({"Oak": [0] * 7 + [1] * 7}), choice)
    (sentence,) = qi.signal_sentences((panel,), choice, None)
    # two runs of 7 are not longer than the limit for 14 points (7), but 1 crossing is fewer than 4
    assert sentence == (
        "Oak: the line crosses its centre once, fewer than the 4 expected by chance — a shift (Anhøj run rules)."
    )


def test_the_choice_round_trips_through_the_link_and_bad_values_fall_back() -> None:
    choice = qi.ChartChoice(measure="meaningful", chart="run", rules="classic", rebase=True, subgroup="block", block=6)
    assert qi.choice_from_query_params(qi.choice_to_query_params(choice)) == qi.ParsedChoice(choice, ())
    assert qi.choice_to_query_params(qi.ChartChoice()) == {}
    parsed = qi.choice_from_query_params(
        {"chart": "pie", "rules": "anhoej", "rebase": "maybe", "subgroup": "week", "block": "1"}
    )
    assert parsed.choice == qi.ChartChoice(rules="anhoej")
    assert parsed.notices == (
        "Ignored chart='pie' in the link: it is one of p, xmr, run, g.",
        "Ignored rebase='maybe' in the link: it is one of 1 or 0.",
        "Ignored subgroup='week' in the link: it is one of month, quarter, block.",
        "Ignored block='1' in the link: it is one of a whole number of meetings from 3 to 12.",
    )


def test_a_link_asking_for_a_chart_that_does_not_fit_falls_back_and_says_why() -> None:
    parsed = qi.choice_from_query_params({"measure": "representation", "chart": "g"})
    assert parsed.choice == qi.ChartChoice(measure="representation", chart="p")
    (notice,) = parsed.notices
    assert notice.startswith("A g-chart does not fit representation")
    assert notice.endswith("Showing the p-chart.")
    assert qi.fitted(qi.ChartChoice(chart="g")) == (qi.ChartChoice(chart="g"), None)


def test_on_the_demo_eight_months_are_too_few_for_limits_on_any_chart(
    demo: duckdb.DuckDBPyConnection,
) -> None:
    # The demo follows three teams for eight months, as the study it is modelled on did: by month,
    # no team has enough subgroups for limits, and every chart says so rather than flag a signal.
    overview = queries.overview(demo, StudyFilter(), "contributing")
    teams = tuple(int(t) for t in overview.series["team_id"].unique())
    for choice in (qi.ChartChoice(), qi.ChartChoice(subgroup="quarter"), qi.ChartChoice(subgroup="block", block=3)):
        found = queries.qi_subgroups(demo, StudyFilter(), "contributing", teams, choice.subgroup, choice.block)
        for panel in qi.panels(overview.series, overview.events, choice, found):
            assert panel.withheld is not None
            assert panel.chart is not None
            assert not panel.chart.signal
    gaps = qi.panels(overview.series, overview.events, qi.ChartChoice(chart="g"))
    for panel in gaps:
        yes, held = panel.total
        points = panel.chart.points if panel.chart is not None else ()
        # every held meeting without presence after the first with it is in one gap, or in the gap
        # still open at the end; the meetings before the first with it are in none
        assert sum(p.value for p in points) + panel.open_gap <= held - yes
        assert len(points) == max(yes - 1, 0)
        assert panel.withheld is not None or panel.chart is None  # a few gaps: no limits on the demo either


# --- properties over random yes/no meeting series ------------------------------------------------


def _stepped(parts: list[tuple[int, float]], seed: int) -> list[int]:
    """Runs of meetings, each with its own chance of presence: the shifts charts are meant to find."""
    draw = random.Random(seed)
    return [int(draw.random() < chance) for length, chance in parts for _ in range(length)]


yes_no_series = st.one_of(
    st.lists(st.integers(0, 1), min_size=1, max_size=160),
    st.builds(
        _stepped,
        st.lists(st.tuples(st.integers(4, 60), st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0])), max_size=4),
        st.integers(0, 2**16),
    ).filter(bool),
)
spacing = st.sampled_from([7, 14, 30])
rule_sets = st.sampled_from(list(spc.RULE_SET_NAMES))
subgroupings = st.sampled_from([("month", 4), ("quarter", 4), ("block", 3), ("block", 6)])


@settings(max_examples=300, deadline=None)
@given(yes_no_series, spacing, rule_sets, subgroupings)
def test_the_offered_charts_of_a_yes_or_no_measure_never_overclaim(
    yes: list[int], every: int, rules: spc.RuleSet, grouping: tuple[str, int]
) -> None:
    frame = series({"Oak": yes}, every=every)
    readings: dict[str, set[str]] = {}
    for chart in qi.MEASURES["presence"].charts:
        choice = qi.ChartChoice(chart=chart, rules=rules, subgroup=grouping[0], block=grouping[1])
        (panel,) = panels(frame, choice)
        if panel.chart is None:
            assert chart == "g"
            assert sum(yes) < 2  # a gap needs two meetings with presence
            continue
        points = panel.chart.points
        for p in points:
            # no limit of zero width, and a limit is a pair
            assert (p.lower is None) == (p.upper is None)
            assert p.lower is None or p.upper is None or p.upper > p.lower
            if p.special_cause == "outside_limits":
                assert p.upper is not None
                assert p.lower is not None
                assert not p.lower <= p.value <= p.upper
        limited = [p for p in points if p.upper is not None]
        if chart == "p" and limited:
            # limits that span 0-100% at every point tell nothing: too few or too small subgroups
            assert not all(p.lower == 0 and p.upper == 1 for p in limited)
        if panel.withheld is not None:
            assert not panel.chart.signal
        if chart != "g":
            # each point is a share of a subgroup of held meetings, never a lone 0 or 1 per meeting
            assert sum(n for _, n in panel.counts) + panel.pending == len(yes)
        sentence = qi.signal_sentences((panel,), choice, None)[0]
        readings[chart] = {word for word in ("improvement", "concern") if word in sentence}
        if chart == "g" and "improvement" in readings[chart]:
            # a g-chart reads gaps: improvement means short gaps, so meetings with presence close together
            assert panel.chart.points[-1].value < panel.chart.centre
    # The charts of the share per subgroup never contradict each other. The g-chart reads the gaps
    # between meetings with presence: a long gap ending at the latest meeting is a concern there
    # while that meeting's month, all present, may be high on the others.
    said = set().union(*(readings.get(chart, set()) for chart in ("p", "run", "xmr")))
    assert said != {"improvement", "concern"}, readings
