"""Files at rest: an interrupted decrypt, encrypt, backup or restore never leaves a copy of the
study that others can read, and the next command removes what it left and says so.

The commands run in processes forked from one server process that has imported the package
once (so a run costs a fork, not an interpreter start), with the umask at 0: any file the code
does not make private itself would be readable by everyone, and the tests would see it."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from observation import db, export, transfer
from observation.cli import main
from tests.small_study import build_small_study

ROOT = Path(__file__).resolve().parents[2]
MARKER = b"AT-REST canary: a note about someone"
KEY = "at rest key"

SERVER = r"""
import json, os, sys
from pathlib import Path
os.umask(0)
from observation import access, cli, export
print("ready", flush=True)
for line in sys.stdin:
    command = json.loads(line)
    pid = os.fork()
    if pid == 0:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        if command[0] == "copy":
            with access.acting_as(access.local_researcher()):
                export._copy_into_place(Path(command[1]), Path(command[2]))
            os._exit(0)
        os._exit(cli.main(command))
    print(pid, flush=True)
    print(os.waitpid(pid, 0)[1], flush=True)
"""


class Forks:
    """Runs a command in a forked process: ``start`` gives its pid, ``wait`` its wait status."""

    def __init__(self) -> None:
        env = dict(os.environ, OBSERVATION_DB_KEY=KEY, PYTHONPATH=str(ROOT))
        self.server = subprocess.Popen(
            [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
        )
        assert self._line() == "ready"

    def _line(self) -> str:
        assert self.server.stdout is not None
        return self.server.stdout.readline().strip()

    def start(self, *command: str) -> int:
        assert self.server.stdin is not None
        self.server.stdin.write(json.dumps(command) + "\n")
        self.server.stdin.flush()
        return int(self._line())

    def wait(self) -> int:
        return int(self._line())

    def close(self) -> None:
        assert self.server.stdin is not None
        self.server.stdin.close()
        self.server.wait(timeout=30)


@pytest.fixture(scope="module")
def forks() -> Iterator[Forks]:
    server = Forks()
    yield server
    server.close()


@pytest.fixture(scope="module")
def encrypted_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small study with MARKER in a note, encrypted with KEY."""
    path = tmp_path_factory.mktemp("template") / "study.duckdb"
    build_small_study(path)
    con = db.connect(path, key=None)
    con.execute("update field_notes set body = ? where id = 1", [MARKER.decode()])
    con.close()
    assert db.convert(path, None, KEY)
    assert MARKER not in path.read_bytes()
    return path


def holding_marker(folder: Path, study: Path) -> list[Path]:
    """Every file in ``folder`` (at any depth) but the study itself with MARKER in it."""
    return [f for f in folder.rglob("*") if f.is_file() and f != study and MARKER in f.read_bytes()]


def readable_by_others(path: Path, folder: Path) -> bool:
    """Whether anyone but the owner may read ``path``: its own mode, and every folder on the way."""
    if path.stat().st_mode & 0o077 == 0:
        return False
    return all(p.stat().st_mode & 0o005 for p in path.parents if p != folder and folder in p.parents)


def wait_for(found: Callable[[], bool], within: float = 20.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if found():
            return True
        time.sleep(0.0005)
    return False


def empty_and_private(path: Path) -> bool:
    """The copy's folder, killed before anything was written in it: the sweep leaves such a one
    for a minute (it may be a running command's that has not yet locked it), and it holds nothing."""
    return path.is_dir() and not any(path.iterdir()) and path.stat().st_mode & 0o777 == 0o700


def staging_of(folder: Path) -> bool:
    return any(p.name.startswith(".") for p in folder.iterdir())


def plain_staged(folder: Path, study: Path) -> bool:
    try:
        return bool(holding_marker(folder, study))
    except OSError:  # removed while read
        return False


def the_study_is_whole(path: Path) -> str:
    """The study after a decrypt was stopped: still encrypted, or decrypted, every row either way."""
    try:
        con, key = db.connect(path, key=None, read_only=True), None
    except db.EncryptedStudyError:
        con, key = db.connect(path, key=KEY, read_only=True), KEY
    try:
        (notes,) = con.execute("select count(*) from field_notes where body = ?", [MARKER.decode()]).fetchone()  # type: ignore[misc]
    finally:
        con.close()
    assert notes == 1
    return "plain" if key is None else "encrypted"


def test_a_decrypt_killed_at_any_point_leaves_no_copy_others_can_read_and_the_next_command_removes_it(
    forks: Forks,
    encrypted_template: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OBSERVATION_DB_KEY", raising=False)  # the next command is given no key
    rng = random.Random(20)
    plans = (
        [("plain copy", 0.0)] * 3  # as soon as a plain copy is on disk
        + [("staging", d) for d in (0.0, 0.005, 0.02, 0.05)]  # after the copy's folder appears
        + [("start", rng.uniform(0.05, 0.6)) for _ in range(3)]  # anywhere in the run
    )
    left_plain = 0
    for n, (after, delay) in enumerate(plans):
        folder = tmp_path / f"run{n}"
        folder.mkdir()
        study = folder / "study.duckdb"
        shutil.copyfile(encrypted_template, study)
        os.chmod(study, 0o644)
        pid = forks.start("decrypt", "--db", str(study))
        if after == "staging":
            wait_for(lambda folder=folder: staging_of(folder))
        elif after == "plain copy":
            wait_for(lambda folder=folder, study=study: plain_staged(folder, study))
        time.sleep(delay)
        with contextlib.suppress(ProcessLookupError):  # finished already: nothing is left either way
            os.kill(pid, signal.SIGKILL)
        forks.wait()
        plain = holding_marker(folder, study)
        left_plain += bool(plain)
        assert [p for p in plain if readable_by_others(p, folder)] == [], f"run {n}: {after} + {delay:.3f}s"
        caplog.clear()
        main(["info", "--db", str(study)])  # any command that opens the study; without the key it stops there
        left = [p for p in folder.iterdir() if p.name not in ("study.duckdb", "study.duckdb.wal")]  # the study's own
        assert [p.name for p in left if not empty_and_private(p)] == [], f"run {n}: left beside the study"
        if plain:
            assert any("removed" in m and ".study.duckdb.converting.tmp" in m for m in caplog.messages)
        the_study_is_whole(study)
    assert left_plain >= 1, "no kill caught a plain copy on disk: the test saw nothing"


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_decrypt_stopped_by_a_signal_python_can_handle_removes_its_copy_itself(
    forks: Forks, encrypted_template: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    study = tmp_path / "study.duckdb"
    shutil.copyfile(encrypted_template, study)
    pid = forks.start("decrypt", "--db", str(study))
    caught = wait_for(lambda: plain_staged(tmp_path, study))
    os.kill(pid, stop)
    forks.wait()
    assert caught or stop == signal.SIGTERM, "the decrypt finished before a plain copy was seen"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.duckdb"]
    the_study_is_whole(study)


def test_a_running_decrypts_copy_is_left_alone_and_kept_private(
    forks: Forks, encrypted_template: Path, tmp_path: Path
) -> None:
    study = tmp_path / "study.duckdb"
    shutil.copyfile(encrypted_template, study)
    pid = forks.start("decrypt", "--db", str(study))
    try:
        staging = tmp_path / ".study.duckdb.converting.tmp"
        assert wait_for(lambda: (staging / "study.duckdb").exists())  # the folder made, held and written to
        os.kill(pid, signal.SIGSTOP)  # held still: it is running, only not now
        assert staging.stat().st_mode & 0o777 == 0o700
        assert db.sweep_leftovers(study) == []
        assert staging.exists()
    finally:
        os.kill(pid, signal.SIGKILL)
        os.kill(pid, signal.SIGCONT)
        forks.wait()
    assert db.sweep_leftovers(study) == [
        f"note: removed {staging}, the temporary copy of a study an encrypt or decrypt was writing when it was "
        "interrupted (a decrypt's is plain text)"
    ]
    assert not staging.exists()


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    """A source that gives the copy MARKER, then nothing until the test lets go of it: the copy
    is caught half-written, every time."""
    path = tmp_path / "source.fifo"
    os.mkfifo(path)
    return path


def test_a_backup_killed_half_way_leaves_a_private_partial_copy_the_next_backup_removes(
    forks: Forks, fifo: Path, tmp_path: Path, small_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "backups" / "study-backup.duckdb"
    target.parent.mkdir()
    pid = forks.start("copy", str(fifo), str(target))
    with open(fifo, "wb") as feed:
        feed.write(MARKER)
        feed.flush()
        assert wait_for(lambda: plain_staged(target.parent, target))
        (partial,) = target.parent.iterdir()
        assert partial.name.startswith(".study-backup.duckdb.")
        assert partial.name.endswith(".partial")
        assert partial.stat().st_mode & 0o777 == 0o600  # with the umask at 0
        assert db.sweep_leftovers(target) == []  # still being written: left alone
        assert partial.exists()
        os.kill(pid, signal.SIGKILL)
        forks.wait()
    caplog.clear()
    export.backup(small_path, target)
    assert [p.name for p in target.parent.iterdir()] == ["study-backup.duckdb"]
    assert caplog.messages == [
        f"note: removed {partial}, a copy left unfinished by a backup or restore that was interrupted"
    ]


def test_a_backup_stopped_by_sigterm_removes_its_partial_copy(forks: Forks, fifo: Path, tmp_path: Path) -> None:
    target = tmp_path / "backups" / "study-backup.duckdb"
    target.parent.mkdir()
    pid = forks.start("copy", str(fifo), str(target))
    with open(fifo, "wb") as feed:
        feed.write(MARKER)
        feed.flush()
        assert wait_for(lambda: plain_staged(target.parent, target))
        os.kill(pid, signal.SIGTERM)
        status = forks.wait()
    assert os.WIFEXITED(status)
    assert list(target.parent.iterdir()) == []


def test_the_next_command_says_what_it_removed(encrypted_template: Path, tmp_path: Path) -> None:
    """As a user sees it: the command's own words on stderr, then its error (no key given)."""
    study = tmp_path / "study.duckdb"
    shutil.copyfile(encrypted_template, study)
    staging = tmp_path / ".study.duckdb.converting.tmp"
    staging.mkdir(mode=0o700)
    (staging / "study.duckdb").write_bytes(MARKER)
    env = {k: v for k, v in os.environ.items() if k != "OBSERVATION_DB_KEY"}
    result = subprocess.run(
        [sys.executable, "-m", "observation", "info", "--db", str(study)],
        capture_output=True, text=True, cwd=ROOT, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"note: removed {staging}, the temporary copy of a study an encrypt or decrypt was writing when it was "
        "interrupted (a decrypt's is plain text)",
        f"error: {study} is encrypted: {db.KEY_HELP}",
    ]
    assert not staging.exists()


def test_what_earlier_versions_left_is_removed_too(tmp_path: Path, small_path: Path) -> None:
    """Before this fix: the new file itself was .NAME.converting.tmp (with its WAL beside it,
    0644), and a copy .NAME.XXXXXXXX."""
    study = tmp_path / "small.duckdb"
    assert study == small_path
    for name in (".small.duckdb.converting.tmp", ".small.duckdb.converting.tmp.wal", ".small.duckdb.k2j4h5g6"):
        (tmp_path / name).write_bytes(MARKER)
    (tmp_path / ".other.duckdb.converting.tmp.wal").write_bytes(MARKER)  # its file already gone
    (tmp_path / ".notes.txt").write_bytes(MARKER)  # not ours
    said = db.sweep_leftovers(study)
    assert len(said) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [".notes.txt", "small.duckdb"]


def test_duckdbs_spills_left_by_a_killed_program_go_when_the_study_is_next_opened_for_writing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    study = tmp_path / "study.duckdb"
    build_small_study(tmp_path / "built.duckdb")  # opened for writing once: this is the study's first time
    (tmp_path / "built.duckdb").rename(study)
    spills = tmp_path / "study.duckdb.tmp"
    spills.mkdir()
    (spills / "duckdb_temp_storage_DEFAULT-0.tmp").write_bytes(MARKER)
    db.connect(study, read_only=True).close()  # another program may be reading it, spilling there
    assert (spills / "duckdb_temp_storage_DEFAULT-0.tmp").exists()
    caplog.clear()
    db.connect(study).close()
    assert list(spills.iterdir()) == []
    assert caplog.messages == [
        f"note: removed 1 temporary file(s) that DuckDB left in {spills} when a program was stopped"
    ]


def test_an_empty_copy_made_a_moment_ago_waits_for_a_later_sweep(tmp_path: Path) -> None:
    """A command makes its folder or file, then locks it before writing: in between, it is empty
    and may be a running command's. Empty, it holds nothing; after a minute it goes."""
    study = tmp_path / "study.duckdb"
    staging = tmp_path / ".study.duckdb.converting.tmp"
    staging.mkdir(mode=0o700)
    partial = tmp_path / ".backup.duckdb.abcd1234.partial"
    partial.touch()
    assert db.sweep_leftovers(study) == []
    old = time.time() - 61
    for left in (staging, partial):
        os.utime(left, (old, old))
    assert len(db.sweep_leftovers(study)) == 2
    assert list(tmp_path.iterdir()) == []


def test_a_decrypt_run_again_at_once_after_a_kill_goes_ahead(encrypted_template: Path, tmp_path: Path) -> None:
    """Killed before it wrote anything, a decrypt leaves an empty folder the sweep keeps for a
    minute: the next decrypt, straight away, is not stopped by it."""
    study = tmp_path / "study.duckdb"
    shutil.copyfile(encrypted_template, study)
    (tmp_path / ".study.duckdb.converting.tmp").mkdir(mode=0o700)
    assert db.convert(study, KEY, None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.duckdb"]


def test_a_migrated_copy_is_readable_by_its_owner_alone(tmp_path: Path) -> None:
    source = tmp_path / "small.duckdb"
    build_small_study(source)
    before = os.umask(0o022)
    try:
        transfer.copy_study(source, tmp_path / "copy.duckdb")
    finally:
        os.umask(before)
    assert (tmp_path / "copy.duckdb").stat().st_mode & 0o077 == 0
