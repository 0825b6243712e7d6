"""A throwaway PostgreSQL server for the tests that run on both backends.

Started once per test run from the machine's PostgreSQL programs (Debian's ``postgresql``
package: /usr/lib/postgresql/*/bin), on 127.0.0.1 and a free port, with its data in a temporary
folder, and stopped at the end. As root it runs as the ``postgres`` user (PostgreSQL refuses root).
OBSERVATION_TEST_POSTGRES=postgresql://USER@HOST:PORT names a server to use instead.

Missing PostgreSQL skips those tests, unless OBSERVATION_REQUIRE_POSTGRES=1 (as in CI), when they
fail instead. Each test gets a database of its own (``new_database``).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def _programs() -> Path | None:
    for folder in [os.environ.get("OBSERVATION_POSTGRES_BIN", ""), *sorted(glob.glob("/usr/lib/postgresql/*/bin"))]:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def missing_reason() -> str | None:
    if os.environ.get("OBSERVATION_TEST_POSTGRES") or _programs():
        return None
    return "no PostgreSQL server programs (apt-get install postgresql, or set OBSERVATION_TEST_POSTGRES)"


@dataclass(frozen=True)
class Server:
    url: str
    """postgresql://USER@HOST:PORT, without a database."""

    def new_database(self) -> str:
        """A new, empty database on this server: its connection string."""
        name = f"study_{uuid.uuid4().hex[:12]}"
        psql(f"{self.url}/postgres", f"create database {name}")
        return f"{self.url}/{name}"


def psql(url: str, sql: str) -> str:
    """Run ``sql`` in the database at ``url`` with PostgreSQL's own client; its output."""
    programs = _programs()
    client = str(programs / "psql") if programs and (programs / "psql").exists() else "psql"
    done = subprocess.run(
        [client, url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], check=True, capture_output=True, text=True
    )
    return done.stdout


def _as_postgres_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    # util-linux's runuser lives in sbin, which a plain user's PATH (and CI's) may leave out
    runuser = shutil.which("runuser") or next(
        (p for p in ("/usr/sbin/runuser", "/sbin/runuser") if Path(p).exists()), "runuser"
    )
    return [runuser, "-u", "postgres", "--", *command]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server() -> Iterator[Server]:
    given = os.environ.get("OBSERVATION_TEST_POSTGRES")
    if given:
        yield Server(given.rstrip("/"))
        return
    programs = _programs()
    assert programs is not None, missing_reason()
    folder = Path(tempfile.mkdtemp(prefix="observation-pg-"))
    data, port = folder / "data", free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    try:
        subprocess.run(
            _as_postgres_user(
                [str(programs / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
            ),
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        subprocess.run(
            _as_postgres_user(
                [str(programs / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"]
            ),
            check=True,
            capture_output=True,
        )
        try:
            yield Server(f"postgresql://postgres@127.0.0.1:{port}")
        finally:
            subprocess.run(
                _as_postgres_user([str(programs / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                check=False,
                capture_output=True,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
