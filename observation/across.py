"""Presenter mode and the aggregate export held together: what the room is shown, as the export's
own atoms see it, so that the export is checked against it as well as against itself.

Each output is protected on its own (observation.disclosure), but a reader may hold both: a team's
quarter in presenter mode, less the months of it the export shows, would give the others away. So
the export's checks take presenter mode's figures as known: its shares per team, per team and
quarter and for the study, read as counts of the export's team-month meetings; the voice figures
and the experience and impact measures of each team and of the study likewise; and the counts
presenter mode hides (or never shows) of a team's quarter, which the export has no figure of, are
among the counts that must keep two values. The export then hides what it must for every small
count to stay loose with both in hand.

Presenter mode is read at the threshold each check runs at (its floor first, then the chosen one):
a reader holding an export and presenter mode learns no count under the lower of the two thresholds.
Presenter mode, for its part, takes in what the export's months always tell (presenting.ExportTells):
where someone with lived experience spoke, and at how many meetings. What a score's value says (a
mean of answers, not a count) is not taken in.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from observation import presenting
from observation.disclosure import Figure, Rule, Secret, ratio_bounds
from observation.errors import ObservationError

LIVE_OF_VOICE = {"items_raised": "raised", "actions_owned": "action", "rest": "other"}
"""presenting.CONTRIBUTED's atoms, as the export's contributions (export.LIVE_ATOMS) name them."""


def quarter(day: dt.date) -> dt.date:
    """The first day of ``day``'s calendar quarter (presenter mode's period)."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


@dataclass(frozen=True)
class Rows:
    """The rows of one of the export's tables (a team's month each) and how many atoms each has:
    a row's atoms are consecutive, in the order ``names``."""

    team_ids: Sequence[int]
    months: Sequence[dt.date]
    names: tuple[str, ...]
    truth: np.ndarray

    @functools.cached_property
    def _index(self) -> dict[Hashable, list[int]]:
        """The rows of each team's quarter ((team id, its first day)), each team's and the study's (None)."""
        index: dict[Hashable, list[int]] = {None: list(range(len(self.team_ids)))}
        for i, (team_id, month) in enumerate(zip(self.team_ids, self.months, strict=True)):
            index.setdefault(int(team_id), []).append(i)
            index.setdefault((int(team_id), quarter(month)), []).append(i)
        return index

    def of(self, key: Hashable) -> list[int]:
        """The rows of a team's quarter ((team id, its first day)), a team's (its id) or the study's (None)."""
        if isinstance(key, tuple):
            key = (int(key[0]), pd.Timestamp(key[1]).date())
        return self._index.get(key, [])

    def atoms(self, rows: Sequence[int], names: Sequence[str]) -> tuple[int, ...]:
        width = len(self.names)
        return tuple(i * width + self.names.index(n) for i in rows for n in names)

    def total(self, atoms: Sequence[int]) -> int:
        return int(self.truth[list(atoms)].sum())


def _changed() -> ObservationError:
    return ObservationError("the study changed while the export was being made: export again")


def meeting_links(room: presenting.RoomFigures, rows: Rows, rule: Rule) -> tuple[list[Figure], list[Secret]]:
    """What presenter mode (``room``) tells of the export's meetings (``rows``: its team-months, each
    split into queries.MEETING_KINDS): each share it shows, read as the same bounds on the export's
    atoms; what voice shows of presence (presenting.guard_voice's links); and, as counts to keep
    loose, each of a team's quarters that ``rule`` calls small and presenter mode does not show."""
    width = len(rows.names)
    cells = [rows.of(key) for key in room.leaves]

    def mapped(atoms: Sequence[int]) -> tuple[int, ...]:
        return tuple(r * width + a % width for a in atoms for r in cells[a // width])

    known: list[Figure] = []
    for f in room.presence.figures:
        if f.key in room.presence_hidden:
            continue
        atoms = mapped(f.atoms)
        if f.is_count and rows.total(atoms) != f.count:
            raise _changed()
        known.append(Figure(("room", f.key), atoms, rows.total(atoms), f.denominator, f.mean, at_least=f.at_least))
    for row in room.voice:
        key = row["team_id"]
        lived = rows.atoms(rows.of(key), presenting.LIVED_EXPERIENCE)
        present = rows.total(lived)
        if row["mean_voice_share"] is not None and (key, "mean_voice_share") not in room.voice_hidden:
            share = Figure(("room", key, "voice"), lived, present, int(row["meetings_observed_live"]),
                           float(row["mean_voice_share"]))  # fmt: skip
            if share.bounds()[0] <= present:  # one the truth does not meet is not shown (guard_voice)
                known.append(share)
        said = [n for n in ("items_raised", "actions_owned") if (key, n) not in room.voice_hidden and row[n]]
        if said and present:
            known.append(Figure(("room", key, presenting.TOOK_PART), lived, present, at_least=1))
    secrets: list[Secret] = []
    loose = [(f.key, f.atoms, f.count) for f in room.presence.figures if f.is_count and f.key in room.presence_hidden]
    for key, atoms, count in [*loose, *((s.key, s.atoms, s.count) for s in room.presence.secrets)]:
        quarterly = isinstance(key, tuple) and isinstance(key[0], tuple)
        if quarterly and rule.hides(count):
            secrets.append(Secret(("room", key), mapped(atoms), count))
    return known, secrets


def contribution_links(room: presenting.RoomFigures, rows: Rows) -> list[Figure]:
    """What presenter mode's voice figures (``room``) tell of the export's contributions (``rows``:
    its team-months, split as export.LIVE_ATOMS): each team's and the study's items raised and
    actions owned, and what a voice share says of their contributions (contribution_system)."""
    system = presenting.contribution_system(room.voice)
    teams = [r["team_id"] for r in room.voice if r["team_id"] is not None]
    width = len(presenting.CONTRIBUTED)
    cells = [rows.of(t) for t in teams]
    known: list[Figure] = []
    for f in system.figures:
        if f.key in room.voice_hidden:
            continue
        atoms = tuple(
            r * len(rows.names) + rows.names.index(LIVE_OF_VOICE[presenting.CONTRIBUTED[a % width]])
            for a in f.atoms
            for r in cells[a // width]
        )
        total = rows.total(atoms)
        if f.is_count and total != f.count:
            raise _changed()
        known.append(Figure(("room", f.key), atoms, total, f.denominator, f.mean, at_most=f.at_most))
    return known


def _ratio(key: Hashable, part: Sequence[int], rest: Sequence[int], rows: Rows) -> list[Figure]:
    """What a whole percentage of ``part`` out of ``part`` and ``rest`` tells (disclosure.ratio_bounds)."""
    low, high, bound = ratio_bounds(rows.total(part), rows.total(rest))
    out = []
    for side, (a, b) in (("low", low), ("high", high)):
        weights = (float(a),) * len(part) + (float(b),) * len(rest)
        value = a * rows.total(part) + b * rows.total(rest)
        out.append(Figure((*_tuple(key), side), (*part, *rest), value, at_least=bound, weights=weights))
    return out


def _tuple(key: Hashable) -> tuple[Any, ...]:
    return key if isinstance(key, tuple) else (key,)


def experience_links(
    room: presenting.RoomFigures, experience: Rows, heard: Mapping[Hashable, bool], rule: Rule
) -> list[Figure]:
    """What presenter mode (``room``, under ``rule``) tells of the export's experience feedback
    (``experience``: its team-months split as export.EXPERIENCE_ATOMS). Its experience measures
    (presenting.experience_shown), for each team and for the study where ``heard`` says its row is
    shown: a score shown says its scored responses are at least the threshold, "—" that there are
    none; a response rate shown, the ratio of responses to attendances. And its shares of meetings
    (attendance_floors): each meeting with a service user or a carer present had one attendance by
    them at least."""
    known = [
        Figure(("room", key, "attended"), atoms, experience.total(atoms), at_least=least)
        for key, least in attendance_floors(room).items()
        if least > 0 and (atoms := experience.atoms(experience.of(key), ("scored", "unscored", "silent")))
    ]
    for key, shown in heard.items():
        rows = experience.of(key)
        if not shown or not rows:
            continue
        scored = experience.atoms(rows, ("scored",))
        responded = experience.atoms(rows, ("scored", "unscored"))
        silent = experience.atoms(rows, ("silent",))
        n = experience.total(scored)
        if n == 0:
            known.append(Figure(("room", key, "no_score"), scored, 0))
        elif not rule.hides(n):
            known.append(Figure(("room", key, "score"), scored, n, at_least=rule.threshold))
        answered, attended = experience.total(responded), experience.total(responded) + experience.total(silent)
        if not rule.hides(answered) and not rule.hides(attended):
            known += _ratio(("room", key, "response_rate"), responded, silent, experience)
    return known


def attendance_floors(room: presenting.RoomFigures) -> dict[Hashable, int]:
    """The fewest attendances by service users and carers that presenter mode's shares (``room``) say
    each of its cells (a team's quarter, a team, the study) had: as many as its meetings with anyone
    with lived experience present, and as many as those with service users and those with carers
    together, each at the least its share allows."""
    low: dict[tuple[Hashable, str], int] = {
        cast(tuple[Hashable, str], f.key): int(f.bounds()[0])
        for f in room.presence.figures
        if f.key not in room.presence_hidden
    }
    floors: dict[Hashable, int] = {}
    for (cell, share), least in low.items():
        if share in ("presence_share", "mean_representation"):
            floors[cell] = max(floors.get(cell, 0), least)
        if share == "service_user_share" and (cell, "carer_share") in low:
            floors[cell] = max(floors.get(cell, 0), least + low[(cell, "carer_share")])
    return floors


def impact_links(impact: Rows, heard: Mapping[Hashable, bool], rule: Rule) -> list[Figure]:
    """What presenter mode's share of changes from lived experience tells of the export's impact log
    (``impact``: its team-months split as export.IMPACT_ATOMS), for each team and, where ``heard``
    says its row is shown, the study."""
    known: list[Figure] = []
    for key, shown in heard.items():
        rows = impact.of(key)
        if not shown or not rows:
            continue
        lived, staff = impact.atoms(rows, ("lived",)), impact.atoms(rows, ("staff",))
        if not rule.hides(impact.total(lived)) and not rule.hides(impact.total(lived) + impact.total(staff)):
            known += _ratio(("room", key, "impact_share"), lived, staff, impact)
    return known
