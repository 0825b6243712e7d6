"""python -m observation: demo, info and their help, with one-line errors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from observation.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_demo_then_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.duckdb"
    assert main(["demo", "--db", str(path), "--teams", "2", "--months", "3"]) == 0
    assert main(["info", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "[synthetic demo data]" in out
    assert re.search(r"^ +teams +2$", out, re.MULTILINE)
    assert re.search(r"^ +field_notes +[1-9][0-9,]*$", out, re.MULTILINE)


def test_if_missing_leaves_an_existing_study_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.duckdb"
    path.write_bytes(b"mine")
    assert main(["demo", "--db", str(path), "--if-missing"]) == 0
    assert path.read_bytes() == b"mine"
    assert "leaving it as it is" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--db", "{tmp}/x.duckdb", "--teams", "0"], "--teams: Input should be greater than or equal to 1"),
        (["info", "--db", "{tmp}/missing.duckdb"], "missing.duckdb: no study file here"),
        (["demo", "--db", "{tmp}/exists.duckdb"], "exists.duckdb already exists"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    (tmp_path / "exists.duckdb").write_bytes(b"")
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [[], ["demo"], ["info"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "observation", *command, "--help"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0
    assert "usage: python -m observation" in result.stdout
    expected = {"": "write the synthetic demo study", "demo": "--if-missing", "info": "rows in each table"}
    assert expected[" ".join(command)] in result.stdout


def test_a_read_that_fails_is_one_line_and_the_cli_never_catches_duckdbs_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A DuckDB file with no tables opens (it is nobody else's) but holds no study: the read fails,
    # and db.cursor has already said so as an ObservationError, the one error the CLI catches.
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert main(["info", "--db", str(empty)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the study could not be read: ")
    assert len(err.strip().splitlines()) == 1
    source = (ROOT / "observation" / "cli.py").read_text(encoding="utf-8")
    assert "duckdb" not in source
