"""A reader with a solver: from everything a presenter shows, which small counts can be worked out?

The check is built apart from observation.disclosure, so that it tests it rather than repeats it:
the truth comes from the raw tables through pandas (not meeting_facts or any query of the
package), what is shown is read back from the screen or the deck as text, and every count is
bounded by integer programming over all the atoms at once (scipy's HiGHS), with each shown
percentage standing for every count that rounds to it.

Atoms: for each team and quarter, the held meetings with attendance recorded of each kind —
service users only, carers only, both (each with or without meaningful involvement), or nobody
with lived experience. A count is *pinned* when its smallest and largest possible values agree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

KINDS = ("su", "su_m", "carer", "carer_m", "both", "both_m", "nobody")
COUNTS: dict[str, tuple[str, ...]] = {
    "presence": ("su", "su_m", "carer", "carer_m", "both", "both_m"),
    "service_users": ("su", "su_m", "both", "both_m"),
    "carers": ("carer", "carer_m", "both", "both_m"),
    "meaningful": ("su_m", "carer_m", "both_m"),
    "service users only": ("su", "su_m"),
    "carers only": ("carer", "carer_m"),
    "both": ("both", "both_m"),
    "not meaningful": ("su", "carer", "both"),
}
"""Every count of meetings a careful reader might want, as the atoms it sums."""
RANK = {"observing": 1, "contributing": 2, "co_leading": 3}

Cell = tuple[Any, ...]
"""("all",), ("team", team id) or ("quarter", team id, first day of the quarter)."""


@dataclass(frozen=True)
class Seen:
    """One figure as shown: a share ("35%"), or anything else ("hidden", "—"), which says nothing."""

    cell: Cell
    measure: str  # presence, service_users, carers, meaningful or representation
    text: str


@dataclass(frozen=True)
class Pin:
    cell: Cell
    count: str
    value: int


def truth(con: duckdb.DuckDBPyConnection, level: str = "contributing", period: str = "Q") -> pd.DataFrame:
    """One row per team and quarter (``period`` "Q"; "M" for months, in a column named month): the
    number of meetings of each kind (KINDS), from the raw tables."""
    meetings = con.execute("select id, team_id, meeting_date, status from meetings").df()
    present = con.execute(
        "select a.meeting_id, a.participation, p.role from attendance a join participants p on p.id = a.participant_id "
        "where a.status = 'present'"
    ).df()
    present["rank"] = present["participation"].map(RANK).fillna(0)
    recorded = set(present.loc[present["role"] != "observer", "meeting_id"])
    held = meetings[(meetings["status"] == "held") & meetings["id"].isin(recorded)].copy()
    lived = present[present["role"].isin(["service_user", "carer"])]
    su = set(lived.loc[lived["role"] == "service_user", "meeting_id"])
    carer = set(lived.loc[lived["role"] == "carer", "meeting_id"])
    best = lived.groupby("meeting_id")["rank"].max()
    meaningful = set(best[best >= RANK[level]].index)

    def kind(meeting: int) -> str:
        who = {(True, False): "su", (False, True): "carer", (True, True): "both"}.get((meeting in su, meeting in carer))
        if who is None:
            return "nobody"
        return who + ("_m" if meeting in meaningful else "")

    held["kind"] = held["id"].map(kind)
    column = {"Q": "quarter", "M": "month"}[period]
    held[column] = pd.to_datetime(held["meeting_date"]).dt.to_period(period).dt.start_time
    table = held.groupby(["team_id", column, "kind"]).size().unstack(fill_value=0)
    return table.reindex(columns=list(KINDS), fill_value=0).reset_index()


def share_range(text: str, meetings: int) -> tuple[int, int] | None:
    """The counts out of ``meetings`` that show as ``text`` ("35%", or "83.33333333%" from a
    chart's data), by trying each: for a whole percentage, those Python's rounding prints so (a
    reader who knows it: 5% of 200 is 10 only, a half going to the even neighbour); for more
    digits, those within half the last digit."""
    found = re.fullmatch(r"(\d+(?:\.(\d+))?)%", text.strip())
    if not found or meetings == 0:
        return None
    shown, decimals = float(found.group(1)), len(found.group(2) or "")
    if decimals == 0:  # a whole percentage, rounded as Python rounds (a half to the even neighbour)
        fitting = [c for c in range(meetings + 1) if round(c / meetings * 100) == shown]
    else:
        half = 0.5 * 10**-decimals + 1e-9
        fitting = [c for c in range(meetings + 1) if abs(100 * c / meetings - shown) <= half]
    return (fitting[0], fitting[-1]) if fitting else (1, 0)  # (1, 0): nothing fits — the page is wrong


def chart_text(value: float) -> str:
    """A chart's data point as a reader of the page's source sees it: every digit."""
    return "—" if value is None or math.isnan(value) else f"{100 * value:.10g}%"


class Reader:
    """The integer programme a reader can set up from the atoms' shape and what was seen."""

    def __init__(self, atoms: pd.DataFrame) -> None:
        self.atoms = atoms.reset_index(drop=True)
        self.values = self.atoms[list(KINDS)].to_numpy(dtype=np.int64).ravel()
        self.rows: list[np.ndarray] = []
        self.low: list[float] = []
        self.high: list[float] = []
        for i in range(len(self.atoms)):  # each quarter's meetings are on the chart's hover
            self._add(self._vector([i], KINDS), self._true([i], KINDS), self._true([i], KINDS))

    def leaves(self, cell: Cell) -> list[int]:
        if cell[0] == "all":
            return list(range(len(self.atoms)))
        mine = self.atoms["team_id"] == cell[1]
        if cell[0] == "quarter":
            mine &= self.atoms["quarter"] == pd.Timestamp(cell[2])
        return list(np.flatnonzero(mine.to_numpy()))

    def _vector(self, leaves: Iterable[int], kinds: Iterable[str]) -> np.ndarray:
        vector = np.zeros(self.values.size)
        for i in leaves:
            for k in kinds:
                vector[i * len(KINDS) + KINDS.index(k)] = 1
        return vector

    def _true(self, leaves: Iterable[int], kinds: Iterable[str]) -> int:
        return int(self._vector(leaves, kinds) @ self.values)

    def _add(self, vector: np.ndarray, low: float, high: float) -> None:
        self.rows.append(vector)
        self.low.append(low)
        self.high.append(high)

    def see(self, seen: Seen) -> None:
        leaves = self.leaves(seen.cell)
        meetings = self._true(leaves, KINDS)
        measure = "presence" if seen.measure == "representation" else seen.measure
        fits = share_range(seen.text, meetings)
        if fits is None:
            return
        if seen.measure == "representation":  # a mean of ratios of at most 1: presence ≥ its share
            shown = int(seen.text.strip().rstrip("%"))
            self._add(self._vector(leaves, COUNTS[measure]), math.ceil(max(0.0, shown - 0.5) * meetings / 100), np.inf)
        else:
            self._add(self._vector(leaves, COUNTS[measure]), *fits)

    def range_of(self, vector: np.ndarray) -> tuple[int, int]:
        constraint = LinearConstraint(np.array(self.rows), self.low, self.high)
        ends = []
        for sign in (1, -1):
            found = milp(
                sign * vector, constraints=[constraint], integrality=np.ones(vector.size), bounds=Bounds(0, np.inf)
            )
            assert found.status == 0, f"what was shown fits no study at all: {found.message}"
            ends.append(round(sign * found.fun))
        return ends[0], ends[1]

    def pins(self, threshold: int) -> Iterator[Pin]:
        """Every count from 1 to ``threshold - 1`` that what was seen pins down."""
        cells: list[Cell] = [("all",)]
        for team_id, quarter in self.atoms[["team_id", "quarter"]].itertuples(index=False):
            cells += [("team", int(team_id)), ("quarter", int(team_id), pd.Timestamp(quarter))]
        for cell in dict.fromkeys(cells):
            leaves = self.leaves(cell)
            for name, kinds in COUNTS.items():
                value = self._true(leaves, kinds)
                if 1 <= value < threshold and self.range_of(self._vector(leaves, kinds)) == (value, value):
                    yield Pin(cell, name, value)


def pinned(atoms: pd.DataFrame, seen: Iterable[Seen], threshold: int) -> list[Pin]:
    reader = Reader(atoms)
    for s in seen:
        reader.see(s)
    return list(reader.pins(threshold))
