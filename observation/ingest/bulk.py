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
    blank = functools.reduce(pc.and_, [pc.equal(c, "") for c in sheet.table.columns])
    incoming = sheet.table.select(columns).append_column("blank", blank)
    incoming = incoming.append_column("row", pa.array(np.arange(2, sheet.table.num_rows + 2, dtype=np.int64)))
    out = Written()
    cur.register("_incoming", incoming)
    try:
        for column in columns:
            _parse_distinct(cur, column, parsers[column], required=column != "participation")
        # A row's problems in the order a row-by-row import gave them: its values column by column,
        # then what they name.
        out.problems += cur.execute(
            "select row, column_name, value, reason from ("
            + " union all ".join(
                f"select i.row, {COLUMNS.index(c)} as step, '{c}' as column_name, i.{c} as value, p.reason "
                f"from _incoming as i join _parsed_{c} as p on p.raw = i.{c} where not i.blank and p.reason is not null"
                for c in columns
            )
            + ") order by row, step"
        ).fetchall()
        _resolve(cur, columns)
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
        # After a failed statement the transaction is aborted and these would fail too, hiding the
        # real error; its rollback removes the temporary tables anyway.
        with contextlib.suppress(duckdb.Error):
            cur.unregister("_incoming")
            for name in (*(f"_parsed_{c}" for c in columns), "_resolved"):
                cur.execute(f"drop table if exists {name}")


# What each parsed value names in the study (looked up once per distinct value, not per row).
_LOOKUPS = {
    # the team of exactly that name, else the one whose name differs only in case (Study setup can
    # hold both "Alpha" and "alpha"; one id per name, or a join would count the row twice)
    "team": "left join (select p2.value, coalesce(any_value(e.id), min(c.id)) as id from _parsed as p2 "
    "left join teams as e on e.name = p2.value left join teams as c on lower(c.name) = lower(p2.value) "
    "group by p2.value) as x on x.value = p.value",
    "participant": "left join participants as x on x.code = p.value",
}


def _parse_distinct(cur: duckdb.DuckDBPyConnection, column: str, parse: Callable[[str], Any], required: bool) -> None:
    """``_parsed_COLUMN(raw, value, reason, id)``: each distinct cell read once by the kind's parser,
    with the id of the team or person it names."""
    raws, values, reasons = [], [], []
    for (raw,) in cur.execute(f"select distinct {column} from _incoming where not blank").fetchall():
        value, reason = None, None
        if raw or required:  # a blank optional cell is "not recorded", not a problem
            try:
                value = parse(raw)
            except ValueError as exc:
                reason = str(exc)
        raws.append(raw)
        values.append(value)
        reasons.append(reason)
    kind = pa.date32() if column == "date" else pa.string()
    parsed = pa.table({"raw": pa.array(raws, pa.string()), "value": pa.array(values, kind),
                       "reason": pa.array(reasons, pa.string())})  # fmt: skip
    cur.register("_parsed", parsed)
    lookup = _LOOKUPS.get(column)
    cur.execute(
        f"create temp table _parsed_{column} as select p.*, {'x.id' if lookup else 'null::integer'} as id "
        f"from _parsed as p {lookup or ''}"
    )
    cur.unregister("_parsed")


def _resolve(cur: duckdb.DuckDBPyConnection, columns: list[str]) -> None:
    """``_resolved``: the rows whose every value was read, with their team, person and meeting ids,
    what each would write (``participation``: the file's level for a person present, or without
    that column the level already recorded) and what the study holds now (``old_*``, ``created``)."""
    has_level = "participation" in columns
    given = "l.value" if has_level else "null::varchar"
    level_join = "join _parsed_participation as l on l.raw = i.participation" if has_level else ""
    cur.execute(
        f"""
        create temp table _resolved as
        select i.row, t.value as team, c.value as code, d.value as day, s.value as status, {given} as given_level,
               case when s.value = 'present' then {given if has_level else "a.participation"} end as participation,
               t.id as team_id, c.id as participant_id, m.id as meeting_id,
               a.status as old_status, a.participation as old_participation, a.meeting_id is null as created
        from _incoming as i
        join _parsed_team as t on t.raw = i.team
        join _parsed_date as d on d.raw = i.date
        join _parsed_participant as c on c.raw = i.participant
        join _parsed_status as s on s.raw = i.status
        {level_join}
        left join meetings as m on m.team_id = t.id and m.meeting_date = d.value
        left join attendance as a on a.meeting_id = m.id and a.participant_id = c.id
        where not i.blank and t.reason is null and d.reason is null and c.reason is null and s.reason is null
        """
        + (" and l.reason is null" if has_level else "")
    )


_REFERENCE_PROBLEMS = """
select row, 10 as step, 'team' as column_name, team as value, 'no such team in the study or in this import' as reason
from _resolved where team_id is null
union all
select row, 11, 'participant', code, 'no such participant in the study or in this import'
from _resolved where participant_id is null
union all
select row, 12, 'date', strftime(day, '%Y-%m-%d'), 'no meeting of that team on that date'
from _resolved where team_id is not null and participant_id is not null and meeting_id is null
union all
select row, 13, 'participation', given_level, 'a level is recorded only for people present'
from _resolved where meeting_id is not null and participant_id is not null and given_level is not null
    and status <> 'present'
union all
select r.row, 14, 'participant', r.code,
       'this person is already on row ' || twice.first_row || ' for this meeting; keep one row'
from _resolved as r join (
    select meeting_id, participant_id, min(row) as first_row from _resolved
    where meeting_id is not null and participant_id is not null group by all having count(*) > 1
) as twice using (meeting_id, participant_id)
where r.row <> twice.first_row
union all
select r.row, 15, 'participant', r.code,
       'the same person at the same meeting as row ' || e.row || ' of ' || e.file || '; keep one row'
from _resolved as r join _imported_attendance as e using (meeting_id, participant_id)
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
    created, changed, total = cur.execute(
        f"select count(*) filter (created), count(*) filter ({_changed()}), count(*) from _resolved"
    ).fetchone() or (0, 0, 0)
    skipped = total - created - changed
    out.counts.update({k: n for k, n in (("created", created), ("changed", changed), ("skipped", skipped)) if n})
    cur.execute(
        "insert into attendance (meeting_id, participant_id, status, participation) "
        "select meeting_id, participant_id, status, participation from _resolved where created order by row"
    )
    cur.execute(
        "update attendance as a set status = c.status, participation = c.participation from _resolved as c "
        f"where a.meeting_id = c.meeting_id and a.participant_id = c.participant_id and {_changed('c.')}"
    )
    # Each changed row is audited with its values before and after, as a row-by-row import does
    # (a level is named when the file has the column, or when the status clears it). The rows it
    # creates are audited as one entry: the file, how many, and every row's key. Their values are
    # the rows themselves until something changes them, and each change is audited with what it
    # replaced; an entry per created row would cost as much as writing the row.
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
    if created:
        cur.execute(
            """
            insert into audit (actor, action, table_name, row_key, after)
            select ?, 'create', 'attendance', 'every row created from ' || ?,
                   json_object('file', ?, 'rows', ?, 'participant_ids by meeting_id',
                               to_json(map(list(meeting_id order by meeting_id), list(people order by meeting_id))))
            from (select meeting_id, list(participant_id order by participant_id) as people
                  from _resolved where created group by meeting_id)
            """,
            [who, file, file, created],
        )
    out.changes = cur.execute(
        f"select team, day, code, old_status, status, old_participation, participation from _resolved "
        f"where {_changed()} order by row limit {SHOWN_CHANGES}"
    ).fetchall()
    out.touched = [
        m
        for (m,) in cur.execute(f"select distinct meeting_id from _resolved where created or ({_changed()})").fetchall()
    ]


__all__ = ["Written", "attendance"]
