"""Importing interview transcripts: a manifest (CSV or XLSX) naming .txt, .md and .docx files,
read character for character, with the checks, messages and all-or-nothing rule of every kind."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import unicodedata
from pathlib import Path

import docx
import duckdb
import openpyxl
import pytest

from observation import db, ingest, notes
from observation.filters import StudyFilter
from observation.ingest import transcripts
from tests.conftest import Reloaded

pytestmark = pytest.mark.both_backends  # storage, import and audit: on both backends

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "data" / "examples" / "interviews"
HEADER = "File,Team,Date,Informant code,Informant group\n"


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    return {t: con.execute(f"select * from {t} order by all").fetchall() for t in (*db.STUDY_TABLES, "audit")}


def manifest(folder: Path, *rows: str, name: str = "interviews.csv") -> Path:
    path = folder / name
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def text_file(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def held(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[object, ...]]:
    """Each interview by its informant code: group, team's name (or None), date and transcript."""
    rows = con.execute(
        "select i.informant_code, i.informant_group, t.name, i.interview_date, i.transcript "
        "from interviews as i left join teams as t on t.id = i.team_id order by i.informant_code"
    ).fetchall()
    return {code: tuple(rest) for code, *rest in rows}


def refused(con: duckdb.DuckDBPyConnection, paths: list[Path], **kwargs: object) -> list[str]:
    """The problems an import of ``paths`` lists, having checked it wrote nothing."""
    before = snapshot(con)
    with pytest.raises(ingest.ImportProblems) as caught:
        ingest.import_files(con, paths, **kwargs)  # type: ignore[arg-type]
    assert snapshot(con) == before
    return [str(p) for p in caught.value.problems]


def word_document(path: Path) -> Path:
    """A .docx with a paragraph, a table (one cell spanning two columns), a paragraph with a line
    break in it, and an empty paragraph: built here, as Word would save it."""
    document = docx.Document()
    document.add_paragraph("Interviewer: Tell me about the first meeting.")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).text = "Who"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "What they said"
    for i, cell in enumerate(("KI-07", "Bienvenue à la réunion", "🙂")):
        table.cell(1, i).text = cell
    last = document.add_paragraph("KI-07: It felt ")
    last.add_run("welcoming.").add_break()
    last.add_run("Next time I'll bring my carer.")
    document.add_paragraph("")
    document.save(str(path))
    return path


# --- what is read ----------------------------------------------------------------------------------


def test_a_csv_manifest_brings_in_txt_md_and_docx_transcripts_character_for_character(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    decomposed = "Cafe\u0301"  # e and a combining acute: stored composed (NFC), as é
    text_file(tmp_path, "KI-01.txt", b"\xef\xbb\xbf" + f"{decomposed} 😀\r\nSecond line\r\n".encode())
    text_file(tmp_path, "notes/KI-02.md", "# Interview\n\n**KI-02:** I came *once*.\n")
    word_document(tmp_path / "KI-03.docx")
    path = manifest(
        tmp_path,
        "KI-01.txt,,03/02/2020,KI-01,leaders and managers",
        "notes/KI-02.md,Alpha,2020-01-20,ki-02,Service users",
        "KI-03.docx,beta,5 March 2020,KI-03,carer",
    )
    outcome = ingest.import_files(small, [path])
    assert outcome.counts["interviews"] == {"created": 3}
    assert held(small) == {
        "KI-01": ("leader_manager", None, dt.date(2020, 2, 3), "Caf\u00e9 \U0001f600\nSecond line\n"),
        "KI-02": ("service_user", "Alpha", dt.date(2020, 1, 20), "# Interview\n\n**KI-02:** I came *once*.\n"),
        "KI-03": (
            "carer",
            "Beta",
            dt.date(2020, 3, 5),
            "Interviewer: Tell me about the first meeting.\n"
            "Who\tWhat they said\n"
            "KI-07\tBienvenue \u00e0 la r\u00e9union\t\U0001f642\n"
            "KI-07: It felt welcoming.\nNext time I'll bring my carer.\n",
        ),
    }
    stored = held(small)["KI-01"][3]
    assert isinstance(stored, str)
    assert len(stored) == 19  # é and 😀 a character each: "Café 😀" and a line end, 11 more and a line end
    assert outcome.read_as == {
        "interviews.csv": "interviews",
        "KI-01.txt": "the transcript of KI-01 (interviews.csv, row 2)",
        "notes/KI-02.md": "the transcript of KI-02 (interviews.csv, row 3)",
        "KI-03.docx": "the transcript of KI-03 (interviews.csv, row 4)",
    }
    assert outcome.files == ["interviews.csv", "KI-01.txt", "notes/KI-02.md", "KI-03.docx"]


def test_an_xlsx_manifest_with_real_dates_and_a_blank_team(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    text_file(tmp_path, "KI-11.txt", "Ça va, merci.\n")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Transcript file", "Team", "Interview date", "Interviewee", "Group"])
    sheet.append(["KI-11.txt", None, dt.datetime(2020, 2, 14), "KI-11", "front-line staff"])
    book.save(tmp_path / "manifest.xlsx")
    outcome = ingest.import_files(small, [tmp_path / "manifest.xlsx"])
    assert outcome.read_as["manifest.xlsx"] == (
        "interviews (Transcript file as file, Interview date as date, Interviewee as informant_code, "
        "Group as informant_group)"
    )
    assert held(small) == {"KI-11": ("frontline_staff", None, dt.date(2020, 2, 14), "Ça va, merci.\n")}


@pytest.mark.parametrize(
    ("written", "group"),
    [
        ("Leaders and managers", "leader_manager"),
        ("leader or manager", "leader_manager"),
        ("Manager", "leader_manager"),
        ("leader_manager", "leader_manager"),
        ("Front-line staff", "frontline_staff"),
        ("frontline staff", "frontline_staff"),
        ("front line staff member", "frontline_staff"),
        ("FRONTLINE_STAFF", "frontline_staff"),
        ("Service users", "service_user"),
        ("service user", "service_user"),
        ("service_user", "service_user"),
        ("Carers", "carer"),
        ("carer", "carer"),
    ],
)
def test_the_informant_groups_in_the_words_people_use(written: str, group: str) -> None:
    assert ingest.informant_group(written) == group


def test_a_manifest_given_by_kind_and_transcripts_given_beside_it_on_the_command_line(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Transcripts named on the command line are matched by name, wherever they are."""
    elsewhere = text_file(tmp_path / "elsewhere", "KI-21.txt", "Given on the command line.")
    path = manifest(tmp_path, "transcripts/KI-21.txt,Alpha,10/01/2020,KI-21,carers")
    outcome = ingest.import_files(small, [path, elsewhere], kind="interviews")
    assert outcome.counts["interviews"] == {"created": 1}
    assert held(small)["KI-21"][3] == "Given on the command line."


# --- what is refused -------------------------------------------------------------------------------


def test_every_problem_in_a_manifest_named_by_file_row_column_value_and_reason(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    text_file(tmp_path, "ok.txt", "A transcript.")
    text_file(tmp_path, "empty.txt", " \r\n\t\n")
    text_file(tmp_path, "latin1.txt", "Caf\u00e9".encode("latin-1"))
    text_file(tmp_path, "old.docx", b"not a zip, an old .doc renamed")
    text_file(tmp_path, "control.md", "line one\nline\x0btwo")
    text_file(tmp_path, "twice.txt", "Named on two rows.")
    path = manifest(
        tmp_path,
        "ok.txt,Gamma,10/01/2020,KI-31,carer",  # 2: unknown team
        "ok2.txt,Alpha,31/02/2020,KI-32,carer",  # 3: no such date
        "ok.txt,Alpha,10/01/20,KI-33,carer",  # 4: two-digit year
        "ok.txt,Alpha,10/01/2020,KI-34,visitor",  # 5: unknown group
        "ok.txt,Alpha,10/01/2020,Jane Smith,carer",  # 6: a name, not a code
        "missing.txt,Alpha,10/01/2020,KI-36,carer",  # 7: no such file
        "empty.txt,Alpha,10/01/2020,KI-37,carer",  # 8: empty
        "latin1.txt,Alpha,10/01/2020,KI-38,carer",  # 9: not UTF-8
        "old.docx,Alpha,10/01/2020,KI-39,carer",  # 10: not a .docx
        "control.md,Alpha,10/01/2020,KI-40,carer",  # 11: a control character
        "KI-41.pdf,Alpha,10/01/2020,KI-41,carer",  # 12: not a transcript's kind of file
        "twice.txt,Alpha,10/01/2020,KI-42,carer",  # 13
        "twice.txt,Beta,10/01/2020,KI-43,carer",  # 14: the same transcript as row 13
        "twice.txt,Alpha,10/01/2020,ki-42,carer",  # 15: the same informant as row 13
    )
    assert refused(small, [path]) == [
        "interviews.csv:2:Team: 'Gamma' — no such team in the study or in this import",
        "interviews.csv:3:Date: '31/02/2020' — no such date",
        "interviews.csv:4:Date: '10/01/20' — write the year in full (10/01/2020 or 10/01/1920?)",
        "interviews.csv:5:Informant group: 'visitor' — not a known informant group; use one of: leaders and "
        "managers, front-line staff, service users, carers",
        "interviews.csv:6:Informant code: 'Jane Smith' — not a pseudonymous code (letters, digits, '-' or '_', "
        "with at least one digit)",
        f"interviews.csv:7:File: 'missing.txt' — no such file in {tmp_path} (the manifest's folder), nor among the "
        "files given",
        "interviews.csv:8:File: 'empty.txt' — the transcript is empty",
        "interviews.csv:9:File: 'latin1.txt' — not UTF-8 text, so its accented letters would be read wrong; save it "
        "as UTF-8 (in Word: Plain Text, then Unicode (UTF-8)) or as .docx",
        "interviews.csv:10:File: 'old.docx' — not a Word document (.docx) that can be read (an old .doc? Save it as "
        ".docx)",
        "interviews.csv:11:File: 'control.md' — the transcript holds a control character ('\\x0b') on line 2, not "
        "text; save it again as plain text",
        "interviews.csv:12:File: 'KI-41.pdf' — not a transcript's file: a transcript is a .txt, .md or .docx file "
        "(save a PDF or an old .doc as one of them)",
        "interviews.csv:14:File: 'twice.txt' — the same transcript as row 13: each interview is its own transcript, "
        "under its informant's code",
        "interviews.csv:15:Informant code: 'ki-42' — the same informant (code) as row 13; keep one row",
    ]


def test_a_transcript_over_the_limit_is_refused(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transcripts, "MAX_CHARACTERS", 10)
    text_file(tmp_path, "ten.txt", "0123456789")  # at the limit: taken
    text_file(tmp_path, "eleven.txt", "0123456789\n")
    path = manifest(tmp_path, "ten.txt,,10/01/2020,KI-01,carer", "eleven.txt,,10/01/2020,KI-02,carer")
    assert refused(small, [path]) == [
        "interviews.csv:3:File: 'eleven.txt' — the transcript is 11 characters; at most 10: split the interview into "
        "parts, each with its own informant code"
    ]  # fmt: skip


def test_the_limit_is_the_studys_longest_note() -> None:
    from observation.models import NOTE_MAX

    assert transcripts.MAX_CHARACTERS == NOTE_MAX == 1_000_000


def test_a_second_bad_row_keeps_the_first_good_one_out(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    text_file(tmp_path, "good.txt", "A good transcript.")
    path = manifest(tmp_path, "good.txt,Alpha,10/01/2020,KI-01,carer", "gone.txt,Alpha,10/01/2020,KI-02,carer")
    assert len(refused(small, [path])) == 1
    assert held(small) == {}
    assert ingest.import_files(small, [manifest(tmp_path, "good.txt,Alpha,10/01/2020,KI-01,carer")]).changed


def test_a_bad_file_among_several_keeps_every_file_out(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """A team in one file and a bad transcript in the manifest: neither is written."""
    teams = text_file(tmp_path, "teams.csv", "name,service,setting,start_date\nGamma,Outreach,community,01/01/2020\n")
    text_file(tmp_path, "good.txt", "Fine.")
    text_file(tmp_path, "empty.md", "")
    path = manifest(tmp_path, "good.txt,Gamma,10/01/2020,KI-01,carer", "empty.md,Gamma,10/01/2020,KI-02,carer")
    assert refused(small, [teams, path]) == ["interviews.csv:3:File: 'empty.md' — the transcript is empty"]


def test_a_transcript_uploaded_that_no_manifest_names_is_a_problem(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """On the Import page transcripts come with the manifest, never from beside it on the server."""
    named = text_file(tmp_path / "up", "KI-01.txt", "Named.")
    stray = text_file(tmp_path / "up", "KI-09.txt", "Named by nobody.")
    text_file(tmp_path, "KI-02.txt", "Beside the manifest, on the server.")
    path = manifest(tmp_path, "KI-01.txt,,10/01/2020,KI-01,carer", "KI-02.txt,,10/01/2020,KI-02,carer")
    assert refused(small, [path, named, stray], beside=False) == [
        "KI-09.txt: no interview manifest names this transcript: add a row for it to the manifest, or leave the file "
        "out",
        "interviews.csv:3:File: 'KI-02.txt' — no such transcript among the files uploaded: upload it with the manifest",
    ]
    assert refused(small, [named]) == [
        "KI-01.txt: no interview manifest names this transcript: add a row for it to the manifest, or leave the file "
        "out"
    ]


def test_a_transcript_named_by_a_row_with_another_problem_is_not_said_to_be_unnamed(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    given = text_file(tmp_path / "up", "KI-01.txt", "Named by a row whose date is wrong.")
    (tmp_path / "m.csv").write_text("Transcript,Interview date,Interviewee,Group\nKI-01.txt,32/01/2020,KI-01,carer\n")
    assert refused(small, [tmp_path / "m.csv", given], beside=False) == [
        "m.csv:2:Interview date: '32/01/2020' — no such date"
    ]


# --- again, and changed ----------------------------------------------------------------------------


def test_importing_the_same_manifest_again_changes_nothing(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    text_file(tmp_path, "KI-01.txt", "Caf\u00e9 😀\r\n")
    word_document(tmp_path / "KI-02.docx")
    path = manifest(tmp_path, "KI-01.txt,Alpha,10/01/2020,KI-01,carer", "KI-02.docx,,11/01/2020,KI-02,carer")
    first = ingest.import_files(small, [path])
    assert first.counts["interviews"] == {"created": 2}
    before = snapshot(small)
    again = ingest.import_files(small, [path])
    assert again.counts["interviews"] == {"skipped": 2}
    assert not again.changed
    assert snapshot(small) == before  # not even an audit entry


def test_one_import_is_audited_once_with_a_row_per_interview(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    text_file(tmp_path, "KI-01.txt", "One.")
    text_file(tmp_path, "KI-02.txt", "Two.")
    path = manifest(tmp_path, "KI-01.txt,Alpha,10/01/2020,KI-01,carer", "KI-02.txt,,11/01/2020,KI-02,carer")
    ingest.import_files(small, [path])
    rows = small.execute("select action, table_name, row_key, after from audit order by id").fetchall()
    assert [r[:3] for r in rows] == [
        ("create", "interviews", "informant_code=KI-01"),
        ("create", "interviews", "informant_code=KI-02"),
        ("import", None, None),
    ]
    assert '"transcript": "One."' in rows[0][3]
    assert '"files": ["interviews.csv", "KI-01.txt", "KI-02.txt"]' in rows[2][3]


def test_the_same_informant_with_another_transcript_or_details_is_a_change_said_before_and_after(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    text_file(tmp_path, "KI-01.txt", "First words.")
    path = manifest(tmp_path, "KI-01.txt,Alpha,10/01/2020,KI-01,carer")
    ingest.import_files(small, [path])
    text_file(tmp_path, "KI-01.txt", "Second words.")
    path = manifest(tmp_path, "KI-01.txt,Beta,12/01/2020,KI-01,service user")
    preview = ingest.import_files(small, [path], dry_run=True)
    assert preview.counts["interviews"] == {"changed": 1}
    assert [(c.record, c.column, c.before, c.after) for c in preview.changes] == [
        ("KI-01", "informant group", "Carers", "Service users"),
        ("KI-01", "interview_date", "10/01/2020", "12/01/2020"),
        ("KI-01", "team", "Alpha", "Beta"),
        ("KI-01", "transcript", "First words.", "Second words."),
    ]
    assert held(small)["KI-01"][3] == "First words."  # a preview writes nothing
    ingest.import_files(small, [path])
    assert held(small)["KI-01"] == ("service_user", "Beta", dt.date(2020, 1, 12), "Second words.")
    assert small.execute(
        "select count(*) from audit where action = 'change' and table_name = 'interviews'"
    ).fetchone() == (1,)


def test_a_manifest_without_a_team_column_leaves_the_team_as_it_is(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    text_file(tmp_path, "KI-01.txt", "Words.")
    ingest.import_files(small, [manifest(tmp_path, "KI-01.txt,Alpha,10/01/2020,KI-01,carer")])
    (tmp_path / "no_team.csv").write_text("file,date,informant,group\nKI-01.txt,10/01/2020,KI-01,carer\n")
    outcome = ingest.import_files(small, [tmp_path / "no_team.csv"])
    assert outcome.counts["interviews"] == {"skipped": 1}
    assert held(small)["KI-01"][1] == "Alpha"


def test_a_transcript_coded_by_character_position_is_not_replaced(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """A coded segment marks a passage by character offsets: another text would misplace it."""
    text_file(tmp_path, "KI-01.txt", "Nobody asked me. Then they did.")
    path = manifest(tmp_path, "KI-01.txt,Alpha,10/01/2020,KI-01,carer")
    ingest.import_files(small, [path])
    small.execute(
        "insert into coded_segments (note_id, interview_id, code_id, coder, span_start, span_end) "
        "select null, id, 2, 'R01', 0, 16 from interviews where informant_code = 'KI-01'"
    )
    again = ingest.import_files(small, [manifest(tmp_path, "KI-01.txt,Beta,10/01/2020,KI-01,carer")])
    assert again.counts["interviews"] == {"changed": 1}  # its details may change
    text_file(tmp_path, "KI-01.txt", "Somebody asked me. Then they did.")
    assert refused(small, [path]) == [
        "interviews.csv:2:File: 'KI-01.txt' — this file differs from the study's transcript: the interview of KI-01 "
        "has 1 coded passage that this change would move or alter (the first: characters 1 to 16); a coded passage "
        "is found by its characters' positions, so keep the text of the coded passages where it is (add text after "
        "them, or mend text outside them), or remove or re-code that passage on the Coding page first"
    ]


# --- from the command line, into the theme views, and the full export ------------------------------


def test_the_command_line_finds_the_transcripts_beside_the_manifest(small_location: Path | str, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "observation", "import", "--db", str(small_location)]
    result = subprocess.run([*command, str(EXAMPLES / "interviews.csv")], capture_output=True, text=True, cwd=ROOT,
                            check=False)  # fmt: skip
    assert result.returncode == 2  # the example names Elm community team, not in the small study
    assert result.stderr.splitlines() == [
        "error: 1 problem(s); nothing was imported:",
        "interviews.csv:2:Team: 'Elm community team' — no such team in the study or in this import",
    ]
    teams = ROOT / "data" / "examples" / "teams.csv"
    result = subprocess.run([*command, str(teams), str(EXAMPLES / "interviews.csv")], capture_output=True, text=True,
                            cwd=ROOT, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "  EL-KI01.txt: read as the transcript of EL-KI01 (interviews.csv, row 2)" in result.stdout.splitlines()
    assert "  interviews: 2 created, 0 changed, 0 unchanged" in result.stdout.splitlines()
    con = db.connect(small_location)
    try:
        stored = held(con)
    finally:
        con.close()
    for informant, file in (("EL-KI01", "EL-KI01.txt"), ("TR-KI02", "TR-KI02.md")):
        written = (EXAMPLES / file).read_bytes().decode("utf-8").replace("\r\n", "\n")
        assert stored[informant][3] == unicodedata.normalize("NFC", written)
    assert stored["TR-KI02"][1] is None  # a trust leader: no team
    assert "synthetic" in str(stored["EL-KI01"][3]).lower()


def test_imported_transcripts_are_read_and_counted_on_the_theme_views(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    text_file(tmp_path, "KI-01.txt", "Nobody asked me — café talk. 😀")
    ingest.import_files(small, [manifest(tmp_path, "KI-01.txt,Alpha,10/01/2020,KI-01,service user")])
    found = notes.excerpts(small, StudyFilter(), notes.ExcerptQuery(source="interviews", text="café"))
    assert list(found.rows["body"]) == ["Nobody asked me — café talk. 😀"]
    assert list(found.rows["author"]) == ["KI-01"]

    def interviews_with_code_3() -> int:
        matrix = notes.code_team_matrix(small, StudyFilter(), source="interviews")
        return int(matrix.loc[(matrix["code_id"] == 3) & (matrix["team_name"] == "Alpha"), "interviews"].sum())

    assert interviews_with_code_3() == 0
    small.execute(
        "insert into coded_segments (note_id, interview_id, code_id, coder) "
        "select null, id, 3, 'R01' from interviews where informant_code = 'KI-01'"
    )
    assert interviews_with_code_3() == 1


def test_a_full_export_takes_the_transcripts_back_character_for_character(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, reloaded: Reloaded
) -> None:
    text_file(tmp_path, "KI-01.txt", "Caf\u00e9 😀\n  indented\n")
    ingest.import_files(small, [manifest(tmp_path, "KI-01.txt,,10/01/2020,KI-01,carer")])
    assert held(reloaded(small)) == held(small)
