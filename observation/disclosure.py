"""Small-number suppression: the one place presenter mode's disclosure rules live.

A count of people, attendances or coded segments between 1 and ``threshold - 1`` is shown as
"<5" (for the default threshold); a share is hidden when its denominator is below the threshold
or its numerator is such a count; and when a table shows totals, more cells are hidden (shown as
"[c]", as the Office for National Statistics marks them) until no hidden cell can be worked out
from the totals and the cells still shown. That last step is checked exactly: a hidden value is
recoverable when the linear equations the totals give determine it, which is read off the null
space of those equations.

Known limit: the check is exact for equations, not for the bounds the markers imply ("<5" is 1–4,
"[c]" is 0 or at least 5), so a table shown with its ``shown`` markers and totals could still
narrow a hidden cell down; no page shows such a table yet (presenter mode shows shares, using
``hidden``). Interval protection belongs here before one does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

CONFIDENTIAL = "[c]"
DEFAULT_THRESHOLD = 5


@dataclass(frozen=True, slots=True)
class Rule:
    """Suppress counts from 1 to ``threshold - 1`` (5 is the default; 8 gives NHS-style 1–7)."""

    threshold: int = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        if not 2 <= self.threshold <= 100:
            raise ValueError("the suppression threshold is a whole number from 2 to 100")

    @property
    def small(self) -> str:
        return f"<{self.threshold}"

    def hides(self, count: int) -> bool:
        return 1 <= count < self.threshold

    def count(self, count: int) -> str:
        """A count as a presenter may show it."""
        return self.small if self.hides(count) else f"{count:,}"

    def share(self, numerator: int, denominator: int) -> float | None:
        """numerator / denominator, or None when either would let a small count be read."""
        if denominator < self.threshold or self.hides(numerator) or denominator == 0:
            return None
        return numerator / denominator


@dataclass(frozen=True)
class Protected:
    """A table of counts as a presenter may show it, with the mask of what is hidden."""

    shown: pd.DataFrame
    """The cells (and totals, when asked for) as text: a count, "<5" or "[c]"."""
    hidden: pd.DataFrame
    """True where the value is not shown, same shape as ``shown``."""


TOTAL = "Total"


def protect(
    counts: pd.DataFrame,
    rule: Rule,
    *,
    totals: bool = True,
    hide: pd.DataFrame | np.ndarray | None = None,
    unseen: np.ndarray | None = None,
    known: np.ndarray | None = None,
) -> Protected:
    """Hide the small counts of ``counts`` (non-negative integers) and the cells ``hide`` marks
    (hidden for another reason: a small denominator, or a value no output shows), add a Total
    row and column when ``totals``, and hide further cells until none of the hidden ones can be
    worked out. ``hide`` has the shape of ``counts``, or that shape plus the totals (given as a
    boolean array, Total row and column last). ``unseen`` marks, in that larger shape, the values
    no output shows at all: unknown to a reader, but nothing to protect in themselves; ``known``
    the values a reader knows however they are shown (a chart with no point for an empty period
    says its count is 0), which hiding cannot protect anything with."""
    values = counts.to_numpy(dtype=np.int64)
    if (values < 0).any():
        raise ValueError("counts cannot be negative")
    n_rows, n_cols = values.shape
    if totals:
        full = np.zeros((n_rows + 1, n_cols + 1), dtype=np.int64)
        full[:n_rows, :n_cols] = values
        full[:n_rows, n_cols] = values.sum(axis=1)
        full[n_rows, :n_cols] = values.sum(axis=0)
        full[n_rows, n_cols] = values.sum()
    else:
        full = values.copy()
    hidden = (full >= 1) & (full < rule.threshold)
    primary = hidden.copy()
    if hide is not None:
        marks = np.asarray(hide, dtype=bool)
        if marks.shape == full.shape:
            hidden |= marks
        else:
            hidden[:n_rows, :n_cols] |= marks
    exempt = np.zeros(full.shape, dtype=bool) if unseen is None else np.asarray(unseen, dtype=bool) & ~hidden
    hidden |= exempt
    fixed = np.zeros(full.shape, dtype=bool) if known is None else np.asarray(known, dtype=bool)
    if totals:
        _complement(full, hidden, exempt, fixed)
    index = [*counts.index, TOTAL] if totals else list(counts.index)
    columns = [*counts.columns, TOTAL] if totals else list(counts.columns)
    text = np.where(primary, rule.small, np.where(hidden, CONFIDENTIAL, np.vectorize(lambda v: f"{v:,}")(full)))
    return Protected(
        pd.DataFrame(text, index=index, columns=columns), pd.DataFrame(hidden, index=index, columns=columns)
    )


def _equations(shape: tuple[int, int]) -> np.ndarray:
    """The equations a table with a Total row and column satisfies, one row each, over its cells
    in row-major order: each row's cells sum to its total, each column's likewise."""
    n_rows, n_cols = shape
    cells = np.arange(n_rows * n_cols).reshape(shape)
    rows = []
    for i in range(n_rows):
        eq = np.zeros(n_rows * n_cols)
        eq[cells[i, :-1]] = 1
        eq[cells[i, -1]] = -1
        rows.append(eq)
    for j in range(n_cols):
        eq = np.zeros(n_rows * n_cols)
        eq[cells[:-1, j]] = 1
        eq[cells[-1, j]] = -1
        rows.append(eq)
    return np.array(rows)


def recoverable(hidden: np.ndarray) -> np.ndarray:
    """For a table with totals, True at each hidden cell whose value the shown cells and the
    totals' equations determine: its coordinate vanishes on every solution of the homogeneous
    system restricted to the hidden cells (it has no component in that system's null space)."""
    equations = _equations(hidden.shape)
    unknown = np.flatnonzero(hidden.ravel())
    found = np.zeros(hidden.shape, dtype=bool)
    if unknown.size == 0:
        return found
    system = equations[:, unknown]
    _, singular, vt = np.linalg.svd(system)
    rank = int((singular > 1e-9).sum())
    null = vt[rank:]  # rows spanning the null space
    determined = np.all(np.abs(null) < 1e-9, axis=0) if null.size else np.ones(unknown.size, dtype=bool)
    found.ravel()[unknown[determined]] = True
    return found


def _complement(full: np.ndarray, hidden: np.ndarray, exempt: np.ndarray, fixed: np.ndarray) -> None:
    """Hide more cells, in place, until no hidden cell is recoverable: each time, one shown value
    in the row or column of a recoverable cell — a cell before a total, a non-zero one before a
    zero, the smallest first, so that as little as possible goes."""
    n_rows, n_cols = full.shape
    while True:
        at_risk = np.argwhere(recoverable(hidden & ~fixed) & ~exempt & ~fixed)
        if at_risk.size == 0:
            return
        line = {(int(i), k) for i, _ in at_risk for k in range(n_cols)} | {
            (k, int(j)) for _, j in at_risk for k in range(n_rows)
        }
        hideable = ~hidden & ~fixed
        candidates = [rc for rc in line if hideable[rc]] or [(int(r), int(c)) for r, c in np.argwhere(hideable)]
        if not candidates:
            return  # everything that could be hidden is: nothing more would help
        r, c = min(candidates, key=lambda rc: (rc[0] == n_rows - 1 or rc[1] == n_cols - 1, full[rc] == 0, full[rc], rc))
        hidden[r, c] = True
