"""Importing through the browser: a real upload, its preview, the import, and the audit trail."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from observation import labels
from tests.browser.conftest import Server, Watched, screenshot, spreadsheets, start_server
from tests.browser.test_overview_browser import assert_clean

EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "examples"


def test_uploading_the_example_files_previews_then_imports_them(fresh_server: Server, watched: Watched) -> None:
    page = watched.page
    # A cold server's very first request is the front door: a first deep link can outrun its start-up.
    page.goto(fresh_server.url)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    page.goto(f"{fresh_server.url}/data_import")
    expect(page.get_by_text("Choose one or more files to see what they would change.")).to_be_visible(timeout=60_000)
    files = sorted(str(p) for p in EXAMPLES.glob("*.csv"))
    spreadsheets(page).set_input_files(files)
    expect(page.get_by_text("Ready to import")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Import these files").click()
    expect(page.get_by_text("Imported annotations.csv")).to_be_visible(timeout=60_000)
    screenshot(page, "import-done")
    page.goto(f"{fresh_server.url}/audit")
    expect(page.get_by_role("heading", level=1, name="Audit trail")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("The latest")).to_be_visible()
    assert_clean(watched)


def test_recording_a_change_to_a_meeting_through_the_browser(fresh_server: Server, watched: Watched) -> None:
    page = watched.page
    page.goto(fresh_server.url)  # the app's front door first, as a person arrives
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    page.get_by_test_id("stSidebarNav").get_by_text("Record a meeting").click()
    expect(page.get_by_role("heading", level=1, name="Record a meeting")).to_be_visible(timeout=60_000)
    page.get_by_role("combobox", name="Meeting").click()
    page.get_by_role("option").nth(1).click()  # the latest meeting
    settled(page)  # the form of the meeting chosen replaces the first one's
    actions = page.get_by_role("spinbutton", name="Action items agreed")
    expect(actions).to_have_count(1)
    expect(actions).to_be_visible()
    actions.fill("11")
    actions.press("Enter")
    page.get_by_role("button", name="Save the meeting").click()
    expect(page.get_by_text("Saved. Every page now shows it")).to_be_visible(timeout=60_000)
    screenshot(page, "record-saved")
    assert_clean(watched)


def settled(page: Page) -> None:
    """Wait until a rerun that may just have started has finished: a grid drawn during one is drawn again."""
    page.wait_for_timeout(1_000)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)


def test_renaming_a_team_in_the_setup_grid(fresh_server: Server, watched: Watched) -> None:
    """The one grid AppTest cannot type into: a cell edited in the browser, saved, and shown everywhere."""
    page = watched.page
    page.goto(fresh_server.url)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    page.get_by_test_id("stSidebarNav").get_by_text("Study setup").click()
    expect(page.get_by_role("heading", level=1, name="Study setup")).to_be_visible(timeout=60_000)
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible()
    settled(page)
    box = grid.bounding_box()
    assert box is not None
    page.mouse.dblclick(box["x"] + 60, box["y"] + 35 + 17)  # the first team's name, below the header row
    editor = page.locator("textarea:focus")  # the cell's editor, once it has opened
    editor.fill("Riverside QI")
    expect(editor).to_have_value("Riverside QI")
    page.keyboard.press("Enter")
    settled(page)  # the grid sends its edit with a rerun of its own
    page.get_by_role("button", name="Save the teams").click()
    expect(page.get_by_text("0 added, 1 changed.")).to_be_visible(timeout=60_000)
    screenshot(page, "setup-teams-saved")
    page.get_by_role("tab", name="Participants").click()
    page.get_by_role("combobox", name="Team", exact=True).click()
    expect(page.get_by_role("option", name="Riverside QI")).to_be_visible()
    page.keyboard.press("Escape")
    page.get_by_role("tab", name="Codebook").click()
    expect(page.get_by_role("heading", name="Merge two codes")).to_be_visible()
    screenshot(page, "setup-codebook")
    assert_clean(watched)


def open_import(page: Page, server: Server) -> None:
    page.goto(server.url)  # the front door first: a cold server's first deep link can outrun its start-up
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    page.goto(f"{server.url}/data_import")
    expect(page.get_by_text("Choose one or more files to see what they would change.")).to_be_visible(timeout=60_000)


def test_every_problem_in_every_file_is_listed_at_once_with_its_whole_reason(
    fresh_server: Server, watched: Watched, tmp_path: Path
) -> None:
    """Three files, each wrong in its own way: every problem of every file on the page at once,
    none of their reasons cut (the issue: a second upload revealed problems the first file had)."""
    page = watched.page
    open_import(page, fresh_server)
    notes = tmp_path / "notes.csv"  # a comma inside a note, unquoted: a row wider than its header
    notes.write_text(
        "team,date,position,author,body\nOak community brain-injury team,03/07/2019,1,RB,She said hello, then left\n"
    )
    quote = tmp_path / "quoted.csv"  # a quote left open would swallow the rows after it
    quote.write_text('team,date,position,author,body\nOak community brain-injury team,03/07/2019,1,RB,"Hello\n'
                     "Oak community brain-injury team,03/07/2019,2,RB,fine\n")  # fmt: skip
    meetings = tmp_path / "meetings.csv"  # a date no study has, and the same meeting twice
    meetings.write_text("Team,Date of meeting,Status\nOak community brain-injury team,01/01/0001,held\n"
                        "Oak community brain-injury team,14/08/2019,held\n"
                        "Oak community brain-injury team,14/08/2019,cancelled\n")  # fmt: skip
    spreadsheets(page).set_input_files([str(notes), str(quote), str(meetings)])
    expect(
        page.get_by_text("5 problems in 3 files (meetings.csv: 2, notes.csv: 2, quoted.csv: 1), all listed below.")
    ).to_be_visible(timeout=60_000)
    table = page.get_by_test_id("stTable")
    for reason in (
        "this row has 1 more cell(s) than the header row names, so a value would be lost: a comma inside a "
        "text left unquoted? Put that text in double quotes",
        "a quote opens a cell on this row and is never closed, so the rows after it would be read into this "
        "cell; close the quote or remove it",
        "outside the dates this study takes",
        "the same meeting (team and date) as row 3; keep one row",
        # the demo codes passages of that note: a new text would move them
        "note 1 of the meeting of Oak community brain-injury team, 03/07/2019 has 2 coded passages",
    ):
        expect(table.get_by_text(reason)).to_be_visible()
    for value in ("then left", "01/01/0001", "Date of meeting"):
        expect(table.get_by_text(value, exact=True).first).to_be_visible()
    expect(page.get_by_role("button", name="Import these files")).to_have_count(0)
    screenshot(page, "import-every-problem")
    assert_clean(watched)


def test_the_problem_table_fits_the_page_with_a_50000_character_value(
    fresh_server: Server, watched: Watched, tmp_path: Path
) -> None:
    """A team name of 50,000 letters ran the table past the right edge at 1280×720, the reasons
    squeezed into a narrow column: at 1280×720 with the sidebar open, and at 1440×900, every
    table fits the page and the reason column is its widest."""
    page = watched.page
    page.set_viewport_size({"width": 1280, "height": 720})
    open_import(page, fresh_server)
    notes = tmp_path / "field_notes_from_the_oak_team_observations_2019_final_version.csv"
    notes.write_text("team,date,position,author,body\n"
                     f"{'A' * 50_000},03/07/2019,1,RB,fine\n"
                     f"Oak community brain-injury team,03/07/2019,{'W' * 42},RB,fine\n"
                     "Oak community brain-injury team,03/07/2019,3,RB,She said hello, then left\n")  # fmt: skip
    meetings = tmp_path / "meetings.csv"
    meetings.write_text("Team,Date of meeting,Status\nOak community brain-injury team,01/01/0001,held\n")
    spreadsheets(page).set_input_files([str(notes), str(meetings)])
    tables = page.get_by_test_id("stTable")
    expect(tables).to_have_count(2, timeout=60_000)
    expect(tables.first.get_by_text("(50,000 characters)")).to_be_visible()
    expect(page.get_by_test_id("stSidebar")).to_be_visible()
    for width, height in ((1280, 720), (1440, 900)):
        page.set_viewport_size({"width": width, "height": height})
        settled(page)
        tables.first.scroll_into_view_if_needed()
        room, fits = page.evaluate(
            """() => {
                const block = document.querySelector('[data-testid=stMainBlockContainer]').getBoundingClientRect();
                const tables = [...document.querySelectorAll('[data-testid=stTable] table')];
                return [Math.round(block.right), tables.map(t => {
                    const widths = Object.fromEntries([...t.querySelectorAll('thead th')].map(
                        th => [th.innerText.trim(), th.getBoundingClientRect().width]));
                    return {right: t.getBoundingClientRect().right, scroll: t.parentElement.scrollWidth
                            - t.parentElement.clientWidth, widths};
                })];
            }"""
        )
        for table in fits:
            assert table["right"] <= room + 1, (width, table)
            assert table["scroll"] <= 1, (width, table)  # nothing hidden to scroll to
            assert max(table["widths"], key=table["widths"].get) == "Reason", (width, table)
        screenshot(page, f"import-long-value-{width}")
    assert_clean(watched)


def test_a_register_with_a_participant_code_column_is_read_and_imported(
    fresh_server: Server, watched: Watched, tmp_path: Path
) -> None:
    page = watched.page
    open_import(page, fresh_server)
    register = tmp_path / "register.csv"
    register.write_text("Team,Participant code,Role,05/09/2023,19/09/2023\nElm community team,EL-ST01,Nurse,P,A\n")
    spreadsheets(page).set_input_files(str(register))
    expect(page.get_by_text("Ready to import register.csv")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("read as register (Participant code as participant)")).to_be_visible()
    expect(page.get_by_text("--kind")).to_have_count(0)
    screenshot(page, "import-register-read")
    page.get_by_role("button", name="Import these files").click()
    expect(page.get_by_text("Imported register.csv.")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Ready to import")).to_have_count(0)  # the preview gives way to what was done
    assert_clean(watched)


def test_a_file_whose_headers_do_not_tell_is_read_as_the_user_says(
    fresh_server: Server, watched: Watched, tmp_path: Path
) -> None:
    page = watched.page
    open_import(page, fresh_server)
    marks = tmp_path / "marks.csv"
    marks.write_text("Attendee,When,Which team,Came?\nST1-01,03/07/2019,Oak community brain-injury team,present\n"
                     "SU1-01,03/07/2019,Oak community brain-injury team,apologies\n")  # fmt: skip
    spreadsheets(page).set_input_files(str(marks))
    expect(page.get_by_role("heading", name="What does marks.csv hold?")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("--kind")).to_have_count(0)
    page.get_by_role("combobox", name="What the file holds").click()
    page.get_by_role("option", name="attendance: one row per person at a meeting").click()
    expect(page.get_by_text("Still to choose: participant, status.")).to_be_visible(timeout=30_000)  # "Which team"
    settled(page)
    expect(page.get_by_text("e.g. ST1-01, SU1-01")).to_be_visible()
    for header, column in (("Attendee", "participant (required)"), ("Which team", "team (required)"),
                           ("Came?", "status (required)")):  # fmt: skip
        page.get_by_role("combobox", name=header, exact=True).click()
        page.get_by_role("option", name=column, exact=True).click()
        expect(page.get_by_role("combobox", name=header, exact=True)).to_have_value(column)
        settled(page)  # the step draws itself again with the choice
    expect(page.get_by_text("Still to choose")).to_have_count(0)
    screenshot(page, "import-mapping-step")
    page.get_by_role("button", name="Check the files again, reading it this way").click()
    expect(page.get_by_text("Ready to import marks.csv")).to_be_visible(timeout=60_000)
    expect(
        page.get_by_text(
            "read as attendance (Attendee as participant, When as date, Which team as team, Came? as status)"
        )
    ).to_be_visible()
    screenshot(page, "import-mapped-preview")
    page.get_by_role("button", name="Import these files").click()
    expect(page.get_by_text("Imported marks.csv.")).to_be_visible(timeout=60_000)
    assert_clean(watched)


def test_an_export_of_formula_like_text_and_a_vertical_tab_is_only_data(
    tmp_path: Path, watched: Watched, request: pytest.FixtureRequest
) -> None:
    """Issue 20: a study whose notes, teams and codes hold text a spreadsheet would run, and a
    vertical tab (which stopped the XLSX export with a traceback): the workbook downloaded from
    the Export page holds that text as text cells, exactly, the CSV with a leading ', and the
    page says how many control characters it replaced."""
    import csv  # here, not at the top: the imports above are the import tests'
    import io
    import zipfile

    import openpyxl

    from observation import db
    from tests.small_study import build_small_study

    link, vt = '=HYPERLINK("http://x","y")', "\x0b"
    build_small_study(tmp_path / "study.duckdb")
    con = db.connect(tmp_path / "study.duckdb")
    for sql, values in [
        ("update teams set name = ? where id = 1", [link]),
        ("update teams set name = ?, service = ? where id = 2", ["@SUM(1)", "+1"]),
        ("update field_notes set body = ? where id = 1", [link]),
        ("update field_notes set body = ? where id = 2", [f"line one{vt}line two"]),
        ("update field_notes set body = ? where id = 3", ["-2+3"]),
        ("update codes set name = ? where id = 5", [f"Service user{vt}absent"]),
    ]:
        con.execute(sql, values)
    con.close()
    server = start_server(tmp_path / "study.duckdb", tmp_path / "streamlit.log")
    request.addfinalizer(lambda: (server.process.terminate(), server.process.wait(timeout=30)))
    page = watched.page
    page.goto(server.url)  # the front door first: a cold server's first deep link can outrun its start-up
    expect(page.get_by_test_id("stSidebarNav")).to_be_visible(timeout=60_000)
    page.goto(f"{server.url}/data_export")
    expect(page.get_by_role("heading", level=1, name="Export")).to_be_visible(timeout=60_000)
    page.get_by_role("radiogroup", name="Level").get_by_role(
        "radio", name=labels.EXPORT_LEVELS["full"], exact=True
    ).click()
    expect(page.get_by_text("For the study team only, never for sharing")).to_be_visible()
    said = "2 control characters (such as a vertical tab in text pasted from Word) were replaced by U+FFFD"

    def choose(fmt: str) -> None:
        page.get_by_role("radiogroup", name="Format").get_by_role(
            "radio", name=labels.EXPORT_FORMATS[fmt], exact=True
        ).click()

    def download(fmt: str, also: str | None = None) -> tuple[str, bytes]:
        """Prepare and download; what the page says it made safe is read before the download's
        click, whose rerun takes those lines away."""
        choose(fmt)
        page.get_by_role("button", name="Prepare the export").click()
        expect(page.get_by_text(said)).to_be_visible(timeout=60_000)
        if also is not None:
            expect(page.get_by_text(also)).to_be_visible()
        screenshot(page, f"export-only-data-{fmt}")  # while the page says what it replaced
        button = page.get_by_test_id("stDownloadButton")
        expect(button).to_be_visible(timeout=60_000)
        with page.expect_download(timeout=60_000) as got:
            button.click()
        return got.value.suggested_filename, got.value.path().read_bytes()

    name, workbook = download("xlsx")
    assert name == "study-full.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    found = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert book.sheetnames[0] == "Notes"  # what the file holds, and what was done to its text
    assert [c.coordinate for c in found if c.data_type == "f"] == []
    texts = {c.value for c in found if c.data_type == "s"}
    assert {link, "@SUM(1)", "+1", "-2+3", "line one\ufffdline two", "Service user\ufffdabsent"} <= texts
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        for sheet in (n for n in archive.namelist() if n.startswith("xl/worksheets/")):
            assert "<f>" not in archive.read(sheet).decode()
    choose("csv")
    expect(page.get_by_test_id("stDownloadButton")).to_have_count(0)  # the workbook is not offered as the CSV
    name, folder = download("csv", also="text cells begin with =, +, -, @, a tab or a carriage return")
    assert name == "study-full-csv.zip"
    with zipfile.ZipFile(io.BytesIO(folder)) as archive:
        notes = archive.read("study-full-csv/field_notes.csv").decode("utf-8")
        teams = archive.read("study-full-csv/teams.csv").decode("utf-8")
        readme = archive.read("study-full-csv/README.txt").decode("utf-8")
    assert readme.startswith("Full export: FOR THE STUDY TEAM ONLY")
    assert "remove that first ' to get the text as it was" in readme  # the ' explained once the file is shared
    assert said in readme
    bodies = {r["id"]: r["body"] for r in csv.DictReader(io.StringIO(notes, newline=""))}
    assert (bodies["1"], bodies["2"], bodies["3"]) == ("'" + link, "line one\ufffdline two", "'-2+3")
    names = {r["id"]: (r["name"], r["service"]) for r in csv.DictReader(io.StringIO(teams, newline=""))}
    assert names["1"][0] == "'" + link
    assert names["2"] == ("'@SUM(1)", "'+1")
    assert_clean(watched)
    log = server.log.read_text()
    assert "Traceback" not in log
    assert "HYPERLINK" not in log


def test_a_register_told_by_hand_and_a_guess_changed_in_one_upload(
    fresh_server: Server, watched: Watched, tmp_path: Path
) -> None:
    """A register whose role column is "Job" (no usual name), and a file whose headers read as
    meetings ("Attended" is a meeting's status too) but that holds attendance."""
    page = watched.page
    open_import(page, fresh_server)
    register = tmp_path / "register.csv"
    register.write_text("Team,Person,Job,03/07/2019,17/07/2019\nOak community brain-injury team,ST1-01,Therapist,P,P\n")
    marks = tmp_path / "marks.csv"
    marks.write_text("Team,Attendee,When,Attended\nOak community brain-injury team,ST1-02,31/07/2019,apologies\n")
    spreadsheets(page).set_input_files([str(register), str(marks)])
    expect(page.get_by_role("heading", name="What does register.csv hold?")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("marks.csv: read as meetings (When as date, Attended as status)")).to_be_visible()
    expect(page.get_by_text("Left out, as no column of this kind reads them: Attendee")).to_be_visible()
    page.get_by_role("combobox", name="What the file holds").click()
    page.get_by_role("option", name="register: one row per person, one column per meeting date").click()
    expect(page.get_by_text("Still to choose: role.")).to_be_visible(timeout=30_000)
    settled(page)
    expect(page.get_by_role("combobox", name="03/07/2019")).to_be_disabled()  # a date: a meeting, by its header
    page.get_by_role("combobox", name="Job", exact=True).click()
    page.get_by_role("option", name="role (required)", exact=True).click()
    expect(page.get_by_text("Still to choose")).to_have_count(0, timeout=30_000)
    page.get_by_text("Change how it is read").click()
    expect(page.get_by_role("combobox", name="What the file holds")).to_have_count(2, timeout=30_000)
    settled(page)
    screenshot(page, "import-register-by-hand-and-a-guess")
    page.get_by_role("button", name="Check the files again, reading it this way").first.click()
    expect(
        page.get_by_text("register.csv: read as register (Person as participant, Job as role), as you chose")
    ).to_be_visible(timeout=60_000)
    settled(page)
    kind = page.get_by_role("combobox", name="What the file holds")  # marks.csv's, still open
    kind.click()
    page.get_by_role("option", name="attendance: one row per person at a meeting").click()
    settled(page)  # the step draws itself again for the kind chosen
    page.get_by_role("combobox", name="Attendee", exact=True).click()
    page.get_by_role("option", name="participant (required)", exact=True).click()
    expect(page.get_by_role("combobox", name="Attendee", exact=True)).to_have_value("participant (required)")
    settled(page)
    page.get_by_role("button", name="Check the files again, reading it this way").click()
    expect(page.get_by_text("Ready to import register.csv, marks.csv")).to_be_visible(timeout=60_000)
    expect(
        page.get_by_text(
            "marks.csv: read as attendance (Attendee as participant, When as date, Attended as status), as you chose"
        )
    ).to_be_visible()
    screenshot(page, "import-both-read-by-hand")
    assert_clean(watched)
