"""Every page in words: a walk through every page of the navigation on the demo study — as a
researcher, as a coach and in presenter mode — that fails when any visible text (markdown,
captions, metrics, alerts, a table's headers and cells, the options of a choice, an expander's or a
tab's label) shows a raw value: a stored vocabulary code (``co_leading``, ``service_user``…), Python's
``None``, ``nan`` or ``NaT``, or JSON.

Before the walk the demo study is made busy the way a month of use makes it: an attendance file
imported (rows created and changed), a meeting saved from the Record page, teams, participants and
codes edited, two codes merged, a note and a meeting deleted, access given and taken away, an
export, sign-ins and a refusal — so that the Audit trail has every kind of entry to put into words.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from observation import access, coding, curate, db, export, ingest, labels, record, trail
from observation.demo.content import CODEBOOK
from tests.app.conftest import APP, choose_row, each_tab, table
from tests.app.test_access_app import AUTH

RESEARCHER, COACH = "lead@example.org", "coach@example.org"
LEAD = access.Identity(email=RESEARCHER, role="researcher", teams=None)


# --- what counts as a raw value --------------------------------------------------------------------


def _codes() -> set[str]:
    """Every snake_case value a vocabulary of observation.labels stores."""
    found: set[str] = set()
    for value in vars(labels).values():
        if isinstance(value, dict):
            found |= {k for k in value if isinstance(k, str) and "_" in k}
    return found


CODES = _codes()
RAW = re.compile(
    r"(?<![\w.])(?:" + "|".join(sorted(map(re.escape, CODES))) + r")\b(?!\.\w)"  # a stored code (not in a code's key)
    r"|\bNone\b|\bnan\b|\bNaN\b|\bNaT\b|<NA>"  # Python's and pandas' missing values
    r'|\{"|\[\{|\{\'|":\s*[\[{"\d]'  # JSON
    r"|\b\d+\.\d+%"  # a share with decimals, where every share reads as a whole percent
)


def test_the_codes_looked_for_include_the_ones_the_issue_saw() -> None:
    assert {"co_leading", "service_user", "first_attended", "home_meetings", "service_base"} <= CODES
    assert RAW.search('{"58":[16,18,25]}')
    assert RAW.search("status None")
    assert RAW.search("co_leading")
    assert not RAW.search("co-leading")
    assert not RAW.search("Nonetheless, a canal, NATO")
    assert not RAW.search("nothing recorded")
    assert not RAW.search("involvement.qi_training")  # a codebook key, shown as the key it is
    assert not RAW.search(CODE_KEYS.sub("", "Barriers and enablers (COM-B) (com_b)"))
    assert RAW.search(CODE_KEYS.sub("", "COM-B: com_b"))
    assert RAW.search(_formatted(2 / 3, "percent"))
    assert not RAW.search(_formatted(67, "%d%%"))


# --- what a page shows -----------------------------------------------------------------------------


def _cells(node: Any) -> Iterator[tuple[str, str]]:
    """A table's visible text, (column, text): its column headers and each shown cell as the
    browser draws it (an empty cell shows the table's placeholder, "None" unless it sets one)."""
    proto = node.proto
    config = json.loads(proto.columns) if proto.columns else {}
    frame = node.value
    hidden = {name for name, c in config.items() if c.get("hidden")}
    order = list(proto.column_order) or [str(c) for c in frame.columns]
    placeholder = proto.placeholder if proto.HasField("placeholder") else "None"
    for column in frame.columns:
        name = str(column)
        if name in hidden or name not in order:
            continue
        c = config.get(name, {})
        label = str(c.get("label") or name)
        yield label, label
        options = {
            str(o["value"]): str(o.get("label", o["value"]))
            for o in (c.get("type_config", {}).get("options") or [])
            if isinstance(o, dict)
        }
        number_format = str(c.get("type_config", {}).get("format") or "")
        for cell in frame[column].tolist():
            if cell is None or (not isinstance(cell, list | tuple | dict) and _missing(cell)):
                yield label, placeholder
            elif isinstance(cell, str):
                yield label, options.get(cell, cell)
            elif isinstance(cell, int | float) and number_format:
                yield label, _formatted(cell, number_format)


def _formatted(number: float, number_format: str) -> str:
    """A number as the browser's table draws it with ``number_format``: "percent" (up to two
    decimals, 0.6667 as "66.67%") or a printf format ("%d%%")."""
    if number_format == "percent":
        return f"{round(number * 100, 2):g}%"
    try:
        return number_format % number
    except (TypeError, ValueError):
        return str(number)


def _missing(cell: object) -> bool:
    try:
        return bool(cell != cell) or cell is None or str(cell) in {"NaT", "<NA>"}  # NaN is not itself
    except (TypeError, ValueError):
        return False


def shown_text(at: AppTest) -> Iterator[tuple[str, str]]:
    """(kind of element, its visible text) for every element of the page, sidebar included."""

    def walk(node: Any) -> Iterator[tuple[str, str]]:
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if kind in {"markdown", "caption", "title", "header", "subheader", "text", "latex", "code", "json"}:
            yield kind, str(node.value)
        elif kind in {"info", "warning", "error", "success", "exception", "toast"}:
            yield kind, str(getattr(node, "value", proto))
        elif kind == "metric":
            yield kind, f"{proto.label} {proto.body} {proto.delta}"
        elif kind in {"dataframe", "table"}:
            if kind == "dataframe":
                key = getattr(node, "key", None) or "table"
                for column, text in _cells(node):
                    yield f"{key}, column {column!r}", text
            else:
                yield kind, node.value.to_csv()
        elif kind in {"selectbox", "multiselect", "radio", "select_slider", "button_group"}:
            yield kind, str(getattr(node, "label", ""))
            for option in getattr(proto, "options", []):
                yield kind, str(getattr(option, "content", option))
        elif kind in {"expander", "tab", "button", "download_button", "checkbox", "toggle", "link_button"}:
            yield kind, str(getattr(node, "label", getattr(proto, "label", "")))
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    yield from walk(at._tree)


CODE_KEYS = re.compile(
    r"^(?:"
    + "|".join(re.escape(c.slug) for c in CODEBOOK)
    + r")$|\((?:"
    + "|".join(re.escape(c.slug) for c in CODEBOOK)
    + r")\)"
)
"""A codebook code's key shown as its key, in a cell of its own or in brackets after its name
("Barriers and enablers (COM-B) (com_b)"): what a researcher writes in a coded-segments file, not
a stored value in place of a word (the demo's COM-B theme has the key a column of the codebook
also has)."""


def raw_values(at: AppTest) -> list[str]:
    """Each visible text with a raw value in it, named by its element."""
    return sorted({f"{kind}: {text[:160]!r}" for kind, text in shown_text(at) if RAW.search(CODE_KEYS.sub("", text))})


# --- the busy demo study ---------------------------------------------------------------------------


def _version(con: Any, meeting_id: int) -> int:
    row = con.execute("select version from meeting_versions where meeting_id = ?", [meeting_id]).fetchone()
    return int(row[0]) if row else 0


def make_busy(path: Path, folder: Path) -> None:
    """A month of use on the study at ``path``, every kind of audit entry written by the product's
    own writers."""
    con = db.connect(path)
    try:
        with access.acting_as(LEAD):
            _import_attendance(con, folder)
            ingest.import_files(
                con, [Path(APP).parent / "data" / "examples" / n for n in ("teams.csv", "meetings.csv")]
            )
            _save_a_meeting(con)
            _code_in_the_app(con)
            team = curate.teams(con).iloc[0]
            curate.save_rows(con, "teams", [(int(team["id"]), curate.TeamEntry(
                name=str(team["name"]), service=str(team["service"]), setting="inpatient",
                start_date=team["start_date"].date(), coach="CO-02"))])  # fmt: skip
            curate.save_rows(
                con, "participants", [(None, curate.ParticipantEntry(code="CA-77", team_id=1, role="carer"))]
            )
            curate.add_code(con, None, curate.CodeEntry(name="Staff turnover", definition="Staff leave the team"))
            source, target = (
                i
                for (i,) in con.execute(
                    "select id from codes where parent_id is not null order by id limit 2"
                ).fetchall()
            )
            curate.merge_codes(con, source, target)
            note, meeting = con.execute("select id, meeting_id from field_notes order by id limit 1").fetchone()
            curate.delete_note(con, note, _version(con, meeting))
            (last,) = con.execute("select max(id) from meetings").fetchone()
            curate.delete_meeting(con, last, _version(con, last))
            access.grant(con, "someone@example.org", "coach", [1, 2])
            access.grant(con, "someone@example.org", "coach", [2])
            access.revoke(con, "someone@example.org")
            export.export(con, "deidentified", "csv", folder / "export")
            access.grant(con, RESEARCHER, "researcher")
            access.grant(con, COACH, "coach", [1])
        access.record_sign_in(con, access.Identity(email=COACH, role="coach", teams=frozenset({1})), COACH)
        access.record_sign_in(con, None, "stranger@example.org")
        with (
            pytest.raises(access.AccessDenied),
            access.acting_as(access.Identity(email=COACH, role="coach", teams=frozenset({1}))),
        ):
            curate.teams(con)
    finally:
        con.close()


def _import_attendance(con: Any, folder: Path) -> None:
    """An attendance file that changes three marks and adds forty."""
    changed = con.execute(
        "select t.name, m.meeting_date, p.code, a.status, a.participation from attendance as a "
        "join meetings as m on m.id = a.meeting_id join teams as t on t.id = m.team_id "
        "join participants as p on p.id = a.participant_id where a.status = 'present' order by m.meeting_date limit 3"
    ).fetchall()
    created = con.execute(
        "select t.name, m.meeting_date, p.code from meetings as m join teams as t on t.id = m.team_id "
        "join participants as p on p.team_id = t.id where m.status = 'held' and not exists "
        "(select 1 from attendance as a where a.meeting_id = m.id and a.participant_id = p.id) "
        "order by m.id, p.id limit 40"
    ).fetchall()
    lines = ["team,date,participant,status,participation"]
    lines += [f"{team},{day:%d/%m/%Y},{code},absent," for team, day, code, *_ in changed]
    lines += [f"{team},{day:%d/%m/%Y},{code},present,co-leading" for team, day, code in created]
    path = folder / "attendance.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingest.import_files(con, [path])


def _save_a_meeting(con: Any) -> None:
    """The Record page's save: details, two marks changed, a newcomer, a note, a chart mark, a
    recruitment step."""
    meeting, team, day = con.execute(
        "select id, team_id, meeting_date from meetings where status = 'held' order by id limit 1"
    ).fetchone()
    marks = con.execute(
        "select participant_id, status, participation from attendance where meeting_id = ? order by participant_id",
        [meeting],
    ).fetchall()
    flipped = [record.AttendanceEntry(participant_id=p, status="absent") for p, *_ in marks[:2]]
    kept = [record.AttendanceEntry(participant_id=p, status=s, participation=lv) for p, s, lv in marks[2:]]
    newcomer = record.AttendanceEntry(new_code="SU-99", new_role="service_user", status="present",
                                      participation="co_leading")  # fmt: skip
    (reason,) = con.execute("select max(id) from codes where parent_id is not null").fetchone()
    record.save_meeting(
        con, meeting,
        record.MeetingDetails(team_id=team, meeting_date=day, format="home", duration_minutes=50, action_items=4),
        [*flipped, *kept, newcomer], [record.NoteEntry(author="R01", body="We began with the agenda.")],
        _version(con, meeting),
        annotations=[record.AnnotationEntry(label="First meeting at home", category="home_meetings")],
        recruitment=[record.RecruitmentStep(participant_id=marks[0][0], stage="approached", reason_code_id=reason)],
    )  # fmt: skip


CODED_NOTE = 2
"""The note coded in the app (the Coding page's walk opens it): not the first note, which is deleted."""


def _code_in_the_app(con: Any) -> None:
    """The Coding page's writes: a passage and a whole note coded, a coding changed and one removed,
    memos written, changed and left on a code that a merge then moves."""
    (body,) = con.execute("select body from field_notes where id = ?", [CODED_NOTE]).fetchone()
    source = con.execute("select id from codes where parent_id is not null order by id limit 1").fetchone()[0]
    one, other = (i for (i,) in con.execute("select id from codes order by id desc limit 2").fetchall())
    seen = body[: min(12, len(body))]
    (passage,) = coding.code_passage(con, "note", CODED_NOTE, [one], 0, len(seen), "R01", seen=seen).added
    (whole,) = coding.code_passage(con, "note", CODED_NOTE, [other], None, None, "R01", seen=body).added
    coding.recode(con, passage, coder="R01", code_id=other)
    coding.write_memo(con, coding_id=passage, body="First reading.", author="R01")
    coding.write_memo(con, coding_id=passage, body="Second reading.", author="R01")
    coding.write_memo(con, code_id=source, body="Merged away soon.", author="R01")
    coding.uncode(con, whole, coder="R01")


@pytest.fixture(scope="module")
def busy_demo(tmp_path_factory: pytest.TempPathFactory, demo_path: Path) -> Path:
    folder = tmp_path_factory.mktemp("busy-demo")
    path = folder / "demo.duckdb"
    path.write_bytes(demo_path.read_bytes())
    make_busy(path, folder)
    return path


# --- the walk --------------------------------------------------------------------------------------

Start = Callable[..., AppTest]


@pytest.fixture
def start(monkeypatch: pytest.MonkeyPatch, busy_demo: Path) -> Start:
    """The app on the busy demo, signed in as ``email``, on ``page`` (with URL ``params``), run."""

    def run(email: str, page: str, **params: str) -> AppTest:
        monkeypatch.setenv("OBSERVATION_DB", str(busy_demo))
        at = AppTest.from_file(APP, default_timeout=90)
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email": email, "email_verified": True, "iat": time.time()}
        for name, value in params.items():
            at.query_params[name] = value
        at.run()
        if page != "overview":
            at.switch_page(f"pages/{page}.py").run()
        return at

    return run


def _walk() -> list[Any]:
    steps = []
    for page, roles in access.PAGES.items():
        steps.append(pytest.param("researcher", page, {}, id=f"researcher-{page}"))
        if "coach" in roles:
            steps.append(pytest.param("coach", page, {}, id=f"coach-{page}"))
        if "presenter" in roles:
            steps.append(pytest.param("researcher", page, {"mode": "present"}, id=f"presenting-{page}"))
    # Beyond a page's first screen: a chosen meeting's detail, a search, another pair of coders.
    steps.append(pytest.param("researcher", "presence", {"meeting": "2"}, id="researcher-presence-meeting"))
    steps.append(pytest.param("coach", "presence", {"meeting": "2"}, id="coach-presence-meeting"))
    steps.append(pytest.param("researcher", "notes", {"q": "service user"}, id="researcher-notes-search"))
    steps.append(pytest.param("researcher", "presence", {"rows": "person"}, id="researcher-presence-people"))
    steps.append(pytest.param("researcher", "coding", {"note": str(CODED_NOTE)}, id="researcher-coding-note"))
    return steps


WHO = {"researcher": RESEARCHER, "coach": COACH}


@pytest.mark.parametrize(("role", "page", "params"), _walk())
def test_no_page_shows_a_raw_value(start: Start, role: str, page: str, params: dict[str, str]) -> None:
    for at in each_tab(start(WHO[role], page, **params)):  # each tab of a page that draws only the open one
        assert not at.exception, [e.value for e in at.exception]
        assert raw_values(at) == []


def test_the_walk_sees_what_it_looks_for(start: Start) -> None:
    """The walk reads tables, choices and metrics, not just markdown: a page showing the Audit
    trail's entries has its words in the walk, and a stored code put on a page would be caught."""
    at = start(RESEARCHER, "audit")
    seen = [text for _, text in shown_text(at)]
    assert any(text.startswith("Imported attendance.csv") for text in seen)
    assert "Every action" not in seen  # a placeholder is not an option
    assert RAW.search(json.dumps({"participation": "co_leading"}))


# --- the pages this issue put into words -----------------------------------------------------------


def test_the_audit_trail_tells_each_entry_in_words_and_keeps_it_as_stored(start: Start) -> None:
    at = start(RESEARCHER, "audit")
    assert not at.exception
    assert at.multiselect(key="audit_actions").options == list(labels.AUDIT_ACTIONS.values())
    entries = table(at, "audit_table").value
    assert list(entries.columns) == ["id", "written_at", "actor", "action", "what"]
    assert entries["id"].is_monotonic_decreasing  # newest first
    what = list(entries["what"])
    created = next(w for w in what if w.startswith("Imported attendance.csv: 40 attendance rows created for"))
    assert re.fullmatch(r"Imported attendance\.csv: 40 attendance rows created for \d+ meetings? of [A-Z].*", created)
    assert any(re.fullmatch(r"Changed the attendance of \S+ at .+, \d\d/\d\d/\d{4}: present \(.+\) → absent", w)
               for w in what)  # fmt: skip
    # Chosen, an entry is shown in full below the table, whose cells a long sentence would overflow.
    row = what.index(created)
    choose_row(at, "audit_table", row)
    shown = [m.value.replace("\\", "") for m in at.markdown]
    assert created in shown
    assert any(s.startswith(f"**Entry {entries['id'][row]}** · ") for s in shown)
    assert raw_values(at) == []
    (download,) = at.get("download_button")
    assert download.proto.label == "Download these entries as stored (CSV)"


def test_the_audit_trail_shows_only_the_actions_chosen(start: Start) -> None:
    at = start(RESEARCHER, "audit")
    at.multiselect(key="audit_actions").set_value(["grant", "revoke"]).run()
    assert set(table(at, "audit_table").value["action"]) == {"Access given", "Access taken away"}


def test_the_audit_trail_is_read_once_until_an_entry_is_added(start: Start, monkeypatch: pytest.MonkeyPatch) -> None:
    """Choosing an entry reruns the page: the trail and its download are not worked out again each
    time, yet an entry added since (a sign-in, an export) shows at once, and only a researcher reads it."""
    calls: list[str] = []
    for name in ("told", "entries_csv"):
        real = getattr(trail, name)
        monkeypatch.setattr(trail, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k))
    st.cache_data.clear()
    at = start(RESEARCHER, "audit")
    assert sorted(calls) == ["entries_csv", "told"]
    choose_row(at, "audit_table", 0)
    at.run()
    assert sorted(calls) == ["entries_csv", "told"]
    # Another session signs in: an entry the study's data version does not count.
    again = start(RESEARCHER, "audit")
    assert sorted(calls) == ["entries_csv", "entries_csv", "told", "told"]
    newest = table(again, "audit_table").value
    assert newest["id"][0] > table(at, "audit_table").value["id"][0]
    assert newest["what"][0] == "Signed in as a researcher"


def test_a_chosen_disagreement_shows_its_note_in_full(start: Start) -> None:
    at = start(RESEARCHER, "agreement")
    disagreements = table(at, "agreement_disagreements")
    assert json.loads(disagreements.proto.columns)["body"]["width"] == "large"
    assert disagreements.proto.row_height > 64  # Streamlit wraps a cell's text only in rows taller than 4rem
    longest = int(disagreements.value["body"].str.len().idxmax())
    choose_row(at, "agreement_disagreements", longest)
    body = str(disagreements.value["body"][longest])
    # A note standing alone is shown as text (observation/plain.py): its line breaks kept, an
    # indented line not read as code, nothing in it as markdown.
    assert body in [t.value for t in at.text]
    assert body not in [m.value.replace("\\", "") for m in at.markdown]
    # Every share on the page is a whole percent.
    codes = at.dataframe[0]  # per code, above the disagreements
    assert json.loads(codes.proto.columns)["percent"]["type_config"]["format"] == "%d%%"
    assert all(v is None or float(v).is_integer() for v in codes.value["percent"])


def test_the_coding_pages_writes_are_told_in_words(start: Start) -> None:
    at = start(RESEARCHER, "audit")
    what = list(table(at, "audit_table").value["what"])
    note = " of the meeting of "  # the coded note, by its place in its meeting
    assert any(w.startswith("Coded characters 0 to ") and note in w for w in what)
    assert any(w.startswith("Changed the coding “") and "→" in w for w in what)
    assert any(w.startswith("Changed the memo on the coding “") and w.endswith("“First reading.” → “Second reading.”")
               for w in what)  # fmt: skip
    assert any(w.startswith("Moved the memo on the code “") and w.endswith("“Merged away soon.”") for w in what)
    assert any(w.startswith("Removed the coding “") and note in w for w in what)
