"""Getting data out: exports for R, Excel and NVivo at three levels of disclosure, and backups.

- **full**: every study table as it is.
- **deidentified**: free text dropped (notes, transcripts, annotation labels), participant and
  observer codes replaced by fresh ones, and every date shifted by one offset per study (so every
  interval is kept). The offset and the new codes stay the same from one export to the next.
- **aggregate**: no row about a person: teams, and meetings with the counts every measure uses.

Every export and restore is written to the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from observation import access, audit, db
from observation.errors import ObservationError
from observation.filters import StudyFilter

Level = Literal["full", "deidentified", "aggregate"]
Format = Literal["csv", "xlsx", "parquet"]
LEVELS: tuple[Level, ...] = ("full", "deidentified", "aggregate")
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "parquet")

DATE_COLUMNS = {
    "teams": ["start_date"],
    "meetings": ["meeting_date"],
    "field_notes": ["written_at"],
    "interviews": ["interview_date"],
    "recruitment_events": ["event_date"],
    "annotations": ["event_date"],
    "study": ["created_at"],
}


def tables(con: duckdb.DuckDBPyConnection, level: Level, flt: StudyFilter | None = None) -> dict[str, pd.DataFrame]:
    """The tables an export at ``level`` holds, as DataFrames."""
    with db.cursor(con) as cur:
        if level == "aggregate":
            return _aggregate(cur, flt or StudyFilter())
        frames = {t: cur.execute(f"select * from {t} order by all").fetchdf() for t in db.STUDY_TABLES}  # noqa: S608
        if level == "full":
            return frames
        return _deidentify(cur, frames)


def _aggregate(cur: duckdb.DuckDBPyConnection, flt: StudyFilter) -> dict[str, pd.DataFrame]:
    meetings = cur.execute(
        """
        select
            team_name as team, meeting_date, status, present_total, present_service_users, present_carers,
            present_lived_experience > 0 as lived_experience_present,
            if(attendance_recorded, present_lived_experience / present_total, null) as representation
        from filtered_meetings($teams::integer[], $setting, $start::date, $end::date)
        order by team, meeting_date
        """,
        flt.sql_params(),
    ).fetchdf()
    teams = cur.execute(
        "select name as team, service, setting from teams where list_contains(?::varchar[], name) order by name",
        [sorted(set(meetings["team"]))],
    ).fetchdf()
    return {"teams": teams, "meetings": meetings}


def _deidentify(cur: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    offset_days, salt = _study_key(cur)
    offset = pd.Timedelta(days=offset_days)

    def fresh(prefix: str, code: object) -> object:
        """The same new code for the same old one in every export, whatever else the study holds."""
        if code is None or (isinstance(code, float) and pd.isna(code)):
            return code
        return prefix + hmac.new(salt.encode(), f"{prefix}:{code}".encode(), hashlib.sha256).hexdigest()[:10].upper()

    out = {t: f.copy() for t, f in frames.items()}
    out["participants"]["code"] = out["participants"]["code"].map(lambda c: fresh("P", c))
    out["field_notes"]["author"] = out["field_notes"]["author"].map(lambda c: fresh("O", c))
    out["field_notes"] = out["field_notes"].drop(columns=["body"])
    out["interviews"]["informant_code"] = out["interviews"]["informant_code"].map(lambda c: fresh("K", c))
    out["interviews"] = out["interviews"].drop(columns=["transcript"])
    out["coded_segments"]["coder"] = out["coded_segments"]["coder"].map(lambda c: fresh("C", c))
    out["annotations"] = out["annotations"].drop(columns=["label"])
    teams = out["teams"].sort_values("id")
    labels = {int(t): f"Team {_letters(i)}" for i, t in enumerate(teams["id"])}
    out["teams"] = teams.assign(name=teams["id"].map(labels)).drop(columns=["coach", "service"])
    out["study"] = out["study"].assign(name="De-identified study").drop(columns=["description"])
    for table, columns in DATE_COLUMNS.items():
        for column in columns:
            if column in out[table]:
                out[table][column] = pd.to_datetime(out[table][column]) + offset
    return out


def _letters(index: int) -> str:
    """A, B, ... Z, AA, AB, ...: team labels that say nothing about the team."""
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = chr(65 + rest) + label
    return label


@access.requires("researcher")
def _study_key(cur: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """The study's date offset and code salt for de-identified exports, made once and kept (made
    as a write like any other: one at a time, so two first exports agree on it)."""
    row = cur.execute("select date_offset_days, code_salt from deidentify").fetchone()
    if row is None:
        with db.transaction(cur) as write:
            offset = -secrets.randbelow(3 * 365) - 30
            write.execute(
                "insert into deidentify values (1, ?, ?) on conflict do nothing", [offset, secrets.token_hex(16)]
            )
        row = cur.execute("select date_offset_days, code_salt from deidentify").fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


@access.requires("researcher")
def export(
    con: duckdb.DuckDBPyConnection, level: Level, fmt: Format, out: Path, flt: StudyFilter | None = None
) -> list[str]:
    """Write the export to ``out`` (a folder for csv and parquet, a workbook for xlsx), whole or
    not at all, and audit it. Returns the tables written."""
    frames = tables(con, level, flt)
    out = Path(out)
    if out.exists():
        raise ObservationError(f"{out} already exists: choose a new name for the export")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        target = staging / out.name
        if fmt == "xlsx":
            with pd.ExcelWriter(target, engine="openpyxl") as book:
                for name, frame in frames.items():
                    _excel_ready(frame).to_excel(book, sheet_name=name[:31], index=False)
        else:
            target.mkdir()
            for name, frame in frames.items():
                if fmt == "csv":
                    frame.to_csv(target / f"{name}.csv", index=False)
                else:
                    frame.to_parquet(target / f"{name}.parquet", index=False)
        os.replace(target, out)
    except OSError as exc:
        raise ObservationError(f"{out}: the export could not be written ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    with db.transaction(con) as cur:
        audit.record(cur, "export", row_key=str(out), after={"level": level, "format": fmt, "tables": list(frames)})
    return list(frames)


def _excel_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel cannot hold lists or time zones: lists become text."""
    ready = frame.copy()
    for column in ready.columns:
        if ready[column].dtype == object:
            ready[column] = ready[column].map(lambda x: ILLEGAL_CHARACTERS_RE.sub("", x) if isinstance(x, str) else x)
        if ready[column].dtype == object and any(isinstance(x, list) for x in ready[column]):
            ready[column] = ready[column].map(lambda x: ", ".join(map(str, x)) if isinstance(x, list) else x)
    return ready


@access.requires("researcher")
def backup(path: db.Location, out: Path) -> None:
    """Copy the study at ``path`` to ``out`` as one consistent file (checkpointed first)."""
    path, out = db.require_file(path, "backup"), Path(out)
    if not path.exists():
        raise ObservationError(f"{path}: no study file here")
    if out.exists():
        raise ObservationError(f"{out} already exists: choose a new name for the backup")
    con = db.connect(path)
    try:
        con.execute("checkpoint")
        _copy_into_place(path, out)
    finally:
        con.close()


@access.requires("researcher")
def convert(path: db.Location, key: str | None, new_key: str | None) -> None:
    """Encrypt, decrypt or re-key the study at ``path`` (see db.convert): a researcher's act."""
    db.convert(db.require_file(path, "encryption"), key, new_key)


@access.requires("researcher")
def restore(backup_file: db.Location, path: db.Location) -> Path | None:
    """Replace the study at ``path`` with ``backup_file``, after checking that the backup holds a
    study and that no program has either file open. The study it replaces is kept beside it
    (returned); the restore is audited in the restored study."""
    backup_file, path = db.require_file(backup_file, "restore"), db.require_file(path, "restore")
    if not backup_file.exists():
        raise ObservationError(f"{backup_file}: no backup file here")
    check = db.connect(backup_file)  # busy or foreign files stop here; checkpointing folds in its WAL
    try:
        if check.execute("select count(*) from study").fetchone() != (1,):
            raise ObservationError(f"{backup_file}: holds no study, so it cannot be restored")
        check.execute("checkpoint")
    finally:
        check.close()
    kept = None
    if path.exists():
        con = db.connect(path)  # the study must not be open elsewhere; fold in its WAL before the copy
        con.execute("checkpoint")
        con.close()
        kept = path.with_name(f"{path.name}.before-restore-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}")
        shutil.copyfile(path, kept)
    Path(f"{path}.wal").unlink(missing_ok=True)
    _copy_into_place(backup_file, path)
    con = db.connect(path)
    try:
        with db.transaction(con) as cur:
            audit.record(cur, "restore", row_key=str(backup_file), after={"kept": str(kept) if kept else None})
    finally:
        con.close()
    return kept


def _copy_into_place(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        raise ObservationError(f"{target}: could not be written ({exc.strerror or exc})") from None
    finally:
        Path(tmp).unlink(missing_ok=True)


@access.requires("researcher")
def load_full_export(con: duckdb.DuckDBPyConnection, folder: Path) -> list[str]:
    """Fill an empty study from a full export in Parquet (one file per table), in one transaction.
    The round trip gives back every table as it was exported. (CSV cannot tell an empty text from
    a missing value, so only Parquet is taken back in.)"""
    folder = Path(folder)
    if not folder.is_dir():
        raise ObservationError(f"{folder}: not a folder of exported tables")
    with db.cursor(con) as cur:
        db.require_empty(cur, "a full export")
    frames: dict[str, pd.DataFrame] = {}
    for table in db.STUDY_TABLES:
        parquet = folder / f"{table}.parquet"
        if not parquet.exists():
            raise ObservationError(f"{folder}: the {table} table is missing; is this a full export in Parquet?")
        try:
            frames[table] = pd.read_parquet(parquet)
        except Exception as exc:
            raise ObservationError(f"{parquet.name}: cannot be read as Parquet ({type(exc).__name__})") from None
    from observation.demo import write_tables  # the same all-at-once writer the demo uses

    write_tables(con, frames)
    with db.transaction(con) as cur:
        audit.record(cur, "import", row_key=str(folder), after={"full_export": list(frames)})
    return list(frames)
