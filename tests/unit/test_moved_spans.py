"""A coded passage is a range of characters of its text: a note's or a transcript's new text may
keep every coded passage's characters at the same places, and nothing else (observation/integrity.py
``moved_spans``), whichever writer changes it — the Record page's save or an import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from observation import db, ingest, integrity, record
from observation.errors import ObservationError

pytestmark = pytest.mark.both_backends  # storage, import, export, audit and access: on both backends

NOTE = "Who should we invite next? Someone who sees the bigger picture."  # note 2 of meeting 1 (small study)
PASSAGE = "Someone who sees the bigger picture"
DETAILS = record.MeetingDetails(team_id=1, meeting_date=dt.date(2020, 1, 10))
ROSTER = [record.AttendanceEntry(participant_id=1, status="present")]


def code_passage(con: duckdb.DuckDBPyConnection, note_id: int = 2, passage: str = PASSAGE) -> tuple[int, int]:
    (body,) = con.execute("select body from field_notes where id = ?", [note_id]).fetchone() or ("",)
    start = body.index(passage)
    con.execute(
        "insert into coded_segments (note_id, code_id, coder, span_start, span_end) values (?, 2, 'R01', ?, ?)",
        [note_id, start, start + len(passage)],
    )
    return start, start + len(passage)


def notes_of_meeting_1(second: str) -> list[record.NoteEntry]:
    return [
        record.NoteEntry(
            position=1, minute=5, author="OB-01", body="A-SU1 asked why the transport item keeps coming back."
        ),
        record.NoteEntry(position=2, minute=20, author="OB-01", body=second),
    ]


def moved(con: duckdb.DuckDBPyConnection, note_id: int, text: str) -> str | None:
    with db.cursor(con) as cur:
        return integrity.moved_spans(cur, "field_notes", note_id, text)


def body(con: duckdb.DuckDBPyConnection, note_id: int = 2) -> str:
    (text,) = con.execute("select body from field_notes where id = ?", [note_id]).fetchone() or ("",)
    return str(text)


def test_the_rule_keeps_each_passage_at_its_characters(small: duckdb.DuckDBPyConnection) -> None:
    start, end = code_passage(small)
    before = "Quite early: " + NOTE
    after = NOTE + " Nobody answered."
    typo_outside = NOTE.replace("invite", "invit")  # shorter, before the passage: moves it
    inside = NOTE.replace("bigger", "larger")  # same length, inside the passage: alters it
    assert PASSAGE not in {before[start:end], typo_outside[start:end], inside[start:end]}
    for refused in (before, typo_outside, inside, ""):
        reason = moved(small, 2, refused)
        assert reason is not None
        assert "note 2 of the meeting of Alpha, 10/01/2020 has 1 coded passage" in reason
        assert f"characters {start + 1:,} to {end:,}" in reason
        assert "remove or re-code that passage on the Coding page" in reason
    assert after[start:end] == PASSAGE
    assert moved(small, 2, after) is None


def test_a_note_without_passages_is_free_to_change_and_whole_note_codings_do_not_block(
    small: duckdb.DuckDBPyConnection,
) -> None:
    # note 1 has two whole-note codings (no span) and note 6 none at all
    assert small.execute("select count(*) from coded_segments where note_id = 1 and span_start is null").fetchone() == (
        2,
    )
    assert moved(small, 1, "Entirely different.") is None
    assert moved(small, 6, "Entirely different.") is None
    code_passage(small)
    with db.cursor(small) as cur, pytest.raises(ObservationError, match="the change was not saved: note 2 of the"):
        integrity.refuse_moved_spans(cur, "field_notes", 2, "Entirely different.")


def test_the_record_page_refuses_an_edit_before_a_passage_and_saves_one_after_every_passage(
    small: duckdb.DuckDBPyConnection,
) -> None:
    code_passage(small)
    with pytest.raises(ObservationError, match="note 2 of the meeting of Alpha, 10/01/2020 has 1 coded passage"):
        record.save_meeting(small, 1, DETAILS, ROSTER, notes_of_meeting_1("Early on. " + NOTE), seen_version=0)
    assert body(small) == NOTE  # nothing saved
    assert record.version(small, 1) == 0
    record.save_meeting(small, 1, DETAILS, ROSTER, notes_of_meeting_1(NOTE + " Later."), seen_version=0)
    assert body(small) == NOTE + " Later."
    # a note whose codings are whole-note ones changes freely
    notes = notes_of_meeting_1(NOTE + " Later.")
    notes[0] = notes[0].model_copy(update={"body": "Rewritten."})
    record.save_meeting(small, 1, DETAILS, ROSTER, notes, seen_version=1)
    assert body(small, 1) == "Rewritten."


def test_an_import_of_field_notes_refuses_a_note_whose_passage_would_move(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    code_passage(small)
    path = tmp_path / "field_notes.csv"
    path.write_text(f'team,date,position,author,body\nAlpha,2020-01-10,2,OB-01,"Early on. {NOTE}"\n', encoding="utf-8")
    with pytest.raises(ingest.ImportProblems) as caught:
        ingest.import_files(small, [path])
    (problem,) = caught.value.problems
    assert str(problem).startswith("field_notes.csv:2:body: 'Early on. Who should")
    assert "note 2 of the meeting of Alpha, 10/01/2020 has 1 coded passage" in str(problem)
    assert body(small) == NOTE
    path.write_text(f'team,date,position,author,body\nAlpha,2020-01-10,2,OB-01,"{NOTE} Later."\n', encoding="utf-8")
    ingest.import_files(small, [path])
    assert body(small) == NOTE + " Later."


def test_an_import_of_transcripts_keeps_a_coded_transcript_unless_its_passages_stay(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    text = "Nobody asked me. Then they did."
    (tmp_path / "KI-01.txt").write_text(text, encoding="utf-8")
    manifest = tmp_path / "interviews.csv"
    manifest.write_text("file,team,date,informant,group\nKI-01.txt,Alpha,10/01/2020,KI-01,carer\n", encoding="utf-8")
    ingest.import_files(small, [manifest])
    small.execute(
        "insert into coded_segments (interview_id, code_id, coder, span_start, span_end) "
        "select id, 2, 'R01', 6, 16 from interviews where informant_code = 'KI-01'"
    )
    (tmp_path / "KI-01.txt").write_text("Well, " + text, encoding="utf-8")
    with pytest.raises(ingest.ImportProblems) as caught:
        ingest.import_files(small, [manifest])
    (problem,) = caught.value.problems
    assert "the interview of KI-01 has 1 coded passage that this change would move or alter" in str(problem)
    (tmp_path / "KI-01.txt").write_text(text + " Twice.", encoding="utf-8")  # the passage stays where it was
    ingest.import_files(small, [manifest])
    (held,) = small.execute("select transcript from interviews where informant_code = 'KI-01'").fetchone() or ("",)
    assert held == text + " Twice."


def test_the_backstop_names_one_document_with_its_own_length_and_passage_end(
    small: duckdb.DuckDBPyConnection,
) -> None:
    """A text cut shorter than a passage coded in it, by a write that skipped the rule, is refused
    by require_intact; its message names the first such note with that note's length and the end
    of that note's passage, not numbers taken from another note."""
    (other,) = small.execute("select min(id) from field_notes where id > 2").fetchone() or (0,)
    text = body(small, other)
    code_passage(small, other, text[1:])  # coded to its last character
    _, end = code_passage(small)

    def shorten() -> None:
        with db.transaction(small) as cur:
            cur.execute("update field_notes set body = 'Short.' where id in (2, ?)", [other])
            integrity.require_intact(cur, {"field_notes"})

    with pytest.raises(ObservationError) as refused:
        shorten()
    message = str(refused.value)
    assert "2 codings would point past the end of the text" in message
    assert f"(note 2 of the meeting of Alpha, 10/01/2020 would have {len('Short.')} characters" in message
    assert f"a passage coded in it ends at character {end:,})" in message
    assert body(small) == NOTE  # nothing was written
    assert body(small, other) == text
