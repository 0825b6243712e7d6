"""The codebook through REFI-QDA (.qdc): out, in again, and in from another program."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest

from observation import cli, db, qdc
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
    imported = qdc.import_codebook(fresh, tmp_path / "book.qdc")
    assert imported == qdc.Imported(6, 6, 0)
    assert imported.said("book.qdc") == "Read 6 codes from book.qdc: 6 created, 0 changed."
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
         "x.qdc:Tagged:COM-B: 'willpower' — not a COM-B tag; use one of capability"),
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


def trail(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute("select action, table_name, row_key, after from audit order by id").fetchall()


def test_a_code_the_study_would_not_take_refuses_the_file_whole_with_every_problem(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """The limits of a form or a spreadsheet import (observation/models.py) hold for a .qdc too."""
    (tmp_path / "x.qdc").write_text(
        wrap(
            '<Code guid="fine" name="A fine code"><Description>Kept out with the rest.</Description></Code>'
            f'<Code guid="g-long" name="{"N" * 50_000}"><Description>{"d" * 20_000}</Description></Code>'
            f'<Code guid="g-deep" name="{"a" * 150}"><Code guid="g-deeper" name="{"b" * 150}"/></Code>'
            '<Code guid="g-lines" name="Two&#10;lines"/>'
            '<Code guid="g-tab" name="Tab&#9;bed"/>'
            '<Code guid="g-del" name="Rub\x7fout"><Description>Also \x7f here</Description></Code>'
            "<Code/>"
        ),
        encoding="utf-8",
    )
    before, audited = codes(small), trail(small)
    with pytest.raises(qdc.CodebookProblems) as refused:
        qdc.import_codebook(small, tmp_path / "x.qdc")
    lines = str(refused.value).splitlines()
    assert lines[0] == "8 problem(s); nothing was imported:"
    long_name = f"x.qdc:guid g-long:name: '{'N' * 59}… (50,000 characters)' — 50,000 characters; at most 200"
    assert lines[1] == long_name
    assert len(lines[1].split("'")[1]) == 80  # the value cut to 80 characters, with its length
    assert (
        lines[2]
        == f"x.qdc:guid g-long:Description: '{'d' * 59}… (20,000 characters)' — 20,000 characters; at most 10,000"
    )
    assert lines[3].startswith(
        f"x.qdc:{'b' * 62}… (150 characters):slug: '{'a' * 62}… (301 characters)' — 301 characters; at most 200"
    )
    assert lines[4] == "x.qdc:guid g-lines:name: 'Two\\nlines' — must be one line: no tab or line break"
    assert lines[5] == "x.qdc:guid g-tab:name: 'Tab\\tbed' — must be one line: no tab or line break"
    assert lines[6].startswith("x.qdc:guid g-del:name: 'Rub\\x7fout' — holds a control character")
    assert lines[7].startswith("x.qdc:guid g-del:Description: 'Also \\x7f here' — holds a control character")
    assert lines[8] == "x.qdc:code 8:name: '' — must not be empty"
    assert codes(small) == before  # not even the fine code
    assert trail(small) == audited


def test_a_codebook_at_the_limits_comes_in(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    (tmp_path / "x.qdc").write_text(
        wrap(f'<Code guid="g" name="  {"N" * 200}  "><Description>{"d" * 10_000}&#10;</Description></Code>'),
        encoding="utf-8",
    )
    assert qdc.import_codebook(small, tmp_path / "x.qdc").created == 1
    assert small.execute(
        "select length(name), length(slug), length(definition) from codes where slug like 'n%'"
    ).fetchone() == (
        200,
        200,
        10_000,
    )


def test_importing_its_own_export_twice_writes_no_audit_entry(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    qdc.export_codebook(small, tmp_path / "book.qdc")
    audited = trail(small)
    for _ in range(2):
        imported = qdc.import_codebook(small, tmp_path / "book.qdc")
        assert imported == qdc.Imported(6, 0, 0)
    assert trail(small) == audited
    assert (
        imported.said("book.qdc") == "Read 6 codes from book.qdc; nothing changed (the study holds them as they are)."
    )


def test_an_import_that_changes_a_code_is_audited_once_with_what_it_did(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    qdc.export_codebook(small, tmp_path / "book.qdc")
    small.execute("update codes set definition = 'Edited.' where slug = 'presence'")
    audited = len(trail(small))
    imported = qdc.import_codebook(small, tmp_path / "book.qdc")
    assert (imported.created, imported.changed) == (0, 1)
    new = trail(small)[audited:]
    assert [(action, table, key) for action, table, key, _ in new] == [
        ("change", "codes", "slug=presence"),
        ("import", "codes", "book.qdc"),
    ]
    assert json.loads(str(new[-1][3])) == {"codes": 6, "created": 0, "changed": 1}


def test_the_codebook_export_is_audited(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    audited = len(trail(small))
    qdc.export_codebook(small, tmp_path / "book.qdc")
    assert trail(small)[audited:] == [("export", "codes", str(tmp_path / "book.qdc"), '{"codes": 6}')]


def test_a_codebook_export_that_cannot_be_written_is_said_and_not_audited(
    small: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    audited = trail(small)
    with pytest.raises(ObservationError, match=r"book\.qdc: the codebook could not be written"):
        qdc.export_codebook(small, tmp_path / "no-such-folder" / "book.qdc")
    assert trail(small) == audited


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (wrap('<Code guid="a" name="Vertical\x0btab"/>'), "x.qdc:1:"),
        (wrap('<Code guid="a" name="Vertical&#11;tab"/>'), "x.qdc:1:"),
        ("<?xml version='1.0'?>\n" + wrap('<Code guid="a" name="N"><Description>a\x00b</Description></Code>')[21:],
         "x.qdc:2:"),
    ],
)  # fmt: skip
def test_a_control_character_in_the_xml_is_said_where_it_is(
    small: duckdb.DuckDBPyConnection, tmp_path: Path, content: str, message: str
) -> None:
    (tmp_path / "x.qdc").write_text(content, encoding="utf-8")
    before = codes(small)
    with pytest.raises(ObservationError) as refused:
        qdc.import_codebook(small, tmp_path / "x.qdc")
    said = str(refused.value)
    assert said.startswith(message)
    assert "holds a control character" in said
    assert "\n" not in said
    assert codes(small) == before


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    + f']><CodeBook xmlns="{qdc.NS}"><Codes><Code guid="a" name="&j;"/></Codes></CodeBook>'
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "x.qdc: the file is empty"),
        ("<not-closed", "x.qdc:1:1: not a REFI-QDA codebook (unclosed token)"),
        (wrap('<Code guid="a" name="x">'), "x.qdc:1:"),
        ("\x00\x01binary", "x.qdc:1:1: not a REFI-QDA codebook"),
        (f'<?xml version="1.0" encoding="no-such"?><CodeBook xmlns="{qdc.NS}"/>',
         "x.qdc: not a REFI-QDA codebook (unknown encoding: no-such)"),
        (LAUGHS, "x.qdc:1:"),
        (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
         f'<CodeBook xmlns="{qdc.NS}"><Codes><Code guid="a" name="&e;"/></Codes></CodeBook>', "x.qdc:1:"),
    ],
)  # fmt: skip
def test_a_malformed_file_is_one_line_from_the_command_never_a_traceback(
    small_location: Path | str, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    (tmp_path / "x.qdc").write_text(content, encoding="utf-8")
    assert cli.main(["codebook", "--db", str(small_location), "--import", str(tmp_path / "x.qdc")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_names_in_any_script_get_the_slugs_a_qdpx_gives_them(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Accented letters lose their accents; names with no a-z or 0-9 left get code_ and six hex digits
    of a hash of their GUID (as read: no braces, lower case), so two such siblings never share a slug
    and a .qdc and a .qdpx name the code alike."""
    wait, bus = "AAAAAAAA-0000-4000-8000-00000000000A", "bbbbbbbb-0000-4000-8000-00000000000b"
    (tmp_path / "scripts.qdc").write_text(
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<CodeBook xmlns="{qdc.NS}"><Codes>'
        '<Code guid="11111111-1111-1111-1111-111111111111" name="Token présence" isCodable="true">'
        f'<Code guid="{{{wait}}}" name="等待" isCodable="true"/>'
        f'<Code guid="{bus}" name="交通" isCodable="true"/>'
        "</Code></Codes></CodeBook>",
        encoding="utf-8",
    )
    imported = qdc.import_codebook(small, tmp_path / "scripts.qdc")
    assert imported.created == 3

    def hashed(guid: str) -> str:
        return "code_" + hashlib.sha256(guid.lower().encode()).hexdigest()[:6]

    rows = {row[0]: (row[1], row[6]) for row in codes(small)}
    assert rows["token_presence"] == ("Token présence", None)
    assert rows[f"token_presence.{hashed(wait)}"] == ("等待", "token_presence")
    assert rows[f"token_presence.{hashed(bus)}"] == ("交通", "token_presence")
    assert hashed(wait) != hashed(bus)
    assert qdc.slug_part("等待", wait.lower()) == hashed(wait)  # the one qdpx uses
