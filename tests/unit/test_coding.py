"""Coding in the app (observation/coding.py): the documents a researcher picks, a passage coded by
its character offsets (Python str indices, non-ASCII text included), codings changed and removed,
memos, the checks every write makes, who may do it, the audit trail's words, the exports, and the
memos table brought into an existing study file."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observation import access, coding, curate, db, export, record, trail
from observation.errors import ObservationError
from observation.filters import StudyFilter
from tests.conftest import Reloaded
from tests.small_study import add_interviews, build_small_study

pytestmark = pytest.mark.both_backends

COACH_OF_ALPHA = access.Identity(email="alpha.coach@example.org", role="coach", teams=frozenset({1}))
PRESENTER = access.Identity(email="presenter@example.org", role="presenter")
# A text whose characters are not all one byte, nor all one UTF-16 unit: an accent, a combining
# accent, an emoji (two UTF-16 units), then the passage coded.
NON_ASCII = "Zoë said 😀 the e\u0301lan faded; the right service user came."


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    return {t: con.execute(f"select * from {t} order by all").fetchall() for t in ("coded_segments", "memos", "audit")}


def segments(con: duckdb.DuckDBPyConnection, note_id: int) -> list[tuple[object, ...]]:
    return con.execute(
        "select code_id, coder, span_start, span_end from coded_segments where note_id = ? order by all", [note_id]
    ).fetchall()


def code(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    doc: int,
    codes: list[int],
    start: int | None,
    end: int | None,
    coder: str,
) -> coding.Coded:
    """code_passage with the passage as the coder saw it, read from the study (not from the code under test)."""
    column = "body from field_notes" if kind == "note" else "transcript from interviews"
    row = con.execute(f"select {column} where id = ?", [doc]).fetchone()
    text = str(row[0]) if row else ""
    return coding.code_passage(
        con, kind, doc, codes, start, end, coder, seen=text if start is None else text[start:end]
    )


def add_note(con: duckdb.DuckDBPyConnection, body: str) -> int:
    with db.transaction(con) as cur:
        (new,) = cur.execute("select max(id) + 1 from field_notes").fetchone()  # type: ignore[misc]
        cur.execute(
            "insert into field_notes (id, meeting_id, position, author, body) values (?, 1, 9, 'OB-01', ?)", [new, body]
        )
    return int(new)


# --- the documents to pick -------------------------------------------------------------------------


def test_documents_are_titled_in_words_counted_paged_and_found_by_words(small: duckdb.DuckDBPyConnection) -> None:
    add_interviews(small)
    everything = coding.documents(small, StudyFilter(), coding.DocumentQuery(limit=500))
    notes_total = small.execute("select count(*) from field_notes").fetchone()[0]  # type: ignore[index]
    transcripts = small.execute("select count(*) from interviews").fetchone()[0]  # type: ignore[index]
    assert everything.total == len(everything.rows) == notes_total + transcripts
    titles = {(r.kind, r.id): r.title for r in everything.rows}
    assert titles[("note", 2)] == "Alpha, 10/01/2020 — note 2 (OB-01)"
    assert titles[("interview", 2)] == "Interview KI-02, service user, 20/01/2020"
    # Each document's codings, counted here row by row.
    rows = small.execute("select note_id, interview_id from coded_segments").fetchall()
    for r in everything.rows:
        expected = sum(1 for n, i in rows if (n if r.kind == "note" else i) == r.id)
        assert r.codings == expected, r
    # Paged: two pages of two, in the same order as the whole list, and the total every time.
    first = coding.documents(small, StudyFilter(), coding.DocumentQuery(limit=2))
    second = coding.documents(small, StudyFilter(), coding.DocumentQuery(limit=2, offset=2))
    assert [*first.rows, *second.rows] == list(everything.rows[:4])
    assert first.total == second.total == everything.total
    beyond = coding.documents(small, StudyFilter(), coding.DocumentQuery(limit=2, offset=1000))
    assert (beyond.rows, beyond.total) == ((), everything.total)
    # Words: every one, in any case, in the text, the team's name or the observer's/informant's code.
    found = coding.documents(small, StudyFilter(), coding.DocumentQuery(text="UNWELL"))
    assert {(r.kind, r.id) for r in found.rows} == {("note", 4), ("interview", 2)}
    assert {r.id for r in coding.documents(small, StudyFilter(), coding.DocumentQuery(text="beta left")).rows} == {5}
    assert [r.id for r in coding.documents(small, StudyFilter(), coding.DocumentQuery(text="KI-03")).rows] == [3]
    # The sidebar's filter and a team chosen narrow it.
    betas = coding.documents(small, StudyFilter(teams=(2,)), coding.DocumentQuery(limit=500))
    assert {r.team_id for r in betas.rows} == {2}
    only_notes = coding.documents(small, StudyFilter(), coding.DocumentQuery(kind="note", team_id=1))
    assert {(r.kind, r.team_id) for r in only_notes.rows} == {("note", 1)}


def test_a_document_gives_its_text_and_its_codings_with_their_paths_in_words(small: duckdb.DuckDBPyConnection) -> None:
    add_interviews(small)
    doc = coding.document(small, "interview", 1)
    assert doc.text.startswith("Every team asks us")
    assert doc.team_id is None
    found = coding.codings(small, "interview", 1)
    assert [(c.id, c.start, c.end, c.coder) for c in found] == [(103, None, None, "R02"), (101, 0, 48, "R01"),
                                                                 (102, 49, 73, "R01")]  # fmt: skip
    names = dict(small.execute("select id, name from codes").fetchall())
    parent = dict(small.execute("select id, parent_id from codes").fetchall())
    for c in found:
        chain, code = [], c.code.id
        while code is not None:
            chain.insert(0, names[code])
            code = parent[code]
        assert c.code.path == " › ".join(chain)
    with pytest.raises(ObservationError, match="There is no field note 999 in this study"):
        coding.document(small, "note", 999)
    with pytest.raises(ObservationError, match="There is no interview transcript 999 in this study"):
        coding.document(small, "interview", 999)


# --- coding a passage -----------------------------------------------------------------------------


def test_a_passage_is_coded_by_python_offsets_in_non_ascii_text(small: duckdb.DuckDBPyConnection) -> None:
    note = add_note(small, NON_ASCII)
    start = NON_ASCII.index("the right")
    end = start + len("the right service user")
    done = code(small, "note", note, [2, 3], start, end, "R09")
    assert len(done.added) == 2
    assert done.repeated == ()
    assert segments(small, note) == [(2, "R09", start, end), (3, "R09", start, end)]
    # DuckDB reads the same characters as Python's slice (it counts code points too).
    (stored,) = small.execute(
        "select substring(n.body, s.span_start + 1, s.span_end - s.span_start) from coded_segments as s "
        "join field_notes as n on n.id = s.note_id where s.id = ?",
        [done.added[0]],
    ).fetchone()  # type: ignore[misc]
    assert stored == NON_ASCII[start:end] == "the right service user"
    # The very end of the text is within it; one past it is not.
    code(small, "note", note, [4], len(NON_ASCII) - 5, len(NON_ASCII), "R09")
    with pytest.raises(ObservationError, match=f"not within the field note, which has {len(NON_ASCII)} characters"):
        code(small, "note", note, [4], 50, len(NON_ASCII) + 1, "R09")


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        (5, 5, "is empty"),
        (9, 4, "is empty"),
        (-1, 4, "not within"),
        (0, 10_000, "not within"),
        (3, None, "both a start and an end"),
        (None, 3, "both a start and an end"),
        (8, 9, "only spaces"),
    ],
)
def test_a_passage_outside_its_text_is_refused_and_nothing_written(
    small: duckdb.DuckDBPyConnection, start: int | None, end: int | None, reason: str
) -> None:
    note = add_note(small, "Patients  too unwell to join.")
    before = snapshot(small)
    with pytest.raises(ObservationError, match=reason):
        code(small, "note", note, [2], start, end, "R09")
    assert snapshot(small) == before


def test_a_repeated_coding_is_not_added_twice_and_says_so(small: duckdb.DuckDBPyConnection) -> None:
    first = code(small, "note", 2, [5], 0, 3, "R09")
    again = code(small, "note", 2, [5, 6], 0, 3, "R09")
    assert len(first.added) == 1
    assert len(again.added) == 1
    assert again.repeated == ("Service user absent",)
    assert "Already coded so by you, so not added again: Service user absent" in again.message()
    only = code(small, "note", 2, [5], 0, 3, "R09")
    assert only.added == ()
    assert only.message().startswith("Nothing added")
    # Another coder, another span or the whole note is another coding.
    assert code(small, "note", 2, [5], 0, 3, "R10").added
    assert code(small, "note", 2, [5], 0, 4, "R09").added
    assert code(small, "note", 2, [5], None, None, "R09").added
    assert code(small, "note", 2, [5], None, None, "R09").added == ()


def test_codes_no_longer_in_the_codebook_or_a_bad_coder_are_refused(small: duckdb.DuckDBPyConnection) -> None:
    before = snapshot(small)
    with pytest.raises(ObservationError, match="no longer in the codebook"):
        code(small, "note", 2, [5, 999], 0, 3, "R09")
    with pytest.raises(ObservationError, match="Choose at least one code"):
        code(small, "note", 2, [], 0, 3, "R09")
    with pytest.raises(ObservationError, match="Coder 'R\\\\n09'"):
        code(small, "note", 2, [5], 0, 3, "R\n09")
    with pytest.raises(ObservationError, match="There is no interview transcript 999"):
        code(small, "interview", 999, [5], None, None, "R09")
    assert snapshot(small) == before
    assert coding.coder_code(" anna-k2 ") == "anna-k2"
    # A coder from an import codes too: any one line of at most models.PERSON_MAX characters.
    for imported in ("Ana Ruiz", "Zoë", "R_01", "x" * 100):
        assert coding.coder_code(imported) == imported
        assert code(small, "note", 2, [6], 0, 3, imported).added
    for bad, why in (("", "type a coder code"), ("  ", "type a coder code"), ("R\t01", "one line"),
                     ("a\nb", "one line"), ("a\x07b", "control character"), ("x" * 101, "at most 100")):  # fmt: skip
        with pytest.raises(ObservationError, match=why):
            coding.coder_code(bad)
        if bad.strip():
            with pytest.raises(ObservationError, match=why):
                code(small, "note", 2, [6], 0, 3, bad)
    # A signed-in person codes under their email.
    assert code(small, "note", 2, [5], 0, 3, "lead@example.org").added


def test_a_coding_is_changed_and_removed_and_a_change_into_a_repeat_refused(small: duckdb.DuckDBPyConnection) -> None:
    (a,) = code(small, "note", 2, [5], 0, 3, "R09").added
    (b,) = code(small, "note", 2, [6], 0, 3, "R09").added
    assert coding.recode(small, a, coder="R09", start=4, end=10) == "Changed the coding."
    assert small.execute("select span_start, span_end, code_id from coded_segments where id = ?", [a]).fetchone() == (
        4, 10, 5)  # fmt: skip
    assert coding.recode(small, a, coder="R09", start=None, end=None) == "Changed the coding."
    assert coding.recode(small, a, coder="R09", code_id=5) == "Nothing changed."
    before = snapshot(small)
    with pytest.raises(ObservationError, match="R09 already has this coding"):
        coding.recode(small, b, coder="R09", code_id=5, start=None, end=None)
    with pytest.raises(ObservationError, match="not within"):
        coding.recode(small, b, coder="R09", end=1000)
    with pytest.raises(ObservationError, match="no longer in the codebook"):
        coding.recode(small, b, coder="R09", code_id=999)
    assert snapshot(small) == before
    assert coding.uncode(small, b, coder="R09") == "Removed the coding Service-user voice."
    assert small.execute("select count(*) from coded_segments where id = ?", [b]).fetchone() == (0,)
    with pytest.raises(ObservationError, match="no longer in the study"):
        coding.uncode(small, b, coder="R09")


# --- memos ----------------------------------------------------------------------------------------


def memos(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute("select coding_id, code_id, author, body from memos order by all").fetchall()


def test_one_memo_per_coding_or_code_per_author_replaced_on_save_and_removed_when_empty(
    small: duckdb.DuckDBPyConnection,
) -> None:
    (c,) = code(small, "note", 2, [5], 0, 3, "R09").added
    assert coding.write_memo(small, coding_id=c, body="  Said twice.  ", author="R09") == "Memo saved."
    assert coding.write_memo(small, coding_id=c, body="Said three times.", author="R09") == "Memo saved."
    assert coding.write_memo(small, coding_id=c, body="Said three times.", author="R09") == "The memo is as it was."
    coding.write_memo(small, code_id=5, body="Absence, not refusal.", author="R09")
    coding.write_memo(small, code_id=5, body="Absence, or refusal?", author="R10")  # any coder, on a code
    assert memos(small) == [(c, None, "R09", "Said three times."), (None, 5, "R09", "Absence, not refusal."),
                            (None, 5, "R10", "Absence, or refusal?")]  # fmt: skip
    shown = next(x for x in coding.codings(small, "note", 2) if x.id == c)
    assert [(m.author, m.body) for m in shown.memos] == [("R09", "Said three times.")]
    assert [m.body for m in coding.code_memos(small, 5)] == ["Absence, not refusal.", "Absence, or refusal?"]
    assert coding.write_memo(small, code_id=5, body="   ", author="R10") == "Memo removed."
    assert coding.write_memo(small, code_id=5, body="", author="R10") == "No memo to remove."
    before = snapshot(small)
    with pytest.raises(ObservationError, match="on a coding or on a code"):
        coding.write_memo(small, coding_id=c, code_id=5, body="x", author="R09")
    with pytest.raises(ObservationError, match="on a coding or on a code"):
        coding.write_memo(small, body="x", author="R09")
    with pytest.raises(ObservationError, match="control character"):
        coding.write_memo(small, coding_id=c, body="a\x0bb", author="R09")
    with pytest.raises(ObservationError, match="at most 10000"):
        coding.write_memo(small, coding_id=c, body="x" * 10_001, author="R09")
    with pytest.raises(ObservationError, match="no longer in the study"):
        coding.write_memo(small, coding_id=99_999, body="x", author="R09")
    assert snapshot(small) == before
    # A memo goes with its coding: removed with it, and with the note the coding was on.
    coding.uncode(small, c, coder="R09")
    assert memos(small) == [(None, 5, "R09", "Absence, not refusal.")]
    (c,) = code(small, "note", 2, [5], 0, 3, "R09").added
    coding.write_memo(small, coding_id=c, body="Said again.", author="R09")
    coding.uncode(small, c, coder="R09")
    assert memos(small) == [(None, 5, "R09", "Absence, not refusal.")]
    (d,) = code(small, "note", 3, [5], None, None, "R09").added
    coding.write_memo(small, coding_id=d, body="Goes with its note.", author="R09")
    curate.delete_note(small, 3, record.version(small, 1))
    assert memos(small) == [(None, 5, "R09", "Absence, not refusal.")]
    # A merge moves a code's memo to the code it is merged into.
    curate.merge_codes(small, 5, 6)
    assert memos(small) == [(None, 6, "R09", "Absence, not refusal.")]


# --- spans stay within their text when a note is edited elsewhere -------------------------------


def test_a_note_shortened_past_a_coded_passage_is_refused_and_a_longer_one_saved(
    small: duckdb.DuckDBPyConnection,
) -> None:
    body = small.execute("select body from field_notes where id = 2").fetchone()[0]  # type: ignore[index]
    code(small, "note", 2, [5], len(body) - 8, len(body), "R09")
    details = record.MeetingDetails(team_id=1, meeting_date=pd.Timestamp("2020-01-10").date())
    attendance = [
        record.AttendanceEntry(participant_id=p, status=s, participation=lv)
        for p, s, lv in small.execute(
            "select participant_id, status, participation from attendance where meeting_id = 1"
        ).fetchall()
    ]

    def save(text: str) -> int:
        return record.save_meeting(small, 1, details, attendance, [record.NoteEntry(position=2, author="OB-01",
                                   body=text)], record.version(small, 1))  # fmt: skip

    before = snapshot(small)
    with pytest.raises(ObservationError, match=r"note 2 of the meeting of Alpha, 10/01/2020 has 1 coded passage "
                       r"that this change would move or alter"):  # fmt: skip
        save("Who next?!")
    assert snapshot(small) == before
    assert small.execute("select body from field_notes where id = 2").fetchone() == (body,)
    save(body + " And a carer.")
    assert small.execute("select body from field_notes where id = 2").fetchone() == (body + " And a carer.",)


# --- who may ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [COACH_OF_ALPHA, PRESENTER], ids=["coach", "presenter"])
def test_a_coach_and_a_presenter_may_neither_read_nor_code_and_are_audited(
    small: duckdb.DuckDBPyConnection, who: access.Identity
) -> None:
    (c,) = code(small, "note", 1, [5], None, None, "R09").added
    before = snapshot(small)
    calls = [
        lambda: coding.documents(small, StudyFilter(), coding.DocumentQuery()),
        lambda: coding.document(small, "note", 1),  # a note of the coach's own team
        lambda: coding.document(small, "note", 4),  # another team's
        lambda: coding.codings(small, "note", 1),
        lambda: coding.code_choices(small),
        lambda: coding.coders(small),
        lambda: coding.code_memos(small, 5),
        lambda: code(small, "note", 1, [6], None, None, "R09"),
        lambda: coding.uncode(small, c, coder="R09"),
        lambda: coding.recode(small, c, coder="R09", code_id=6),
        lambda: coding.write_memo(small, coding_id=c, body="x", author="R09"),
    ]
    with access.acting_as(who):
        for call in calls:
            with pytest.raises(access.AccessDenied, match=f"not allowed for a {who.role}"):
                call()
    after = snapshot(small)
    assert after["coded_segments"] == before["coded_segments"]
    assert after["memos"] == before["memos"]
    refused = small.execute("select actor, row_key from audit where action = 'refused' order by id").fetchall()
    assert len(refused) == len(calls)
    assert {a for a, _ in refused} == {who.email}
    assert "code_passage" in {k for _, k in refused}


# --- the audit trail in words --------------------------------------------------------------------


def test_every_coding_write_is_audited_and_told_in_words(small: duckdb.DuckDBPyConnection) -> None:
    (c,) = code(small, "note", 2, [5], 0, 3, "R09").added
    coding.recode(small, c, coder="R09", code_id=6, start=4, end=9)
    coding.write_memo(small, coding_id=c, body="First thought.", author="R09")
    coding.write_memo(small, coding_id=c, body="Second thought.", author="R09")
    coding.write_memo(small, code_id=5, body="On the code.", author="R09")
    coding.uncode(small, c, coder="R09")
    told = list(trail.told(small, limit=7)["what"])[::-1]
    note = "note 2 of the meeting of Alpha, 10/01/2020"
    assert told[:7] == [
        f"Coded characters 0 to 3 of {note} as “Service user absent” (coder R09)",
        f"Changed the coding “Service-user voice” on {note}: code “Service user absent” → “Service-user voice”; "
        "passage characters 0 to 3 → characters 4 to 9",
        f"Wrote a memo on the coding “Service-user voice” on {note}: “First thought.”",
        f"Changed the memo on the coding “Service-user voice” on {note}: “First thought.” → “Second thought.”",
        "Wrote a memo on the code “Service user absent”: “On the code.”",
        f"Removed the memo on the coding “Service-user voice” on {note}: “Second thought.”",
        f"Removed the coding “Service-user voice” of characters 4 to 9 of {note} (coder R09)",
    ]
    actions = small.execute("select action, table_name from audit order by id").fetchall()
    assert actions[-7:] == [("create", "coded_segments"), ("change", "coded_segments"), ("create", "memos"),
                            ("change", "memos"), ("create", "memos"), ("delete", "memos"),
                            ("delete", "coded_segments")]  # fmt: skip


# --- exports ---------------------------------------------------------------------------------------


def test_a_full_export_holds_the_memos_and_a_deidentified_one_no_word_of_them(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, reloaded: Reloaded
) -> None:
    (c,) = code(small, "note", 2, [5], 0, 3, "lead@example.org").added
    coding.write_memo(small, coding_id=c, body="A private thought about Alpha.", author="lead@example.org")
    full = export.tables(small, "full").tables
    assert list(full["memos"]["body"]) == ["A private thought about Alpha."]
    shared = export.tables(small, "deidentified").tables
    kept = shared["memos"]
    assert "body" not in kept.columns
    assert list(kept["coding_id"]) == [c]
    assert not any("lead@example.org" in str(v) for v in kept.to_numpy().ravel())
    # The author is given the coder's fresh code, so a memo still reads beside its coder's codings.
    coders = shared["coded_segments"].set_index("id")["coder"]
    assert kept["author"].iloc[0] == coders[c] != "lead@example.org"
    assert "memos" not in export.tables(small, "aggregate").tables
    # And a full export in Parquet fills a new study with them.
    assert memos(reloaded(small)) == memos(small)


# --- the memos table in an existing study file ------------------------------------------------------


def test_a_study_file_made_before_memos_gains_them_with_every_row_kept(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    build_small_study(path)
    with duckdb.connect(str(path)) as raw:  # as it was before 0009_memos
        raw.execute("drop table memos")
        raw.execute("delete from migrations where name = '0009_memos'")
        wanted = raw.execute("select * from coded_segments order by all").fetchall()
    copy = tmp_path / "copy.duckdb"
    shutil.copy(path, copy)
    con = db.connect(copy)
    try:
        assert con.execute("select count(*) from memos").fetchone() == (0,)
        assert con.execute("select * from coded_segments order by all").fetchall() == wanted
        assert "0009_memos" in {n for (n,) in con.execute("select name from migrations").fetchall()}
        (c,) = code(con, "note", 2, [5], 0, 3, "R09").added
        coding.write_memo(con, coding_id=c, body="Works at once.", author="R09")
        assert memos(con) == [(c, None, "R09", "Works at once.")]
    finally:
        con.close()


# --- each coder's own codings; the passage as it was seen ----------------------------------------------


def test_only_the_coder_of_a_coding_changes_removes_or_writes_a_memo_on_it(small: duckdb.DuckDBPyConnection) -> None:
    (mine,) = code(small, "note", 2, [5], 0, 3, "R09").added
    before = snapshot(small)
    for attempt in (
        lambda: coding.recode(small, mine, coder="R10", code_id=6),
        lambda: coding.recode(small, mine, coder="R10", start=None, end=None),
        lambda: coding.uncode(small, mine, coder="R10"),
        lambda: coding.write_memo(small, coding_id=mine, body="I read it otherwise.", author="R10"),
    ):
        with pytest.raises(ObservationError, match="This coding is R09's, not yours \\(R10\\): only they may"):
            attempt()
    assert snapshot(small) == before
    assert coding.recode(small, mine, coder="R09", code_id=6) == "Changed the coding."
    assert coding.write_memo(small, coding_id=mine, body="Mine.", author="R09") == "Memo saved."
    assert coding.uncode(small, mine, coder="R09").startswith("Removed the coding")


def test_a_passage_that_changed_since_it_was_seen_is_refused_and_nothing_written(
    small: duckdb.DuckDBPyConnection,
) -> None:
    body = "Patients too unwell to join the group."
    note = add_note(small, body)
    start, end = body.index("too"), body.index(" to join")
    before = snapshot(small)
    for seen, a, b in (("too unwel", start, end), ("Patients too unwell", start, end), (body + "!", None, None)):
        with pytest.raises(
            ObservationError, match="The field note changed since you opened it: choose the passage again"
        ):
            coding.code_passage(small, "note", note, [5], a, b, "R09", seen=seen)
    assert snapshot(small) == before
    assert coding.code_passage(small, "note", note, [5], start, end, "R09", seen="too unwell").added
    assert coding.code_passage(small, "note", note, [5], None, None, "R09", seen=body).added


def test_codings_and_code_choices_give_a_code_the_same_path(small: duckdb.DuckDBPyConnection) -> None:
    child = small.execute("select id, name, parent_id from codes where parent_id is not null limit 1").fetchone()
    assert child is not None
    (parent,) = small.execute("select name from codes where id = ?", [child[2]]).fetchone()  # type: ignore[misc]
    (c,) = code(small, "note", 2, [int(child[0])], 0, 3, "R09").added
    (shown,) = (x for x in coding.codings(small, "note", 2) if x.id == c)
    assert shown.code.path == f"{parent} › {child[1]}"
    assert shown.code == next(r for r in coding.code_choices(small) if r.id == child[0])
