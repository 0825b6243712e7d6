"""The .qdpx parts of the Export and Import pages (observation/ui/qdpx_ui.py), mounted in a small
script: the study's coding prepared and offered as a download, and a project uploaded, its sources'
mapping shown in a table, then imported — or every problem listed and nothing written."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from observation import access, db, qdpx
from tests.app.conftest import APP


def script() -> None:  # runs in AppTest, on its own: everything it needs is imported here
    import streamlit as st

    from observation import access
    from observation.ui import qdpx_ui

    access.act_as(
        access.Identity.model_validate(st.session_state.get("who", {"email": "r@x.org", "role": "researcher"}))
    )
    qdpx_ui.export_section()
    qdpx_ui.import_section()


@pytest.fixture
def at(small_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("OBSERVATION_DB", str(small_path))
    return AppTest.from_function(script, default_timeout=60)


def texts(at: AppTest) -> str:
    return "\n".join(re.sub(r"\\(.)", r"\1", e.value) for kind in ("error", "success", "info", "warning", "caption")
                     for e in getattr(at, kind))  # fmt: skip


def coded(path: Path) -> int:
    con = db.connect(path)  # as the app opened it (its connection may be open in this process)
    try:
        return int(con.execute("select count(*) from coded_segments").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def test_the_coding_is_prepared_audited_and_offered_for_download(at: AppTest, small_path: Path) -> None:
    at.run()
    assert not at.exception
    assert not [b for b in at.get("download_button")]
    at.button(key="qdpx_prepare").click().run()
    assert not at.exception
    (button,) = at.get("download_button")
    assert button.proto.label == f"Download {qdpx_ui_name()}"
    assert "5 sources, 6 codes, 2 coders, 11 codings, 0 memos." in texts(at)
    assert "the memos on codings and codes (as the project's notes)" in texts(at)
    con = db.connect(small_path)
    assert con.execute("select count(*) from audit where action = 'export'").fetchone() == (1,)
    con.close()


def qdpx_ui_name() -> str:
    from observation.ui import qdpx_ui

    return qdpx_ui.FILE_NAME


def as_researcher(path: Path, act: Callable[[duckdb.DuckDBPyConnection], object]) -> None:
    """Open the study file at ``path``, ``act`` on it as the local researcher, close it (the app opens it next)."""
    con = db.connect(path)
    try:
        with access.acting_as(access.local_researcher()):
            act(con)
    finally:
        con.close()


def own_export(small_path: Path, tmp_path: Path) -> bytes:
    as_researcher(small_path, lambda con: qdpx.export_project(con, tmp_path / "ours.qdpx"))
    return (tmp_path / "ours.qdpx").read_bytes()


def test_a_project_is_mapped_in_a_table_then_imported(
    at: AppTest, small_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = own_export(small_path, tmp_path)
    empty = tmp_path / "empty.duckdb"
    db.connect(empty).close()
    monkeypatch.setenv("OBSERVATION_DB", str(empty))
    at.run()
    at.file_uploader(key="qdpx_upload").set_value([("ours.qdpx", payload, "application/zip")]).run()
    assert not at.exception
    (table,) = at.get("arrow_data_frame") or at.get("data_editor") or [None]
    frame = table.value  # type: ignore[union-attr]
    assert list(frame["maps_to"]) == ["meeting"] * 5
    assert set(frame["how"]) == {"its record"}
    at.button(key="qdpx_import").click().run()
    assert not at.exception
    assert "Imported ours.qdpx: 11 codings added; created 6 codes, 2 teams, 5 meetings, 6 notes." in texts(at)
    assert coded(empty) == 11
    con = db.connect(small_path)
    try:
        name = con.execute("select name from study").fetchone()[0]  # type: ignore[index]
    finally:
        con.close()
    assert f"The study is recorded as '{name}', imported from ours.qdpx." in texts(at)
    # the file held no study: now it holds the project's, and the app opens it on its field notes
    opened = AppTest.from_file(APP, default_timeout=60).switch_page("pages/notes.py").run()
    assert not opened.exception
    assert "holds no study yet" not in everything(opened)
    assert "Notes and themes" in everything(opened)  # past open_study: the page itself


def everything(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("error", "warning", "info", "markdown", "caption", "title", "header",
                      "subheader") for e in getattr(at, kind))  # fmt: skip


def test_a_study_imported_into_an_empty_file_opens_on_its_overview(
    small_path: Path, tmp_path: Path, app: Callable[..., AppTest]
) -> None:
    own_export(small_path, tmp_path)
    empty = tmp_path / "empty.duckdb"
    as_researcher(empty, lambda con: qdpx.import_project(con, tmp_path / "ours.qdpx"))
    opened = app(empty)
    assert not opened.exception
    assert "holds no study yet" not in everything(opened)
    # Meetings and notes, no attendance: every page opens on what such a study holds.
    for page in access.PAGES:
        shown = opened.switch_page(f"pages/{page}.py").run()
        assert not shown.exception, (page, shown.exception)


def test_a_project_with_problems_lists_them_and_writes_nothing(at: AppTest, small_path: Path, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    text = "A-SU1 asked why the transport item keeps coming back.\n\nWho should we invite next? Someone who sees it."
    qde = (
        f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="{qdpx.NS}" name="x">'
        '<Users><User guid="11111111-0000-4000-8000-000000000001" name="Ana"/></Users>'
        '<CodeBook><Codes><Code guid="22222222-0000-4000-8000-000000000002" name="Voice" isCodable="true"/>'
        "</Codes></CodeBook><Sources>"
        '<TextSource guid="33333333-0000-4000-8000-000000000003" name="Alpha 10/01/2020">'
        f"<PlainTextContent>{text}</PlainTextContent>"
        '<PlainTextSelection guid="44444444-0000-4000-8000-000000000004" startPosition="40" endPosition="80" '
        'creatingUser="11111111-0000-4000-8000-000000000001"><Coding guid="55555555-0000-4000-8000-000000000005">'
        '<CodeRef targetGUID="22222222-0000-4000-8000-000000000002"/></Coding></PlainTextSelection>'
        "</TextSource></Sources></Project>"
    )
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", qde)
    before = coded(small_path)
    at.run()
    at.file_uploader(key="qdpx_upload").set_value([("theirs.qdpx", buffer.getvalue(), "application/zip")]).run()
    assert not at.exception
    at.button(key="qdpx_import").click().run()
    assert not at.exception
    assert "1 problem(s), all listed below; nothing was imported." in texts(at)
    problems = at.dataframe[-1].value
    notes = (
        "A-SU1 asked why the transport item keeps coming back.\n\n"
        "Who should we invite next? Someone who sees the bigger picture."
    )  # the small study's two notes of that meeting, joined
    same = next(i for i, (a, b) in enumerate(zip(text, notes, strict=False)) if a != b)
    assert list(problems["reason"]) == [
        f"differs from the notes of Alpha's meeting on 10/01/2020 as joined (from character {same}, in note 2 of 2; "
        f"the file's text has {len(text)} characters, the notes {len(notes)})"
    ]
    assert coded(small_path) == before


def test_a_coach_is_told_and_offered_nothing(at: AppTest) -> None:
    at.session_state["who"] = {"email": "c@x.org", "role": "coach", "teams": [1]}
    at.run()
    assert not at.exception
    assert texts(at).count("Only researchers move the study's coding") == 2
    assert not at.get("file_uploader")
    assert not at.get("button")


def test_an_upload_is_read_once_however_often_the_page_reruns(
    at: AppTest, small_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = own_export(small_path, tmp_path)
    reads: list[str] = []
    read = qdpx.read_project
    monkeypatch.setattr(qdpx, "read_project", lambda path, name=None: reads.append(str(name)) or read(path, name))
    at.run()
    at.file_uploader(key="qdpx_upload").set_value([("ours.qdpx", payload, "application/zip")]).run()
    for _ in range(3):  # as an edit of the mapping table reruns the page
        at.run()
    at.button(key="qdpx_import").click().run()
    assert not at.exception
    assert "ours.qdpx: nothing to import; the study already holds every coding in it." in texts(at)
    assert reads == ["ours.qdpx"]


def test_a_prepared_project_is_not_offered_once_the_study_has_changed(
    at: AppTest, small_path: Path, tmp_path: Path
) -> None:
    payload = own_export(small_path, tmp_path)
    con = db.connect(small_path)
    with db.transaction(con) as cur:  # a coding the project holds and the study no longer does
        cur.execute("delete from coded_segments where id = (select max(id) from coded_segments)")
    con.close()
    at.run()
    at.button(key="qdpx_prepare").click().run()
    assert len(at.get("download_button")) == 1
    at.run()
    assert len(at.get("download_button")) == 1  # the study as it was: still offered
    at.file_uploader(key="qdpx_upload").set_value([("ours.qdpx", payload, "application/zip")]).run()
    at.button(key="qdpx_import").click().run()
    assert not at.exception
    assert "Imported ours.qdpx: 1 codings added, 10 already held." in texts(at)
    at.run()
    assert not at.get("download_button")  # made before the import: never offered
    at.button(key="qdpx_prepare").click().run()
    assert len(at.get("download_button")) == 1
    assert "11 codings" in texts(at)
