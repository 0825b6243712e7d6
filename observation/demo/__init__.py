"""A synthetic demo study, deterministic for a given (seed, teams, months).

The default follows docs/MEASURES.md's setting: three teams (two community brain-injury, one mental-health
inpatient) meeting fortnightly from July 2019 to February 2020, with the patterns the study
reported. Larger ``teams``/``months`` give benchmark-scale studies with the same shape.
Every row is invented; the study is flagged ``is_demo`` so every screen can say so.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from observation import db, integrity, queries
from observation.demo.generator import generate
from observation.demo.spec import DemoSpec
from observation.errors import ObservationError

__all__ = ["DemoSpec", "build_demo", "generate", "insert_table", "write_tables"]


def build_demo(path: db.Location, spec: DemoSpec | None = None, *, replace: bool = False) -> None:
    """Write the demo study to ``path``, all at once: a failure leaves any existing file as it was.

    ``replace`` overwrites an existing file only if it is a demo study that no program has open;
    a real study is never replaced. A PostgreSQL location is filled in one transaction, and only
    when it holds no study yet.
    """
    if db.is_postgres(path):
        if replace:
            raise ObservationError(
                f"{db.shown(path)}: --replace replaces a demo file; a PostgreSQL study is not replaced"
            )
        con = db.connect(path)
        try:
            write_tables(con, generate(spec or DemoSpec()))
        finally:
            con.close()
        return
    path = Path(path)
    try:
        if path.exists():
            if not replace:
                raise ObservationError(f"{path} already exists: choose another path, or pass --replace to overwrite it")
            _check_replaceable(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ObservationError(f"{path}: cannot write the demo study here ({exc.strerror or exc})") from None
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB must create the file itself
    try:
        tables = generate(spec or DemoSpec())
        con = db.connect(tmp)
        try:
            write_tables(con, tables)
            con.execute("checkpoint")
        finally:
            con.close()
        # A write-ahead log left beside the old demo file would be replayed into the new one.
        Path(f"{path}.wal").unlink(missing_ok=True)
        os.replace(tmp, path)
    except OSError as exc:
        raise ObservationError(f"{path}: cannot write the demo study here ({exc.strerror or exc})") from None
    finally:
        for leftover in (tmp, Path(f"{tmp}.wal")):
            leftover.unlink(missing_ok=True)


def _check_replaceable(path: Path) -> None:
    """Refuse to replace a file another program has open, or a study that is not the demo."""
    con = db.connect(path, read_only=True)  # raises if the file is busy or not a study
    try:
        info = queries.study_info(con)
    finally:
        con.close()
    if info is not None and not info.study.is_demo:
        raise ObservationError(
            f"{path} holds a real study ({info.study.name!r}), not the synthetic demo: "
            "--replace only replaces the demo. Choose another path."
        )


def write_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame]) -> None:
    """Insert generated tables into a new, empty study in one transaction (refused for any other)."""
    with db.transaction(con) as cur:
        db.require_empty(cur, "the demo, or a full export,")
        for table in db.STUDY_TABLES:
            insert_table(cur, table, tables.get(table, pd.DataFrame()))  # a table it does not generate: none
        integrity.require_intact(cur)
        db.sync_sequences(cur)


def insert_table(cur: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Insert one table's rows as they are, inside the caller's transaction (the demo's, or a full
    export loaded back): a codebook level by level, roots first, so that a cycle (possible in a
    hand-edited export) is refused by name. ``table`` is one of STUDY_TABLES or memos."""
    if frame.empty:
        return
    for part in parents_first(frame) if table == "codes" else [frame]:
        cur.register("incoming", part)
        cur.execute(f"insert into {table} by name select * from incoming")  # noqa: S608 - a fixed table name
        cur.unregister("incoming")


def parents_first(codes: pd.DataFrame) -> list[pd.DataFrame]:
    """A codebook in levels, roots first, so that each level's parents are in before it."""
    levels: list[pd.DataFrame] = []
    placed: set[int] = set()
    remaining = codes
    while not remaining.empty:
        ready = remaining["parent_id"].isna() | remaining["parent_id"].isin(placed)
        if not ready.any():
            raise ObservationError("the codebook has a cycle or a parent that does not exist")
        levels.append(remaining[ready])
        placed.update(remaining.loc[ready, "id"])
        remaining = remaining[~ready]
    return levels
