"""The codebook through REFI-QDA (.qdc): out, in again, and in from another program."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest

from observation import db, qdc
from observation.errors import ObservationError

pytestmark = pytest.mark.both_backends  # every measure read the same from PostgreSQL

NS = {"q": qdc.NS}


def codes(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(
        "select c.slug, c.name, c.definition, c.com_b, c.valence, c.four_pi, p.slug "
        "from codes c left join codes p on p.id = c.parent_id order by c.slug"
    ).fetchall()


def test_the_codebook_goes_out_nested_with_definitions_and_tags(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    assert qdc.export_codebook(small, tmp_path / "book.qdc") == 6
    root = ET.parse(tmp_path / "book.qdc").getroot()
    tops = root.findall("q:Codes/q:Code", NS)
    assert [c.get("name") for c in tops] == ["Presence", "Recruitment tension"]
    children = [c.get("name") for c in tops[1].findall("q:Code", NS)]
    assert children == ["Complexity of mental illness", 'Finding the "right" service user']
    assert tops[1].find("q:Description", NS).text == "Difficulty bringing people in."  # type: ignore[union-attr]
    sets = {s.get("name"): len(s.findall("q:MemberCode", NS)) for s in root.findall("q:Sets/q:Set", NS)}
    assert sets["Barrier or enabler: barrier"] == 3
    assert sets["4Pi: impact"] == 1


def test_a_codebook_comes_back_into_an_empty_study_whole(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    qdc.export_codebook(small, tmp_path / "book.qdc")
    fresh = db.connect(tmp_path / "fresh.duckdb")
    assert qdc.import_codebook(fresh, tmp_path / "book.qdc") == 6
    theirs = {row[1]: row[2:6] for row in codes(fresh)}
    ours = {row[1]: row[2:6] for row in codes(small)}
    assert theirs == ours  # names, definitions and every tag
    parents = {row[1]: row[6] is not None for row in codes(fresh)}
    assert parents["Complexity of mental illness"]
    assert not parents["Presence"]
    fresh.close()


def test_importing_its_own_export_again_changes_nothing(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    qdc.export_codebook(small, tmp_path / "book.qdc")
    before = codes(small)
    qdc.import_codebook(small, tmp_path / "book.qdc")
    assert codes(small) == before


def test_another_programs_codebook_gets_slugs_from_its_names(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    (tmp_path / "nvivo.qdc").write_text(
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<CodeBook xmlns="{qdc.NS}"><Codes>'
        '<Code guid="11111111-1111-1111-1111-111111111111" name="Power &amp; voice" isCodable="true">'
        "<Description>Who speaks.</Description>"
        '<Code guid="22222222-2222-2222-2222-222222222222" name="Token presence" isCodable="true"/>'
        "</Code></Codes></CodeBook>",
        encoding="utf-8",
    )
    qdc.import_codebook(small, tmp_path / "nvivo.qdc")
    rows = {row[0]: row[6] for row in codes(small)}
    assert rows["power_voice"] is None
    assert rows["power_voice.token_presence"] == "power_voice"


@pytest.mark.parametrize("content", ["<not-closed", "<CodeBook/>", "plain text"])
def test_a_file_that_is_not_a_codebook_is_refused(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, content: str
) -> None:
    (tmp_path / "x.qdc").write_text(content)
    before = codes(small)
    with pytest.raises(ObservationError, match="not a REFI-QDA codebook"):
        qdc.import_codebook(small, tmp_path / "x.qdc")
    assert codes(small) == before


def wrap(codes_xml: str, sets_xml: str = "") -> str:
    return f'<?xml version="1.0"?><CodeBook xmlns="{qdc.NS}"><Codes>{codes_xml}</Codes>{sets_xml}</CodeBook>'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (wrap('<Code guid="a" name="Right service-user"/><Code guid="b" name="Right service user"/>'),
         "would be the same code"),
        (wrap('<Code guid="a" name="x">' * 30 + "</Code>" * 30), "nest more than 20 deep"),
        (wrap('<Code guid="a" name="Tagged"/>',
              '<Sets><Set guid="s" name="COM-B: willpower"><MemberCode targetGUID="a"/></Set></Sets>'),
         "has COM-B 'willpower'"),
    ],
)  # fmt: skip
def test_a_codebook_that_would_be_misread_is_refused(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, content: str, message: str
) -> None:
    (tmp_path / "x.qdc").write_text(content)
    before = codes(small)
    with pytest.raises(ObservationError, match=message):
        qdc.import_codebook(small, tmp_path / "x.qdc")
    assert codes(small) == before


def test_changed_tags_come_in_on_re_import(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    qdc.export_codebook(small, tmp_path / "book.qdc")
    small.execute("update codes set four_pi = null where slug = 'presence.voice'")
    qdc.import_codebook(small, tmp_path / "book.qdc")
    assert small.execute("select four_pi from codes where slug = 'presence.voice'").fetchone() == ("impact",)
