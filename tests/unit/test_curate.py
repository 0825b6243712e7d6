"""Editing teams, participants and the codebook, merging codes, and deleting a meeting or a note,
on the small study (tests/small_study.py) whose rows are known one by one."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from observation import curate, db, integrity, record
from observation import trail as trail_module
from observation.errors import ObservationError

pytestmark = pytest.mark.both_backends  # storage, import, export, audit and access: on both backends


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return db.table_counts(con)


def audit_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, object]]:
    return [
        (a, t, k, json.loads(b) if b else None)
        for a, t, k, b in con.execute("select action, table_name, row_key, before from audit order by id").fetchall()
    ]


def test_deleting_a_meeting_says_what_goes_and_takes_exactly_that(small: duckdb.DuckDBPyConnection) -> None:
    removal = curate.meeting_removal(small, 1)
    # m1: five attendance marks, two filled roles, notes n1 and n2, and their five coded segments.
    assert removal.rows == {"field_notes": 2, "attendance": 5, "meeting_roles": 2, "coded_segments": 5, "memos": 0,
                            "contributions": 0, "feedback_responses": 0}  # fmt: skip
    assert removal.describe() == (
        "Deleting the meeting of Alpha on 10 Jan 2020 also deletes "
        "5 attendance marks, 2 filled roles, 2 field notes, 5 coded segments."
    )
    before = counts(small)

    assert curate.delete_meeting(small, 1, seen_version=0, who="R01") == removal

    after = counts(small)
    gone = {t: before[t] - after[t] for t in before if before[t] != after[t]}
    assert gone == {"meetings": 1, **{t: n for t, n in removal.rows.items() if n}}  # memos, contributions: none
    assert small.execute("select count(*) from meetings where id = 1").fetchone() == (0,)
    assert small.execute("select count(*) from recruitment_events").fetchone() == (13,)  # these stay
    assert integrity.dangling(db.cursor(small)) == []
    trail = audit_rows(small)
    assert [(a, t) for a, t, _, _ in trail] == [
        ("delete", "coded_segments"), ("delete", "field_notes"), ("delete", "meeting_roles"),
        ("delete", "attendance"), ("delete", "meetings"),
    ]  # fmt: skip
    assert trail[-1][3] == [
        {"id": 1, "team_id": 1, "meeting_date": "2020-01-10", "duration_minutes": None, "status": "held",
         "format": "service_base", "action_items": 3, "evaluated": True}
    ]  # fmt: skip
    assert {r["body"] for r in trail[1][3]} == {  # type: ignore[union-attr]
        "A-SU1 asked why the transport item keeps coming back.",
        "Who should we invite next? Someone who sees the bigger picture.",
    }


def test_a_meeting_saved_by_someone_else_is_not_deleted(small: duckdb.DuckDBPyConnection) -> None:
    opened = record.version(small, 2)
    loaded = record.load(small, 2)
    assert loaded is not None
    record.save_meeting(small, 2, loaded.details, [], list(loaded.notes), opened, who="R02")
    before = counts(small)

    with pytest.raises(record.Conflict, match="R02 saved this meeting"):
        curate.delete_meeting(small, 2, seen_version=opened, who="R01")

    assert counts(small) == before


def test_deleting_a_note_takes_its_segments_and_moves_the_meeting_on(small: duckdb.DuckDBPyConnection) -> None:
    assert curate.note_removal(small, 2).describe() == "Deleting note 2 also deletes 3 coded segments."
    curate.delete_note(small, 2, seen_version=0, who="R01")

    assert small.execute("select id from field_notes where meeting_id = 1").fetchall() == [(1,)]
    assert small.execute("select id from coded_segments where note_id = 1 order by id").fetchall() == [(1,), (2,)]
    assert small.execute("select count(*) from coded_segments").fetchone() == (8,)
    assert record.version(small, 1) == 1  # a form opened before the deletion can no longer save over it
    with pytest.raises(record.Conflict):
        curate.delete_note(small, 1, seen_version=0)


def test_merging_codes_moves_segments_and_reasons_without_doubling(small: duckdb.DuckDBPyConnection) -> None:
    # Code 3 has segments 5 (n2, R02), 9 (n4, R01) and 10 (n4, R02); R02 on n2 and R01 on n4 already
    # gave code 2 to the same text, so two are repeats. Two recruitment steps give code 3 as the reason.
    preview = curate.merge_preview(small, 3, 2)
    assert preview == curate.Merge("Complexity of mental illness", 'Finding the "right" service user', 3, 2, 2, 0, 0)

    assert curate.merge_codes(small, 3, 2, who="R01") == preview

    assert small.execute("select count(*) from codes where id = 3").fetchone() == (0,)
    assert small.execute("select id, note_id, coder from coded_segments where code_id = 2 order by id").fetchall() == [
        (3, 2, "R01"), (4, 2, "R02"), (8, 4, "R01"), (10, 4, "R02"),
    ]  # fmt: skip
    assert small.execute("select id from recruitment_events where reason_code_id = 2 order by id").fetchall() == [
        (10,), (13,),
    ]  # fmt: skip
    assert integrity.dangling(db.cursor(small)) == []
    (action, table, key, before) = audit_rows(small)[-1]
    assert (action, table, key, before["slug"]) == (  # type: ignore[index]
        "delete", "codes", "id=3", "recruitment_tension.complexity_of_illness",
    )  # fmt: skip


def memos(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute("select coding_id, code_id, author, body from memos order by all").fetchall()


def write_memos(con: duckdb.DuckDBPyConnection, memos: list[tuple[str, int, str, str]]) -> None:
    """Each ``(on, id, author, body)``: a memo on a coding ("coding") or on a code ("code"), written
    as an import brings them (the Coding page lets only a coding's own coder write on it)."""
    with db.transaction(con) as cur:
        for on, row_id, author, body in memos:
            cur.execute(
                f"insert into memos (id, {on}_id, author, body, written_at) "  # on: coding or code
                "select coalesce(max(id), 0) + 1, ?, ?, ?, current_timestamp from memos",
                [row_id, author, body],
            )


def test_merging_codes_moves_their_memos_and_keeps_both_texts_where_the_author_has_one(
    small: duckdb.DuckDBPyConnection,
) -> None:
    # Merging code 3 into code 2: segments 5 (n2, R02) and 9 (n4, R01) repeat segments 4 and 8 of
    # code 2 and are removed; segment 10 moves.
    write_memos(small, [
        ("code", 3, "R01", "Acuity shapes who is asked."),  # R01 has one on code 2: joined to it
        ("code", 2, "R01", "Fit is a judgement."),
        ("code", 3, "R02", "Illness, not choice."),  # moves to code 2
        ("coding", 5, "R02", "Both readings apply."),  # moves to segment 4
        ("coding", 9, "R05", "The ward manager's words."),  # R05 has one on segment 8: joined to it
        ("coding", 8, "R05", "Said at the door."),
        ("coding", 10, "R01", "Stays with its coding."),  # its segment moves, and it with it
        ("code", 6, "R01", "Untouched."),
    ])  # fmt: skip
    before = counts(small)
    entries = len(audit_rows(small))

    preview = curate.merge_preview(small, 3, 2)
    assert (preview.memos, preview.joined) == (4, 2)
    assert curate.merge_codes(small, 3, 2, who="R01") == preview

    source = "Complexity of mental illness"
    assert memos(small) == [
        (4, None, "R02", "Both readings apply."),
        (8, None, "R05", f"Said at the door.\n\n(from {source}) The ward manager's words."),
        (10, None, "R01", "Stays with its coding."),
        (None, 2, "R01", f"Fit is a judgement.\n\n(from {source}) Acuity shapes who is asked."),
        (None, 2, "R02", "Illness, not choice."),
        (None, 6, "R01", "Untouched."),
    ]  # fmt: skip
    assert small.execute("select count(*) from coded_segments where id in (5, 9)").fetchone() == (0,)
    assert {t: before[t] - n for t, n in counts(small).items() if before[t] != n} == {"codes": 1, "coded_segments": 2}
    assert integrity.dangling(db.cursor(small)) == []
    # The trail keeps every memo as it was: the two joined ones removed, the others changed.
    trail = [(a, t, b) for a, t, _, b in audit_rows(small)[entries:] if t == "memos"]
    assert sorted((a, b["body"]) for a, _, b in trail) == [  # type: ignore[index]
        ("change", "Both readings apply."), ("change", "Fit is a judgement."), ("change", "Illness, not choice."),
        ("change", "Said at the door."), ("delete", "Acuity shapes who is asked."),
        ("delete", "The ward manager's words."),
    ]  # fmt: skip
    (joined_to,) = small.execute(
        "select list(after order by id) from audit where table_name = 'memos' and action = 'delete'"
    ).fetchone()  # type: ignore[misc]
    assert all("joined_to" in json.loads(a) for a in joined_to)
    # The Audit trail tells each in words: two moved; two added to their author's memo, which changed.
    what = list(trail_module.told(small, ["change", "delete"])["what"])
    assert sum(w.startswith("Moved the memo on ") and ", merging codes: " in w for w in what) == 2
    assert sum(w.startswith("Added the memo on ") and "to its author's memo where it moved" in w for w in what) == 2
    assert sum(w.startswith("Changed the memo on ") and "(from " in w for w in what) == 2


def test_a_merge_that_fails_moves_no_memo(small: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    write_memos(small, [("code", 3, "R01", "On code 3."), ("code", 2, "R01", "On code 2."),
                        ("coding", 5, "R02", "On segment 5.")])  # fmt: skip
    kept, before, entries = memos(small), counts(small), len(audit_rows(small))

    def refuse(*_: object, **__: object) -> None:
        raise ObservationError("refused at the last step")

    monkeypatch.setattr(integrity, "require_intact", refuse)
    with pytest.raises(ObservationError, match="refused at the last step"):
        curate.merge_codes(small, 3, 2)
    assert (memos(small), counts(small), len(audit_rows(small))) == (kept, before, entries)


def test_a_deletes_preview_counts_the_memos_on_the_codings_that_go(
    small: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_memos(small, [
        ("coding", 3, "R01", "On n2."), ("coding", 5, "R02", "Also on n2."), ("coding", 5, "R03", "A third on n2."),
        ("coding", 1, "R01", "On n1."),  # meeting 1's other note
        ("coding", 6, "R01", "On n3."),  # another meeting's
        ("code", 2, "R01", "On the code, which stays."),
    ])  # fmt: skip
    removal = curate.note_removal(small, 2)
    assert removal.rows["memos"] == 3
    assert removal.describe() == "Deleting note 2 also deletes 3 coded segments, 3 memos."
    # A delete refused at its last check (after the memos were removed with their codings) takes none.
    with monkeypatch.context() as m:
        m.setattr(integrity, "_spans_past_text", lambda *_: ["refused at the last step"])
        with pytest.raises(ObservationError, match="refused at the last step"):
            curate.delete_note(small, 2, seen_version=0)
    assert len(memos(small)) == 6

    assert curate.delete_note(small, 2, seen_version=0) == removal
    assert [b for *_, b in memos(small)] == ["On n1.", "On n3.", "On the code, which stays."]

    removal = curate.meeting_removal(small, 1)
    assert removal.describe() == (
        "Deleting the meeting of Alpha on 10 Jan 2020 also deletes "
        "5 attendance marks, 2 filled roles, 1 field note, 2 coded segments, 1 memo."
    )
    curate.delete_meeting(small, 1, seen_version=1)
    assert [b for *_, b in memos(small)] == ["On n3.", "On the code, which stays."]
    assert integrity.dangling(db.cursor(small)) == []


@pytest.mark.parametrize(
    ("source", "target", "reason"),
    [
        (1, 4, "'Recruitment tension' has sub-codes (Complexity of mental illness, Finding"),
        (2, 2, "choose two different codes"),
        (2, 99, "no longer exists"),
    ],
)
def test_a_merge_that_cannot_be_done_is_refused_and_writes_nothing(
    small: duckdb.DuckDBPyConnection, source: int, target: int, reason: str
) -> None:
    before = counts(small)
    with pytest.raises(ObservationError, match=reason.replace("(", r"\(")):
        curate.merge_codes(small, source, target)
    assert counts(small) == before


def test_codes_are_added_under_a_parent_and_renamed_in_use(small: duckdb.DuckDBPyConnection) -> None:
    new = curate.add_code(small, 1, curate.CodeEntry(name="Staff turnover!", definition="People leave."))
    assert small.execute("select slug, parent_id from codes where id = ?", [new]).fetchone() == (
        "recruitment_tension.staff_turnover", 1,
    )  # fmt: skip
    with pytest.raises(ObservationError, match=r"already has recruitment_tension\.staff_turnover"):
        curate.add_code(small, 1, curate.CodeEntry(name="Staff  turnover"))

    renamed = curate.CodeEntry(
        name="Fit", definition="Fit.", com_b="opportunity", valence="barrier", four_pi="presence"
    )
    assert (
        curate.save_codes(
            small, [(2, renamed), (new, curate.CodeEntry(name="Staff turnover!", definition="People leave."))]
        )
        == 1
    )
    assert small.execute("select slug, name from codes where id = 2").fetchone() == (
        "recruitment_tension.right_service_user", "Fit",
    )  # fmt: skip
    assert small.execute("select count(*) from coded_segments where code_id = 2").fetchone() == (3,)


def test_teams_and_participants_are_edited_all_or_nothing(small: duckdb.DuckDBPyConnection) -> None:
    alpha = curate.TeamEntry(name="Gamma", service="Community brain-injury service", setting="community",
                             start_date=dt.date(2020, 1, 1), coach="CO-01")  # fmt: skip
    new = curate.TeamEntry(
        name="Delta", service="Early intervention", setting="community", start_date=dt.date(2021, 3, 1)
    )
    assert curate.save_rows(small, "teams", [(1, alpha), (None, new)], who="R01") == (1, 1)
    assert small.execute("select name from teams order by id").fetchall() == [("Gamma",), ("Beta",), ("Delta",)]

    before = counts(small)
    clash = curate.TeamEntry(name="Beta", service="x", setting="other", start_date=dt.date(2020, 1, 1))
    with pytest.raises(ObservationError, match="'Beta': another team already has this name"):
        curate.save_rows(small, "teams", [(None, new.model_copy(update={"name": "Epsilon"})), (1, clash)])
    assert counts(small) == before

    moved = curate.ParticipantEntry(code="A-SU1", team_id=2, role="service_user", qi_trained=True)
    with pytest.raises(ObservationError, match="A-SU1 has 3 attendance mark\\(s\\) and 5 recruitment step"):
        curate.save_rows(small, "participants", [(3, moved)])  # their history stays with their team
    trained = moved.model_copy(update={"team_id": 1})
    assert curate.save_rows(small, "participants", [(3, trained)]) == (0, 1)
    assert small.execute("select team_id, role, qi_trained from participants where id = 3").fetchone() == (
        1, "service_user", True,
    )  # fmt: skip
    newcomer = curate.ParticipantEntry(code="B-SU9", team_id=2, role="carer")
    assert curate.save_rows(small, "participants", [(None, newcomer)]) == (1, 0)
    (new_id,) = small.execute("select id from participants where code = 'B-SU9'").fetchone()  # type: ignore[misc]
    assert curate.save_rows(small, "participants", [(new_id, newcomer.model_copy(update={"team_id": 1}))]) == (0, 1)
    nowhere = curate.ParticipantEntry(code="X-1", team_id=99, role="nurse")
    with pytest.raises(ObservationError, match="participants name a team_id that is not in teams"):
        curate.save_rows(small, "participants", [(None, nowhere)])
    with pytest.raises(ObservationError, match="the same code twice: A-SU1"):
        curate.save_rows(small, "participants", [(3, trained), (None, trained)])
