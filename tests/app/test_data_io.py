"""Import, Export and Audit pages in AppTest, with real uploads."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from observation import audit, db

App = Callable[..., AppTest]
EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "examples"


def upload(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    return at.file_uploader(key="import_files").set_value([(n, b, "text/csv") for n, b in files]).run()


def test_an_upload_is_checked_then_imported_and_the_audit_shows_it(app: App, small_path: Path) -> None:
    at = app(small_path).switch_page("pages/data_import.py").run()
    assert [i.value for i in at.info] == ["Choose one or more files to see what they would change."]
    upload(at, ("teams.csv", (EXAMPLES / "teams.csv").read_bytes()))
    assert [i.value for i in at.info] == ["Ready to import teams.csv: nothing is written until you confirm."]
    assert at.dataframe[0].value.to_dict("records") == [{"table": "teams", "created": 2, "changed": 0, "skipped": 0}]
    at.button(key="import_confirm").click().run()
    assert [s.value for s in at.success] == ["Imported teams.csv."]
    assert at.dataframe[1].value.to_dict("records") == [{"table": "teams", "created": 2, "changed": 0, "skipped": 0}]
    at.switch_page("pages/audit.py").run()
    audit = at.dataframe[0].value
    assert list(audit["action"]) == ["import", "create", "create"]


def test_a_broken_upload_lists_its_problems_and_offers_no_import(app: App, small_path: Path) -> None:
    at = app(small_path).switch_page("pages/data_import.py").run()
    upload(at, ("attendance.csv", b"team,date,participant,status\nAlpha,2020-01-10,A-ST1,maybe\n"))
    assert [e.value for e in at.error] == [
        "1 problem(s): nothing was imported. Fix them in the files and upload again."
    ]
    problems = at.dataframe[0].value
    assert list(problems.iloc[0]) == [
        "attendance.csv", 2, "status", "maybe",
        "not a known attendance status; use one of: present, apologies, absent",
    ]  # fmt: skip
    assert not [b for b in at.button if b.key == "import_confirm"]
    at.switch_page("pages/audit.py").run()
    assert [i.value for i in at.info] == ["Nothing recorded yet."]  # nothing was written


def test_an_export_is_prepared_then_offered_for_download(app: App, small_path: Path) -> None:
    at = app(small_path).switch_page("pages/data_export.py").run()
    assert not at.get("download_button")
    at.button(key="export_prepare").click().run()
    assert not at.exception
    (download,) = at.get("download_button")
    assert download.proto.label == "Download study-aggregate-csv.zip"
    at.segmented_control(key="export_level").set_value("full").run()
    assert not at.get("download_button")  # the aggregate file is never offered as the full one


def test_the_audit_page_cuts_a_long_value_and_says_how_long_it_was(app: App, small_path: Path) -> None:
    # An import's entry for the rows it created lists every row's key: at national scale, megabytes.
    con = db.connect(small_path)
    with db.cursor(con) as cur:
        audit.record(cur, "create", "attendance", "every row created from big.csv", after={"keys": "k" * 5000},
                     who="importer@example.org")  # fmt: skip
    con.close()
    at = app(small_path).switch_page("pages/audit.py").run()
    (shown,) = at.dataframe[0].value["after"]
    full = json.dumps({"keys": "k" * 5000})
    assert shown == full[:2000] + f" … ({len(full):,} characters in all)"
