"""Run charts and SPC charts as improvement teams read them: pure functions, numbers in, numbers out.

Three rule sets, each named on every chart that applies it:

- ``anhoej`` — Anhøj's run rules as qicharts2 applies them: centre = median (run chart) or the
  chart's centre line; points on the centre neither break nor extend a run; a signal when the
  longest run > round(log2(n_useful) + 3) or crossings < qbinom(0.05, n_useful - 1, 0.5).
  On an SPC chart, points beyond the limits are flagged too.
- ``making_data_count`` — NHS "Making Data Count" as NHSRplotthedots applies it, in this
  precedence: a point outside the limits; a trend of 7 points all rising or all falling (a tie
  breaks it; all 7 flagged); 2 of 3 consecutive points beyond two thirds of the way to a limit,
  all 3 on the same side of the centre (only those near the limit flagged); 7 points on one side
  of the centre (a point on the centre breaks it; all 7 flagged).
- ``classic`` — the classic run-chart rules: a shift of 6 or more points on one side of the
  median (points on the median are skipped: they neither break nor count) and a trend of 5 or
  more points all going up or all going down (repeated values are skipped); outside the limits
  on an SPC chart.

Phases (rebasing) restart the centre and limits at given point indices; a frozen baseline
computes them from the first ``baseline`` points of each phase only. A phase with fewer than
12 points has trial limits (on a p, XmR or g chart: a run chart has none), and says so.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Literal

from observation.spc.rules import (
    MR_SCREEN,
    NO_LIMITS,
    RULE_SET_NAMES,
    SHORT_PHASE,
    XMR_LIMIT,
    Assurance,
    Direction,
    Reading,
    RuleSet,
    RunPhase,
    SpecialCause,
    Zone,
    _check,
    _flags,
    _phase_bounds,
    _runs_analysis,
    _sign,
    binomial_quantile,
)

__all__ = [
    "RULE_SET_NAMES",
    "SHORT_PHASE",
    "Assurance",
    "Chart",
    "Direction",
    "PChart",
    "Point",
    "Reading",
    "RuleSet",
    "RunChart",
    "RunPhase",
    "SpecialCause",
    "XmRChart",
    "assurance",
    "binomial_quantile",
    "g_chart",
    "p_chart",
    "reading",
    "run_chart",
    "xmr",
]


@dataclass(frozen=True)
class Point:
    index: int
    value: float
    centre: float
    lower: float | None
    upper: float | None
    phase: int
    special_cause: SpecialCause | None = None
    why: str | None = None
    """A sentence a coach can read: "7 points in a row above the mean"."""


@dataclass(frozen=True)
class Chart:
    """A run or SPC chart: its points, its phases' runs analysis, and what it applied."""

    kind: Literal["run", "xmr", "p", "g"]
    rules: RuleSet
    points: tuple[Point, ...]
    phases: tuple[RunPhase, ...]

    @property
    def signal(self) -> bool:
        """Any special cause: a flagged point, or a runs signal under Anhøj's rules."""
        if self.rules == "anhoej" and any(p.signal for p in self.phases):
            return True
        return any(p.special_cause for p in self.points)

    @property
    def trial_limits(self) -> bool:
        return any(p.trial for p in self.phases)

    @property
    def rule_set_name(self) -> str:
        return RULE_SET_NAMES[self.rules]

    # The current (last) phase, as the single-phase interface names it.
    @property
    def centre(self) -> float:
        return self.points[-1].centre

    @property
    def mean(self) -> float:
        return self.centre

    @property
    def lower(self) -> float | None:
        return self.points[-1].lower

    @property
    def upper(self) -> float | None:
        return self.points[-1].upper

    @property
    def n_useful(self) -> int:
        return self.phases[-1].n_useful

    @property
    def longest_run(self) -> int:
        return self.phases[-1].longest_run

    @property
    def longest_run_limit(self) -> int | None:
        return self.phases[-1].longest_run_limit

    @property
    def crossings(self) -> int:
        return self.phases[-1].crossings

    @property
    def crossings_limit(self) -> int | None:
        return self.phases[-1].crossings_limit


RunChart = XmRChart = PChart = Chart


# --- the three chart types ----------------------------------------------------------------------


def run_chart(values: Sequence[float], *, rules: RuleSet = "anhoej", breaks: Sequence[int] = ()) -> Chart:
    """A run chart: the median of each phase as centre line, no limits."""
    _check(values)
    points: list[Point] = []
    phases: list[RunPhase] = []
    for phase, (start, end) in enumerate(_phase_bounds(len(values), breaks)):
        part = list(values[start:end])
        centre = statistics.median(part)
        runs = _runs_analysis(part, [centre] * len(part), start, end)
        phases.append(runs)
        flags = _flags(part, [centre] * len(part), [NO_LIMITS] * len(part), rules, runs, "median")
        points += [Point(start + i, v, centre, None, None, phase, *flags[i]) for i, v in enumerate(part)]
    return Chart("run", rules, tuple(points), tuple(phases))


def xmr(
    values: Sequence[float],
    screen_outliers: bool = False,
    *,
    rules: RuleSet = "making_data_count",
    breaks: Sequence[int] = (),
    baseline: int | None = None,
) -> Chart:
    """An XmR (individuals) chart: mean ± 2.66 × mean moving range, per phase."""
    _check(values)
    points: list[Point] = []
    phases: list[RunPhase] = []
    for phase, (start, end) in enumerate(_phase_bounds(len(values), breaks)):
        part = list(values[start:end])
        basis = part[:baseline] if baseline else part
        mean = statistics.fmean(basis)
        ranges = [abs(b - a) for a, b in pairwise(basis)]
        mean_range = statistics.fmean(ranges) if ranges else 0.0
        if screen_outliers and ranges:
            kept = [r for r in ranges if r < MR_SCREEN * mean_range]
            mean_range = statistics.fmean(kept) if kept else 0.0
        near = XMR_LIMIT * 2 / 3 * mean_range
        # No variation between neighbours: limits of zero width would flag every later change.
        zone = Zone(mean - XMR_LIMIT * mean_range, mean + XMR_LIMIT * mean_range, mean - near, mean + near)
        zone = zone if mean_range > 0 else NO_LIMITS
        n = len(part)
        runs = replace(_runs_analysis(part, [mean] * n, start, end), basis=len(basis))
        phases.append(runs)
        flags = _flags(part, [mean] * n, [zone] * n, rules, runs, "mean")
        points += [Point(start + i, v, mean, zone.lower, zone.upper, phase, *flags[i]) for i, v in enumerate(part)]
    return Chart("xmr", rules, tuple(points), tuple(phases))


def p_chart(
    numerators: Sequence[float],
    denominators: Sequence[float],
    *,
    rules: RuleSet = "making_data_count",
    breaks: Sequence[int] = (),
    baseline: int | None = None,
) -> Chart:
    """A p-chart: the pooled proportion, and ± 3 standard errors from each point's own
    denominator, clipped to 0-1."""
    if len(numerators) != len(denominators):
        raise ValueError("a p-chart needs one denominator per numerator")
    if any(d <= 0 for d in denominators) or any(not 0 <= n <= d for n, d in zip(numerators, denominators, strict=True)):
        raise ValueError("each numerator must lie between 0 and its denominator, and denominators must be positive")
    values = [n / d for n, d in zip(numerators, denominators, strict=True)]
    _check(values)
    points: list[Point] = []
    phases: list[RunPhase] = []
    for phase, (start, end) in enumerate(_phase_bounds(len(values), breaks)):
        num, den = list(numerators[start:end]), list(denominators[start:end])
        size = baseline or len(num)
        centre = sum(num[:size]) / sum(den[:size])
        sigma = [math.sqrt(centre * (1 - centre) / d) for d in den]
        # A pooled proportion of 0 or 1 has no spread: no limits rather than limits of zero width.
        zones = [
            Zone(max(0.0, centre - 3 * s), min(1.0, centre + 3 * s), centre - 2 * s, centre + 2 * s) if s else NO_LIMITS
            for s in sigma
        ]
        part = values[start:end]
        n = len(part)
        runs = replace(_runs_analysis(part, [centre] * n, start, end), basis=min(size, n))
        phases.append(runs)
        flags = _flags(part, [centre] * n, zones, rules, runs, "centre line")
        points += [
            Point(start + i, v, centre, zones[i].lower, zones[i].upper, phase, *flags[i]) for i, v in enumerate(part)
        ]
    return Chart("p", rules, tuple(points), tuple(phases))


def g_chart(
    gaps: Sequence[float], *, rules: RuleSet = "anhoej", breaks: Sequence[int] = (), baseline: int | None = None
) -> Chart:
    """A g-chart of the opportunities between rare events (here: held meetings without presence
    before each meeting with it), as qicharts2 draws it: limits from the mean, mean + 3 × √(mean ×
    (mean + 1)) above and none below (the lower limit is always under 0), and the median as the
    centre line the runs rules read. A longer gap is worse. A phase with a mean gap of 0 (the
    event at every opportunity) has no limits."""
    _check(gaps)
    if any(g < 0 for g in gaps):
        raise ValueError("a gap between events cannot be negative")
    points: list[Point] = []
    phases: list[RunPhase] = []
    for phase, (start, end) in enumerate(_phase_bounds(len(gaps), breaks)):
        part = list(gaps[start:end])
        basis = part[:baseline] if baseline else part
        mean = statistics.fmean(basis)
        sd = math.sqrt(mean * (mean + 1))
        centre = statistics.median(basis)
        zone = Zone(0.0, mean + 3 * sd, -math.inf, mean + 2 * sd) if sd else NO_LIMITS
        n = len(part)
        runs = replace(_runs_analysis(part, [centre] * n, start, end), basis=len(basis))
        phases.append(runs)
        flags = _flags(part, [centre] * n, [zone] * n, rules, runs, "median")
        points += [Point(start + i, v, centre, zone.lower, zone.upper, phase, *flags[i]) for i, v in enumerate(part)]
    return Chart("g", rules, tuple(points), tuple(phases))


# --- readings -------------------------------------------------------------------------------------


def reading(point: Point, direction: Direction) -> Reading | None:
    """What a flagged point means for a team: improvement, concern, or neutral; None if unflagged.
    As Making Data Count reads it, by the point's side of the centre line."""
    if point.special_cause is None:
        return None
    side = _sign(point.value - point.centre)
    if direction == "neutral" or side == 0:
        return "neutral"
    wanted = 1 if direction == "increase" else -1
    return "improvement" if side == wanted else "concern"


def assurance(chart: Chart, target: float, direction: Direction) -> Assurance | None:
    """Will the process meet the target? From the latest limits, as Making Data Count reads it:
    a target beyond the limits is consistently passed or failed; between them, inconsistently.
    None for a run chart (no limits) or a neutral direction."""
    lower, upper = chart.lower, chart.upper
    if lower is None or upper is None or direction == "neutral":
        return None
    increasing = direction == "increase"
    if target > upper:
        return "consistently_fails" if increasing else "consistently_passes"
    if target < lower:
        return "consistently_passes" if increasing else "consistently_fails"
    return "inconsistent"
