"""Encrypted study files: nothing readable in the file, opened only with the key, converted in
place without losing a row."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from observation import cli, db, record
from observation.errors import ObservationError
from observation.store import convert as conversion
from tests.small_study import build_small_study

CANARY_NOTE, CANARY_CODE = "CANARY note text about someone", "CANARY-SU9"


def study_with_canaries(path: Path) -> Path:
    build_small_study(path)
    con = db.connect(path)
    con.execute("update field_notes set body = ? where id = 1", [CANARY_NOTE])
    con.execute("update participants set code = ? where id = 3", [CANARY_CODE])
    con.close()
    return path


def holds_plain_text(path: Path) -> bool:
    data = path.read_bytes() + (Path(f"{path}.wal").read_bytes() if Path(f"{path}.wal").exists() else b"")
    return CANARY_NOTE.encode() in data or CANARY_CODE.encode() in data


def test_an_encrypted_study_holds_no_plain_text_and_opens_only_with_its_key(tmp_path: Path) -> None:
    path = study_with_canaries(tmp_path / "study.duckdb")
    assert holds_plain_text(path)  # the check can see the canaries in a plain file
    with pytest.raises(ObservationError, match="set OBSERVATION_DB_KEY"):
        cli_run(["encrypt", "--db", str(path)])
    before = counts(path)
    cli_run(["encrypt", "--db", str(path)], key="correct horse")
    assert not holds_plain_text(path)
    with pytest.raises(ObservationError, match="is encrypted: set OBSERVATION_DB_KEY"):
        db.connect(path)
    with pytest.raises(ObservationError, match="not this study's key"):
        db.connect(path, key="wrong")
    with pytest.raises(duckdb.Error):
        duckdb.connect(str(path))
    assert counts(path, key="correct horse") == before
    con = db.connect(path, key="correct horse")  # writes stay encrypted, WAL included
    loaded = record.load(con, 1)
    assert loaded is not None
    notes = [n.model_copy(update={"body": f"{n.body} {CANARY_NOTE}"}) for n in loaded.notes]
    record.save_meeting(con, 1, loaded.details, [], notes, loaded.version)
    assert not holds_plain_text(path)
    con.close()
    assert not holds_plain_text(path)
    cli_run(["decrypt", "--db", str(path)], key="correct horse")
    assert holds_plain_text(path)
    assert counts(path)["field_notes"] == before["field_notes"]
    con = db.connect(path, key=None)
    saved = con.execute("select count(*) from field_notes where meeting_id = 1 and body like '%CANARY note%'")
    assert saved.fetchone() == (len(notes),)  # the save made while encrypted survived decryption
    con.close()


def test_a_plain_study_with_a_key_set_says_how_to_encrypt_it(tmp_path: Path) -> None:
    path = study_with_canaries(tmp_path / "study.duckdb")
    with pytest.raises(ObservationError, match=r"is not encrypted, but a key is set.*python -m observation encrypt"):
        db.connect(path, key="k")
    assert holds_plain_text(path)


def test_a_study_in_use_is_not_converted(tmp_path: Path) -> None:
    path = study_with_canaries(tmp_path / "study.duckdb")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('open', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"open"
        with pytest.raises(ObservationError, match="already open in another program"):
            db.convert(path, None, "k")
    finally:
        holder.kill()
        holder.wait()
    assert holds_plain_text(path)
    assert not list(tmp_path.glob(".*.tmp"))


def cli_run(argv: list[str], key: str | None = None) -> None:
    mp = pytest.MonkeyPatch()
    try:
        if key:
            mp.setenv("OBSERVATION_DB_KEY", key)
        else:
            mp.delenv("OBSERVATION_DB_KEY", raising=False)
        parsed = cli._parser().parse_args(argv)
        with cli.access.acting_as(cli.access.local_researcher()):
            cli._command(parsed)
    finally:
        mp.undo()


def counts(path: Path, key: str | None = None) -> dict[str, int]:
    con = db.connect(path, key=key)
    try:
        found = db.table_counts(con)
        (found["audit"],) = con.execute("select count(*) from audit").fetchone()  # type: ignore[misc]
        return found
    finally:
        con.close()


def spilled_canaries(path: Path, *, encrypted_spills: bool | None) -> int:
    """Sort more than the memory limit holds, so DuckDB spills to its temporary files, and count
    the canary in them while they exist."""
    con = db.connect(path, key="k")
    try:
        if encrypted_spills is not None:
            con.execute(f"set temp_file_encryption = {str(encrypted_spills).lower()}")
        con.execute("set memory_limit = '50MB'")
        con.execute(f"create temp table big as select '{CANARY_NOTE} ' || i::varchar as body from range(3000000) t(i)")
        con.execute("select count(*) from (select body from big order by body desc)").fetchall()
        spills = [f for f in Path(f"{path}.tmp").rglob("*") if f.is_file()]
        assert spills, "the sort spilled nothing: the check would see nothing"
        return sum(f.read_bytes().count(CANARY_NOTE.encode()) for f in spills)
    finally:
        con.close()


def test_an_encrypted_study_spills_nothing_readable(tmp_path: Path) -> None:
    path = study_with_canaries(tmp_path / "study.duckdb")
    db.convert(path, None, "k")
    assert spilled_canaries(path, encrypted_spills=False) > 0  # the check sees plain spills
    assert spilled_canaries(path, encrypted_spills=None) == 0  # as the study is opened: encrypted


def test_a_key_never_appears_in_a_message(tmp_path: Path) -> None:
    path = study_with_canaries(tmp_path / "study.duckdb")
    db.convert(path, None, "the-right-key")
    for key in ("a-wrong-key-SECRET", "quote'in-SECRET"):
        with pytest.raises(ObservationError) as caught:
            db.connect(path, key=key)
        assert "SECRET" not in str(caught.value)
    with pytest.raises(ObservationError, match="may not contain a backslash") as caught:
        db.connect(path, key="back\\slash-SECRET")
    assert "SECRET" not in str(caught.value)


def test_encrypt_twice_says_it_already_is_and_decrypt_twice_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = study_with_canaries(tmp_path / "study.duckdb")
    monkeypatch.setenv("OBSERVATION_DB_KEY", "k")
    assert cli.main(["encrypt", "--db", str(path)]) == 0
    encrypted = path.read_bytes()
    assert cli.main(["encrypt", "--db", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{path} is now encrypted.",
        f"{path} is already encrypted; nothing was changed.",
    ]
    assert path.read_bytes() == encrypted
    monkeypatch.setenv("OBSERVATION_DB_KEY", "another key")
    assert cli.main(["encrypt", "--db", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"error: {path} is already encrypted, with another key than the one given; nothing was changed\n"
    )
    monkeypatch.setenv("OBSERVATION_DB_KEY", "k")
    assert cli.main(["decrypt", "--db", str(path)]) == 0
    assert cli.main(["decrypt", "--db", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{path} is now a plain file.",
        f"{path} is already a plain file; nothing was changed.",
    ]
    assert holds_plain_text(path)


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644])
def test_a_converted_study_keeps_its_permissions_and_nothing_is_left_beside_it(tmp_path: Path, mode: int) -> None:
    path = study_with_canaries(tmp_path / "study.duckdb")
    os.chmod(path, mode)
    db.convert(path, None, "k")
    assert stat.S_IMODE(path.stat().st_mode) == mode
    db.convert(path, "k", None)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.duckdb"]


def test_a_convert_that_fails_midway_leaves_no_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = study_with_canaries(tmp_path / "study.duckdb")
    db.convert(path, None, "k")
    before = counts(path, key="k")

    def fail(con: duckdb.DuckDBPyConnection, path: Path) -> None:
        assert any(CANARY_NOTE.encode() in f.read_bytes() for f in tmp_path.rglob("*") if f.is_file())
        raise ObservationError(f"{path}: table field_notes did not copy exactly; the study was left as it was")

    monkeypatch.setattr(conversion, "_compare", fail)  # the plain copy is written when the comparison fails
    with pytest.raises(ObservationError, match="did not copy exactly"):
        db.convert(path, "k", None)
    assert not holds_plain_text(path)
    assert counts(path, key="k") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.duckdb"]
