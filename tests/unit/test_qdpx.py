"""The coding through REFI-QDA projects (.qdpx): out, back in (into the same study and an empty one),
and in from projects written as NVivo, ATLAS.ti, MAXQDA and QualCoder write them.

Offsets are checked against the text with str.index (characters, as REFI-QDA counts them) on text
holding characters outside the BMP (emoji: 1 character, 2 UTF-16 units, 4 UTF-8 bytes) and
combining accents (2 characters for one letter as shown), so a count of bytes or of UTF-16 units
lands elsewhere."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

from observation import access, db, qdc, qdpx, queries
from observation.cli import main
from observation.errors import ObservationError

pytestmark = pytest.mark.both_backends  # the import's writes on a file and on PostgreSQL

Q = {"q": qdpx.NS}
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# Two notes of Alpha's meeting of 2020-01-24 (m2, which has none in the small study) and an interview.
NOTE_7 = "Cafe\u0301 😀 talk: Zoë said the bus is late again."
NOTE_8 = "Ñandú 🚌 plans; A-SU1 chaired and the room listened."
KI_06 = "I waited 🕰️ an hour. Re\u0301sume\u0301: nobody came, and 𝄞 played on."


def at(text: str, phrase: str) -> tuple[int, int]:
    """Where ``phrase`` is in ``text``, in characters."""
    start = text.index(phrase)
    return start, start + len(phrase)


@pytest.fixture
def study(small: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The small study with two non-ASCII notes and an interview, coded by span, whole, and by an
    e-mail address as coder."""
    s7, e7 = at(NOTE_7, "Zoë said the bus")
    s6, e6 = at(KI_06, "nobody came, and 𝄞")
    with db.transaction(small) as cur:
        cur.execute(
            "insert into field_notes (id, meeting_id, position, minute, author, body) values "
            "(7, 2, 1, 2, 'OB-01', ?), (8, 2, 2, 9, 'OB-02', ?)",
            [NOTE_7, NOTE_8],
        )
        cur.execute(
            "insert into interviews (id, informant_code, informant_group, team_id, interview_date, transcript) "
            "values (6, 'KI-06', 'carer', 1, '2020-01-30', ?)",
            [KI_06],
        )
        cur.execute(
            "insert into coded_segments (note_id, interview_id, code_id, coder, span_start, span_end) values "
            "(7, null, 6, 'R01', ?, ?), (8, null, 5, 'rater@example.org', null, null), "
            "(null, 6, 3, 'R02', ?, ?), (null, 6, 2, 'R01', null, null)",
            [s7, e7, s6, e6],
        )
        db.sync_sequences(cur, ("field_notes", "interviews"))
    return small


def segments(con: duckdb.DuckDBPyConnection) -> set[tuple[Any, ...]]:
    """Every coding as (source identity, code slug, coder, start, end): a note by its team, date and
    position, an interview by its informant."""
    rows = con.execute(
        """
        select coalesce(t.name || ' ' || strftime(m.meeting_date, '%Y-%m-%d') || ' #' || n.position,
                        'interview ' || i.informant_code),
               c.slug, s.coder, s.span_start, s.span_end
        from coded_segments as s
        join codes as c on c.id = s.code_id
        left join field_notes as n on n.id = s.note_id
        left join meetings as m on m.id = n.meeting_id
        left join teams as t on t.id = m.team_id
        left join interviews as i on i.id = s.interview_id
        """
    ).fetchall()
    return set(rows)


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    found = db.table_counts(con)
    found["audit"] = int(con.execute("select count(*) from audit").fetchone()[0])  # type: ignore[index]
    return found


def opened(path: Path) -> tuple[ET.Element, dict[str, str]]:
    """project.qde's root and each sources/ file's text."""
    with zipfile.ZipFile(path) as archive:
        root = ET.fromstring(archive.read("project.qde"))
        texts = {name: archive.read(name).decode("utf-8") for name in archive.namelist() if name.startswith("sources/")}
    return root, texts


# ------------------------------------------------------------------------------------------- export


PROJECT_ORDER = [
    "Users",
    "CodeBook",
    "Variables",
    "Cases",
    "Sources",
    "Notes",
    "Links",
    "Sets",
    "Graphs",
    "Description",
]
SOURCE_ORDER = ["Description", "PlainTextContent", "PlainTextSelection", "Coding", "NoteRef", "VariableValue"]


def in_order(element: ET.Element, order: list[str]) -> bool:
    places = [order.index(child.tag.removeprefix(f"{{{qdpx.NS}}}")) for child in element]
    return places == sorted(places)


def test_the_export_is_a_project_by_the_standards_structure(study: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    written = qdpx.export_project(study, tmp_path / "p.qdpx")
    root, texts = opened(tmp_path / "p.qdpx")
    assert root.tag == f"{{{qdpx.NS}}}Project"
    assert root.get("name")
    assert in_order(root, PROJECT_ORDER)
    users = {u.get("guid"): u.get("name") for u in root.findall("q:Users/q:User", Q)}
    assert set(users.values()) == {"R01", "R02", "rater@example.org"}
    codes = {c.get("guid"): c for c in root.iter(f"{{{qdpx.NS}}}Code")}
    assert len(codes) == 6
    assert all(c.get("isCodable") == "true" for c in codes.values())
    variables = {v.get("guid") for v in root.findall("q:Variables/q:Variable", Q)}
    guids = [e.get("guid") for e in root.iter() if e.get("guid")]
    assert len(guids) == len(set(guids))
    assert all(GUID.match(g or "") for g in guids)
    sources = root.findall("q:Sources/q:TextSource", Q)
    assert len(sources) == written.sources == 6 + 1  # 6 meetings with notes (m2 now has two), 1 interview
    selections = 0
    for source in sources:
        assert in_order(source, SOURCE_ORDER)
        path = source.get("plainTextPath", "")
        assert path.startswith("internal://")
        text = texts[f"sources/{path.removeprefix('internal://')}"]  # its file is there
        for selection in source.findall("q:PlainTextSelection", Q):
            selections += 1
            start, end = int(selection.get("startPosition", "")), int(selection.get("endPosition", ""))
            assert 0 <= start < end <= len(text)
            assert selection.get("creatingUser") in users
            for coding in selection.findall("q:Coding", Q):
                assert coding.get("creatingUser") in users
                assert coding.find("q:CodeRef", Q).get("targetGUID") in codes  # type: ignore[union-attr]
        for given in source.findall("q:VariableValue", Q):
            assert given.find("q:VariableRef", Q).get("targetGUID") in variables  # type: ignore[union-attr]
    assert selections == written.codings == 11 + 4
    assert set(texts) == {f"sources/{s.get('plainTextPath', '').removeprefix('internal://')}" for s in sources}


def test_offsets_count_characters_and_a_meetings_notes_are_one_source(
    study: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    qdpx.export_project(study, tmp_path / "p.qdpx")
    root, texts = opened(tmp_path / "p.qdpx")
    by_name = {s.get("name"): s for s in root.findall("q:Sources/q:TextSource", Q)}
    meeting = by_name["Field notes — Alpha — 2020-01-24"]
    text = texts[f"sources/{meeting.get('guid')}.txt"]
    assert text == NOTE_7 + "\n\n" + NOTE_8  # joined in position order, a blank line between
    spans = {
        (int(s.get("startPosition", "")), int(s.get("endPosition", "")))
        for s in meeting.findall("q:PlainTextSelection", Q)
    }
    assert spans == {at(text, "Zoë said the bus"), at(text, NOTE_8)}  # a whole note: the note's range
    interview = by_name["Interview — KI-06"]
    transcript = texts[f"sources/{interview.get('guid')}.txt"]
    assert transcript == KI_06
    spans = {
        (int(s.get("startPosition", "")), int(s.get("endPosition", "")))
        for s in interview.findall("q:PlainTextSelection", Q)
    }
    assert spans == {at(KI_06, "nobody came, and 𝄞"), (0, len(KI_06))}
    description = interview.find("q:Description", Q).text or ""  # type: ignore[union-attr]
    record = json.loads(description.splitlines()[-1].removeprefix(qdpx.RECORD))
    assert record | {"team": record["team"]["name"]} == {
        "kind": "interview", "informant_code": "KI-06", "informant_group": "carer", "team": "Alpha",
        "date": "2020-01-30",
    }  # fmt: skip
    values = {
        v.find("q:VariableRef", Q).get("targetGUID"): "".join(v.itertext()).strip()  # type: ignore[union-attr]
        for v in interview.findall("q:VariableValue", Q)
    }
    names = {v.get("guid"): v.get("name") for v in root.findall("q:Variables/q:Variable", Q)}
    assert {names[g]: value for g, value in values.items()} == {
        "Source kind": "interview", "Informant code": "KI-06", "Informant group": "carer",
        "Interview date": "2020-01-30", "Team": "Alpha",
    }  # fmt: skip


def test_two_exports_of_a_study_name_everything_alike(study: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    qdpx.export_project(study, tmp_path / "a.qdpx")
    qdpx.export_project(study, tmp_path / "b.qdpx")
    (a, a_texts), (b, b_texts) = opened(tmp_path / "a.qdpx"), opened(tmp_path / "b.qdpx")
    assert [e.get("guid") for e in a.iter()] == [e.get("guid") for e in b.iter()]
    assert a_texts == b_texts
    # and the codes carry the codebook's (.qdc) GUIDs, so a .qdc and a .qdpx name a code alike
    assert {c.get("guid") for c in a.iter(f"{{{qdpx.NS}}}Code")} == {
        qdc.guid(slug) for (slug,) in study.execute("select slug from codes").fetchall()
    }


def test_another_study_names_its_sources_and_coders_otherwise(study: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """The GUIDs are of the study (its name, when it was created): rename it and its sources, users and
    selections are named anew; its codes keep their codebook GUIDs."""
    qdpx.export_project(study, tmp_path / "a.qdpx")
    with db.transaction(study) as cur:
        cur.execute("update study set name = name || ' (copy)'")
    qdpx.export_project(study, tmp_path / "b.qdpx")
    (a, _), (b, _) = opened(tmp_path / "a.qdpx"), opened(tmp_path / "b.qdpx")

    def guids(root: ET.Element, tag: str) -> list[str | None]:
        return [e.get("guid") for e in root.iter(f"{{{qdpx.NS}}}{tag}")]

    for tag in ("TextSource", "User", "PlainTextSelection"):
        assert guids(a, tag), tag
        assert len(guids(b, tag)) == len(guids(a, tag)), tag
        assert not set(guids(a, tag)) & set(guids(b, tag)), tag
    assert guids(a, "Code") == guids(b, "Code")


def test_an_export_never_overwrites_and_is_audited(study: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    out = tmp_path / "p.qdpx"
    out.write_bytes(b"mine")
    with pytest.raises(ObservationError, match="already exists: choose a new name"):
        qdpx.export_project(study, out)
    assert out.read_bytes() == b"mine"
    assert study.execute("select count(*) from audit where action = 'export'").fetchone() == (0,)
    written = qdpx.export_project(study, tmp_path / "new.qdpx")
    entry = study.execute("select table_name, row_key, after from audit where action = 'export'").fetchone()
    assert entry is not None
    assert entry[:2] == ("coded_segments", str(tmp_path / "new.qdpx"))
    assert json.loads(entry[2])["codings"] == written.codings


def test_a_span_past_the_end_of_its_text_is_left_out_and_said(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    from tests.small_study import add_interviews

    add_interviews(small)  # segment 102 runs to 73 in a transcript of 72 characters
    written = qdpx.export_project(small, tmp_path / "p.qdpx")
    assert len(written.left_out) == 1
    assert "coded segment 102" in written.left_out[0]
    assert written.codings == 11 + 8 - 1


def test_a_coach_may_not_export(study: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    coach = access.Identity(email="c@example.org", role="coach", teams=frozenset({1}))
    with access.acting_as(coach), pytest.raises(access.AccessDenied):
        qdpx.export_project(study, tmp_path / "p.qdpx")
    assert not (tmp_path / "p.qdpx").exists()


# ------------------------------------------------------------------------------------ round trip


def whole_and_full(con: duckdb.DuckDBPyConnection) -> set[tuple[Any, ...]]:
    """Codings whose span is exactly the whole note or transcript, besides codings of the whole (no span)
    of the same notes and transcript: note 7 by R03 as a span from 0 to its end and as the whole, note 8
    by R03 as a span of all of it, the transcript by R03 as a span of all of it; what they are, as
    ``segments`` says them."""
    with db.transaction(con) as cur:
        cur.execute(
            "insert into coded_segments (note_id, interview_id, code_id, coder, span_start, span_end) values "
            "(7, null, 2, 'R03', 0, ?), (7, null, 2, 'R03', null, null), (8, null, 4, 'R03', 0, ?), "
            "(null, 6, 4, 'R03', 0, ?)",
            [len(NOTE_7), len(NOTE_8), len(KI_06)],
        )
    right = "recruitment_tension.right_service_user"
    slug = con.execute("select slug from codes where id = 4").fetchone()[0]  # type: ignore[index]
    return {
        ("Alpha 2020-01-24 #1", right, "R03", 0, len(NOTE_7)),
        ("Alpha 2020-01-24 #1", right, "R03", None, None),
        ("Alpha 2020-01-24 #2", slug, "R03", 0, len(NOTE_8)),
        ("interview KI-06", slug, "R03", 0, len(KI_06)),
    }


def test_a_round_trip_into_an_empty_study_keeps_every_span_code_and_coder(
    study: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Every span comes back exactly: one that covers its whole note or transcript stays a span, and a
    coding of the whole note or transcript (no span) stays one."""
    added = whole_and_full(study)
    assert added <= segments(study)
    wholes = {s for s in segments(study) if s[3] is None}
    assert ("Alpha 2020-01-24 #1", "recruitment_tension.right_service_user", "R03", None, None) in wholes
    qdpx.export_project(study, tmp_path / "p.qdpx")
    fresh = db.connect(tmp_path / "empty.duckdb")
    try:
        imported = qdpx.import_project(fresh, tmp_path / "p.qdpx")
        assert segments(fresh) == segments(study)
        assert added | wholes <= segments(fresh)
        assert (imported.created, imported.teams, imported.meetings, imported.notes, imported.interviews) == (
            15 + 4, 2, 6, 8, 1,
        )  # fmt: skip
        ours = "select t.name, m.meeting_date, m.status, n.position, n.minute, n.author, n.body from field_notes n "
        ours += "join meetings m on m.id = n.meeting_id join teams t on t.id = m.team_id order by all"
        assert fresh.execute(ours).fetchall() == study.execute(ours).fetchall()
        theirs = "select informant_code, informant_group, interview_date, transcript from interviews order by all"
        assert fresh.execute(theirs).fetchall() == study.execute(theirs).fetchall()
        names = "select slug, name, definition from codes order by slug"
        assert fresh.execute(names).fetchall() == study.execute(names).fetchall()
        # once in, again: nothing added, nothing audited
        before = counts(fresh)
        again = qdpx.import_project(fresh, tmp_path / "p.qdpx")
        assert (again.created, again.skipped) == (0, 15 + 4)
        assert counts(fresh) == before
    finally:
        fresh.close()


def test_its_own_export_back_into_the_same_study_adds_nothing(study: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    whole_and_full(study)
    qdpx.export_project(study, tmp_path / "p.qdpx")
    before, held = counts(study), segments(study)
    imported = qdpx.import_project(study, tmp_path / "p.qdpx")
    assert imported.created == 0
    assert imported.skipped == 15 + 4
    assert "nothing to import" in imported.said("p.qdpx")
    assert counts(study) == before
    assert segments(study) == held


def test_only_our_own_mark_makes_a_selection_a_coding_of_the_whole(
    study: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """The export lists its codings of a whole note or transcript (their selections' GUIDs) in the
    project's record; without that mark (another program's project, or the list taken away) a selection
    of a whole note stays the span it is — and is one the study holds already, whole or not."""
    qdpx.export_project(study, tmp_path / "p.qdpx")
    root, texts = opened(tmp_path / "p.qdpx")
    description = root.find("q:Description", Q)
    record = json.loads((description.text or "").splitlines()[-1].removeprefix(qdpx.RECORD))  # type: ignore[union-attr]
    selections = {s.get("guid"): s for s in root.iter(f"{{{qdpx.NS}}}PlainTextSelection")}
    nulls = study.execute("select count(*) from coded_segments where span_start is null").fetchone()[0]  # type: ignore[index]
    assert len(set(record["whole"])) == len(record["whole"]) == nulls > 0
    assert set(record["whole"]) <= set(selections)
    record["whole"] = []
    description.text = f"{qdpx.RECORD}{json.dumps(record)}"  # type: ignore[union-attr]
    unmarked = build(tmp_path, ET.tostring(root, encoding="unicode"), texts, name="unmarked.qdpx")
    before = counts(study)
    assert qdpx.import_project(study, unmarked).created == 0  # the same passages: held already
    assert counts(study) == before
    fresh = db.connect(tmp_path / "empty.duckdb")
    try:
        qdpx.import_project(fresh, unmarked)
        assert {s for s in segments(fresh) if s[3] is None} == set()
        note_8 = ("Alpha 2020-01-24 #2", "presence.service_user_absent", "rater@example.org", 0, len(NOTE_8))
        assert note_8 in segments(fresh)
        assert qdpx.import_project(fresh, tmp_path / "p.qdpx").created == 0  # marked: the same passages
    finally:
        fresh.close()


def test_a_coding_taken_away_comes_back_once_in_one_audited_transaction(
    study: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    qdpx.export_project(study, tmp_path / "p.qdpx")
    held = segments(study)
    with db.transaction(study) as cur:
        cur.execute(
            "delete from coded_segments where (note_id = 7 and coder = 'R01') or (interview_id = 6 and coder = 'R02')"
        )
    imported = qdpx.import_project(study, tmp_path / "p.qdpx")
    assert (imported.created, imported.skipped) == (2, 13)
    assert segments(study) == held
    entry = study.execute("select table_name, row_key, after from audit where action = 'import'").fetchall()
    assert len(entry) == 1
    assert entry[0][:2] == ("coded_segments", "p.qdpx")
    assert json.loads(entry[0][2])["counts"]["coded_segments"] == {"created": 2, "skipped": 13}


def test_a_study_changed_between_the_check_and_the_write_is_left_as_it_is(
    study: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    qdpx.export_project(study, tmp_path / "p.qdpx")
    with db.transaction(study) as cur:
        cur.execute("delete from coded_segments where note_id = 7")
    write = qdpx._write

    def edited_meanwhile(*args: Any, **kwargs: Any) -> qdpx.Imported:
        with db.transaction(study) as cur:  # someone edits a note after the project was checked
            cur.execute("update field_notes set body = 'Rewritten.' where id = 7")
        return write(*args, **kwargs)

    monkeypatch.setattr(qdpx, "_write", edited_meanwhile)
    before = segments(study)
    with pytest.raises(ObservationError, match="the study changed while the project was being checked"):
        qdpx.import_project(study, tmp_path / "p.qdpx")
    assert segments(study) == before


# ------------------------------------------------------------------------ other programs' projects


def build(tmp_path: Path, qde: str, files: dict[str, str] | None = None, name: str = "theirs.qdpx") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde.encode("utf-8"))
        for member, text in (files or {}).items():
            archive.writestr(member, text.encode("utf-8"))
    return path


def project(users: str, codes: str, sources: str, creating: str = "") -> str:
    made = f' creatingUserGUID="{creating}"' if creating else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="{qdpx.NS}" name="Ward study" origin="test"{made}>'
        f"<Users>{users}</Users><CodeBook><Codes>{codes}</Codes></CodeBook><Sources>{sources}</Sources></Project>"
    )


def selection(guid: str, span: tuple[int, int], code: str, user: str | None) -> str:
    by = f' creatingUser="{user}"' if user else ""
    return (
        f'<PlainTextSelection guid="{guid}" startPosition="{span[0]}" endPosition="{span[1]}"{by}>'
        f'<Coding guid="{guid[:-4]}c0de"{by}><CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
    )


U1, U2, U3 = (f"{n}{n}{n}{n}{n}{n}{n}{n}-0000-4000-8000-00000000000{n}" for n in "123")
S1, S2, S3 = (f"5{n}5{n}5{n}5{n}-0000-4000-8000-00000000000{n}" for n in "123")
C_PRESENCE, C_VOICE, C_NEW, C_NEW_CHILD = (f"c{n}c{n}c{n}c{n}-0000-4000-8000-00000000000{n}" for n in "1234")
CODES = (
    f'<Code guid="{C_PRESENCE}" name="Presence" isCodable="true">'
    f'<Code guid="{C_VOICE}" name="Voice" isCodable="true"/></Code>'
    f'<Code guid="{C_NEW}" name="Power &amp; voice" isCodable="false"><Description>Who speaks.</Description>'
    f'<Code guid="{C_NEW_CHILD}" name="Token présence 😶" isCodable="true"><Description>Là sans voix.</Description>'
    "</Code></Code>"
)
NEW_TRANSCRIPT = "Ich kam 🚶‍♀️ zu spät. Cafe\u0301 war zu; niemand fragte warum. 🙂"


def meeting_text() -> str:
    return NOTE_7 + "\n\n" + NOTE_8


def nvivo_like(tmp_path: Path, s1: tuple[int, int], s2: tuple[int, int]) -> Path:
    """NVivo: text in sources/ as internal:// files, upper-case GUIDs, the coder on each Coding."""
    up = str.upper
    users = f'<User guid="{up(U1)}" name="Ana Ruiz"/><User guid="{up(U2)}" name="Bo Li"/>'
    sources = (
        f'<TextSource guid="{up(S1)}" name="Alpha team meeting 24/01/2020" plainTextPath="internal://{up(S1)}.txt">'
        + selection("a0000000-0000-4000-8000-00000000a001", s1, up(C_NEW_CHILD), up(U1))
        + selection("a0000000-0000-4000-8000-00000000a002", s2, up(C_VOICE), up(U2))
        + "</TextSource>"
        f'<TextSource guid="{up(S2)}" name="KI-07 transcript" plainTextPath="internal://{up(S2)}.txt">'
        + selection("a0000000-0000-4000-8000-00000000a003", at(NEW_TRANSCRIPT, "niemand fragte"), up(C_NEW), up(U1))
        + "</TextSource>"
    )
    files = {f"sources/{up(S1)}.txt": meeting_text(), f"sources/{up(S2)}.txt": NEW_TRANSCRIPT}
    return build(tmp_path, project(users, CODES, sources), files)


def mapping(tmp_path: Path, rows: list[dict[str, str]]) -> list[qdpx.Mapping]:
    path = tmp_path / "map.csv"
    path.write_text(qdpx.mapping_csv(qdpx.Mapping(**r) for r in rows), encoding="utf-8")  # type: ignore[arg-type]
    return qdpx.read_mapping(path)


NVIVO_MAP = [
    {"source": "Alpha team meeting 24/01/2020", "source_guid": S1, "maps_to": "meeting", "team": "Alpha",
     "date": "24/01/2020"},
    {"source": "KI-07 transcript", "source_guid": S2, "maps_to": "new interview", "team": "Beta",
     "date": "2020-02-14", "informant_code": "KI-07", "informant_group": "service_user"},
]  # fmt: skip


def test_a_project_from_another_program_comes_in_with_a_mapping(
    study: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    text = meeting_text()
    s1, s2 = at(text, "Zoë said"), (len(NOTE_7) + 2, len(text))  # a span in note 7; the whole of note 8
    path = nvivo_like(tmp_path, s1, s2)
    before = segments(study)
    imported = qdpx.import_project(study, path, mapping(tmp_path, NVIVO_MAP))
    assert (imported.created, imported.codes, imported.interviews) == (3, 2, 1)
    start = NOTE_7.index("Zoë said")
    assert segments(study) - before == {
        ("Alpha 2020-01-24 #1", "power_voice.token_presence", "Ana Ruiz", start, start + len("Zoë said")),
        ("Alpha 2020-01-24 #2", "presence.voice", "Bo Li", 0, len(NOTE_8)),  # all of note 8: a span, as written
        ("interview KI-07", "power_voice", "Ana Ruiz", *at(NEW_TRANSCRIPT, "niemand fragte")),
    }
    assert study.execute(
        "select p.slug, c.name, c.definition from codes c join codes p on p.id = c.parent_id where c.slug like 'power%'"
    ).fetchall() == [("power_voice", "Token présence 😶", "Là sans voix.")]
    assert study.execute(
        "select informant_group, t.name, interview_date, transcript from interviews i join teams t on t.id = i.team_id "
        "where informant_code = 'KI-07'"
    ).fetchone() == ("service_user", "Beta", __import__("datetime").date(2020, 2, 14), NEW_TRANSCRIPT)
    # again: nothing more
    again = qdpx.import_project(
        study, path, mapping(tmp_path, [{**NVIVO_MAP[0]}, {**NVIVO_MAP[1], "maps_to": "interview"}])
    )
    assert (again.created, again.skipped) == (0, 3)


def test_atlas_and_qualcoder_styles_text_inline_braced_guids_and_the_coder_from_the_selection(
    study: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """ATLAS.ti: GUIDs in braces, the user on the selection only; QualCoder-like: PlainTextContent;
    a user with no name is known by its GUID; a relative:// path inside the project."""
    users = f'<User guid="{{{U1}}}" name="R01"/><User guid="{U3}"/>'
    transcript = study.execute("select transcript from interviews where informant_code = 'KI-06'").fetchone()[0]  # type: ignore[index]
    sources = (
        f'<TextSource guid="{{{S1}}}" name="Notes"><PlainTextContent>{meeting_text()}</PlainTextContent>'
        + selection(
            "b0000000-0000-4000-8000-00000000b001", at(meeting_text(), "bus is late"), f"{{{C_VOICE}}}", None
        ).replace("<PlainTextSelection ", f'<PlainTextSelection creatingUser="{{{U1}}}" ')
        + "</TextSource>"
        f'<TextSource guid="{S2}" name="KI-06 carer" plainTextPath="relative://texts/ki06.txt">'
        + selection("b0000000-0000-4000-8000-00000000b002", (0, len(transcript)), C_PRESENCE, U3)
        + "</TextSource>"
    )
    path = build(tmp_path, project(users, CODES, sources), {"texts/ki06.txt": transcript})
    proposal = qdpx.propose_mapping(study, path)
    assert [(m.maps_to, m.team, m.date, m.informant_code, m.how) for m in proposal] == [
        ("meeting", "Alpha", "2020-01-24", "", "guessed from its text"),
        ("interview", "", "", "KI-06", "guessed from its text"),
    ]
    imported = qdpx.import_project(study, path, proposal)
    assert imported.created == 2
    start = NOTE_7.index("bus is late")
    assert {
        ("Alpha 2020-01-24 #1", "presence.voice", "R01", start, start + len("bus is late")),
        ("interview KI-06", "presence", U3, 0, len(transcript)),  # all of it: a span, as written
    } <= segments(study)


def test_without_a_mapping_nothing_is_written_and_a_mapping_is_proposed(
    study: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = nvivo_like(tmp_path, at(meeting_text(), "Zoë"), at(meeting_text(), "plans"))
    before = counts(study)
    with pytest.raises(qdpx.NeedsMapping, match="2 source") as needs:
        qdpx.import_project(study, path)
    assert counts(study) == before
    rows = [(m.source, m.maps_to, m.team, m.date, m.informant_code) for m in needs.value.proposal]
    assert rows == [
        ("Alpha team meeting 24/01/2020", "meeting", "Alpha", "2020-01-24", ""),  # its text is the meeting's notes
        ("KI-07 transcript", "new interview", "", "", "KI-07"),  # a code in its name; the group is for you to say
    ]
    assert qdpx.read_mapping(_written(tmp_path, needs.value.proposal)) == needs.value.proposal


def _written(tmp_path: Path, rows: list[qdpx.Mapping]) -> Path:
    out = tmp_path / "proposal.csv"
    out.write_text(qdpx.mapping_csv(rows), encoding="utf-8")
    return out


# ------------------------------------------------------------------------------------- problems


def refused(con: duckdb.DuckDBPyConnection, path: Path, rows: list[qdpx.Mapping] | None) -> list[str]:
    before = counts(con)
    with pytest.raises(qdpx.ProjectProblems) as caught:
        qdpx.import_project(con, path, rows)
    assert counts(con) == before  # nothing written, not even an audit entry
    return [str(p) for p in caught.value.problems]


def test_every_problem_is_listed_and_nothing_is_written(study: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    text = meeting_text()
    crossing = (len(NOTE_7) - 5, len(NOTE_7) + 5)
    path = nvivo_like(tmp_path, (10, len(text) + 1), crossing)
    problems = refused(study, path, mapping(tmp_path, NVIVO_MAP))
    assert problems == [
        f"theirs.qdpx:Alpha team meeting 24/01/2020:selection a0000000-0000-4000-8000-00000000a001: "
        f"'10–{len(text) + 1}' — not a selection within the source's {len(text)} characters",
        f"theirs.qdpx:Alpha team meeting 24/01/2020:selection a0000000-0000-4000-8000-00000000a002: "
        f"'{crossing[0]}–{crossing[1]}' — crosses from one note into another (or covers the blank line between "
        "two): code each note on its own",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"team": "Gamma"}, "'Gamma 2020-01-24' — no meeting of that team on that date in the study"),
        ({"date": "2020-01-25"}, "'Alpha 2020-01-25' — no meeting of that team on that date"),
        ({"date": "31/02/2020"}, "date: '31/02/2020' — no such date"),
        ({"maps_to": ""}, "maps_to: '' — say where it goes: meeting, interview, new interview, skip"),
    ],
)
def test_a_meeting_mapped_wrongly_is_a_problem(
    study: duckdb.DuckDBPyConnection, tmp_path: Path, change: dict[str, str], expected: str
) -> None:
    path = nvivo_like(tmp_path, at(meeting_text(), "Zoë"), at(meeting_text(), "plans"))
    problems = refused(study, path, mapping(tmp_path, [NVIVO_MAP[0] | change, NVIVO_MAP[1]]))
    assert len(problems) == 1
    assert expected in problems[0]


def test_a_source_whose_text_differs_from_the_meetings_notes_says_where(
    study: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    with db.transaction(study) as cur:
        cur.execute("update field_notes set body = replace(body, 'listened', 'listens') where id = 8")
    path = nvivo_like(tmp_path, at(meeting_text(), "Zoë"), at(meeting_text(), "plans"))
    (problem,) = refused(study, path, mapping(tmp_path, NVIVO_MAP))
    where = len(NOTE_7) + 2 + NOTE_8.index("listened") + len("listen")
    assert f"from character {where:,}, in note 2 of 2" in problem
    assert "differs from the notes of Alpha's meeting on 24/01/2020 as joined" in problem


def test_a_new_interview_needs_a_group_a_code_and_a_date(study: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = nvivo_like(tmp_path, at(meeting_text(), "Zoë"), at(meeting_text(), "plans"))
    wrong = NVIVO_MAP[1] | {"informant_code": "ki seven", "informant_group": "patient", "date": ""}
    problems = refused(study, path, mapping(tmp_path, [NVIVO_MAP[0], wrong]))
    assert [p.split(":", 3)[2] for p in problems] == ["informant_code", "informant_group", "date"]
    taken = NVIVO_MAP[1] | {"informant_code": "KI-06"}
    (problem,) = refused(study, path, mapping(tmp_path, [NVIVO_MAP[0], taken]))
    assert "already holds an interview with this informant" in problem


@pytest.mark.parametrize("code", ["KI-AB", "-KI07", "K", "ki-07"])
def test_a_new_interviews_code_is_held_to_the_participant_code_rule(
    study: duckdb.DuckDBPyConnection, tmp_path: Path, code: str
) -> None:
    """models.ParticipantCode's rule: a digit, upper case, starting with a letter or digit, two characters at least."""
    path = nvivo_like(tmp_path, at(meeting_text(), "Zoë"), at(meeting_text(), "plans"))
    (problem,) = refused(study, path, mapping(tmp_path, [NVIVO_MAP[0], NVIVO_MAP[1] | {"informant_code": code}]))
    assert problem.split(":", 3)[2:] == ["informant_code", f" '{code}' — a pseudonymous code: upper-case letters, "
                                         "digits, - or _, with a digit"]  # fmt: skip


def test_a_coding_of_a_code_not_in_the_codebook_or_by_nobody_is_a_problem(
    study: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    sources = (
        f'<TextSource guid="{S1}" name="Notes"><PlainTextContent>{meeting_text()}</PlainTextContent>'
        + selection("d0000000-0000-4000-8000-00000000d001", (0, 4), "dead0000-0000-4000-8000-000000000000", U1)
        + selection("d0000000-0000-4000-8000-00000000d002", (0, 4), C_VOICE, None)
        + '<PlainTextSelection guid="d0000000-0000-4000-8000-00000000d003" startPosition="four" endPosition="9"/>'
        + "</TextSource>"
    )
    path = build(tmp_path, project(f'<User guid="{U1}" name="R01"/>', CODES, sources))
    rows = [qdpx.Mapping("Notes", S1, "meeting", "Alpha", "2020-01-24")]
    problems = refused(study, path, rows)
    assert [p.rsplit(" — ", 1)[1] for p in problems] == [
        "startPosition and endPosition must be whole numbers",
        "the coding names a code that is not in the project's codebook",
        "no user says who coded this (no creatingUser)",
    ]


@pytest.mark.parametrize(
    ("qde", "message"),
    [
        ("<Project", "not well-formed XML"),
        (
            '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            f'<Project xmlns="{qdpx.NS}" name="&b;"/>',
            "declares a DOCTYPE",
        ),
        ('<?xml version="1.0"?><!DOCTYPE Project SYSTEM "http://example.org/x.dtd"><Project/>', "declares a DOCTYPE"),
        ('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>', "not a REFI-QDA project (project.qde's root is"),
    ],
)
def test_a_file_that_is_not_a_safe_project_is_refused(
    study: duckdb.DuckDBPyConnection, tmp_path: Path, qde: str, message: str
) -> None:
    path = build(tmp_path, qde)
    before = counts(study)
    with pytest.raises(ObservationError, match=re.escape(message)):
        qdpx.import_project(study, path, [])
    assert counts(study) == before


def test_a_file_that_is_no_zip_or_has_no_project_is_refused(study: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    (tmp_path / "x.qdpx").write_bytes(b"not a zip")
    with pytest.raises(ObservationError, match=r"not a REFI-QDA project .*zip"):
        qdpx.import_project(study, tmp_path / "x.qdpx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("other.txt", "x")
    (tmp_path / "y.qdpx").write_bytes(buffer.getvalue())
    with pytest.raises(ObservationError, match=r"no project\.qde in it"):
        qdpx.import_project(study, tmp_path / "y.qdpx")


def test_a_source_whose_text_is_missing_or_outside_the_project_is_a_problem(
    study: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    sources = (
        f'<TextSource guid="{S1}" name="Gone" plainTextPath="internal://{S1}.txt"/>'
        f'<TextSource guid="{S2}" name="Outside" plainTextPath="absolute:///etc/passwd"/>'
        f'<PDFSource guid="{S3}" name="Scan.pdf" path="internal://scan.pdf"/>'
    )
    path = build(tmp_path, project(f'<User guid="{U1}" name="R01"/>', CODES, sources))
    rows = [qdpx.Mapping("Gone", S1, "meeting", "Alpha", "2020-01-24"), qdpx.Mapping("Outside", S2, "skip")]
    (problem,) = refused(study, path, rows)
    assert "is not in the project" in problem
    rows[1] = qdpx.Mapping("Outside", S2, "meeting", "Alpha", "2020-01-24")
    problems = refused(study, path, rows)
    assert "only text inside the .qdpx is read" in problems[1]


# ------------------------------------------------------------------------------------------- CLI


def test_the_command_line_exports_proposes_and_imports(
    study: duckdb.DuckDBPyConnection, small_location: Path | str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = study.execute("select name from study").fetchone()[0]  # type: ignore[index]
    study.close()  # the command opens the study itself
    where = str(small_location)
    assert main(["qdpx", "--db", where, "--export", str(tmp_path / "ours.qdpx")]) == 0
    assert "7 sources, 6 codes, 3 coders, 15 codings" in capsys.readouterr().out
    assert main(["qdpx", "--db", str(tmp_path / "new.duckdb"), "--import", str(tmp_path / "ours.qdpx")]) == 0
    out = capsys.readouterr().out
    assert "15 codings added" in out
    assert f"The study is recorded as '{name}', imported from ours.qdpx." in out
    # the new file holds a study: the app and `info` read it
    assert main(["info", "--db", str(tmp_path / "new.duckdb")]) == 0
    assert capsys.readouterr().out.startswith(f"{name}\n")
    fresh = db.connect(tmp_path / "new.duckdb", read_only=True)
    try:
        info = queries.study_info(fresh)
        assert info is not None
        assert (info.study.name, info.study.is_demo) == (name, False)
        assert info.study.description == (
            f"Imported from ours.qdpx. The coding of {name}, exported from the Microsystem involvement dashboard."
        )
        assert info.first_meeting is not None
    finally:
        fresh.close()

    path = nvivo_like(tmp_path, at(meeting_text(), "Zoë"), at(meeting_text(), "plans"))
    assert main(["qdpx", "--db", where, "--import", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Nothing was imported" in out
    assert (tmp_path / "theirs-mapping.csv").exists()
    assert "Alpha team meeting 24/01/2020 → meeting of Alpha on 2020-01-24  [guessed from its text]" in out
    assert main(["qdpx", "--db", where, "--import", str(path), "--map", str(tmp_path / "theirs-mapping.csv")]) == 2
    err = capsys.readouterr().err
    assert "error: 2 problem(s); nothing was imported:" in err
    assert "informant_group: '' — use one of leader_manager" in err
    assert "Traceback" not in err
    mapped = _written(tmp_path, mapping(tmp_path, NVIVO_MAP))
    assert main(["qdpx", "--db", where, "--import", str(path), "--map", str(mapped)]) == 0
    assert "Imported theirs.qdpx: 3 codings added; created 2 codes, 1 interviews." in (capsys.readouterr().out)


def test_map_out_writes_the_proposal_even_for_a_project_that_maps_itself(
    study: duckdb.DuckDBPyConnection, small_location: Path | str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--map-out: the proposal written where it says, nothing imported, even when every source is recorded."""
    study.close()  # the command opens the study itself
    where = str(small_location)
    ours = str(tmp_path / "ours.qdpx")
    assert main(["qdpx", "--db", where, "--export", ours]) == 0
    capsys.readouterr()
    assert main(["qdpx", "--db", where, "--import", ours, "--map-out", str(tmp_path / "m.csv")]) == 1
    assert "Nothing was imported" in capsys.readouterr().out
    rows = qdpx.read_mapping(tmp_path / "m.csv")
    assert len(rows) == 7
    assert {r.how for r in rows} == {"recorded in the project"}
    assert not (tmp_path / "ours-mapping.csv").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--export", "{tmp}/x.qdpx", "--map", "{tmp}/m.csv"], "--map and --map-out go with --import"),
        (["--export", "{tmp}/x.zip"], "a REFI-QDA project is written to a .qdpx file"),
        (["--import", "{tmp}/none.qdpx"], "none.qdpx: no such file"),
    ],
)
def test_the_commands_mistakes_are_one_line(
    small_location: Path | str, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["qdpx", "--db", str(small_location), *[a.format(tmp=tmp_path) for a in argv]]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------------------- review findings


def test_a_text_file_named_by_many_sources_is_unpacked_once_and_the_project_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sixty sources naming one 4 MB text file (a few kB zipped) would unpack 240 MB, past every
    limit the zip declares: the file is unpacked once, and the second source naming it refuses it."""
    unpacked = []
    read = zipfile.ZipExtFile.read

    def counted(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        data = read(self, n)
        unpacked.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counted)
    sources = "".join(
        f'<TextSource guid="00000000-0000-4000-8000-{i:012d}" name="s{i}" plainTextPath="internal://big.txt"/>'
        for i in range(60)
    )
    qde = project(f'<User guid="{U1}" name="R01"/>', CODES, sources)
    path = tmp_path / "bomb.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("project.qde", qde)
        archive.writestr("sources/big.txt", "a" * 4 * 2**20)
    assert path.stat().st_size < 100_000
    with pytest.raises(ObservationError, match=r"the sources s0 and s1 both name the text file sources/big\.txt"):
        qdpx.read_project(path)
    assert sum(unpacked) == 4 * 2**20 + len(qde.encode("utf-8"))


def test_a_member_or_a_project_past_its_limit_is_refused_having_unpacked_no_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(qdpx, "MAX_MEMBER", 5_000)
    unpacked = []
    read = zipfile.ZipExtFile.read
    monkeypatch.setattr(zipfile.ZipExtFile, "read", lambda self, n=-1: unpacked.append(len(d := read(self, n))) or d)
    sources = (
        f'<TextSource guid="{S1}" name="one" plainTextPath="internal://one.txt"/>'
        f'<TextSource guid="{S2}" name="two" plainTextPath="internal://two.txt"/>'
    )
    qde = project("", "", sources)
    path = build(tmp_path, qde, {"sources/one.txt": "a" * 4_000, "sources/two.txt": "b" * 2**20})
    with pytest.raises(ObservationError, match=r"sources/two\.txt is larger than 0 MB uncompressed"):
        qdpx.read_project(path)
    assert sum(unpacked) <= len(qde.encode("utf-8")) + 4_000 + 5_001  # the big one: one byte past its limit
    monkeypatch.setattr(qdpx, "MAX_MEMBER", 10 * 2**20)
    monkeypatch.setattr(qdpx, "MAX_TOTAL", 2**20)
    with pytest.raises(ObservationError, match=r"larger than 1 MB uncompressed; the project is refused"):
        qdpx.read_project(path)
    monkeypatch.setattr(qdpx, "MAX_TOTAL", 2 * 2**20)
    assert [s.text and len(s.text) for s in qdpx.read_project(path).sources] == [4_000, 2**20]


def two_sources(tmp_path: Path, first: str, second: str) -> tuple[Path, list[qdpx.Mapping]]:
    """Two sources, each with one coding of Voice, both mapped to the new interview with KI-09."""
    sources = (
        f'<TextSource guid="{S1}" name="first"><PlainTextContent>{first}</PlainTextContent>'
        + selection("a0000000-0000-4000-8000-00000000a001", (0, 5), C_VOICE, U1)
        + f'</TextSource><TextSource guid="{S2}" name="second"><PlainTextContent>{second}</PlainTextContent>'
        + selection("a0000000-0000-4000-8000-00000000a002", (6, 10), C_VOICE, U1)
        + "</TextSource>"
    )
    path = build(tmp_path, project(f'<User guid="{U1}" name="R01"/>', CODES, sources))
    rows = [qdpx.Mapping(n, g, "new interview", "", "2020-02-14", "KI-09", "carer") for n, g in (("first", S1),
            ("second", S2))]  # fmt: skip
    return path, rows


def test_two_sources_as_one_new_interview_are_refused_unless_their_texts_are_the_same(
    study: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path, rows = two_sources(tmp_path, "Short text one about the bus.", "Another transcript: the bus was late.")
    (problem,) = refused(study, path, rows)
    assert problem == (
        "theirs.qdpx:second:informant_code: 'KI-09' — two sources are the same new interview (this one and "
        "'first') and their texts differ: map one to another informant, or skip it"
    )
    later = [rows[0], replace(rows[1], date="2020-02-15")]
    path, _ = two_sources(tmp_path, "The same text, twice.", "The same text, twice.")
    (problem,) = refused(study, path, later)
    assert "and their group, date or team differ" in problem
    imported = qdpx.import_project(study, path, rows)
    assert (imported.interviews, imported.created) == (1, 2)
    assert {s for s in segments(study) if s[0] == "interview KI-09"} == {
        ("interview KI-09", "presence.voice", "R01", 0, 5), ("interview KI-09", "presence.voice", "R01", 6, 10)
    }  # fmt: skip


def rewritten(path: Path, out: Path, change: Any, source: str = "Field notes — Alpha — 2020-01-24") -> Path:
    """Our own export at ``path``, the record of ``source`` changed by ``change(record, element,
    texts, root)`` (texts: each member's text, to change too), written to ``out``."""
    ET.register_namespace("", qdpx.NS)
    root, texts = opened(path)
    element = next(e for e in root.findall("q:Sources/q:TextSource", Q) if e.get("name") == source)
    description = element.find("q:Description", Q)
    said, last = (description.text or "").rsplit("\n", 1)  # type: ignore[union-attr]
    record = json.loads(last.removeprefix(qdpx.RECORD))
    change(record, element, texts, root)
    description.text = f"{said}\n{qdpx.RECORD}{json.dumps(record)}"  # type: ignore[union-attr]
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("project.qde", ET.tostring(root, encoding="utf-8"))
        for member, text in texts.items():
            archive.writestr(member, text.encode("utf-8"))
    return out


def note(n: int, **fields: object) -> Any:
    def change(record: dict[str, Any], element: ET.Element, texts: dict[str, str], _: ET.Element) -> None:
        record["notes"][n].update(fields)

    return change


def meeting(**fields: object) -> Any:
    def change(record: dict[str, Any], element: ET.Element, texts: dict[str, str], _: ET.Element) -> None:
        record.update(fields)

    return change


def tab_in_note(record: dict[str, Any], element: ET.Element, texts: dict[str, str], _: ET.Element) -> None:
    member = f"sources/{element.get('guid')}.txt"
    texts[member] = texts[member].replace("Zoë said", "Zoë\x0bsaid")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (note(0, author=""), "note 1: author: '' — must not be empty"),
        (note(0, author=None), "note 1: author: 'None' — must not be empty"),
        (note(0, author="OB\n01"), "note 1: author: 'OB\\n01' — must be one line"),
        (note(1, author="x" * 101), "(101 characters)' — 101 characters; at most 100"),
        (note(0, minute=-1), "note 1: minute: '-1' — must be from 0 to 1,440"),
        (note(0, minute="soon"), "note 1: minute: 'soon' — not a whole number"),
        (note(0, minute=True), "note 1: minute: 'True' — not a whole number"),
        (note(0, written_at="yesterday"), "note 1: written_at: 'yesterday' — not a date and time"),
        (note(0, position=0), "note 1: position: '0' — must be from 1 to 10,000"),
        (note(1, position=1), "note 2: position: '1' — two notes of the meeting have this position"),
        (note(1, end=10**6), "note 2: end: '1000000' — must be from 1 to"),
        (note(1, start=3), "notes: '0–"),
        (meeting(status="maybe"), "status: 'maybe' — not a known status"),
        (meeting(format=7), "format: '7' — not a text"),
        (tab_in_note, "note 1: body:"),
    ],
)
def test_a_new_meetings_record_is_checked_as_every_writer_checks_it(
    study: duckdb.DuckDBPyConnection, tmp_path: Path, change: Any, expected: str
) -> None:
    qdpx.export_project(study, tmp_path / "p.qdpx")
    path = rewritten(tmp_path / "p.qdpx", tmp_path / "changed.qdpx", change)
    fresh = db.connect(tmp_path / "empty.duckdb")
    try:
        problems = refused(fresh, path, None)
    finally:
        fresh.close()
    assert len(problems) == 1, problems
    assert problems[0].startswith("changed.qdpx:Field notes — Alpha — 2020-01-24:")
    assert expected in problems[0]


def test_a_new_meetings_written_at_and_minute_are_kept_and_two_sources_of_it_must_agree(
    study: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    qdpx.export_project(study, tmp_path / "p.qdpx")
    path = rewritten(tmp_path / "p.qdpx", tmp_path / "when.qdpx", note(0, written_at="2020-01-24T11:00:00+01:00"))
    fresh = db.connect(tmp_path / "empty.duckdb")
    try:
        qdpx.import_project(fresh, path)
        got = fresh.execute("select minute, written_at from field_notes where body = ?", [NOTE_7]).fetchall()
        assert got == [(2, dt.datetime(2020, 1, 24, 10, 0))]  # in UTC
    finally:
        fresh.close()

    def twice(record: dict[str, Any], element: ET.Element, texts: dict[str, str], root: ET.Element) -> None:
        """The meeting's source again, as another source whose text says car for bus."""
        copy = ET.fromstring(ET.tostring(element))
        copy.attrib.update({"guid": S3, "name": "Copy", "plainTextPath": f"internal://{S3}.txt"})
        for each in copy.iter(f"{{{qdpx.NS}}}PlainTextSelection"):
            each.set("guid", f"{each.get('guid', '')[:-4]}beef")
        texts[f"sources/{S3}.txt"] = texts[f"sources/{element.get('guid')}.txt"].replace("bus", "car")
        root.find("q:Sources", Q).append(copy)  # type: ignore[union-attr]

    path = rewritten(tmp_path / "p.qdpx", tmp_path / "twice.qdpx", twice)
    fresh = db.connect(tmp_path / "empty2.duckdb")
    try:
        (problem,) = refused(fresh, path, None)
    finally:
        fresh.close()
    assert problem.startswith("twice.qdpx:Copy:team, date: 'Alpha 2020-01-24' — two sources are the same new meeting")
    assert "(this one and 'Field notes — Alpha — 2020-01-24') and their texts differ" in problem


def test_codes_named_in_any_script_get_slugs_the_schema_takes_and_siblings_never_share_one(
    study: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    names = ["等待", "交通", "Φωνή", "présence", "Présence!", "Ζ 2"]
    guids = [f"e{n}e{n}e{n}e{n}-0000-4000-8000-00000000000{n}" for n in "123456"]
    codes = "".join(f'<Code guid="{g}" name="{n}" isCodable="true"/>' for g, n in zip(guids, names, strict=True))
    text = "患者说公共汽车又晚了，没有人来。我们等了一个小时。"
    sources = (
        f'<TextSource guid="{S2}" name="KI-09 transcript"><PlainTextContent>{text}</PlainTextContent>'
        + "".join(selection(f"a0000000-0000-4000-8000-00000000a00{i}", (i, i + 2), g, U1) for i, g in enumerate(guids))
        + "</TextSource>"
    )
    path = build(tmp_path, project(f'<User guid="{U1}" name="王芳"/>', codes, sources))
    rows = [qdpx.Mapping("KI-09 transcript", S2, "new interview", "", "2020-02-14", "KI-09", "carer")]
    imported = qdpx.import_project(study, path, rows)
    assert (imported.codes, imported.created) == (5, 6)  # présence is the study's Presence (presence)
    slugs = [slug for (slug,) in study.execute(
        "select c.slug from coded_segments as s join codes as c on c.id = s.code_id "
        "join interviews as i on i.id = s.interview_id where i.informant_code = 'KI-09' order by s.span_start"
    ).fetchall()]  # fmt: skip

    def hashed(guid: str) -> str:
        return "code_" + hashlib.sha256(guid.encode()).hexdigest()[:6]

    assert slugs == [hashed(guids[0]), hashed(guids[1]), hashed(guids[2]), "presence", "presence_2", "2"]
    assert study.execute("select name from codes where slug = 'presence_2'").fetchall() == [("Présence!",)]
    assert all(re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)*", s) for s in slugs)
    back = [replace(rows[0], maps_to="interview")]
    again = qdpx.import_project(study, path, back)  # the same slugs: found again, nothing added
    assert (again.codes, again.created, again.skipped) == (0, 0, 6)


def test_the_mapping_csv_never_offers_a_spreadsheet_a_formula_and_reads_back_as_written(tmp_path: Path) -> None:
    source = '=HYPERLINK("http://example.org/?"&A2, "Click")'
    rows = [
        qdpx.Mapping(source, S1, "skip", how="no guess: say what it is"),
        qdpx.Mapping("'quoted already", S2, "new interview", "+Alpha", "2020-02-14", "-KI-09", "carer", "@x"),
    ]
    written = qdpx.mapping_csv(rows)
    cells = [c for line in written.splitlines()[1:] for c in next(csv.reader([line]))]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert cells[0] == "'" + source
    path = tmp_path / "map.csv"
    path.write_text(written, encoding="utf-8")
    assert qdpx.read_mapping(path) == rows


@pytest.mark.parametrize(
    ("name", "description", "study", "described"),
    [
        ("Ward study", "", "Ward study", "Imported from ward-2020.qdpx."),
        ("Ward\nstudy", "Coded in NVivo.\nSecond line.", "ward-2020", "Imported from ward-2020.qdpx. Coded in NVivo."),
        ("   ", f"{qdpx.RECORD}{{}}", "ward-2020", "Imported from ward-2020.qdpx."),
        ("W" * 201, "", "ward-2020", "Imported from ward-2020.qdpx."),
        ("W" * 200, "", "W" * 200, "Imported from ward-2020.qdpx."),
    ],
)
def test_an_import_into_a_file_with_no_study_records_one_named_as_the_project(
    tmp_path: Path, name: str, description: str, study: str, described: str
) -> None:
    """The project's name when it is one line, not blank, at most 200 characters; else the file's
    name; described as imported from the file, with the first line of the project's own description
    (never our record), in the import's transaction: nothing imported, no study either."""
    said = f"<Description>{description}</Description>" if description else ""
    users = f'<User guid="{U1}" name="Ana"/>'
    codes = f'<Code guid="{C_VOICE}" name="Voice" isCodable="true"/>'
    sources = (
        f'<TextSource guid="{S2}" name="KI-07"><PlainTextContent>{NEW_TRANSCRIPT}</PlainTextContent>'
        + selection("a0000000-0000-4000-8000-00000000a003", (0, 5), C_VOICE, U1)
        + "</TextSource>"
    )
    qde = project(users, codes, sources).replace(' name="Ward study"', f' name="{xml_attribute(name)}"')
    qde = qde.replace("</Sources></Project>", f"</Sources>{said}</Project>")
    path = build(tmp_path, qde, name="ward-2020.qdpx")
    rows = [qdpx.Mapping("KI-07", S2, "new interview", "", "2020-02-14", "KI-07", "")]  # no group: refused
    fresh = db.connect(tmp_path / "new.duckdb")
    try:
        with pytest.raises(qdpx.ProjectProblems):
            qdpx.import_project(fresh, path, rows)
        assert queries.study_info(fresh) is None  # refused: no study either
        imported = qdpx.import_project(fresh, path, [replace(rows[0], informant_group="carer")])
        assert imported.study == study
        info = queries.study_info(fresh)
        assert info is not None
        assert (info.study.name, info.study.is_demo, info.study.description) == (study, False, described)
        entry = fresh.execute("select after from audit where action = 'import'").fetchone()[0]  # type: ignore[index]
        assert json.loads(entry)["counts"]["study"] == {"created": 1}
    finally:
        fresh.close()


def xml_attribute(value: str) -> str:
    """``value`` as an XML attribute's text (a line feed kept as one)."""
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("\n", "&#10;")


def with_memos(con: duckdb.DuckDBPyConnection) -> set[tuple[Any, ...]]:
    """Memos on two codings (by their coders: a span on note 7 by R01, a whole transcript by R01) and
    on two codes (Presence by R02, presence.voice by R01 and by R02); each as ``memos`` says it."""
    with db.transaction(con) as cur:
        ids = dict(cur.execute(
            "select coalesce(note_id, -interview_id), id from coded_segments where (note_id = 7 and coder = 'R01') "
            "or (interview_id = 6 and coder = 'R01')"
        ).fetchall())  # fmt: skip
        cur.execute(
            "insert into memos (id, coding_id, code_id, author, body, written_at) values "
            "(1, ?, null, 'R01', 'Zoë: the bus 🚌 again.', '2020-02-01 10:00:00'), "
            "(2, ?, null, 'R01', 'Whole of it:\nwaiting.', '2020-02-02 11:30:00'), "
            "(3, null, 4, 'R02', 'Presence: who was there.', '2020-02-03 09:00:00'), "
            "(4, null, 6, 'R01', 'Voice, mine.', '2020-02-04 09:00:00'), "
            "(5, null, 6, 'R02', 'Voice, theirs.', '2020-02-05 09:00:00')",
            [ids[7], ids[-6]],
        )
    return memos(con)


def memos(con: duckdb.DuckDBPyConnection) -> set[tuple[Any, ...]]:
    """Each memo as (what it is on, author, text, when): a coding by its place, code, coder and span."""
    rows = con.execute(
        """
        select coalesce('code ' || c.slug, coalesce(t.name || ' #' || n.position, 'interview ' || i.informant_code)
                        || ' ' || sc.slug || ' ' || s.coder || ' ' || coalesce(s.span_start::varchar, 'whole')),
               m.author, m.body, m.written_at
        from memos as m
        left join codes as c on c.id = m.code_id
        left join coded_segments as s on s.id = m.coding_id
        left join codes as sc on sc.id = s.code_id
        left join field_notes as n on n.id = s.note_id
        left join meetings as mt on mt.id = n.meeting_id
        left join teams as t on t.id = mt.team_id
        left join interviews as i on i.id = s.interview_id
        """
    ).fetchall()
    return set(rows)


def test_memos_go_out_as_the_projects_notes_and_come_back(study: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    held = with_memos(study)
    assert len(held) == 5
    written = qdpx.export_project(study, tmp_path / "p.qdpx")
    assert written.memos == 5
    assert "15 codings, 5 memos." in written.said("p.qdpx")
    root, _ = opened(tmp_path / "p.qdpx")
    assert in_order(root, PROJECT_ORDER)
    notes = {n.get("guid"): n for n in root.findall("q:Notes/q:Note", Q)}
    assert len(notes) == 5
    users = {u.get("guid"): u.get("name") for u in root.findall("q:Users/q:User", Q)}
    bodies = {(users[n.get("creatingUser")], n.findtext("q:PlainTextContent", namespaces=Q)) for n in notes.values()}
    assert bodies == {(author, body) for _, author, body, _ in held}
    assert {n.get("creationDateTime") for n in notes.values()} == {f"2020-02-0{d}T{t}Z" for d, t in (
        ("1", "10:00:00"), ("2", "11:30:00"), ("3", "09:00:00"), ("4", "09:00:00"), ("5", "09:00:00"))}  # fmt: skip
    refs = []
    for selection in root.iter(f"{{{qdpx.NS}}}PlainTextSelection"):
        assert in_order(selection, ["Description", "Coding", "NoteRef"])
        refs += [r.get("targetGUID") for r in selection.findall("q:NoteRef", Q)]
    for code in root.iter(f"{{{qdpx.NS}}}Code"):
        assert in_order(code, ["Description", "NoteRef", "Code"])
        refs += [r.get("targetGUID") for r in code.findall("q:NoteRef", Q)]
    assert sorted(refs) == sorted(notes)  # every note named once, where it belongs
    # into an empty study: every memo on the same coding or code, by the same author, written when it was
    fresh = db.connect(tmp_path / "empty.duckdb")
    try:
        imported = qdpx.import_project(fresh, tmp_path / "p.qdpx")
        assert imported.memos == 5
        assert "5 memos" in imported.said("p.qdpx")
        assert memos(fresh) == held
        before = counts(fresh)
        again = qdpx.import_project(fresh, tmp_path / "p.qdpx")
        assert (again.created, again.memos, again.memos_held) == (0, 0, 5)
        assert counts(fresh) == before
    finally:
        fresh.close()
    # into the same study: nothing added; a memo taken away comes back, one edited stays as the study has it
    with db.transaction(study) as cur:
        cur.execute("delete from memos where id = 3")
        cur.execute("update memos set body = 'Edited since.' where id = 4")
    imported = qdpx.import_project(study, tmp_path / "p.qdpx")
    assert (imported.created, imported.memos, imported.memos_held) == (0, 1, 4)
    assert ("code presence", "R02", "Presence: who was there.", dt.datetime(2020, 2, 3, 9)) in memos(study)
    assert ("code presence.voice", "R01", "Edited since.", dt.datetime(2020, 2, 4, 9)) in memos(study)


def test_a_memo_the_study_would_not_take_is_left_out_and_said(study: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Another program's notes: one by someone other than the coding's coder, one blank, one naming no
    note of the project are left out, each said; the coder's own note and a note on a code come in."""
    text = meeting_text()
    n1, n2, n3, n4 = (f"d000000{n}-0000-4000-8000-00000000000{n}" for n in "1234")
    users = f'<User guid="{U1}" name="Ana Ruiz"/><User guid="{U2}" name="Bo Li"/>'
    coded = selection("a0000000-0000-4000-8000-00000000a001", at(text, "Zoë said"), C_VOICE, U1).replace(
        "</PlainTextSelection>",
        f'<NoteRef targetGUID="{n1}"/><NoteRef targetGUID="{n2}"/><NoteRef targetGUID="{n3}"/>'
        '<NoteRef targetGUID="d0000009-0000-4000-8000-000000000009"/></PlainTextSelection>',
    )
    codes = CODES.replace(
        'name="Presence" isCodable="true">', f'name="Presence" isCodable="true"><NoteRef targetGUID="{n4}"/>'
    )
    sources = (
        f'<TextSource guid="{S1}" name="Alpha 24/01/2020"><PlainTextContent>{text}</PlainTextContent>{coded}'
        "</TextSource>"
    )
    notes = (
        "<Notes>"
        f'<Note guid="{n1}" name="mine" creatingUser="{U1}" creationDateTime="2020-03-01T08:00:00Z">'
        "<PlainTextContent>Ana's own memo.</PlainTextContent></Note>"
        f'<Note guid="{n2}" name="theirs" creatingUser="{U2}">'
        "<PlainTextContent>Bo on Ana's coding.</PlainTextContent></Note>"
        f'<Note guid="{n3}" name="blank" creatingUser="{U1}"><PlainTextContent>   </PlainTextContent></Note>'
        f'<Note guid="{n4}" name="on a code" creatingUser="{U2}">'
        "<PlainTextContent>Bo on Presence.</PlainTextContent></Note>"
        "</Notes>"
    )
    qde = project(users, codes, sources).replace("</Sources></Project>", f"</Sources>{notes}</Project>")
    path = build(tmp_path, qde)
    rows = [qdpx.Mapping("Alpha 24/01/2020", S1, "meeting", "Alpha", "2020-01-24")]
    before = memos(study)
    imported = qdpx.import_project(study, path, rows)
    assert (imported.created, imported.memos) == (1, 2)
    start = NOTE_7.index("Zoë said")
    assert memos(study) - before == {
        (f"Alpha #1 presence.voice Ana Ruiz {start}", "Ana Ruiz", "Ana's own memo.", dt.datetime(2020, 3, 1, 8)),
        ("code presence", "Bo Li", "Bo on Presence.", written_at_of(study, "Bo Li")),
    }
    said = "\n".join(imported.left_out)
    assert "a memo by Bo Li on a coding by Ana Ruiz: only a coding's coder writes a memo on it" in said
    assert "a memo by Ana Ruiz on a coding by Ana Ruiz: must not be empty" in said
    assert "its note d0000009-0000-4000-8000-000000000009 is not in the project" in said
    assert len(imported.left_out) == 3


def written_at_of(con: duckdb.DuckDBPyConnection, author: str) -> object:
    """When the study says the memo with no creationDateTime was written (the import's time)."""
    return con.execute("select written_at from memos where author = ?", [author]).fetchone()[0]  # type: ignore[index]


CREATED = ("created", "codes", "teams", "meetings", "notes", "interviews", "memos")


@pytest.mark.parametrize(
    ("imported", "wrote"),
    [
        (qdpx.Imported(), False),
        (qdpx.Imported(skipped=3, memos_held=2, left_out=("a PDF",)), False),  # all held already: nothing written
        *((qdpx.Imported(**{what: 1}), True) for what in CREATED),
    ],
)
def test_an_import_wrote_when_it_created_anything(imported: qdpx.Imported, wrote: bool) -> None:
    """The page tells the study it changed (and the summary says more than 'nothing to import') exactly then."""
    assert imported.wrote is wrote
    assert imported.said("p.qdpx").startswith("p.qdpx: nothing to import") is not wrote
