"""Small-number suppression: the one place the disclosure rules of presenter mode, the deck and
the aggregate export live.

Whatever is shown is a set of **figures**, each a sum of **atoms**: counts a reader cannot see
(meetings with a service user and no carer, with a carer and no service user, with both, …, per
team and quarter) that are whole numbers of at least 0. A figure is shown as a count or as a whole
percentage of a known number of meetings (so as a range of counts: 35% of 46 is 16, 35% of 460 is
159 to 163), or as a mean of per-meeting ratios (representation), which says only that the count
of meetings with anyone with lived experience present is at least that share of the meetings.

A figure is hidden when it is a count from 1 to ``threshold - 1`` or rests on fewer meetings than
that (*primary* suppression). A reader can still work a count out from what is shown — presence
minus service users is the meetings with carers only; a team is the study minus the other teams —
so every count that matters is then checked against **everything** shown at once, as integer
programming: a hidden figure, and any count from 1 to ``threshold - 1`` that no figure shows, must
fit at least two values given every shown figure (its rounding included). Where one does not, one
more figure is hidden (the least useful one that frees it) and the check runs again (*secondary*
suppression). The check is exact (every atom free) for up to ``EXACT_ATOMS`` atoms; above that it
looks for the second value by changing one team's atoms, then that team's with one other's, with
the rest held at their true values — a value found that way is a real one, so a larger study is
protected as surely, only sometimes with a figure more hidden than needed.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

CONFIDENTIAL = "[c]"
DEFAULT_THRESHOLD = 5
EXACT_ATOMS = 2500
"""Up to this many atoms, every check frees every atom (exact); above, see the module's notes."""
PARTNERS = 4
"""Above EXACT_ATOMS: how many other teams a check tries alongside the figure's own."""
TIME_LIMIT = 5.0
"""Seconds one search for another value may take; one that runs out counts as none found (and a
figure more is hidden)."""


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


def percent_range(count: int, denominator: int) -> tuple[int, int]:
    """The counts a whole percentage of ``denominator`` could stand for, once shown: the share
    ``count / denominator`` rounded to p% means a count from (p - ½)% to (p + ½)% of it."""
    p = round(100 * count / denominator)
    low = -(-max(0, 2 * p - 1) * denominator // 200)
    high = min(200, 2 * p + 1) * denominator // 200
    return low, high


@dataclass(frozen=True, slots=True)
class Figure:
    """A number on screen, as a constraint on the atoms it sums."""

    key: Hashable
    atoms: tuple[int, ...]
    count: int
    """The true value of the sum of ``atoms``."""
    denominator: int | None = None
    """Shown as a whole percentage of this many meetings; None: shown as the count itself."""
    mean: float | None = None
    """A mean of per-meeting ratios (representation) shown as a percentage: each meeting's ratio is
    at most 1 and only above 0 where someone with lived experience was present, so the count of
    such meetings (``atoms``) is at least the mean times ``denominator``."""
    cost: int = 0
    """How much the screen loses when this figure is hidden: the cheapest goes first."""

    def bounds(self) -> tuple[float, float]:
        """The range of ``sum(atoms)`` a reader who sees this figure knows."""
        if self.mean is not None:
            assert self.denominator is not None
            p = round(100 * self.mean)
            return -(-max(0, 2 * p - 1) * self.denominator // 200), math.inf
        if self.denominator is None:
            return self.count, self.count
        return percent_range(self.count, self.denominator)

    def primary(self, rule: Rule) -> bool:
        """Hidden for itself: a small count, or a share of a small number of meetings."""
        return rule.hides(self.count) or (self.denominator is not None and rule.hides(self.denominator))

    @property
    def is_count(self) -> bool:
        """Whether hiding it protects a count (a mean of ratios protects nothing of its own)."""
        return self.mean is None


@dataclass(frozen=True, slots=True)
class Secret:
    """A count no figure shows that must not be worked out when it is small (meetings with carers
    only, say)."""

    key: Hashable
    atoms: tuple[int, ...]
    count: int


@dataclass
class System:
    """Everything shown about some atoms: the figures that may be hidden, the ones always shown
    (meetings per team and quarter), and the counts to keep from being worked out."""

    truth: np.ndarray
    """Each atom's true value."""
    figures: Sequence[Figure]
    known: Sequence[Figure] = ()
    secrets: Sequence[Secret] = ()
    blocks: np.ndarray | None = None
    """Each atom's team (any label): above EXACT_ATOMS, checks change one or two teams' atoms."""
    _rows: sparse.csr_array = field(init=False, repr=False)

    def __post_init__(self) -> None:
        every = [*self.figures, *self.known]
        rows = np.repeat(np.arange(len(every)), [len(f.atoms) for f in every])
        cols = np.fromiter((a for f in every for a in f.atoms), dtype=np.int64, count=rows.size)
        self._rows = sparse.csr_array(
            (np.ones(rows.size), (rows, cols)), shape=(len(every), self.truth.size), dtype=np.float64
        )


def suppress(system: System, rule: Rule) -> frozenset[Hashable]:
    """The keys of the figures to hide: the small ones, then more until no hidden figure and no
    small secret can be worked out from the rest."""
    figures = list(system.figures)
    hidden = np.array([f.primary(rule) for f in figures], dtype=bool)
    checks = [f.atoms for f, h in zip(figures, hidden, strict=True) if h and f.is_count]
    checks += [s.atoms for s in system.secrets if rule.hides(s.count)]
    solver = _Solver(system)
    while checks:
        atoms = checks.pop()
        if solver.moves(atoms, hidden):
            continue
        chosen = _to_hide(solver, figures, hidden, atoms)
        if chosen is None:
            continue  # everything that touches it is hidden already: no reader can do better
        hidden[chosen] = True
        checks.append(atoms)
        if figures[chosen].is_count:
            checks.append(figures[chosen].atoms)
    return frozenset(f.key for f, h in zip(figures, hidden, strict=True) if h)


def _to_hide(solver: _Solver, figures: list[Figure], hidden: np.ndarray, atoms: tuple[int, ...]) -> int | None:
    """The figure to hide so that a pinned count moves: the cheapest that frees it on its own, or
    failing any, the cheapest of those that share its team (or study) — the next round tries again."""
    near = set(solver.neighbourhood(atoms))
    candidates = sorted(
        (i for i, f in enumerate(figures) if not hidden[i] and near.intersection(f.atoms)),
        key=lambda i: (figures[i].cost, len(figures[i].atoms), figures[i].count),
    )
    for i in candidates:
        hidden[i] = True
        frees = solver.moves(atoms, hidden)
        hidden[i] = False
        if frees:
            return i
    return candidates[0] if candidates else None


class _Solver:
    """Whether a sum of atoms can take another value than its true one, given the figures shown."""

    def __init__(self, system: System) -> None:
        self.system = system
        every = (*system.figures, *system.known)
        self.low, self.high = np.array([f.bounds() for f in every], dtype=np.float64).reshape(-1, 2).T
        self.truth = system.truth.astype(np.float64)
        blocks = system.blocks if system.blocks is not None else np.zeros(system.truth.size, dtype=np.int64)
        _, self.block = np.unique(blocks, return_inverse=True)
        self.exact = system.truth.size <= EXACT_ATOMS or self.block.max() == 0

    def neighbourhood(self, atoms: Iterable[int]) -> np.ndarray:
        """The atoms of the teams ``atoms`` belong to."""
        return np.flatnonzero(np.isin(self.block, self.block[list(atoms)]))

    def moves(self, atoms: tuple[int, ...], hidden: np.ndarray) -> bool:
        """True when the atoms can sum to another value than their true one with every shown
        figure (those not ``hidden``) still reading as it does."""
        shown = np.concatenate([~hidden, np.ones(len(self.system.known), dtype=bool)])
        if self.exact:
            return self._moves(np.arange(self.truth.size), atoms, shown)
        mine = list(np.unique(self.block[list(atoms)]))
        hidden_atoms = self.system._rows[np.flatnonzero(hidden)].indices
        teams, often = np.unique(self.block[hidden_atoms], return_counts=True)
        partners = [int(t) for t in teams[np.argsort(-often, kind="stable")] if t not in mine][:PARTNERS]
        if len(mine) <= 2:  # a team's count: that team, then it with one other
            tries = [mine, *([*mine, p] for p in partners)]
        else:  # a study's count: one team, then two
            tries = [*([p] for p in partners), *([p, q] for i, p in enumerate(partners) for q in partners[i + 1 :])]
        return any(self._moves(np.flatnonzero(np.isin(self.block, t)), atoms, shown) for t in tries)

    def _moves(self, free: np.ndarray, atoms: tuple[int, ...], shown: np.ndarray) -> bool:
        """``moves`` with only the atoms ``free`` changing, the others held at their true values."""
        rows = self.system._rows[np.flatnonzero(shown)]
        part = rows[:, free]
        touched = np.flatnonzero(part.sum(axis=1) > 0)
        held = (rows @ self.truth - part @ self.truth[free])[touched]
        low, high = self.low[shown][touched] - held, self.high[shown][touched] - held
        target = np.isin(free, atoms).astype(np.float64)
        value = target @ self.truth[free]
        if not target.any():
            return False
        base = [LinearConstraint(part[touched], low, high)] if touched.size else []
        for side in ((value + 1, np.inf), (-np.inf, value - 1)):
            if side[1] < 0:
                continue
            found = milp(
                np.zeros(free.size),
                constraints=[*base, LinearConstraint(target.reshape(1, -1), *side)],
                integrality=np.ones(free.size),
                bounds=Bounds(0, np.inf),
                options={"time_limit": TIME_LIMIT},
            )
            if found.status == 0:
                return True
        return False
