"""Moving a study between a DuckDB file and PostgreSQL (either way, or file to file):
``python -m observation migrate --from SOURCE --to TARGET``.

Every table is copied in one transaction of the target, then compared with the source row for
row (EXCEPT ALL both ways) before that transaction commits: a copy that differs in any row
leaves the target as it was. The source is only read.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from observation import access, audit, db, integrity
from observation.errors import ObservationError


@access.requires("researcher")
def copy_study(source: db.Location, target: db.Location) -> dict[str, int]:
    """Copy the study at ``source`` into ``target``: a new study file, or an empty PostgreSQL
    database. Returns the rows copied per table. The copy is audited in the target."""
    if db.shown(source) == db.shown(target):
        raise ObservationError("the source and the target are the same study")
    if not db.is_postgres(target) and Path(target).exists():
        raise ObservationError(f"{target} already exists: choose a new file for the copy")
    staging = target if db.is_postgres(target) else Path(target).with_name(f".{Path(target).name}.copying.tmp")
    if staging != target:
        Path(staging).unlink(missing_ok=True)  # left by a copy that was killed
    src = db.connect(source, read_only=True)
    try:
        _refuse_an_empty_source(src, source)
        with db.private_files():  # a copy killed midway, and the study copied, are readable by you alone
            dst = db.connect(staging)
            try:
                copied = _copy(src, dst, source)
            finally:
                dst.close()
        if staging != target:
            os.replace(staging, target)
    finally:
        src.close()
        if staging != target:
            for leftover in (Path(staging), Path(f"{staging}.wal")):
                leftover.unlink(missing_ok=True)
    return copied


def _refuse_an_empty_source(src: duckdb.DuckDBPyConnection, source: db.Location) -> None:
    with db.cursor(src) as cur:
        if cur.execute("select count(*) from study").fetchone() != (1,):
            raise ObservationError(f"{db.shown(source)} holds no study: there is nothing to copy")


@access.requires("researcher")
def _copy(src: duckdb.DuckDBPyConnection, dst: duckdb.DuckDBPyConnection, source: db.Location) -> dict[str, int]:
    copied: dict[str, int] = {}
    with db.cursor(src) as read, db.transaction(dst) as cur:
        read.execute("begin transaction")  # every table from one snapshot, while servers go on writing
        db.require_empty(cur, "a copied study", (*db.STUDY_TABLES, *db.RECORD_TABLES))
        for table in db.ALL_TABLES:
            rows = read.execute(f"select * from {table}").to_arrow_table()  # noqa: S608 - a name from db.ALL_TABLES
            if table in db.VOCABULARIES:
                cur.execute(f"delete from {table}")  # noqa: S608 - the target's own copy, replaced by the source's
            cur.register("incoming", rows)
            try:
                cur.execute(f"insert into {table} by name select * from incoming")  # noqa: S608
                (differ,) = cur.execute(  # type: ignore[misc]
                    f"select count(*) from ((from incoming except all from {table}) "  # noqa: S608
                    f"union all (from {table} except all from incoming))"
                ).fetchone()
            finally:
                cur.unregister("incoming")
            if differ:
                raise ObservationError(f"table {table} did not copy exactly ({differ} rows differ); nothing was copied")
            copied[table] = rows.num_rows
        integrity.require_intact(cur)
        db.sync_sequences(cur, (*db.ID_TABLES, "audit"))  # the copy's audit row follows the copied ones
        audit.record(cur, "import", row_key=db.shown(source), after={"copied_from": db.shown(source), "rows": copied})
    return copied
