"""Long-format attendance written in one pass, for files of any size.

The same checks and the same messages as a row-by-row import: each distinct value is read once by
the kind's own parser (the same ``ValueError`` reasons); teams, people and meetings are matched in
DuckDB by joins; rows are created and changed by set-based statements. Each changed row is audited
with its old and new values, the created ones in one entry that names every row. One difference,
on purpose: the same person twice at the same meeting is a problem to fix in the file, not a
silent "last row wins".
"""

# ruff: noqa: S608 - every name put into SQL here comes from this module (COLUMNS), never from a file
from __future__ import annotations

import contextlib
import functools
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset  # DuckDB loads it on the first Arrow table registered: here, not midway through an import

from observation.ingest.read import Sheet

COLUMNS = ("team", "date", "participant", "status", "participation")
SHOWN_CHANGES = 1_000
"""The most changed rows an import's outcome lists."""


@dataclass
class Written:
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)
    """(row, column, value, reason), as a row-by-row import would report them."""
    counts: Counter[str] = field(default_factory=Counter)
    touched: list[int] = field(default_factory=list)
    """Meetings whose attendance was created or changed."""
    changes: list[tuple[Any, ...]] = field(default_factory=list)
    """The first rows changed, in file order: team, date, participant, status before and after,
    level before and after."""


def attendance(
    cur: duckdb.DuckDBPyConnection, sheet: Sheet, parsers: Mapping[str, Callable[[str], Any]], who: str
) -> Written:
    """Check and write ``sheet``'s attendance rows with ``cur`` (inside the import's transaction).
    Writes nothing when any row has a problem."""
    assert set(parsers) == set(COLUMNS), "the attendance kind and this writer must name the same columns"
    columns = [c for c in COLUMNS if c in sheet.columns]
    table = sheet.table
    rows = np.arange(2, table.num_rows + 2, dtype=np.int64)
    filled = pc.invert(functools.reduce(pc.and_, [pc.equal(c, "") for c in table.columns]))
    out = Written()
    ready: dict[str, pa.Array] = {"row": pa.array(rows)}
    wrong = np.zeros(table.num_rows, dtype=bool)
    problems: list[tuple[int, int, str, str, str]] = []
    for step, column in enumerate(columns):
        cells = pc.dictionary_encode(table.column(column).combine_chunks())
        values, reasons, ids = _read_distinct(cur, column, cells.dictionary, parsers[column])
        reason = reasons.take(cells.indices)
        bad = np.flatnonzero(pc.and_(reason.is_valid(), filled).to_numpy(zero_copy_only=False))
        if len(bad):
            wrong[bad] = True
            at = pa.array(bad)
            said = zip(cells.take(at).cast(pa.string()).to_pylist(), reason.take(at).to_pylist(), strict=True)
            problems += [(int(rows[i]), step, column, raw, why) for i, (raw, why) in zip(bad, said, strict=True)]
        # text as a dictionary over the distinct values (DuckDB reads it as such), not copied row by row
        ready[column] = (
            values.take(cells.indices) if column == "date" else pa.DictionaryArray.from_arrays(cells.indices, values)
        )
        if ids is not None:
            ready[f"{column}_id"] = ids.take(cells.indices)
    # A row's problems in the order a row-by-row import gave them: its values column by column,
    # then what they name.
    out.problems += [(row, column, value, reason) for row, _, column, value, reason in sorted(problems)]
    keep = pc.and_(filled, pa.array(~wrong))
    cur.register("_ready", pa.table(ready).filter(keep))
    try:
        _resolve(cur, "participation" in columns)
        out.problems += cur.execute(
            f"select row, column_name, value, reason from ({_REFERENCE_PROBLEMS}) order by row, step"
        ).fetchall()
        if out.problems:
            return out
        cur.execute(
            "insert into _imported_attendance select meeting_id, participant_id, participation, ?, row from _resolved",
            [sheet.name],
        )
        _write(cur, sheet.name, "participation" in columns, who, out)
        return out
    finally:
        # After a failed statement the transaction is aborted and this would fail too, hiding the
        # real error; its rollback removes the temporary table anyway.
        with contextlib.suppress(duckdb.Error):
            cur.unregister("_ready")
            cur.execute("drop table if exists _resolved")


# What each parsed value names in the study (looked up once per distinct value, not per row).
_LOOKUPS = {
    # the team of exactly that name, else the one whose name differs only in case (Study setup can
    # hold both "Alpha" and "alpha"; one id per name, or a join would count the row twice)
    "team": "left join (select p2.value, coalesce(any_value(e.id), min(c.id)) as id from _parsed as p2 "
    "left join teams as e on e.name = p2.value left join teams as c on lower(c.name) = lower(p2.value) "
    "group by p2.value) as x on x.value = p.value",
    "participant": "left join participants as x on x.code = p.value",
}


def _read_distinct(
    cur: duckdb.DuckDBPyConnection, column: str, raws: pa.Array, parse: Callable[[str], Any]
) -> tuple[pa.Array, pa.Array, pa.Array | None]:
    """Each distinct cell of ``column`` (``raws``) read once by the kind's parser: the values, the
    reasons a value cannot be read (null where it can), and for a team or person the id of the one
    it names (null for none), each in the order of ``raws``."""
    values, reasons = [], []
    for raw in raws.to_pylist():
        value, reason = None, None
        if raw or column != "participation":  # a blank optional cell is "not recorded", not a problem
            try:
                value = parse(raw)
            except ValueError as exc:
                reason = str(exc)
        values.append(value)
        reasons.append(reason)
    parsed = pa.array(values, pa.date32() if column == "date" else pa.string())
    lookup = _LOOKUPS.get(column)
    if lookup is None:
        return parsed, pa.array(reasons, pa.string()), None
    cur.register("_parsed", pa.table({"i": pa.array(range(len(values)), pa.int64()), "value": parsed}))
    try:
        ids = cur.execute(f"select x.id::integer from _parsed as p {lookup} order by p.i").to_arrow_table()
    finally:
        cur.unregister("_parsed")
    return parsed, pa.array(reasons, pa.string()), ids.column(0).combine_chunks()


def _resolve(cur: duckdb.DuckDBPyConnection, has_level: bool) -> None:
    """``_resolved``: the rows whose every value was read (``_ready``), with their meeting's id,
    what each would write (``participation``: the file's level for a person present, or without
    that column the level already recorded) and what the study holds now (``old_*``, ``created``)."""
    given = "r.participation" if has_level else "null::varchar"
    # The attendance of these teams' meetings alone: a range of meeting ids DuckDB takes down to the
    # scan of the attendance table (a join on its own reads the whole table).
    between = cur.execute(
        "select coalesce(min(id), 0), coalesce(max(id), -1) from meetings "
        "where team_id between (select min(team_id) from _ready) and (select max(team_id) from _ready)"
    ).fetchone()
    cur.execute(
        f"""
        create temp table _resolved as
        select r.row, r.team_id, r.participant_id, m.id as meeting_id, r.status, {given} as given_level,
               case when r.status = 'present' then {given if has_level else "a.participation"} end as participation,
               a.status as old_status, a.participation as old_participation, a.meeting_id is null as created
        from _ready as r
        left join meetings as m on m.team_id = r.team_id and m.meeting_date = r.date
        left join (from attendance where meeting_id between ? and ?) as a
            on a.meeting_id = m.id and a.participant_id = r.participant_id
        """,
        between,
    )


_REFERENCE_PROBLEMS = """
select row, 10 as step, 'team' as column_name, t.team as value, 'no such team in the study or in this import' as reason
from _resolved join _ready as t using (row) where _resolved.team_id is null
union all
select row, 11, 'participant', t.participant, 'no such participant in the study or in this import'
from _resolved join _ready as t using (row) where _resolved.participant_id is null
union all
select row, 12, 'date', strftime(t.date, '%Y-%m-%d'), 'no meeting of that team on that date'
from _resolved join _ready as t using (row)
where _resolved.team_id is not null and _resolved.participant_id is not null and meeting_id is null
union all
select row, 13, 'participation', given_level, 'a level is recorded only for people present'
from _resolved where meeting_id is not null and participant_id is not null and given_level is not null
    and status <> 'present'
union all
select row, 14, 'participant', t.participant,
       'this person is already on row ' || twice.first_row || ' for this meeting; keep one row'
from _resolved as r join (
    select meeting_id, participant_id, min(row) as first_row from _resolved
    where meeting_id is not null and participant_id is not null group by all having count(*) > 1
) as twice using (meeting_id, participant_id) join _ready as t using (row)
where row <> twice.first_row
union all
select r.row, 15, 'participant', t.participant,
       'the same person at the same meeting as row ' || e.row || ' of ' || e.file || '; keep one row'
from _resolved as r join _imported_attendance as e using (meeting_id, participant_id) join _ready as t on t.row = r.row
"""
IMPORTED = (
    "create or replace temp table _imported_attendance (meeting_id integer, participant_id integer, "
    "participation varchar, file varchar, row bigint)"
)
"""The attendance rows this import has read so far, as it writes them, by file and row: the same
person at the same meeting in two files is a problem, as it is in one; and the references the
import checks are those of these rows (integrity.dangling's ``written``)."""


def _changed(alias: str = "") -> str:
    a = alias
    return f"not {a}created and ({a}status, {a}participation) is distinct from ({a}old_status, {a}old_participation)"


def _as_json(prefix: str, with_level: str) -> str:
    """The JSON ``json.dumps(values, sort_keys=True)`` writes, as a SQL expression."""
    level = f"'\"participation\": ' || coalesce(to_json({prefix}participation)::varchar, 'null') || ', '"
    return f"'{{' || case when {with_level} then {level} else '' end || '\"status\": ' || to_json({prefix}status)::varchar || '}}'"  # noqa: E501


def _write(cur: duckdb.DuckDBPyConnection, file: str, has_level: bool, who: str, out: Written) -> None:
    created, changed, total, touched = cur.execute(
        f"select count(*) filter (created), count(*) filter ({_changed()}), count(*), "
        f"coalesce(list(distinct meeting_id) filter (created or ({_changed()})), []) from _resolved"
    ).fetchone() or (0, 0, 0, [])
    skipped = total - created - changed
    out.counts.update({k: n for k, n in (("created", created), ("changed", changed), ("skipped", skipped)) if n})
    out.touched = touched
    if created:
        cur.execute(
            "insert into attendance (meeting_id, participant_id, status, participation) "
            "select meeting_id, participant_id, status, participation from _resolved where created "
            "order by meeting_id, participant_id"  # in key order: twice as quick as file order at a million rows
        )
    if changed:
        cur.execute(
            "update attendance as a set status = c.status, participation = c.participation from _resolved as c "
            f"where a.meeting_id = c.meeting_id and a.participant_id = c.participant_id and {_changed('c.')}"
        )
        # Each changed row is audited with its values before and after, as a row-by-row import does
        # (a level is named when the file has the column, or when the status clears it).
        with_level = "true" if has_level else "status <> 'present'"
        cur.execute(
            f"""
            insert into audit (actor, action, table_name, row_key, before, after)
            select ?, 'change', 'attendance', 'meeting_id=' || meeting_id || ', participant_id=' || participant_id,
                   {_as_json("old_", with_level)}, {_as_json("", with_level)}
            from _resolved where {_changed()} order by row
            """,
            [who],
        )
        out.changes = cur.execute(
            "select t.team, t.date, t.participant, c.old_status, c.status, c.old_participation, c.participation "
            f"from (from _resolved where {_changed()} order by row limit {SHOWN_CHANGES}) as c "
            "join _ready as t using (row) order by row"
        ).fetchall()
    if created:
        # The rows it creates are audited as one entry: the file, how many, and every row's key.
        # Their values are the rows themselves until something changes them, and each change is
        # audited with what it replaced; an entry per created row would cost as much as writing the row.
        cur.execute(
            """
            insert into audit (actor, action, table_name, row_key, after)
            select ?, 'create', 'attendance', 'every row created from ' || ?,
                   '{"file": ' || to_json(?::varchar) || ', "participant_ids by meeting_id": {'
                   || string_agg('"' || meeting_id || '": ' || people::varchar, ', ' order by meeting_id)
                   || '}, "rows": ' || ? || '}'
            from (select meeting_id, list(participant_id order by participant_id) as people
                  from _resolved where created group by meeting_id)
            """,  # the JSON json.dumps(..., sort_keys=True) writes, put together as text: a third of the time
            [who, file, file, created],
        )


__all__ = ["Written", "attendance"]
