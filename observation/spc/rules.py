"""The rules themselves: runs analysis, special causes and their sentences (see observation.spc)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby, pairwise
from typing import Literal

RuleSet = Literal["anhoej", "making_data_count", "classic"]
SpecialCause = Literal["outside_limits", "trend", "two_in_three", "shift"]
Direction = Literal["increase", "decrease", "neutral"]
Reading = Literal["improvement", "concern", "neutral"]
Assurance = Literal["consistently_passes", "consistently_fails", "inconsistent"]

RULE_SET_NAMES: dict[RuleSet, str] = {
    "anhoej": "Anhøj run rules",
    "making_data_count": "Making Data Count rules",
    "classic": "Classic run-chart rules (shift 6, trend 5)",
}
XMR_LIMIT = 2.66
MR_SCREEN = 3.267
SHORT_PHASE = 12


@dataclass(frozen=True)
class RunPhase:
    """Anhøj's runs analysis of one phase."""

    start: int
    end: int  # exclusive
    centre: float
    n_useful: int
    longest_run: int
    longest_run_limit: int | None
    crossings: int
    crossings_limit: int | None
    basis: int = 0
    """How many points the centre and limits were computed from (a frozen baseline's, or all)."""

    @property
    def signal(self) -> bool:
        if self.longest_run_limit is None or self.crossings_limit is None:
            return False
        return self.longest_run > self.longest_run_limit or self.crossings < self.crossings_limit

    @property
    def trial(self) -> bool:
        """Limits from fewer than SHORT_PHASE points are trial limits."""
        return (self.basis or self.end - self.start) < SHORT_PHASE

    @property
    def crossings_signal(self) -> bool:
        return self.crossings_limit is not None and self.n_useful > 0 and self.crossings < self.crossings_limit


# --- the rules ----------------------------------------------------------------------------------

Flag = tuple[SpecialCause | None, str | None]


@dataclass(frozen=True)
class Zone:
    """A point's limits and near-limit lines (two thirds of the way to a limit: 2 sigma)."""

    lower: float | None = None
    upper: float | None = None
    near_lower: float | None = None
    near_upper: float | None = None

    def is_close(self, v: float) -> bool:
        """Beyond a near-limit line but not outside the limits."""
        if self.lower is None or self.upper is None or self.near_lower is None or self.near_upper is None:
            return False
        return self.lower <= v <= self.upper and (v > self.near_upper or v < self.near_lower)


NO_LIMITS = Zone()


def _flags(
    values: list[float], centre: list[float], zones: list[Zone], rules: RuleSet, runs: RunPhase, centre_name: str
) -> list[Flag]:
    """Each point's special cause under ``rules``, highest precedence first, with its sentence."""
    n = len(values)
    found: list[Flag] = [(None, None)] * n

    def mark(indices: list[int], cause: SpecialCause, why: str) -> None:
        for i in indices:
            if found[i][0] is None:
                found[i] = (cause, why)

    for i, (v, z) in enumerate(zip(values, zones, strict=True)):
        if z.upper is not None and v > z.upper:
            mark([i], "outside_limits", f"Above the upper limit ({_fmt(v)} > {_fmt(z.upper)})")
        elif z.lower is not None and v < z.lower:
            mark([i], "outside_limits", f"Below the lower limit ({_fmt(v)} < {_fmt(z.lower)})")

    if rules == "anhoej":
        if runs.longest_run_limit is not None and runs.longest_run > runs.longest_run_limit:
            sides = [_sign(v - c) for v, c in zip(values, centre, strict=True)]
            for span, side in _same_side_runs(sides, skip_zero=True):
                if len(span) > runs.longest_run_limit:
                    mark(
                        span,
                        "shift",
                        f"{len(span)} points in a row {_side_word(side)} the {centre_name} "
                        f"(more than the {runs.longest_run_limit} expected by chance)",
                    )
        return found

    trend_length, shift_length = (7, 7) if rules == "making_data_count" else (5, 6)
    for span, rising in _trends(values, trend_length, skip_ties=rules == "classic"):
        mark(span, "trend", f"{len(span)} points in a row {'rising' if rising else 'falling'}")
    if rules == "making_data_count":
        for i, side in _two_in_three(values, centre, zones):
            mark([i], "two_in_three", f"2 of 3 points in a row close to the {'upper' if side > 0 else 'lower'} limit")
    sides = [_sign(v - c) for v, c in zip(values, centre, strict=True)]
    for span, side in _same_side_runs(sides, skip_zero=rules == "classic"):
        if len(span) >= shift_length:
            mark(span, "shift", f"{len(span)} points in a row {_side_word(side)} the {centre_name}")
    return found


def _runs_analysis(values: list[float], centre: list[float], start: int, end: int) -> RunPhase:
    sides = [s for s in (_sign(v - c) for v, c in zip(values, centre, strict=True)) if s != 0]
    lengths = [len(list(group)) for _, group in groupby(sides)]
    n_useful = len(sides)
    if not n_useful:
        return RunPhase(start, end, centre[0], 0, 0, None, 0, None)
    return RunPhase(
        start,
        end,
        centre[0],
        n_useful,
        max(lengths),
        round(math.log2(n_useful) + 3),
        len(lengths) - 1,
        binomial_quantile(0.05, n_useful - 1),
    )


def binomial_quantile(p: float, trials: int) -> int:
    """R's qbinom(p, trials, 0.5): the smallest x with P(X <= x) >= p, computed exactly."""
    total = 2**trials
    cumulative = 0
    for x in range(trials + 1):
        cumulative += math.comb(trials, x)
        if cumulative >= p * total * (1 - 64 * 2.220446049250313e-16):  # R's fuzz against rounding
            return x
    return trials


def _same_side_runs(sides: list[int], *, skip_zero: bool) -> list[tuple[list[int], int]]:
    """Maximal runs of points on one side. With skip_zero, points on the centre are passed over
    (they neither break nor join a run); without it, they break it."""
    runs: list[tuple[list[int], int]] = []
    current: list[int] = []
    current_side = 0
    for i, side in enumerate(sides):
        if side == 0:
            if not skip_zero and current:
                runs.append((current, current_side))
                current, current_side = [], 0
            continue
        if side != current_side and current:
            runs.append((current, current_side))
            current = []
        current.append(i)
        current_side = side
    if current:
        runs.append((current, current_side))
    return runs


def _trends(values: list[float], length: int, *, skip_ties: bool) -> list[tuple[list[int], bool]]:
    """Maximal spans of ``length`` or more points each higher (or each lower) than the one before.
    With skip_ties a value equal to the one before is passed over; without it, a tie ends a trend."""
    kept = [i for i in range(len(values)) if not (skip_ties and i and values[i] == values[i - 1])]
    steps = [_sign(values[b] - values[a]) for a, b in pairwise(kept)]
    spans: list[tuple[list[int], bool]] = []
    start = 0
    for j in range(1, len(steps) + 1):
        if j < len(steps) and steps[j] == steps[start]:
            continue
        # kept[start] .. kept[j] move in one direction (or stay level, when the step is 0)
        if steps[start] != 0 and j - start + 1 >= length:
            spans.append((list(range(kept[start], kept[j] + 1)), steps[start] > 0))
        start = j
    return spans


def _two_in_three(values: list[float], centre: list[float], zones: list[Zone]) -> list[tuple[int, int]]:
    """Points close to a limit (beyond the near-limit line, not outside the limit) that are part
    of 2 of 3 consecutive such points, all 3 on the same side of the centre."""
    n = len(values)
    side = [_sign(v - c) for v, c in zip(values, centre, strict=True)]
    close = [z.is_close(v) for v, z in zip(values, zones, strict=True)]
    flagged = []
    for i in range(n):
        windows = range(max(0, i - 2), min(i, n - 3) + 1)
        if close[i] and any(sum(close[j : j + 3]) >= 2 and abs(sum(side[j : j + 3])) == 3 for j in windows):
            flagged.append((i, side[i]))
    return flagged


# --- small helpers, also used by observation.spc ---------------------------------------------


def _phase_bounds(n: int, breaks: Sequence[int]) -> list[tuple[int, int]]:
    cuts = sorted({b for b in breaks if 0 < b < n})
    edges = [0, *cuts, n]
    return list(pairwise(edges))


def _check(values: Sequence[float]) -> None:
    if not values:
        raise ValueError("a chart needs at least one value")
    if not all(math.isfinite(v) for v in values):
        raise ValueError("chart values must be finite numbers")


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _side_word(side: int) -> str:
    return "above" if side > 0 else "below"


def _fmt(x: float) -> str:
    return f"{x:.3g}"
