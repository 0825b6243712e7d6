"""SPC and run-chart rules, checked against the published definitions (qicharts2's Anhøj rules,
NHSRplotthedots' Making Data Count rules, the classic run-chart rules) with worked examples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from observation import spc

STABLE = [9.0, 11.0] * 10  # mean 10, every moving range 2: limits 10 ± 5.32, near-limit lines 10 ± 3.55


def causes(chart: spc.Chart) -> list[str | None]:
    return [p.special_cause for p in chart.points]


def flagged(chart: spc.Chart) -> dict[int, str]:
    return {p.index: p.special_cause for p in chart.points if p.special_cause}


# --- Anhøj's runs analysis ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_useful", "longest_run_limit", "crossings_limit"),
    # Anhøj's published table of critical values (round(log2(n) + 3), qbinom(0.05, n - 1, 0.5))
    [(10, 6, 2), (11, 6, 2), (12, 7, 3), (14, 7, 4), (17, 7, 5), (19, 7, 6), (22, 7, 7), (23, 8, 7),
     (24, 8, 8), (27, 8, 9), (29, 8, 10), (30, 8, 10), (50, 9, 19), (100, 10, 41)],
)  # fmt: skip
def test_limits_match_anhoejs_table(n_useful: int, longest_run_limit: int, crossings_limit: int) -> None:
    # zeros and ones alternating; for an odd count, two points at 0.5 make 0.5 the median
    values = [float(i % 2) for i in range(n_useful)] + ([0.5, 0.5] if n_useful % 2 else [])
    chart = spc.run_chart(values)
    assert chart.n_useful == n_useful
    assert chart.longest_run_limit == longest_run_limit
    assert chart.crossings_limit == crossings_limit


def test_too_few_crossings_is_a_signal_without_a_long_run() -> None:
    chart = spc.run_chart([float(v) for v in range(1, 13)])  # 6 below the median, then 6 above
    assert (chart.centre, chart.n_useful, chart.longest_run, chart.crossings) == (6.5, 12, 6, 1)
    assert chart.longest_run <= chart.longest_run_limit  # type: ignore[operator]
    assert chart.crossings < chart.crossings_limit  # type: ignore[operator]
    assert chart.signal
    assert flagged(chart) == {}  # a crossings signal belongs to the chart, not to points


def test_a_long_run_is_a_signal_and_its_points_say_why() -> None:
    chart = spc.run_chart([1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18])
    assert (chart.longest_run, chart.longest_run_limit) == (8, 7)
    assert chart.signal
    assert set(flagged(chart).values()) == {"shift"}
    assert len(flagged(chart)) == 16
    assert chart.points[0].why == "8 points in a row below the median (more than the 7 expected by chance)"


def test_points_on_the_median_neither_break_nor_extend_a_run() -> None:
    # below, below, ON, below, below, then four above: one run of 4 below, not 2 + 2, and not 5
    chart = spc.run_chart([1, 1, 5, 1, 1, 9, 9, 9, 9])
    assert chart.centre == 5
    assert (chart.n_useful, chart.longest_run, chart.crossings) == (8, 4, 1)


def test_all_points_on_the_median_give_no_signal_and_no_limits() -> None:
    chart = spc.run_chart([3.0, 3.0, 3.0, 3.0])
    assert (chart.n_useful, chart.longest_run, chart.crossings) == (0, 0, 0)
    assert chart.longest_run_limit is None
    assert chart.crossings_limit is None
    assert not chart.signal


def test_random_looking_data_gives_no_signal() -> None:
    chart = spc.run_chart([5, 7, 4, 8, 6, 3, 7, 5, 9, 4, 6, 8, 5, 7, 3, 6])
    assert not chart.signal


# --- XmR: Making Data Count --------------------------------------------------------------------


def test_xmr_limits_are_mean_plus_minus_2_66_mean_moving_ranges() -> None:
    chart = spc.xmr(STABLE)
    assert chart.mean == 10
    assert chart.lower == pytest.approx(10 - 2.66 * 2)
    assert chart.upper == pytest.approx(10 + 2.66 * 2)
    assert flagged(chart) == {}


@pytest.mark.parametrize(
    ("screen", "lower", "upper", "expected"),
    [
        # mR = 1 x 8 and 15; mean mR = 23/9. The astronomical point widens the limits so much that
        # the nine ordinary points sit 9 in a row below the mean: a shift.
        (False, 6.9 - 2.66 * 23 / 9, 6.9 + 2.66 * 23 / 9, ["shift"] * 9 + ["outside_limits"]),
        # Screened: 15 >= 3.267 x 23/9 is dropped, mean mR = 1. The 5s are now beyond the near-limit
        # line (6.9 - 1.77) and 2 of every 3 consecutive points are, all below the mean.
        (True, 6.9 - 2.66, 6.9 + 2.66, ["two_in_three", "shift"] * 4 + ["two_in_three", "outside_limits"]),
    ],
)
def test_one_astronomical_point_with_and_without_screening(
    screen: bool, lower: float, upper: float, expected: list[str]
) -> None:
    chart = spc.xmr([5, 6, 5, 6, 5, 6, 5, 6, 5, 20], screen_outliers=screen)
    assert chart.mean == pytest.approx(6.9)
    assert chart.lower == pytest.approx(lower)
    assert chart.upper == pytest.approx(upper)
    assert causes(chart) == expected


def test_a_trend_of_seven_is_flagged_on_all_seven() -> None:
    values = [10, 14, 10, 14, 10, 14, 11, 11.5, 12, 12.5, 13, 13.5, 14, 10, 14, 10]
    chart = spc.xmr(values)
    assert flagged(chart) == dict.fromkeys(range(6, 13), "trend")
    assert chart.points[6].why == "7 points in a row rising"


def test_a_tie_breaks_a_trend() -> None:
    values = [10, 14, 10, 14, 10, 14, 11, 11.5, 12, 12, 13, 13.5, 14, 10, 14, 10]
    assert flagged(spc.xmr(values)) == {}


def test_outside_limits_takes_precedence_over_a_trend() -> None:
    chart = spc.xmr([1, 2, 3, 4, 5, 6, 7])  # mean 4, mR 1: limits 1.34 and 6.66
    assert causes(chart) == ["outside_limits", "trend", "trend", "trend", "trend", "trend", "outside_limits"]


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ([14, 11, 14], {20: "two_in_three", 22: "two_in_three"}),  # only the two near the limit
        ([14, 9, 14], {}),  # the middle point is below the mean: not all 3 on one side
        ([14, 11, 11, 14], {}),  # never 2 of 3 consecutive near the limit
        ([16, 14, 11], {20: "outside_limits"}),  # a point outside the limits is not "close"
    ],
)
def test_two_out_of_three_near_a_limit(tail: list[float], expected: dict[int, str]) -> None:
    chart = spc.xmr(STABLE + tail, baseline=20)  # limits frozen on the stable 20 points
    assert chart.upper == pytest.approx(15.32)
    assert flagged(chart) == expected


def test_seven_on_one_side_of_the_mean_is_a_shift_and_the_mean_itself_breaks_it() -> None:
    above = [10.5, 11.5] * 3 + [10.5]
    chart = spc.xmr(STABLE + above, baseline=20)
    assert flagged(chart) == dict.fromkeys(range(19, 27), "shift")  # the last stable 11 starts the run
    assert chart.points[19].why == "8 points in a row above the mean"
    broken = [10.5, 11.5, 10.5, 10, 11.5, 10.5, 11.5]
    assert flagged(spc.xmr(STABLE + broken, baseline=20)) == {}


def test_short_series_have_trial_limits() -> None:
    assert spc.xmr(STABLE[:11]).trial_limits
    assert not spc.xmr(STABLE[:12]).trial_limits
    # limits frozen on a baseline of 5 points are trial limits, however long the series
    assert spc.xmr(STABLE, baseline=5).trial_limits
    assert spc.p_chart([1] * 20, [4] * 20, baseline=6).trial_limits


# --- p-charts ----------------------------------------------------------------------------------


def test_p_chart_limits_come_from_each_points_denominator() -> None:
    chart = spc.p_chart([2, 50, 1], [10, 500, 20])
    centre = 53 / 530
    assert chart.centre == pytest.approx(centre)
    se = [(centre * (1 - centre) / n) ** 0.5 for n in (10, 500, 20)]
    assert [p.upper for p in chart.points] == pytest.approx([centre + 3 * s for s in se])
    assert [p.lower for p in chart.points] == [0.0, pytest.approx(centre - 3 * se[1]), 0.0]  # clipped at 0


def test_denominators_of_one_clip_the_limits_to_zero_and_one() -> None:
    chart = spc.p_chart([0, 1, 0, 1, 1, 0], [1] * 6)
    assert chart.centre == 0.5
    assert {(p.lower, p.upper) for p in chart.points} == {(0.0, 1.0)}
    assert flagged(chart) == {}


def test_a_p_chart_refuses_impossible_proportions() -> None:
    with pytest.raises(ValueError, match="denominators must be positive"):
        spc.p_chart([1], [0])
    with pytest.raises(ValueError, match="between 0 and its denominator"):
        spc.p_chart([3], [2])


# --- classic run-chart rules -------------------------------------------------------------------


def test_classic_shift_of_six_skips_points_on_the_median() -> None:
    values = [1, 2, 3, 5, 1, 2, 3, 9, 8, 7, 9, 8, 7]
    chart = spc.run_chart(values, rules="classic")
    assert chart.centre == 5
    assert causes(chart) == ["shift"] * 3 + [None] + ["shift"] * 9
    # Making Data Count lets the point on the centre break the run: 3 + 3 below is no shift.
    assert flagged(spc.run_chart(values, rules="making_data_count")) == {}


def test_classic_trend_of_five_passes_over_repeated_values() -> None:
    values = [1, 2, 2, 3, 4, 5, 3, 1, 4, 2]
    assert flagged(spc.run_chart(values, rules="classic")) == dict.fromkeys(range(6), "trend")
    assert "trend" not in flagged(spc.run_chart(values, rules="making_data_count")).values()


# --- phases, targets and readings --------------------------------------------------------------


def test_rebasing_gives_each_phase_its_own_centre_and_limits() -> None:
    chart = spc.xmr([*STABLE[:12], *(v + 10 for v in STABLE[:12])], breaks=[12])
    assert {p.centre for p in chart.points[:12]} == {10}
    assert {p.centre for p in chart.points[12:]} == {20}
    assert [p.phase for p in chart.points] == [0] * 12 + [1] * 12
    assert flagged(chart) == {}
    # without the rebase, the same data is a shift on both sides
    assert "shift" in flagged(spc.xmr([*STABLE[:12], *(v + 10 for v in STABLE[:12])])).values()


@pytest.mark.parametrize(
    ("target", "direction", "expected"),
    [
        (20.0, "increase", "consistently_fails"),
        (20.0, "decrease", "consistently_passes"),
        (2.0, "increase", "consistently_passes"),
        (10.0, "increase", "inconsistent"),
        (10.0, "neutral", None),
    ],
)
def test_assurance_reads_the_target_against_the_latest_limits(
    target: float, direction: spc.Direction, expected: str | None
) -> None:
    assert spc.assurance(spc.xmr(STABLE), target, direction) == expected


def test_a_run_chart_gives_no_assurance() -> None:
    assert spc.assurance(spc.run_chart(STABLE), 0.5, "increase") is None


def test_a_signal_reads_as_improvement_or_concern_by_direction() -> None:
    chart = spc.xmr(STABLE + [10.5, 11.5] * 3 + [10.5], baseline=20)
    last = chart.points[-1]
    assert spc.reading(last, "increase") == "improvement"
    assert spc.reading(last, "decrease") == "concern"
    assert spc.reading(last, "neutral") == "neutral"
    assert spc.reading(chart.points[0], "increase") is None


def test_the_chart_names_its_rule_set() -> None:
    assert spc.xmr(STABLE).rule_set_name == "Making Data Count rules"
    assert spc.run_chart(STABLE).rule_set_name == "Anhøj run rules"


def test_empty_or_non_finite_values_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        spc.run_chart([])
    with pytest.raises(ValueError, match="finite"):
        spc.xmr([1.0, float("nan")])


# --- properties --------------------------------------------------------------------------------

series = st.lists(st.integers(-50, 50).map(float), min_size=1, max_size=40)
rule_sets = st.sampled_from(["anhoej", "making_data_count", "classic"])


@given(series, st.integers(-1000, 1000), rule_sets)
def test_flags_do_not_change_when_every_value_shifts_by_a_constant(
    values: list[float], shift: int, rules: spc.RuleSet
) -> None:
    moved = [v + shift for v in values]
    assert causes(spc.run_chart(values, rules=rules)) == causes(spc.run_chart(moved, rules=rules))
    assert causes(spc.xmr(values, rules=rules)) == causes(spc.xmr(moved, rules=rules))


@given(series, st.sampled_from(["anhoej", "classic"]))
def test_a_run_chart_signals_backwards_exactly_when_it_signals_forwards(
    values: list[float], rules: spc.RuleSet
) -> None:
    assert spc.run_chart(values, rules=rules).signal == spc.run_chart(values[::-1], rules=rules).signal


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 30)), min_size=1, max_size=30))
def test_p_chart_limits_stay_within_zero_and_one(pairs: list[tuple[int, int]]) -> None:
    numerators = [min(n, d) for n, d in pairs]
    chart = spc.p_chart(numerators, [d for _, d in pairs])
    for p in chart.points:
        if p.centre in (0.0, 1.0):  # nothing or everything: no spread, so no limits (not limits of zero width)
            assert p.lower is None
            assert p.upper is None
            continue
        assert p.lower is not None
        assert p.upper is not None
        assert 0.0 <= p.lower <= p.centre <= p.upper <= 1.0
        assert p.upper > p.lower


@given(series)
def test_an_xmr_chart_never_has_limits_of_zero_width(values: list[float]) -> None:
    # Equal neighbours (a mean moving range of 0) gave limits on the mean itself, and every later
    # change was "outside the limits".
    for p in spc.xmr(values, screen_outliers=True).points:
        assert (p.lower is None) == (p.upper is None)
        assert p.upper is None or p.lower is None or p.upper > p.lower


# --- g-chart --------------------------------------------------------------------------------------


def test_g_chart_limits_and_centre_as_qicharts2_computes_them() -> None:
    # qicharts2's qic.g: cl = mean(y); stdev = sqrt(cl * (cl + 1)); ucl = cl + 3 * stdev;
    # lcl = max(0, cl - 3 * stdev); then the centre line is set to median(y) for the runs analysis.
    # For y = 2, 0, 5, 1, 7, 3, 0, 4: mean 2.75, stdev √(2.75 × 3.75) = 3.21131…, ucl 12.38392…,
    # lcl 0, median 2.5.
    gaps = [2.0, 0.0, 5.0, 1.0, 7.0, 3.0, 0.0, 4.0]
    chart = spc.g_chart(gaps)
    assert chart.kind == "g"
    assert chart.centre == 2.5
    assert chart.upper == pytest.approx(12.38392, abs=1e-5)
    assert chart.lower == 0.0
    assert not chart.signal
    assert chart.n_useful == 8  # none on the median


def test_a_gap_beyond_the_upper_limit_is_a_special_cause_read_as_concern_when_shorter_is_better() -> None:
    gaps = [0.0, 1.0, 0.0, 2.0, 1.0, 0.0, 1.0, 0.0, 25.0]
    chart = spc.g_chart(gaps, rules="making_data_count")
    last = chart.points[-1]
    assert last.special_cause == "outside_limits"
    assert spc.reading(last, "decrease") == "concern"


def test_a_g_chart_of_no_gaps_has_no_limits() -> None:
    chart = spc.g_chart([0.0, 0.0, 0.0])
    assert chart.upper is None
    assert chart.lower is None
    with pytest.raises(ValueError, match="negative"):
        spc.g_chart([1.0, -1.0])
