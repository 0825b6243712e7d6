"""Import, Export and Audit pages in AppTest, with real uploads."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from observation import disclosure, ingest, labels
from observation.plain import markdown_text
from observation.ui import importing

App = Callable[..., AppTest]
EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "examples"


def upload(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    return at.file_uploader(key="import_files").set_value([(n, b, "text/csv") for n, b in files]).run()


def plain(markdown: str) -> str:
    """Markdown written to show text as typed (a file's name in bold), as the reader sees it."""
    return re.sub(r"\\(.)", r"\1", re.sub(r"(?<!\\)\*\*", "", markdown), flags=re.DOTALL).replace("\u200b", "")


def said(elements: object) -> list[str]:
    return [plain(e.value) for e in elements]  # type: ignore[attr-defined]


def problems_shown(at: AppTest) -> list[list[str]]:
    """Each problem as the page lists it, file, row, column, value and reason: a table per file,
    under the file's name."""
    rows, file = [], ""
    for node in at.main:
        if isinstance(node, Block):
            continue
        if node.type == "markdown" and re.fullmatch(r"\*\*.+\*\*: [\d,]+ problems?", node.value, re.DOTALL):
            file = plain(node.value).rpartition(": ")[0]
        elif node.type == "table":
            rows += [[file, *(plain(str(cell)) for cell in row)] for row in node.value.itertuples(index=False)]
    return rows


def test_an_upload_is_checked_then_imported_and_the_audit_shows_it(app: App, small_path: Path) -> None:
    at = app(small_path).switch_page("pages/data_import.py").run()
    assert [i.value for i in at.info] == ["Choose one or more files to see what they would change."]
    upload(at, ("teams.csv", (EXAMPLES / "teams.csv").read_bytes()))
    assert said(at.info) == ["Ready to import teams.csv: nothing is written until you confirm."]
    assert at.dataframe[0].value.to_dict("records") == [{"table": "teams", "created": 2, "changed": 0, "skipped": 0}]
    assert "teams.csv: read as teams" in said(at.markdown)
    at.button(key="import_confirm").click().run()
    assert said(at.success) == ["Imported teams.csv."]
    assert not at.info  # the preview gives way to what was done
    assert at.dataframe[0].value.to_dict("records") == [{"table": "teams", "created": 2, "changed": 0, "skipped": 0}]
    at.run()  # the same files again: the study holds them now
    assert said(at.info) == ["teams.csv: the study already holds all of it, so importing would change nothing."]
    assert at.dataframe[0].value.to_dict("records") == [{"table": "teams", "created": 0, "changed": 0, "skipped": 2}]
    assert not [b for b in at.button if b.key == "import_confirm"]
    at.switch_page("pages/audit.py").run()
    audit = at.dataframe[0].value
    assert list(audit["action"]) == ["Imported", "Added", "Added"]
    assert audit["what"][0] == "Imported teams.csv: 2 teams created"


def test_the_upload_limit_is_the_imports_and_the_page_says_what_to_do_past_it(app: App, small_path: Path) -> None:
    """The uploader, the server and the page state one limit, the one the importer keeps (it said
    20 MB in its help and 50 MB under the button)."""
    import tomllib

    from observation.ingest.read import MAX_BYTES

    megabytes = MAX_BYTES // 2**20
    config = tomllib.loads((EXAMPLES.parents[1] / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == megabytes
    at = app(small_path).switch_page("pages/data_import.py").run()
    assert at.file_uploader(key="import_files").proto.max_upload_size_mb == megabytes
    (caption,) = [c for c in said(at.caption) if "MB" in c]
    assert caption.startswith(f"Up to {megabytes} MB a file")
    assert "split a bigger file" in caption


def test_a_broken_upload_lists_its_problems_and_offers_no_import(app: App, small_path: Path) -> None:
    at = app(small_path).switch_page("pages/data_import.py").run()
    upload(at, ("attendance.csv", b"team,date,participant,status\nAlpha,2020-01-10,A-ST1,maybe\n"))
    assert said(at.error) == [
        "1 problem in 1 file (attendance.csv: 1), all listed below. Fix them in the files and upload them again: "
        "nothing is imported while any is left."
    ]
    assert problems_shown(at) == [[
        "attendance.csv", "2", "status", "maybe",
        "not a known attendance status; use one of: present, apologies, absent",
    ]]  # fmt: skip
    assert not [b for b in at.button if b.key == "import_confirm"]
    at.switch_page("pages/audit.py").run()
    assert [i.value for i in at.info] == ["Nothing recorded yet."]  # nothing was written


def test_every_problem_of_every_file_is_listed_at_once(app: App, small_path: Path) -> None:
    """The issue: with two files, only the first file's problem was shown, and a second upload
    revealed problems the first file already had."""
    at = app(small_path).switch_page("pages/data_import.py").run()
    notes = b"team,date,position,author,body\nAlpha,10/01/2020,1,RB,She said hello, then left\n"
    quoted = b'team,date,position,author,body\nAlpha,10/01/2020,1,RB,"Hello\nAlpha,10/01/2020,2,RB,fine\n'
    meetings = b"Team,Date of meeting,Status\nAlpha,01/01/0001,held\nAlpha,10/01/2020,held\nAlpha,10/01/2020,held\n"
    upload(at, ("notes.csv", notes), ("quoted.csv", quoted), ("meetings.csv", meetings))
    assert not at.exception
    assert said(at.error)[0].startswith("4 problems in 3 files (meetings.csv: 2, notes.csv: 1")
    rows = problems_shown(at)
    assert [r[:3] for r in rows] == [
        ["meetings.csv", "2", "Date of meeting"], ["meetings.csv", "4", "Team"],
        ["notes.csv", "2", "column 6 (no header)"], ["quoted.csv", "2", "body"],
    ]  # fmt: skip
    assert rows[1][4] == "the same meeting (team and date) as row 3; keep one row"
    assert rows[2][4].endswith("a comma inside a text left unquoted? Put that text in double quotes")
    assert rows[3][4].endswith("so the rows after it would be read into this cell; close the quote or remove it")
    assert "meetings.csv: read as meetings (Date of meeting as date)" in said(at.markdown)
    assert not [b for b in at.button if b.key == "import_confirm"]


def test_a_value_in_a_problem_is_shown_as_typed_never_as_markdown(app: App, small_path: Path) -> None:
    at = app(small_path).switch_page("pages/data_import.py").run()
    team = "[go](http://x.org) **now**"
    upload(at, ("meetings.csv", f"team,date,status\n{team},10/01/2020,held\n".encode()))
    (row,) = at.table[0].value.itertuples(index=False)
    assert row[2] == markdown_text(team)  # every mark escaped, and the address no link
    assert plain(row[2]) == team


def test_a_long_value_in_a_problem_is_shown_short_and_its_reason_whole(app: App, small_path: Path) -> None:
    """A 50,000-character team name (which the core cuts to 80 characters) ran the table past the
    page's edge at 1280 pixels, and squeezed the reasons into a narrow column: a value is shown at
    most 40 characters, a run with no space 20, with its length on a line of its own."""
    at = app(small_path).switch_page("pages/data_import.py").run()
    sentence = "She came in late and said very little before she left again"
    rows = f"{'A' * 50_000},10/01/2020,held\nAlpha,10/01/2020,held,{sentence}\nAlpha,{'9' * 25},held\n"
    upload(at, ("meetings.csv", f"team,date,status\n{rows}".encode()))
    shown = {row[1]: row for row in problems_shown(at)}
    assert shown["2"][3] == "A" * 20 + "…\n(50,000 characters)"
    assert shown["2"][4].startswith("50,000 characters")
    assert shown["3"][3] == sentence[:40].rstrip() + f"…\n({len(sentence)} characters)"
    assert shown["3"][4].endswith("Put that text in double quotes")  # a reason is never cut
    assert shown["4"][3] == "9" * 20 + "…\n(25 characters)"
    assert all(row[0] == "meetings.csv" for row in shown.values())
    assert "meetings.csv: 3 problems" in said(at.markdown)


def test_thousands_of_problems_are_shown_a_page_at_a_time(app: App, small_path: Path) -> None:
    at = app(small_path).switch_page("pages/data_import.py").run()
    rows = "".join(f"Alpha,10/01/2020,A-ST1,maybe{i}\n" for i in range(450))
    upload(at, ("attendance.csv", f"team,date,participant,status\n{rows}".encode()))
    assert said(at.error)[0].startswith("450 problems in 1 file")
    assert len(problems_shown(at)) == 200
    assert "Problems 1 to 200 of 450, in file and row order." in said(at.caption)
    at.number_input(key="import_problems_page").set_value(3).run()
    assert [r[1] for r in problems_shown(at)] == [str(n) for n in range(402, 452)]


def test_a_register_with_a_participant_code_column_is_read_as_a_register(app: App, small_path: Path) -> None:
    at = app(small_path).switch_page("pages/data_import.py").run()
    upload(at, ("register.csv", b"Team,Participant code,Role,10/01/2020\nAlpha,A-NEW9,Nurse,P\n"))
    assert said(at.info) == ["Ready to import register.csv: nothing is written until you confirm."]
    assert "register.csv: read as register (Participant code as participant)" in said(at.markdown)


def test_each_kind_is_named_in_words_never_by_its_table(app: App, small_path: Path) -> None:
    """The page said "read as field_notes" and offered "coded_segments: …": the names of tables."""
    at = app(small_path).switch_page("pages/data_import.py").run()
    upload(at, ("notes.csv", b"Team,Date,Position,Author,Note\nAlpha,10/01/2020,7,RB,Quiet today\n"))
    assert said(at.info) == ["Ready to import notes.csv: nothing is written until you confirm."]
    assert "notes.csv: read as field notes (Note as body)" in said(at.markdown)
    assert list(at.dataframe[0].value["table"]) == ["field notes"]
    next(t for t in at.toggle if t.label == "Change how it is read").set_value(True).run()
    kind = next(s for s in at.selectbox if s.label == "What the file holds")
    assert kind.value == "field_notes"
    shown = kind.options  # as the page writes them
    assert "field notes: one row per note" in shown
    assert "coded segments: one row per code applied to a note" in shown
    assert "recruitment events: one row per recruitment step" in shown
    assert not any("_" in option for option in shown)
    assert set(labels.TABLES) == set(ingest.KIND_NAMES) == set(labels.TABLE_ROWS)


def test_a_file_whose_headers_do_not_tell_is_read_as_the_user_says(app: App, small_path: Path) -> None:
    at = app(small_path).switch_page("pages/data_import.py").run()
    upload(at, ("marks.csv", b"Attendee,When,Attended\nA-ST1,10/01/2020,present\nA-ST2,10/01/2020,absent\n"),
           ("teams.csv", (EXAMPLES / "teams.csv").read_bytes()))  # fmt: skip
    assert said(at.warning) == ["What marks.csv holds could not be told from the headers: say it below."]
    assert not at.table  # its one problem is the step below, not a row
    assert "What does marks.csv hold?" in said(at.subheader)
    assert not any("--kind" in text for text in said(at.markdown) + said(at.caption) + said(at.warning))
    assert "teams.csv: read as teams" in said(at.markdown)  # the other file is still checked
    next(s for s in at.selectbox if s.label == "What the file holds").set_value("recruitment_events").run()
    columns = {plain(s.label): s for s in at.selectbox if (s.key or "").startswith("import_col_")}
    assert {h: s.value for h, s in columns.items()} == {"Attendee": "", "When": "date", "Attended": ""}  # the guess
    assert said(at.warning)[1:] == ["Still to choose: participant, stage."]
    apply = next(b for b in at.button if (b.key or "").startswith("import_apply_"))
    assert apply.disabled
    columns["Attendee"].set_value("participant").run()
    columns["Attended"].set_value("participant").run()
    assert said(at.warning)[1:] == [
        "Still to choose: stage.",
        "participant is chosen for more than one header (Attendee, Attended): keep one.",
    ]
    columns["Attended"].set_value("stage").run()
    assert len(at.warning) == 1  # what the file holds is still to be said, and can be
    next(b for b in at.button if (b.key or "").startswith("import_apply_")).click().run()
    # checked again as chosen: 'present' is no recruitment stage, and the table says so
    assert not at.exception
    assert [r[1:4] for r in problems_shown(at)] == [["2", "Attended", "present"], ["3", "Attended", "absent"]]
    assert (
        "marks.csv: read as recruitment events (Attendee as participant, When as date, Attended as stage), as you chose"
        in (said(at.markdown))
    )


def test_a_guess_can_be_changed_and_the_change_forgotten(app: App, small_path: Path) -> None:
    """Team, Attendee, When, Attended reads as meetings ("attended" is a meeting's status too): the user
    reads it as attendance instead, then goes back to the guess."""
    at = app(small_path).switch_page("pages/data_import.py").run()
    upload(at, ("marks.csv", b"Team,Attendee,When,Attended\nAlpha,A-CA1,10/01/2020,present\n"))
    assert "marks.csv: read as meetings (When as date, Attended as status)" in said(at.markdown)
    assert "Left out, as no column of this kind reads them: Attendee" in said(at.caption)
    next(t for t in at.toggle if t.label == "Change how it is read").set_value(True).run()
    kind = next(s for s in at.selectbox if s.label == "What the file holds")
    assert kind.value == "meetings"
    kind.set_value("attendance").run()
    next(s for s in at.selectbox if s.label == "Attendee").set_value("participant").run()
    next(b for b in at.button if (b.key or "").startswith("import_apply_")).click().run()
    assert said(at.info) == ["Ready to import marks.csv: nothing is written until you confirm."]
    assert (
        "marks.csv: read as attendance (Attendee as participant, When as date, Attended as status), as you chose"
        in said(at.markdown)
    )
    change = next(t for t in at.toggle if t.label == "Change how it is read")
    assert not change.value  # the step closes once its choice is made
    change.set_value(True).run()
    next(b for b in at.button if (b.key or "").startswith("import_forget_")).click().run()
    assert "marks.csv: read as meetings (When as date, Attended as status)" in said(at.markdown)


def test_an_unexpected_failure_is_one_line_and_never_a_traceback(
    app: App, small_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> ingest.Outcome:
        raise RuntimeError("a cell's text: A-ST1 said something private")

    monkeypatch.setattr(ingest, "import_files", boom)
    at = app(small_path).switch_page("pages/data_import.py").run()
    upload(at, ("teams.csv", (EXAMPLES / "teams.csv").read_bytes()))
    assert not at.exception
    assert said(at.error) == ["The files could not be checked (RuntimeError). Nothing was written."]


def test_an_unexpected_failure_drawing_the_page_is_one_line(
    app: App, small_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError("A-ST1")

    monkeypatch.setattr(importing, "problem_table", boom)
    at = app(small_path).switch_page("pages/data_import.py").run()
    upload(at, ("attendance.csv", b"team,date,participant,status\nAlpha,2020-01-10,A-ST1,maybe\n"))
    assert not at.exception
    assert said(at.error)[-1] == (
        "Something unexpected went wrong (KeyError). Remove the files and upload them again to see where they stand."
    )
    assert not any("A-ST1" in text for text in said(at.error))


def test_an_export_is_prepared_then_offered_for_download(app: App, small_path: Path) -> None:
    at = app(small_path).switch_page("pages/data_export.py").run()
    assert not at.get("download_button")
    # the choices read as words; the values chosen stay the export's own
    assert at.segmented_control(key="export_level").options == [
        "Full (every record)",
        "De-identified",
        "Aggregate counts",
    ]
    assert at.segmented_control(key="export_format").options == ["CSV", "Excel (XLSX)", "Parquet"]
    assert at.segmented_control(key="export_level").value == "aggregate"
    # where the sharing is decided: checked against presenter mode and the deck as well
    assert disclosure.ACROSS_OUTPUTS in [c.value for c in at.caption]
    at.button(key="export_prepare").click().run()
    assert not at.exception
    (download,) = at.get("download_button")
    assert download.proto.label == "Download study-aggregate-csv.zip"
    at.segmented_control(key="export_level").set_value("full").run()
    assert not at.get("download_button")  # the aggregate file is never offered as the full one
    assert not at.warning
    # every level says what it is for, the full one too
    (caption,) = [c for c in said(at.caption) if c.startswith("For the study team only, never for sharing: ")]
    assert "every table as it is" in caption
    assert "why a text in a CSV may start with '" in caption


def test_the_preview_lists_every_value_the_import_would_change(app: App, small_path: Path) -> None:
    at = app(small_path).switch_page("pages/data_import.py").run()
    meetings = b"team,date,status,action_items\nAlpha,10/01/2020,cancelled,\nAlpha,24/01/2020,held,1\n"
    upload(at, ("meetings.csv", meetings))
    assert said(at.info) == ["Ready to import meetings.csv: nothing is written until you confirm."]
    assert [h.value for h in at.subheader][:1] == ["What would change"]
    changes = at.dataframe[1].value  # after the counts
    assert changes.to_dict("records") == [
        {"table": "meetings", "record": "Alpha, 10/01/2020", "column": c, "before": before, "after": after}
        for c, before, after in (("status", "held", "cancelled"), ("action_items", "3", "(none)"))
    ]
    assert any(c.startswith("1 record would be changed: each value before and after") for c in said(at.caption))


def _word(text: str) -> bytes:
    """A .docx holding ``text`` as one paragraph, as Word saves it."""
    import io

    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


INTERVIEWS = EXAMPLES / "interviews"


def test_an_interview_manifest_is_uploaded_with_its_transcripts_and_each_file_says_what_it_was_read_as(
    app: App, small_path: Path
) -> None:
    at = app(small_path).switch_page("pages/data_import.py").run()
    manifest = b"File,Team,Date,Informant code,Informant group\nKI-01.txt,Alpha,20/01/2020,KI-01,service user\n" \
               b"KI-02.docx,,03/02/2020,KI-02,leaders and managers\n"  # fmt: skip
    at.file_uploader(key="import_files").set_value([
        ("manifest.csv", manifest, "text/csv"),
        ("KI-01.txt", "Caf\u00e9 \U0001f600\r\nI came once.\r\n".encode(), "text/plain"),
        ("KI-02.docx", _word("Nobody owns recruitment — yet."), "application/octet-stream"),
    ]).run()  # fmt: skip
    assert not at.exception
    assert said(at.info) == [
        "Ready to import manifest.csv, KI-01.txt, KI-02.docx: nothing is written until you confirm."
    ]
    assert at.dataframe[0].value.to_dict("records") == [
        {"table": "interviews", "created": 2, "changed": 0, "skipped": 0}
    ]
    shown = said(at.markdown)
    assert "manifest.csv: read as interviews" in shown
    assert "KI-01.txt: read as the transcript of KI-01 (manifest.csv, row 2)" in shown
    assert "KI-02.docx: read as the transcript of KI-02 (manifest.csv, row 3)" in shown
    assert [t.key for t in at.toggle if t.label == "Change how it is read"] == [
        f"import_change_{at.file_uploader(key='import_files').value[0].file_id}"
    ]  # a transcript is read as the manifest says, not as a spreadsheet
    at.button(key="import_confirm").click().run()
    assert said(at.success) == ["Imported manifest.csv, KI-01.txt, KI-02.docx."]
    from observation import db

    con = db.connect(small_path)
    try:
        held = con.execute("select informant_code, team_id, transcript from interviews order by 1").fetchall()
    finally:
        con.close()
    assert held == [
        ("KI-01", 1, "Caf\u00e9 \U0001f600\nI came once.\n"),  # the BOM-less UTF-8 as NFC, CRLF as LF
        ("KI-02", None, "Nobody owns recruitment — yet."),
    ]


def test_an_interview_upload_lists_a_missing_transcript_and_one_no_row_names(app: App, small_path: Path) -> None:
    at = app(small_path).switch_page("pages/data_import.py").run()
    upload(at, ("interviews.csv", (INTERVIEWS / "interviews.csv").read_bytes()),
           ("EL-KI01.txt", (INTERVIEWS / "EL-KI01.txt").read_bytes()),
           ("stray.md", b"Named by no row."))  # fmt: skip
    assert not at.exception
    assert problems_shown(at) == [
        ["interviews.csv", "2", "Team", "Elm community team", "no such team in the study or in this import"],
        ["interviews.csv", "3", "File", "TR-KI02.md",
         "no such transcript among the files uploaded: upload it with the manifest"],
        ["stray.md", "whole file", "", "",
         "no interview manifest names this transcript: add a row for it to the manifest, or leave the file out"],
    ]  # fmt: skip
    shown = said(at.markdown)
    assert "EL-KI01.txt: read as an interview transcript, matched to the manifest's row that names it" in shown
    assert "interviews.csv: read as interviews" in shown
    assert not [b for b in at.button if b.key == "import_confirm"]


def test_the_mapping_step_offers_an_interview_manifest_in_words(app: App, small_path: Path) -> None:
    at = app(small_path).switch_page("pages/data_import.py").run()
    upload(at, ("list.csv", b"Doc,When,Who,Kind\nKI-01.txt,20/01/2020,KI-01,carer\n"),
           ("KI-01.txt", b"A carer's words."))  # fmt: skip
    kind = next(s for s in at.selectbox if s.label == "What the file holds")
    assert "interviews: a manifest, one row per interview naming its transcript (.txt, .md or .docx)" in kind.options
    kind.set_value("interviews").run()
    columns = {plain(s.label): s for s in at.selectbox if (s.key or "").startswith("import_col_")}
    assert {h: s.value for h, s in columns.items()} == {"Doc": "", "When": "date", "Who": "", "Kind": ""}
    for header, column in (("Doc", "file"), ("Who", "informant_code"), ("Kind", "informant_group")):
        columns[header].set_value(column)
    at.run()
    next(b for b in at.button if (b.key or "").startswith("import_apply_")).click().run()
    assert not at.exception
    assert said(at.info) == ["Ready to import list.csv, KI-01.txt: nothing is written until you confirm."]
    assert "list.csv: read as interviews (Doc as file, When as date, Who as informant_code, Kind as " \
           "informant_group), as you chose" in said(at.markdown)  # fmt: skip
