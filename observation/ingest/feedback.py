"""Experience feedback typed in from paper (or kept in another tool), from a file of one row per
answer: team, date, participant, item, answer, and optionally via.

Each row is checked as every kind's rows are (the same reasons, one problem a cell): its values,
then what they name — the team, a held meeting of that team on that date, a participant of that
team with a lived-experience role (a service user or carer) marked present at it (in the study, or
by this import's meetings, attendance or register, which are written before), and an item the
questionnaire asks now, by its key or its wording. The same person's answer to the same item about
the same meeting twice in one import is a problem naming both rows, never "the last row wins".

Rows are matched to the study by meeting, participant and item as it is asked now (an answer
keeps the version of the item it was given against, observation.feedback, so one to an earlier
wording is never touched): an answer the study holds already is unchanged when it is the same, and
changed when it differs (counted as changed, and listed without its values: nobody's answers are
shown against their code); a new one is added.
Importing the same file again changes nothing. Someone who answered about a meeting on their own
phone keeps their answers: a row that would add to or change them is a problem. While the study
has not saved its questionnaire, its default items are saved first (observation.feedback), inside
the import's transaction. An answer an import adds or changes has no ``recorded_at``: the file
cannot say when it was given.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from observation import access, labels
from observation import feedback as questionnaire
from observation.ingest.bulk import SHOWN_CHANGES, Written
from observation.ingest.present import Cells, PresentAt, Refused
from observation.ingest.read import Sheet

COLUMNS = ("team", "date", "participant", "item", "answer")
OPTIONAL = ("via",)
PREFER_NOT = ("prefer not to say", "prefer not", "pnts")
"""The words a file may write for "prefer not to say" (in any case)."""
VIA = {"review": "review", "phone": "phone", "paper": "paper"}
"""How an answer reached the study, in a file's words; "paper" when a file does not say."""
ANSWER_WORDS = (
    "write 1 (strongly disagree) to 5 (strongly agree), or the scale's words (agree, neither agree nor disagree…), "
    "or prefer not to say (also 'prefer not' or PNTS); leave out the row of an item not answered"
)
"""The answers a file may give, as a problem says them."""


def answer(text: str) -> int | None:
    """An answer on the questionnaire's scale, 1 to 5 (or its words), or None for "prefer not to say"."""
    said = " ".join(text.strip().lower().replace("-", " ").split())
    if said in PREFER_NOT:
        return None
    if re.fullmatch(r"[1-5](\.0*)?", said):
        return int(said[0])
    for value, words in labels.ANSWERS.items():
        if value is not None and said == words.lower():
            return value
    raise ValueError(f"not an answer: {ANSWER_WORDS}")


@dataclass(frozen=True)
class _Ready:
    """A row whose every value was read and whose names were found."""

    row: int
    meeting_id: int
    participant_id: int
    item_key: str
    answer: int | None
    via: str | None
    """None: the file does not say (paper for a new answer; an answer held keeps its own)."""
    record: str
    """The answer as people call it, for the outcome's list of changes: "Alpha, 10/01/2020, A-SU1, listened"."""
    participant: str
    """The participant as the file wrote them (for a problem)."""


@access.requires("researcher")  # a write, a researcher's as the import that calls it
def feedback(
    cur: duckdb.DuckDBPyConnection,
    sheet: Sheet,
    parsers: Mapping[str, Callable[[str], Any]],
    who: str,
    seen: MutableMapping[tuple[str, tuple[object, ...]], tuple[str, int]],
    tally: Callable[[int], object] = lambda row: None,
) -> Written:
    """Check ``sheet``'s rows and write the answers the study does not hold yet, or holds
    otherwise, with ``cur`` (inside the import's transaction), each audited as ``who``'s.
    ``seen``: the answers this import read before, in any file (key -> file and row). ``tally``
    hears each row read. Writes nothing when any row has a problem."""
    assert set(parsers) == {*COLUMNS, *OPTIONAL}, "the feedback kind and this writer must name the same columns"
    columns = [*COLUMNS, *(c for c in OPTIONAL if c in sheet.columns)]
    out = Written()
    names = _Names(cur)
    ready: list[_Ready] = []
    cells = Cells(parsers, OPTIONAL)
    for number, row in enumerate(sheet.rows, start=2):
        tally(number)
        if not any(row.values()):
            continue
        values = cells.values(number, row, columns, out.problems)
        if values is None:
            continue
        place, key = None, None
        try:
            place = names.check(row, values)
        except Refused as exc:
            out.problems.append((number, exc.column, exc.value, exc.reason))
        try:
            key = names.item(row, values)
        except Refused as exc:
            out.problems.append((number, exc.column, exc.value, exc.reason))
        if place is None or key is None:
            continue
        meeting, person, team = place
        first = seen.setdefault(("feedback", (meeting, person, key)), (sheet.name, number))
        if first != (sheet.name, number):
            where = f"row {first[1]}" + ("" if first[0] == sheet.name else f" of {first[0]}")
            out.problems.append((number, "item", row["item"], f"the same person's answer to the same item about the "
                                 f"same meeting as {where}; keep one row"))  # fmt: skip
            continue
        record = f"{team}, {values['date']:%d/%m/%Y}, {values['participant']}, {key}"
        ready.append(
            _Ready(number, meeting, person, key, values["answer"], values.get("via"), record, row["participant"])
        )
    if out.problems or not ready:
        return out
    new, changed = _matched(cur, ready, out)
    if (new or changed) and not out.problems:
        _write(cur, new, changed, who)
    return out


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


class _Names(PresentAt):
    """What a row's values name in the study (PresentAt: its meeting and a service user or carer
    present at it) and its item's key, or Refused with the row's first problem with them."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        super().__init__(cur, "only a held meeting is answered about", "only those present answer about it; ", True)
        asked = questionnaire._items(cur)  # the default items while the study has saved none
        self.asked = {i.key: i.wording for i in asked}
        self.by_words = {**{_folded(i.wording): i.key for i in asked}, **{i.key: i.key for i in asked}}
        held = cur.execute("select item_key, wording from feedback_items").fetchall()
        self.retired = {str(k) for k, _ in held} - set(self.asked)
        self.earlier = {_folded(str(w)): str(k) for k, w in held if k in self.asked and w != self.asked[k]}

    def item(self, row: dict[str, str], values: dict[str, Any]) -> str:
        """The key of the item a row answers: named by its key (spaces or hyphens for its "_") or
        by its wording as asked now, in any case."""
        wanted = _folded(values["item"])
        key = self.by_words.get(wanted) or self.by_words.get("_".join(wanted.replace("-", " ").split()))
        if key is not None:
            return key
        asked = ", ".join(self.asked)
        if wanted in self.earlier:
            key = self.earlier[wanted]
            raise Refused("item", row["item"], f"an earlier wording of {key}, asked now as “{self.asked[key]}”: "
                          f"write {key}, or the wording as asked now")  # fmt: skip
        if "_".join(wanted.replace("-", " ").split()) in self.retired:
            raise Refused("item", row["item"], f"the questionnaire no longer asks this item; use one of: {asked}")
        raise Refused("item", row["item"], f"not an item the questionnaire asks; use one of: {asked} (by its key, "
                      "or its wording as asked now)")  # fmt: skip


_Changed = tuple[_Ready, str, int, int | None]
"""A row that changes an answer held: the row, the via it is written with, the answer's id and its
answer before."""


def _matched(
    cur: duckdb.DuckDBPyConnection, ready: list[_Ready], out: Written
) -> tuple[list[tuple[_Ready, str]], list[_Changed]]:
    """The rows that add an answer (each with the via it is written with) and those that change one
    held to the same version of the item, the others counted as unchanged. A row that would add or
    change an answer of someone who answered about that meeting on their own phone is a problem
    (observation.feedback: their answers stay theirs)."""
    asked = {i.key: i.item_id for i in questionnaire._items(cur)}  # no ids, and no answers, before it is saved
    held, by_phone = _held(cur, sorted({r.meeting_id for r in ready}))
    new: list[tuple[_Ready, str]] = []
    changed: list[_Changed] = []
    for r in ready:
        found = held.get((r.meeting_id, r.participant_id, asked[r.item_key] or 0))
        if found is not None and (found[1], found[2]) == (r.answer, r.via or found[2]):
            continue  # unchanged (a file the study was loaded from, again); a researcher may export them all anyway
        if (r.meeting_id, r.participant_id) in by_phone:
            out.problems.append((r.row, "participant", r.participant, "answered about that meeting on their own "
                                 "phone: their answers stay theirs, never typed over"))  # fmt: skip
        elif found is None:
            new.append((r, r.via or "paper"))
        else:
            via = r.via or found[2]
            changed.append((r, via, found[0], found[1]))
            # an answer's values are never listed against a person's code: only that it changed
            said = ("the answer recorded", "the file's") if found[1] != r.answer else (None, None)
            for column, was, now in (("answer", *said), ("via", found[2], via)):
                if was != now and len(out.changes) < SHOWN_CHANGES:
                    out.changes.append((r.record, column, was, now))
    out.counts.update({"created": len(new), "changed": len(changed), "skipped": len(ready) - len(new) - len(changed)})
    return new, changed


def _held(
    cur: duckdb.DuckDBPyConnection, meetings: list[int]
) -> tuple[dict[tuple[int, int, int], tuple[int, int | None, str]], set[tuple[int, int]]]:
    """The answers the study holds about ``meetings``, by meeting, person and item version: (id,
    answer, via) each; and the people who answered about one of them on their own phone, with the
    meeting."""
    cur.register("_meetings", pd.DataFrame({"meeting_id": pd.array(meetings, dtype="Int64")}))
    try:
        rows = cur.execute(
            "select meeting_id, participant_id, item_id, id, answer, via from feedback_responses "
            "where meeting_id in (select meeting_id from _meetings)"
        ).fetchall()
    finally:
        with contextlib.suppress(duckdb.Error):
            cur.unregister("_meetings")
    held = {(int(m), int(p), int(i)): (int(n), None if a is None else int(a), str(via)) for m, p, i, n, a, via in rows}
    return held, {(int(m), int(p)) for m, p, _, _, _, via in rows if via == "phone"}


def _write(cur: duckdb.DuckDBPyConnection, new: list[tuple[_Ready, str]], changed: list[_Changed], who: str) -> None:
    """Add the new answers against the items as they are asked now (the default items saved first
    while the study has none), change the answers held, and audit each person's answers about a
    meeting together, as observation.feedback audits them."""
    current = {i.key: i.item_id for i in questionnaire._saved_items(cur, who)}
    # which items were answered and how, never the answers: an audit entry names its person
    before: dict[tuple[int, int, str], dict[str, list[str]]] = {}
    after: dict[tuple[int, int, str], dict[str, Any]] = {}
    for r, via, *_ in changed:
        before.setdefault((r.meeting_id, r.participant_id, via), {"items": []})["items"].append(r.item_key)
    for r, via in [*((r, via) for r, via, *_ in changed), *new]:
        after.setdefault((r.meeting_id, r.participant_id, via), {"via": via, "items": []})["items"].append(r.item_key)
    for values in (*before.values(), *after.values()):
        values["items"].sort()
    frames = {
        "_new_answers": pd.DataFrame(
            {
                "meeting_id": [r.meeting_id for r, _ in new],
                "participant_id": [r.participant_id for r, _ in new],
                "item_id": pd.array([current[r.item_key] for r, _ in new], dtype="Int64"),
                "answer": pd.array([r.answer for r, _ in new], dtype="Int64"),
                "via": pd.Series([via for _, via in new], dtype="string"),
            }
        ),
        "_changed_answers": pd.DataFrame(
            {
                "id": pd.array([i for _, _, i, _ in changed], dtype="Int64"),
                "answer": pd.array([r.answer for r, *_ in changed], dtype="Int64"),
                "via": pd.Series([via for _, via, *_ in changed], dtype="string"),
            }
        ),
        "_new_audit": pd.DataFrame(
            {
                "actor": who,
                "action": ["change" if key in before else "create" for key in after],
                "table_name": "feedback_responses",
                "row_key": [f"meeting_id={m}, participant_id={p}" for m, p, _ in after],
                "before": [json.dumps(before[key], sort_keys=True) if key in before else None for key in after],
                "after": [json.dumps(values, sort_keys=True) for values in after.values()],
            }
        ),
    }
    for name, frame in frames.items():
        cur.register(name, frame)
    try:
        if changed:  # an imported answer has no recorded_at: the file cannot say when it was given
            cur.execute(
                "update feedback_responses as f set answer = c.answer, via = c.via, recorded_at = null "
                "from _changed_answers as c where f.id = c.id"
            )
        if new:
            cur.execute(
                "insert into feedback_responses (meeting_id, participant_id, item_id, answer, via) "
                "select meeting_id, participant_id, item_id, answer, via from _new_answers"
            )
        cur.execute(
            "insert into audit (actor, action, table_name, row_key, before, after) "
            "select actor, action, table_name, row_key, before, after from _new_audit"
        )
        questionnaire._close_links(cur, sorted({(m, p) for m, p, _ in after}))
    finally:
        with contextlib.suppress(duckdb.Error):  # after a failed statement: its rollback removes them anyway
            for name in frames:
                cur.unregister(name)


__all__ = ["COLUMNS", "OPTIONAL", "PREFER_NOT", "VIA", "answer", "feedback"]
