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
programming: every count from 1 to ``threshold - 1`` — a hidden figure's, or one no figure shows —
must fit at least two values given every shown figure (read back as the page rounds it). Where one
does not, one more figure is hidden (the least useful one that frees it) and the check runs again
(*secondary* suppression). The check is exact (every atom free) for up to ``EXACT_ATOMS`` atoms;
above that it looks for the second value by changing one team's atoms (for a study-wide count,
one team's at a time), the rest held at their true values — a value found that way is a real one,
so a larger study is protected as surely, only sometimes with a figure more hidden than needed.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy import sparse

CONFIDENTIAL = "[c]"
ACROSS_OUTPUTS = (
    "The aggregate export is checked against what presenter mode and the slide deck show as well as against "
    "itself: someone holding both can work out no count under the lower of their two thresholds (a team's "
    "quarter in one, say, against its months in the other)."
)
"""What holds when a reader has both outputs (observation.across), said wherever one of the two is made."""
DEFAULT_THRESHOLD = 5
EXACT_ATOMS = 500
"""Up to this many atoms, every check frees every atom (exact); above, see the module's notes."""
STUDY_TRIES = 3
"""Above EXACT_ATOMS: how many teams, one at a time, a study-wide count tries changing (those with
the most figures hidden)."""
TRIALS = 200
"""How many figures a pinned count tries hiding, one at a time, for one that frees it, before it
hides the first (and tries again): enough to reach the study's totals past a study's months."""
TIME_LIMIT = 5.0
"""Seconds one search for another value may take; one that runs out counts as none found (and a
figure more is hidden). HiGHS 1.12 (highspy, pinned) counts it per run of a model."""
ROWWISE, MINIMIZE = int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize)
"""How _Solver._moves hands HiGHS its model: constraints by row; the (zero) objective minimised."""


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


def whole_percent(share: float) -> int:
    """A share as every page and file prints it, in whole percent (Python's rounding: a half goes to
    the even neighbour, so 12.5% prints 12%). The engine reads a printed share back the same way."""
    return round(share * 100)


def percent_range(count: int, denominator: int) -> tuple[int, int]:
    """The counts of ``denominator`` that print as the same whole percentage as ``count`` does (35%
    of 46 is 16 only; 35% of 460 is 159 to 163): the range a reader who knows the rounding is left
    with, found by trying the neighbours (the printed value grows with the count)."""
    shown = whole_percent(count / denominator)
    low = high = count
    while low > 0 and whole_percent((low - 1) / denominator) == shown:
        low -= 1
    while high < denominator and whole_percent((high + 1) / denominator) == shown:
        high += 1
    return low, high


def ratio_bounds(part: int, rest: int) -> tuple[tuple[int, int], tuple[int, int], int]:
    """What a whole percentage p of ``part`` out of ``part + rest`` tells when neither count is
    shown: two weighted sums of the two that are at least a bound, ``(a, b)`` each meaning
    ``a * part + b * rest``, and the bound. The share printed p lies between p − ½ and p + ½, a
    half included when it rounds to p (to the even neighbour, as ``whole_percent``): 200 × part
    is at least (2p − 1) × the whole and at most (2p + 1) × it, by 1 more where p is odd."""
    p = whole_percent(part / (part + rest))
    low, high = (201 - 2 * p, -(2 * p - 1)), (-(199 - 2 * p), 2 * p + 1)
    bound = p % 2
    if any(a * part + b * rest < bound for a, b in (low, high)):  # a float's rounding at a half: the looser reading
        bound = 0
    return low, high, bound


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
    at_least: int | None = None
    """A figure that says only that ``sum(atoms)`` is at least this much (an agenda item raised by a
    service user says one was present: the meetings with lived experience present are at least 1);
    it has no count of its own to protect."""
    at_most: int | None = None
    """What a reader may take ``sum(atoms)`` to be at most besides: a mean printed as 0% (a voice
    share) reads as none at all, or at most a rounding's worth. Given as the true sum — a reader
    is taken to know as much as can be true — it pins a sum of none to 0."""
    weights: tuple[float, ...] | None = None
    """Each atom's weight in the sum (one each when None): a whole percentage of a count no output
    shows (a response rate) bounds a weighted sum of the atoms (``ratio``)."""

    def bounds(self) -> tuple[float, float]:
        """The range of ``sum(atoms)`` a reader who sees this figure knows."""
        if self.at_least is not None:
            return self.at_least, math.inf
        if self.mean is not None:
            assert self.denominator is not None
            p = whole_percent(self.mean)
            high = math.inf if self.at_most is None else self.at_most
            return -(-max(0, 2 * p - 1) * self.denominator // 200), high
        if self.denominator is None:
            return self.count, self.count
        return percent_range(self.count, self.denominator)

    def primary(self, rule: Rule) -> bool:
        """Hidden for itself: a small count, or a share of a small number of meetings."""
        if self.at_least is not None:
            return False
        return rule.hides(self.count) or (self.denominator is not None and rule.hides(self.denominator))

    @property
    def is_count(self) -> bool:
        """Whether hiding it protects a count (a mean of ratios, or a bound, protects nothing of its own)."""
        return self.mean is None and self.at_least is None


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
    """Each atom's team (any label): above EXACT_ATOMS, a check changes one team's atoms at a time."""
    leaves: np.ndarray | None = None
    """Each atom's cell (a team's quarter, say): a cell's atoms are the kinds its meetings split
    into, summing to a known number, consecutive and in the same order in every cell. Given, a
    check first tries moving one meeting from one kind to another in a cell, alone or with the
    opposite move in another cell of the team, before any integer programme."""
    _rows: sparse.csr_array = field(init=False, repr=False)

    def __post_init__(self) -> None:
        every = [*self.figures, *self.known]
        rows = np.repeat(np.arange(len(every)), [len(f.atoms) for f in every])
        cols = np.fromiter((a for f in every for a in f.atoms), dtype=np.int64, count=rows.size)
        weights = np.fromiter(
            (w for f in every for w in (f.weights or (1.0,) * len(f.atoms))), dtype=np.float64, count=rows.size
        )
        self._rows = sparse.csr_array((weights, (rows, cols)), shape=(len(every), self.truth.size), dtype=np.float64)


def suppress(system: System, rule: Rule, also: Iterable[Hashable] = ()) -> frozenset[Hashable]:
    """The keys of the figures to hide: the small ones and those ``also`` names, then more until no
    hidden figure and no small secret can be worked out from the rest.

    Give ``also`` what a lower threshold hides (``floor``) so that a stricter threshold never shows
    what a looser one hid: a reader holding both sees no more than the looser one shows."""
    figures = list(system.figures)
    given = set(also)
    hidden = np.array([f.primary(rule) or f.key in given for f in figures], dtype=bool)
    # What must keep two values: every small count, shown as a figure (hidden) or not at all. A figure
    # hidden only to protect another needs no check of its own: pinned, it gives away no small count.
    checks = [f.atoms for f, h in zip(figures, hidden, strict=True) if h and f.is_count and rule.hides(f.count)]
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
    return frozenset(f.key for f, h in zip(figures, hidden, strict=True) if h)


def _to_hide(solver: _Solver, figures: list[Figure], hidden: np.ndarray, atoms: tuple[int, ...]) -> int | None:
    """The figure to hide so that a pinned count moves: of the first TRIALS — a figure of the same
    kinds of meeting first (another team's presence, when a team's presence is pinned), then the
    cheapest, a team's before the study's, the smallest — the first that frees it on its own, or
    failing any, the first of all; the next round tries again. Above EXACT_ATOMS, where a check
    changes one team's meetings only, only that team's figures and the study's are candidates."""
    mine = np.unique(solver.block[list(atoms)])
    kinds = solver.kinds(atoms)
    teams = solver.figure_team
    near = ~hidden if solver.exact else ~hidden & (np.isin(teams, mine) | (teams == STUDY))
    candidates = sorted(
        np.flatnonzero(near).tolist(),
        key=lambda i: (
            solver.figure_kinds(i) != kinds,
            figures[i].cost,
            teams[i] == STUDY,
            len(figures[i].atoms),
            figures[i].count,
        ),
    )
    for i in candidates[:TRIALS]:
        hidden[i] = True
        frees = solver.moves(atoms, hidden)
        hidden[i] = False
        if frees:
            return i
    return candidates[0] if candidates else None


STUDY = -1
"""A figure's team when its atoms span several teams."""


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
        self.leaf = system.leaves
        self.width = 0 if self.leaf is None or self.leaf.size == 0 else int(np.bincount(self.leaf).max())
        if self.leaf is not None and not np.array_equal(self.leaf, np.arange(self.leaf.size) // self.width):
            raise ValueError("a system's cells must be consecutive atoms, the same number in each")
        kinds = np.arange(self.width)
        to_kind, from_kind = (k.ravel() for k in np.meshgrid(kinds, kinds, indexing="ij"))
        self.pairs = to_kind[to_kind != from_kind], from_kind[to_kind != from_kind]
        """Every move of one meeting between two kinds: (to, from)."""
        self._figure_kinds: dict[int, frozenset[int]] = {}
        self._team_atoms: dict[int, np.ndarray] = {}
        self._parts: dict[int | None, _Part] = {}
        self._highs = highspy.Highs()
        self._highs.setOptionValue("output_flag", False)
        self._highs.setOptionValue("time_limit", TIME_LIMIT)
        self.values = system._rows @ self.truth
        self.columns = system._rows.tocsc()
        self.lengths = np.diff(self.columns.indptr)
        """How many figures (and known sums) each atom is in."""
        self.figure_team = np.array(
            [self.block[f.atoms[0]] if len(set(self.block[list(f.atoms)])) == 1 else STUDY for f in system.figures],
            dtype=np.int64,
        )

    def kinds(self, atoms: tuple[int, ...]) -> frozenset[int]:
        """Which kinds of meeting (the atoms' places within their cells) a sum counts."""
        return frozenset(np.unique(np.asarray(atoms) % self.width).tolist()) if self.width else frozenset()

    def figure_kinds(self, i: int) -> frozenset[int]:
        """``kinds`` of the i-th figure, worked out once (every choice of a figure to hide sorts by it)."""
        found = self._figure_kinds.get(i)
        if found is None:
            found = self._figure_kinds[i] = self.kinds(self.system.figures[i].atoms)
        return found

    def moves(self, atoms: tuple[int, ...], hidden: np.ndarray) -> bool:
        """True when the atoms can sum to another value than their true one with every shown
        figure (those not ``hidden``) still reading as it does."""
        shown = np.concatenate([~hidden, np.ones(len(self.system.known), dtype=bool)])
        if self.leaf is not None and self._swaps(atoms, shown):
            return True
        if self.exact:
            return self._moves(None, atoms, shown)
        mine = [int(t) for t in np.unique(self.block[list(atoms)])]
        # A team's count: its team's atoms change (the others' held); a study's: one team's at a time,
        # the teams with the most figures hidden first (where a study-wide count may move).
        tries = mine if len(mine) == 1 else self._partners(hidden, mine)[:STUDY_TRIES]
        return any(self._moves(t, atoms, shown) for t in tries)

    def _atoms_of(self, team: int) -> np.ndarray:
        """The atoms of one team (block), found once."""
        found = self._team_atoms.get(team)
        if found is None:
            found = self._team_atoms[team] = np.flatnonzero(self.block == team)
        return found

    def _partners(self, hidden: np.ndarray, mine: list[int]) -> list[int]:
        """The teams other than ``mine``, those with the most figures hidden first."""
        teams, often = np.unique(self.figure_team[hidden], return_counts=True)
        return [int(t) for t in teams[np.argsort(-often, kind="stable")] if t != STUDY and t not in mine]

    def _swaps(self, atoms: tuple[int, ...], shown: np.ndarray) -> bool:
        """Whether moving one meeting from one kind to another within a cell of ``atoms`` — alone,
        or with the opposite move in another cell of the same team —
        changes their sum and leaves every shown figure reading as it does. A quick search for the
        second value: most hidden figures of a large study are freed this way, without an integer
        programme."""
        assert self.leaf is not None
        width = self.width
        to_kind, from_kind = self.pairs
        mine = np.unique(self.leaf[list(atoms)])
        starts = mine * width
        to = (starts[:, None] + to_kind).ravel()
        away = (starts[:, None] + from_kind).ravel()
        keep = self.truth[away] >= 1
        to, away = to[keep], away[keep]
        if to.size == 0:
            return False
        blocks = np.unique(self.block[list(atoms)])
        team = self._atoms_of(int(blocks[0])) if blocks.size == 1 else np.isin(self.block, blocks)
        team_cells = np.unique(self.leaf[team])
        team_cells = team_cells[~np.isin(team_cells, mine)]  # a move and its opposite both in the sum: no change
        others = team_cells[:, None] * width
        back_to = (others + (away % width)).ravel()  # in each other cell: the opposite move
        back_away = (others + (to % width)).ravel()
        first_to = np.tile(to, team_cells.size)
        first_away = np.tile(away, team_cells.size)
        twin = self.truth[back_away] >= 1
        n_single, n_pair = to.size, int(twin.sum())
        cols = np.concatenate([to, away, first_to[twin], first_away[twin], back_to[twin], back_away[twin]])
        vals = np.concatenate([np.ones(n_single), -np.ones(n_single), np.ones(n_pair), -np.ones(n_pair),
                               np.ones(n_pair), -np.ones(n_pair)])  # fmt: skip
        single, pair = np.arange(n_single), n_single + np.arange(n_pair)
        which = np.concatenate([single, single, pair, pair, pair, pair])
        n_moves = n_single + n_pair
        target = np.zeros(self.truth.size)
        target[list(atoms)] = 1
        changes = np.bincount(which, weights=target[cols] * vals, minlength=n_moves) != 0
        if not changes.any():
            return False
        # Each move's change to every shown figure: the columns of the atoms it moves, gathered and
        # summed per (figure, move) — the product of the figures' matrix with the moves', without
        # building the moves' matrix (a sparse matrix per check cost more than the arithmetic).
        lengths = self.lengths[cols]
        at = _spans(self.columns.indptr[cols], lengths)
        rows, move = self.columns.indices[at], np.repeat(which, lengths)
        data = self.columns.data[at] * np.repeat(vals, lengths)
        seen = shown[rows]
        keys, inverse = np.unique(rows[seen].astype(np.int64) * n_moves + move[seen], return_inverse=True)
        row, col = keys // n_moves, keys % n_moves
        after = self.values[row] + np.bincount(inverse, weights=data[seen], minlength=keys.size)
        broken = (after < self.low[row] - 1e-9) | (after > self.high[row] + 1e-9)
        bad = np.zeros(n_moves, dtype=bool)
        bad[col[broken]] = True
        return bool((changes & ~bad).any())

    def _part(self, team: int | None) -> _Part:
        """The atoms free when ``team``'s atoms change (every atom for None), the figures they are in, and
        those figures' rows over them — worked out once per team."""
        found = self._parts.get(team)
        if found is None:
            free = np.arange(self.truth.size) if team is None else self._atoms_of(team)
            part = self.columns[:, free].tocsr()
            rows = np.flatnonzero(np.diff(part.indptr) > 0)
            part = part[rows]
            held = self.values[rows] - part @ self.truth[free]
            found = self._parts[team] = _Part(free, rows, part.indptr, part.indices, part.data, held)
        return found

    def _moves(self, team: int | None, atoms: tuple[int, ...], shown: np.ndarray) -> bool:
        """``moves`` with only ``team``'s atoms changing (every atom for None), the others held at
        their true values: an integer programme (HiGHS) for a value above the true one, then below."""
        part = self._part(team)
        target = np.flatnonzero(np.isin(part.free, atoms))
        if target.size == 0:
            return False
        value = float(self.truth[part.free[target]].sum())
        keep = shown[part.rows]
        rows = part.rows[keep]
        lengths = np.diff(part.indptr)[keep]
        at = _spans(part.indptr[:-1][keep], lengths)
        # The shown figures' rows, then the sum itself as the last row (its bounds set per side).
        starts = np.concatenate([[0], np.cumsum(lengths), [lengths.sum() + target.size]]).astype(np.int32)
        index = np.concatenate([part.indices[at], target]).astype(np.int32)
        entries = np.concatenate([part.data[at], np.ones(target.size)])
        low = np.concatenate([self.low[rows] - part.held[keep], [0.0]])
        high = np.concatenate([self.high[rows] - part.held[keep], [0.0]])
        n, m = part.free.size, rows.size + 1
        highs = self._highs
        passed = highs.passModel(
            n, m, index.size, ROWWISE, MINIMIZE, 0.0, np.zeros(n), np.zeros(n), np.full(n, highspy.kHighsInf),
            low, high, starts, index, entries, np.ones(n, dtype=np.int32),
        )  # fmt: skip
        if passed == highspy.HighsStatus.kError:  # never solve the last check's model instead
            raise RuntimeError("HiGHS refused a disclosure check's model")
        for side in ((value + 1, highspy.kHighsInf), (-highspy.kHighsInf, value - 1)):
            if side[1] < 0:
                continue
            highs.changeRowBounds(m - 1, *side)
            highs.run()
            if highs.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                return True
        return False


@dataclass(frozen=True, slots=True)
class _Part:
    """What ``_Solver._moves`` needs of one team's atoms (see ``_Solver._part``)."""

    free: np.ndarray
    rows: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    held: np.ndarray
    """What the atoms not free add to each row."""


def _spans(begins: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions begins[i], begins[i] + 1, … (lengths[i] of them), for every i, end to end."""
    return np.repeat(begins - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
