"""QI panels: the right series and breaks reach the SPC core, and every team gets a sentence."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from observation import qi

DATES = [dt.date(2020, 1, 1) + dt.timedelta(days=14 * i) for i in range(16)]


def series(team_presence: dict[str, list[int]]) -> pd.DataFrame:
    rows = []
    for team_id, (name, presence) in enumerate(team_presence.items(), start=1):
        for day, present in zip(DATES, presence, strict=False):
            rows.append(
                {
                    "team_id": team_id,
                    "team_name": name,
                    "meeting_date": pd.Timestamp(day),
                    "present_total": 5,
                    "present_lived_experience": 2 * present,
                    "lived_experience_present": present,
                    "meaningful": present,
                }
            )
    return pd.DataFrame(rows)


NO_EVENTS = pd.DataFrame({"team_id": [], "event_date": [], "label": [], "category": []})
RISE = [0] * 8 + [1] * 8
FLAT = [0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1]


def test_a_rise_after_a_change_is_a_named_improvement_and_a_flat_team_has_none() -> None:
    panels = qi.panels(series({"Oak": RISE, "Willow": FLAT}), NO_EVENTS, qi.ChartChoice())
    oak, willow = qi.signal_sentences(panels, target=None)
    assert oak.startswith("Oak: 8 points in a row above the centre line up to the meeting of")
    assert "improvement (Making Data Count rules)" in oak
    assert willow == "Willow: no signal — only common-cause variation (Making Data Count rules)."


@pytest.mark.parametrize(
    ("measure", "values"),
    [
        ("presence", [0.0, 1.0, 0.0]),
        ("meaningful", [0.0, 1.0, 0.0]),
        ("representation", [0.0, 0.4, 0.0]),  # 2 of 5 present had lived experience
    ],
)
def test_each_measure_plots_its_own_values(measure: qi.MeasureName, values: list[float]) -> None:
    (panel,) = qi.panels(series({"Oak": [0, 1, 0]}), NO_EVENTS, qi.ChartChoice(measure=measure))
    assert [p.value for p in panel.chart.points] == values


@pytest.mark.parametrize("chart", ["p", "xmr", "run"])
def test_each_chart_kind_is_built(chart: qi.ChartKind) -> None:
    (panel,) = qi.panels(series({"Oak": RISE}), NO_EVENTS, qi.ChartChoice(chart=chart, rules="anhoej"))
    assert panel.chart.kind == chart
    assert panel.chart.rules == "anhoej"


def test_rebasing_starts_a_phase_at_the_first_meeting_on_or_after_each_team_event() -> None:
    events = pd.DataFrame(
        {
            "team_id": [1.0, None],
            "event_date": [pd.Timestamp(DATES[8] - dt.timedelta(days=3)), pd.Timestamp(DATES[4])],
            "label": ["Home meetings began", "Winter pressures"],
            "category": ["home_meetings", "service_change"],
        }
    )
    (panel,) = qi.panels(series({"Oak": RISE}), events, qi.ChartChoice(rebase=True))
    assert [(p.start, p.end) for p in panel.chart.phases] == [(0, 8), (8, 16)]  # the study-wide event starts none
    assert [label for _, label in panel.events] == ["Home meetings began", "Winter pressures"]  # both drawn
    assert qi.signal_sentences((panel,), None)[0].startswith(f"Oak: no signal since {DATES[8]:%d %b %Y}")
    (unbased,) = qi.panels(series({"Oak": RISE}), events, qi.ChartChoice())
    assert len(unbased.chart.phases) == 1


def test_the_target_reading_and_trial_limits_are_said() -> None:
    choice = qi.ChartChoice(measure="meaningful", chart="xmr")
    (panel,) = qi.panels(series({"Oak": [1, 1, 0, 1, 1]}), NO_EVENTS, choice)
    (sentence,) = qi.signal_sentences((panel,), target=0.8)
    assert "Fewer than 12 meetings: trial limits." in sentence
    assert sentence.endswith("Against the 80% target, the process will meet it only some of the time.")


def test_a_yes_or_no_per_meeting_gives_no_target_assurance_on_a_p_chart() -> None:
    (panel,) = qi.panels(series({"Oak": [1, 1, 0, 1, 1]}), NO_EVENTS, qi.ChartChoice(measure="meaningful"))
    (sentence,) = qi.signal_sentences((panel,), target=0.8)
    assert sentence.endswith("so no target assurance: see the monthly chart.")


def test_a_run_chart_is_a_short_series_not_trial_limits() -> None:
    (panel,) = qi.panels(series({"Oak": [1, 0, 1]}), NO_EVENTS, qi.ChartChoice(chart="run"))
    assert "Fewer than 12 meetings: a short series." in qi.signal_sentences((panel,), None)[0]


def test_too_few_crossings_is_said_under_anhoej_rules() -> None:
    (panel,) = qi.panels(series({"Oak": [0] * 7 + [1] * 7}), NO_EVENTS, qi.ChartChoice(chart="run", rules="anhoej"))
    (sentence,) = qi.signal_sentences((panel,), None)
    # two runs of 7 are not longer than the limit for 14 points (7), but 1 crossing is fewer than 4
    assert sentence == (
        "Oak: the line crosses its centre 1 times, fewer than the 4 expected by chance — a shift (Anhøj run rules)."
    )


def test_the_choice_round_trips_through_the_link_and_bad_values_fall_back() -> None:
    choice = qi.ChartChoice(measure="representation", chart="run", rules="classic", rebase=True)
    assert qi.choice_from_query_params(qi.choice_to_query_params(choice)) == qi.ParsedChoice(choice, ())
    assert qi.choice_to_query_params(qi.ChartChoice()) == {}
    parsed = qi.choice_from_query_params({"chart": "pie", "rules": "anhoej", "rebase": "maybe"})
    assert parsed.choice == qi.ChartChoice(rules="anhoej")
    assert parsed.notices == (
        "Ignored chart='pie' in the link: it is one of p, xmr, run.",
        "Ignored rebase='maybe' in the link: it is one of 1 or 0.",
    )


def test_on_the_demo_the_team_with_home_meetings_signals_after_them_and_the_ward_does_not(demo) -> None:  # type: ignore[no-untyped-def]
    from observation import queries
    from observation.filters import StudyFilter

    overview = queries.overview(demo, StudyFilter(), "contributing")
    panels = {p.team_name: p for p in qi.panels(overview.series, overview.events, qi.ChartChoice())}
    oak = panels["Oak community brain-injury team"]
    began = next(day for day, label in oak.events if label == "Home microsystem meetings began")
    flagged = [oak.dates[p.index] for p in oak.chart.points if p.special_cause]
    assert flagged, "the Oak team should show a special cause"
    assert min(flagged) >= began  # every flagged meeting is after home meetings began
    assert {p.special_cause for p in oak.chart.points if p.special_cause} == {"shift"}
    ward = panels["Willow mental-health inpatient ward"]
    assert not ward.chart.signal
