"""A study's location, as given on the command line or in OBSERVATION_DB, and as it may be shown."""

from __future__ import annotations

import re
from pathlib import Path

from observation.errors import ObservationError

POSTGRES_SCHEMES = ("postgresql://", "postgres://")

Location = Path | str
"""Where a study is: a DuckDB file's path, or a ``postgresql://`` connection string (a str)."""


def location(text: str | Path) -> Location:
    """A study location as given on the command line or in OBSERVATION_DB (a connection string
    must stay a string: a Path would fold its '//'). Any other address is refused, not taken for
    a file name (a mistyped scheme would otherwise create folders named after it)."""
    if is_postgres(text):
        return str(text)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", str(text)):
        raise ValueError(f"{shown(text)} is not a study location: give a file path, or postgresql://USER@HOST/DATABASE")
    return Path(text)


def is_postgres(where: Path | str) -> bool:
    """Whether a study location names a PostgreSQL database rather than a DuckDB file."""
    return str(where).startswith(POSTGRES_SCHEMES)


def require_file(where: Location, what: str) -> Path:
    """``where`` as a file path; a PostgreSQL study is refused with what to do instead."""
    if is_postgres(where):
        raise ObservationError(
            f"{shown(where)}: {what} works on study files; a PostgreSQL study is backed up and protected by "
            "PostgreSQL itself (pg_dump, or your managed database's backups and encryption). To copy it to or from "
            "a study file: python -m observation migrate --from SOURCE --to TARGET"
        )
    return Path(where)


def missing_file(where: Location) -> bool:
    """A study file location with no file there (opening it for writing would create one)."""
    return not is_postgres(where) and not Path(where).exists()


def shown(text: Path | str) -> str:
    """A study location, or a message naming one, as it may be shown: any password in a connection
    string is hidden (up to the last '@' of the address, so an unencoded '@' or '/' in it too)."""
    hidden = re.sub(r"([A-Za-z][A-Za-z0-9+.-]*:/+[^:/@\s\"']*):[^\s\"']*@", r"\1:***@", str(text))
    return re.sub(r"(password=)[^&\s\"']*", r"\1***", hidden)


def said(exc: BaseException) -> str:
    """What the database said, in one line, any password hidden: PostgreSQL's own words without
    the extension's wrapping (which may quote a whole statement)."""
    return shown(re.sub(r"^.*?\bERROR:\s+", "", first_line(exc)))


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (its type's name when it has none)."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def literal(text: str) -> str:
    """A string as an SQL literal (ATTACH takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"
