"""The coding in a REFI-QDA project (.qdpx), out to and in from NVivo, ATLAS.ti, MAXQDA and QualCoder.

A .qdpx is a zip holding ``project.qde`` (XML, namespace urn:QDA-XML:project:1.0) and the text of each
source in ``sources/<guid>.txt`` (UTF-8). docs/qdpx.md says it for researchers.

Out (``export_project``): the field notes of each meeting are ONE text source, "Field notes — Alpha —
2020-01-10", its notes joined in position order with SEPARATOR (a blank line) between them; each
interview's transcript is one, "Interview — KI-01". Each source says what it is twice: in its Variables
(kind, team, meeting date; informant code and group, interview date), which the other programs show as
attributes, and on the last line of its Description (RECORD, then JSON: the team's details, the
meeting's status and format and each note's place, author and character range), from which our own
import maps it back, or builds the team, meeting, notes or interview in an empty study. The codebook is
nested with each definition as its Description, GUIDs as observation/qdc.py makes them (so a .qdc and a
.qdpx name a code alike); one User per coder; each coded segment is a PlainTextSelection with one
Coding. A coding of a whole note is the note's range; of a whole transcript, the transcript's; the
project's record lists those selections' GUIDs ("whole"), so that a span that happens to cover its whole
note stays a span. Offsets count characters (Python's, Unicode code points), as REFI-QDA does. GUIDs are
uuid5 of the study (its name and when it was created) and each row's identity, so that two exports of
one study name everything alike. Each memo (on a coding or a code) is a Note of the project, named by a
NoteRef in its coding's selection or its code.

In (``import_project``): each text source is a meeting's notes, an interview, a new interview, or left
out. Our own export's sources say which; any other source is mapped by a researcher (``propose_mapping``
guesses from its text, then its name). A source mapped to a meeting or an interview must hold that text
exactly; a selection on a meeting's source goes to the note it falls in (one crossing two notes is a
problem); a selection our own export marked whole comes back as a coding of the whole (no span), any
other as the span it is, even one over a whole note. Codes are found by GUID, then by their place in the
tree (a slug from the name's letters as ASCII, else code_ and a hash of the GUID; _2… between two codes
that would share one); the others are added (only those applied, and their parents). A new meeting's
record is checked field by field as the CSV import checks it; two sources as one new meeting or
interview must hold the same text. Each zip member is unpacked at most once, counted against MAX_MEMBER
and MAX_TOTAL as it is, and a text file is the text of one source only. Every problem is listed and
nothing is written while any is left; otherwise one transaction with one audit entry. A coding the study
already holds (same note or interview, code, coder and span; a span over the whole note or transcript
the same as a coding of the whole) is left as it is, so importing a project twice adds nothing. Notes
named by a selection or a code come in as memos as observation/coding.py keeps them (_Memos).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import itertools
import json
import os
import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from xml.parsers import expat

import duckdb
from pydantic import TypeAdapter, ValidationError

from observation import access, audit, cells, db, integrity, labels, qdc
from observation.coding import MEMO_MAX, insert_memo
from observation.errors import ObservationError
from observation.ingest import values
from observation.ingest.read import shown
from observation.models import (
    DEFINITION_MAX,
    NAME_MAX,
    NOTE_MAX,
    PERSON_MAX,
    InformantGroup,
    ParticipantCode,
    Setting,
)
from observation.notes import codebook

NS = "urn:QDA-XML:project:1.0"
Q = f"{{{NS}}}"
SEPARATOR = "\n\n"
"""Between two notes of a meeting's source: a blank line."""
RECORD = "Microsystem involvement record: "
"""The last line of an exported source's Description starts with this, then JSON."""
ORIGIN = "Microsystem involvement"
GUIDS = uuid.UUID("2c75fea6-eeed-47b3-b88d-a2a573b50834")  # namespace for the study's GUIDs
MAX_MEMBER = 200 * 2**20
"""The most a member of a .qdpx may hold, uncompressed (project.qde or one source's text)."""
MAX_TOTAL = 1024 * 2**20
MAX_DEPTH = qdc.MAX_DEPTH

Target = Literal["meeting", "interview", "new interview", "skip", ""]
TARGETS: tuple[Target, ...] = ("meeting", "interview", "new interview", "skip")
MAP_COLUMNS = ("source", "source_guid", "maps_to", "team", "date", "informant_code", "informant_group", "how")
GROUPS: tuple[str, ...] = InformantGroup.__args__  # type: ignore[attr-defined]
SETTINGS: tuple[str, ...] = Setting.__args__  # type: ignore[attr-defined]
_PARTICIPANT_CODE = TypeAdapter(ParticipantCode)
VARIABLES = {
    "kind": ("Source kind", "Text"),
    "team": ("Team", "Text"),
    "meeting_date": ("Meeting date", "Date"),
    "informant_code": ("Informant code", "Text"),
    "informant_group": ("Informant group", "Text"),
    "interview_date": ("Interview date", "Date"),
}
"""Each source's variables: key, name in the project, REFI-QDA type."""


# --------------------------------------------------------------------------------------------- out


@dataclass(frozen=True)
class Written:
    """What an export wrote: its sources (meetings' notes and interviews), codes, coders and codings."""

    sources: int
    codes: int
    users: int
    codings: int
    left_out: tuple[str, ...] = ()
    """Codings not written, each said: a span that runs past the end of its note or transcript."""
    memos: int = 0
    """Memos written, as the project's Notes."""

    def said(self, out: Path | str) -> str:
        return (
            f"Wrote {out}: {self.sources:,} sources, {self.codes:,} codes, {self.users:,} coders, "
            f"{self.codings:,} codings, {self.memos:,} memos." + "".join(f"\nLeft out: {why}" for why in self.left_out)
        )


def _new_study(project: Project) -> tuple[str, str]:
    """The study an import into a file that holds none records: named as the project is (one line, not
    empty, at most NAME_MAX characters; else the file's name without .qdpx), described as imported from
    the file, with the first line of the project's own description (our record left out) when it is text
    the study takes."""
    stem = Path(project.file).stem.strip() or "Imported study"
    try:
        name = values.line(project.name, NAME_MAX)
    except ValueError:
        name = values.line(stem[:NAME_MAX].strip() or "Imported study", NAME_MAX)
    description = f"Imported from {project.file}."
    if project.description:
        with contextlib.suppress(ValueError):  # a description the study would not take: the file's name says enough
            description = values.passage(f"{description} {project.description}", DEFINITION_MAX)
    return name, description


def _guid(key: str, *identity: object) -> str:
    return str(uuid.uuid5(GUIDS, "\x1f".join([key, *map(str, identity)])))


def _element(
    parent: ET.Element, tag: str, attributes: dict[str, str] | None = None, text: str | None = None
) -> ET.Element:
    made = ET.SubElement(parent, Q + tag, attributes or {})
    if text is not None:
        made.text = text
    return made


def meeting_source_name(team: str, date: dt.date) -> str:
    return f"Field notes — {team} — {date.isoformat()}"


def interview_source_name(code: str) -> str:
    return f"Interview — {code}"


@access.requires("researcher")
def project_bytes(con: duckdb.DuckDBPyConnection) -> tuple[bytes, Written]:
    """The study's coding as a .qdpx (the zip's bytes) and what it holds."""
    with db.cursor(con) as cur:
        study = cur.execute("select name, created_at from study").fetchone()
        key = "" if study is None else f"{study[0]}\x1f{study[1]}"  # the GUIDs' study: its name, when created
        teams = {
            int(r[0]): {"name": r[1], "service": r[2], "setting": r[3], "start_date": r[4].isoformat()}
            for r in cur.execute("select id, name, service, setting, start_date from teams").fetchall()
        }
        meetings = cur.execute(
            "select m.id, m.team_id, m.meeting_date, m.status, m.format from meetings as m "
            "where exists (select 1 from field_notes as n where n.meeting_id = m.id) order by m.meeting_date, m.team_id"
        ).fetchall()
        notes = cur.execute(
            "select id, meeting_id, position, minute, author, written_at, body from field_notes "
            "order by meeting_id, position"
        ).fetchall()
        interviews = cur.execute(
            "select id, informant_code, informant_group, team_id, interview_date, transcript from interviews "
            "order by informant_code"
        ).fetchall()
        segments = cur.execute(
            "select s.id, s.note_id, s.interview_id, c.slug, s.coder, s.span_start, s.span_end "
            "from coded_segments as s join codes as c on c.id = s.code_id order by s.id"
        ).fetchall()
        memos = cur.execute("select id, coding_id, code_id, author, body, written_at from memos order by id").fetchall()
    codes = [node.code for node in codebook(con)]
    on_coding: dict[int, list[tuple[Any, ...]]] = {}
    on_code: dict[int, list[tuple[Any, ...]]] = {}
    for memo in memos:
        if memo[1] is not None:
            on_coding.setdefault(int(memo[1]), []).append(memo)
        else:
            on_code.setdefault(int(memo[2]), []).append(memo)
    ET.register_namespace("", NS)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    project = ET.Element(Q + "Project", {"name": str(study[0]) if study else "Study", "origin": ORIGIN,
                                          "creationDateTime": now})  # fmt: skip
    coders = sorted({str(s[4]) for s in segments} | {str(m[3]) for m in memos})
    users = {coder: _guid(key, "coder", coder) for coder in coders}
    if users:
        holder = _element(project, "Users")
        for coder, guid in users.items():
            _element(holder, "User", {"guid": guid, "name": coder})
    written_memos: list[tuple[tuple[Any, ...], str]] = []  # (memo, its Note's name)
    if codes:
        book = _element(_element(project, "CodeBook"), "Codes")
        placed: dict[int, ET.Element] = {}
        pending = sorted(codes, key=lambda c: (c.slug.count("."), c.slug))
        for code in pending:
            parent = placed.get(code.parent_id) if code.parent_id is not None else None
            element = _element(parent if parent is not None else book, "Code",
                               {"guid": qdc.guid(code.slug), "name": code.name, "isCodable": "true"})  # fmt: skip
            if code.definition:  # before any nested Code (the schema's order): a parent is written first
                _element(element, "Description", text=code.definition)
            for memo in on_code.get(code.id, ()):  # after the Description, before any nested Code
                _element(element, "NoteRef", {"targetGUID": _guid(key, "memo", memo[0])})
                written_memos.append((memo, f"Memo by {memo[3]} on the code {code.name}"))
            placed[code.id] = element
    variables = {name: _guid(key, "variable", name) for name in VARIABLES}
    holder = _element(project, "Variables")
    for name, (label, kind) in VARIABLES.items():
        _element(holder, "Variable", {"guid": variables[name], "name": label, "typeOfVariable": kind})

    texts: dict[str, str] = {}
    by_note: dict[int, tuple[str, int, int]] = {}  # note id -> (source guid, start, end) in the joined text
    by_interview: dict[int, tuple[str, int, int]] = {}
    sources: list[tuple[ET.Element, list[tuple[str, str]]]] = []
    notes_of: dict[int, list[tuple[Any, ...]]] = {}
    for note in notes:
        notes_of.setdefault(int(note[1]), []).append(note)
    for meeting_id, team_id, date, status, fmt in meetings:
        team = teams[int(team_id)]
        guid = _guid(key, "meeting", team["name"], date.isoformat())
        layout: list[dict[str, Any]] = []
        parts: list[str] = []
        at = 0
        for note_id, _, position, minute, author, written_at, body in notes_of[int(meeting_id)]:
            if parts:
                at += len(SEPARATOR)
            by_note[int(note_id)] = (guid, at, at + len(body))
            when = written_at.isoformat() if written_at else None
            layout.append({"position": position, "minute": minute, "author": author, "start": at,
                           "end": at + len(body), "written_at": when})  # fmt: skip
            parts.append(body)
            at += len(body)
        texts[guid] = SEPARATOR.join(parts)
        record = {"kind": "meeting", "team": team, "date": date.isoformat(), "status": status, "format": fmt,
                  "notes": layout}  # fmt: skip
        said = (
            f"The field notes of {team['name']}'s meeting on {date.isoformat()}: {len(parts)} note(s) in position "
            "order, a blank line between two."
        )
        element = ET.Element(Q + "TextSource", {"guid": guid, "name": meeting_source_name(team["name"], date),
                                                 "plainTextPath": f"internal://{guid}.txt"})  # fmt: skip
        _element(element, "Description", text=f"{said}\n{RECORD}{json.dumps(record, ensure_ascii=False)}")
        sources.append((element, [("kind", "field notes"), ("team", team["name"]), ("meeting_date", date.isoformat())]))
    for interview_id, code, group, team_id, date, transcript in interviews:
        guid = _guid(key, "interview", code)
        by_interview[int(interview_id)] = (guid, 0, len(transcript))
        texts[guid] = transcript
        their = teams.get(int(team_id)) if team_id is not None else None
        record = {"kind": "interview", "informant_code": code, "informant_group": group, "team": their,
                  "date": date.isoformat()}  # fmt: skip
        said = (
            f"The transcript of the interview with {code} ({group}"
            + (f", {their['name']}" if their else "")
            + (f") on {date.isoformat()}.")
        )
        element = ET.Element(Q + "TextSource", {"guid": guid, "name": interview_source_name(code),
                                                 "plainTextPath": f"internal://{guid}.txt"})  # fmt: skip
        _element(element, "Description", text=f"{said}\n{RECORD}{json.dumps(record, ensure_ascii=False)}")
        answers = [("kind", "interview"), ("informant_code", code), ("informant_group", group),
                   ("interview_date", date.isoformat())]  # fmt: skip
        sources.append((element, answers + ([("team", their["name"])] if their else [])))
    elements = {e.get("guid"): e for e, _ in sources}
    left_out: list[str] = []
    whole: list[str] = []  # the selections that are codings of a whole note or transcript (no span)
    for segment_id, note_id, interview_id, slug, coder, start, end in segments:
        if note_id is not None:
            guid, begin, stop = by_note[int(note_id)]
            first, last = (begin, stop) if start is None else (begin + int(start), begin + int(end))
        else:
            guid, begin, stop = by_interview[int(interview_id)]
            first, last = (0, stop) if start is None else (int(start), int(end))
        if last > stop:
            where = "note" if note_id is not None else "transcript"
            left_out.append(f"coded segment {segment_id} ({slug}, {coder}): its span {start}–{end} runs past the "
                            f"end of its {where} ({stop - begin:,} characters)")  # fmt: skip
            continue
        if start is None:
            whole.append(_guid(key, "selection", segment_id))
        selection = _element(elements[guid], "PlainTextSelection", {
            "guid": _guid(key, "selection", segment_id), "startPosition": str(first), "endPosition": str(last),
            "creatingUser": users[coder]})  # fmt: skip
        coding = _element(selection, "Coding", {"guid": _guid(key, "coding", segment_id), "creatingUser": users[coder]})
        _element(coding, "CodeRef", {"targetGUID": qdc.guid(slug)})
        for memo in on_coding.get(int(segment_id), ()):  # after the Coding (the schema's order)
            _element(selection, "NoteRef", {"targetGUID": _guid(key, "memo", memo[0])})
            written_memos.append((memo, f"Memo by {memo[3]} on a coding of {slug} by {coder}"))
    if sources:
        holder = _element(project, "Sources")
        for element, answers in sources:
            for name, value in answers:
                given = _element(element, "VariableValue")
                _element(given, "VariableRef", {"targetGUID": variables[name]})
                _element(given, "DateValue" if VARIABLES[name][1] == "Date" else "TextValue", text=value)
            holder.append(element)
    if written_memos:
        holder = _element(project, "Notes")
        for (memo_id, _, _, author, body, written_at), name in sorted(written_memos, key=lambda m: int(m[0][0])):
            when = written_at.replace(microsecond=0).isoformat() + "Z" if written_at else now
            kept = _element(holder, "Note", {"guid": _guid(key, "memo", memo_id), "name": name,
                                             "creatingUser": users[str(author)], "creationDateTime": when})  # fmt: skip
            _element(kept, "PlainTextContent", text=str(body))
    said = f"The coding of {project.get('name')}, exported from the Microsystem involvement dashboard."
    slugs = {qdc.guid(c.slug): c.slug for c in codes}
    _element(
        project,
        "Description",
        text=f"{said}\n{RECORD}{json.dumps({'codes': slugs, 'whole': whole}, ensure_ascii=False)}",
    )
    document = qdc.document(project)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", document)
        for guid, text in texts.items():
            archive.writestr(f"sources/{guid}.txt", text.encode("utf-8"))
    written = Written(len(sources), len(codes), len(users), len(segments) - len(left_out), tuple(left_out),
                      len(written_memos))  # fmt: skip
    return buffer.getvalue(), written


@access.requires("researcher")
def export_project(con: duckdb.DuckDBPyConnection, out: Path) -> Written:
    """Write the study's coding to ``out`` (a new .qdpx: an existing file is never overwritten) and
    audit it (action "export", the file, what it holds) in the same transaction as the write: a
    file that cannot be written leaves no audit entry."""
    out = Path(out)
    if out.exists():
        raise ObservationError(f"{out} already exists: choose a new name for the export")
    payload, written = project_bytes(con)
    try:
        with db.transaction(con, meetings=()) as cur:
            audit.record(cur, "export", "coded_segments", str(out), after={
                "level": "full", "format": "qdpx", "sources": written.sources, "codes": written.codes,
                "coders": written.users, "codings": written.codings, "memos": written.memos,
                "left_out": len(written.left_out)})  # fmt: skip
            out.parent.mkdir(parents=True, exist_ok=True)
            with open(out, "xb") as file:  # "x": refused if it appeared meanwhile
                file.write(payload)
            os.chmod(out, 0o600)
    except FileExistsError:
        raise ObservationError(f"{out} already exists: choose a new name for the export") from None
    except OSError as exc:
        out.unlink(missing_ok=True)
        raise ObservationError(f"{out}: the project could not be written ({exc.strerror or exc})") from None
    return written


# ---------------------------------------------------------------------------------------------- in


@dataclass(frozen=True)
class Problem:
    """One thing a project holds that the study would not take: the file, the source (its name),
    the selection or code it concerns, the value as shown and the reason."""

    file: str
    source: str
    item: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.source}:{self.item}: '{self.value}' — {self.reason}"


class ProjectProblems(qdc.Refused[Problem]):
    """The project was refused; nothing was written. ``problems`` lists every one."""


@dataclass(frozen=True)
class Mapping:
    """Where a source of the project goes: ``maps_to`` one of TARGETS ("" until someone says),
    with the meeting's team and date, or the interview's informant code (and, for a new one, its
    group, team and date); ``how`` says where the proposal came from."""

    source: str
    source_guid: str
    maps_to: Target = ""
    team: str = ""
    date: str = ""
    informant_code: str = ""
    informant_group: str = ""
    how: str = ""


class NeedsMapping(ObservationError):
    """Some sources of the project need a researcher to say where they go; nothing was written.
    ``proposal`` holds every source, mapped where it could be."""

    def __init__(self, file: str, proposal: list[Mapping]) -> None:
        self.proposal = proposal
        open_ = [m.source for m in proposal if not m.how.startswith("recorded")]
        super().__init__(
            f"{file}: {len(open_)} source(s) need a mapping you confirm ({', '.join(map(shown, open_[:5]))}"
            f"{'…' if len(open_) > 5 else ''}); nothing was imported"
        )


@dataclass(frozen=True)
class Imported:
    """What an import did: codings created and left as they were (already held), and the codes,
    teams, meetings, notes and interviews it created; the sources it left out, and why."""

    created: int = 0
    skipped: int = 0
    codes: int = 0
    teams: int = 0
    meetings: int = 0
    notes: int = 0
    interviews: int = 0
    left_out: tuple[str, ...] = ()
    study: str | None = None
    """The study's name, when the import recorded the study (into a file that held none)."""
    memos: int = 0
    memos_held: int = 0

    @property
    def wrote(self) -> bool:
        """Whether the import changed the study: created a coding, code, team, meeting, note, interview or memo."""
        return any((self.created, self.codes, self.teams, self.meetings, self.notes, self.interviews, self.memos))

    def said(self, source: Path | str) -> str:
        made = [f"{n:,} {what}" for n, what in ((self.codes, "codes"), (self.teams, "teams"),
                (self.meetings, "meetings"), (self.notes, "notes"), (self.interviews, "interviews"),
                (self.memos, "memos")) if n]  # fmt: skip
        text = f"Imported {Path(source).name}: {self.created:,} codings added"
        if self.skipped:
            text += f", {self.skipped:,} already held"
        if self.memos_held:
            text += f" ({self.memos_held:,} memos already held, left as they are)"
        if made:
            text += f"; created {', '.join(made)}"
        text += "."
        if self.study is not None:
            text += f" The study is recorded as {shown(self.study)!r}, imported from {Path(source).name}."
        if not self.wrote:
            text = f"{Path(source).name}: nothing to import; the study already holds every coding in it."
        return text + "".join(f"\nLeft out: {why}" for why in self.left_out)


@dataclass(frozen=True)
class _Coding:
    code: str  # the CodeRef's target GUID
    user: str | None
    label: str  # "selection <guid>" or "the whole source"
    start: int | None  # None: the whole source
    end: int | None
    notes: tuple[str, ...] = ()
    """The GUIDs of the project's Notes on its selection (NoteRef): memos on the coding."""
    whole: bool = False
    """A coding of the whole (no span): of the whole source, or a selection our own export marked so. Any
    other selection is a span, even one that covers its whole note or transcript."""


@dataclass(frozen=True)
class _Source:
    guid: str
    name: str
    text: str | None
    record: dict[str, Any] | None
    variables: dict[str, str]
    codings: tuple[_Coding, ...]
    unread: str = ""  # why the text could not be read


@dataclass(frozen=True)
class _CodeEntry:
    guid: str
    name: str
    definition: str
    parent: str | None
    depth: int
    notes: tuple[str, ...] = ()
    """The GUIDs of the project's Notes on the code (NoteRef): memos on the code."""


@dataclass(frozen=True)
class _Note:
    """A Note of the project (a memo): who wrote it (a User's GUID), when, and its text."""

    user: str | None
    written: str | None
    body: str


@dataclass
class Project:
    """A .qdpx as read: its text sources, codes (by GUID), users (GUID -> name), the non-text
    sources left out, and the problems found while reading."""

    file: str
    name: str = ""
    """The project's name attribute, as written."""
    description: str = ""
    """The first line of the project's Description that is not our own export's record."""
    sources: list[_Source] = field(default_factory=list)
    codes: dict[str, _CodeEntry] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    fallback_user: str | None = None
    slugs: dict[str, str] = field(default_factory=dict)
    """Our own export's codes: GUID -> slug (its record in the project's Description)."""
    whole: set[str] = field(default_factory=set)
    """Our own export's codings of a whole note or transcript: their selections' GUIDs (its record)."""
    notes: dict[str, _Note] = field(default_factory=dict)
    """The project's Notes (memos) by GUID, with their text."""
    left_out: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _refuse_doctype(data: bytes, name: str) -> None:
    """A document type declaration (and so any entity) is refused before the XML is parsed: no
    entity is ever expanded, and no external file or address is ever read."""

    class Declared(Exception):
        pass

    def refuse(*_: object) -> None:
        raise Declared

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(data, True)
    except Declared:
        raise ObservationError(
            f"{name}: project.qde declares a DOCTYPE; a REFI-QDA project has none, and it is refused so that "
            "no entity is expanded"
        ) from None
    except expat.ExpatError as exc:
        raise ObservationError(
            f"{name}: project.qde, line {exc.lineno}, column {exc.offset + 1}: not well-formed XML "
            f"({expat.ErrorString(exc.code)})"
        ) from None


class _Unpacker:
    """The members of an open .qdpx, each unpacked at most once, every byte unpacked counted against
    MAX_TOTAL as it comes (the sizes a zip declares are never trusted alone), and each text file the
    text of one source only."""

    def __init__(self, archive: zipfile.ZipFile, file: str) -> None:
        self.archive, self.file = archive, file
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist():
            if not info.is_dir():
                self.members.setdefault(info.filename.casefold(), info)
        self.unpacked = 0
        self.claimed: dict[str, str] = {}  # member's name -> the source whose text it is

    def member(self, wanted: str) -> zipfile.ZipInfo | None:
        return self.members.get(wanted.replace("\\", "/").lstrip("/").casefold())

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The member's bytes, unpacked in chunks: refused past MAX_MEMBER, or once the project's
        members together pass MAX_TOTAL."""
        chunks: list[bytes] = []
        size = 0
        with self.archive.open(info) as member:
            while chunk := member.read(min(2**20, MAX_MEMBER + 1 - size)):
                size += len(chunk)
                self.unpacked += len(chunk)
                if size > MAX_MEMBER:
                    raise ObservationError(
                        f"{self.file}: {info.filename} is larger than {MAX_MEMBER // 2**20} MB uncompressed; "
                        "the project is refused"
                    )
                if self.unpacked > MAX_TOTAL:
                    raise ObservationError(
                        f"{self.file}: larger than {MAX_TOTAL // 2**20} MB uncompressed; the project is refused"
                    )
                chunks.append(chunk)
        return b"".join(chunks)

    def text_of(self, info: zipfile.ZipInfo, source: str) -> bytes:
        """A source's text file: refused when another source named it already (each would unpack
        it afresh: a small file could so stand for any size)."""
        name = info.filename.casefold()
        if name in self.claimed:
            raise ObservationError(
                f"{self.file}: the sources {shown(self.claimed[name])} and {shown(source)} both name the text file "
                f"{shown(info.filename)}; each source has its own text file, and the project is refused"
            )
        self.claimed[name] = source
        return self.read(info)


def _decoded(data: bytes) -> str:
    text = data.decode("utf-8")
    return text[1:] if text.startswith("\ufeff") else text


def read_project(path: Path, name: str | None = None) -> Project:
    """The project at ``path`` (a .qdpx), as read; ``name``: the file's name to say in problems.
    A file that is not a project at all raises ObservationError; problems with a part of it are
    listed in ``problems``."""
    path = Path(path)
    file = name or path.name
    if not path.is_file():
        raise ObservationError(f"{file}: no such file")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ObservationError(f"{file}: not a REFI-QDA project (.qdpx is a zip file: {exc})") from None
    with archive:
        if sum(i.file_size for i in archive.infolist()) > MAX_TOTAL:  # refused before unpacking anything
            raise ObservationError(f"{file}: larger than {MAX_TOTAL // 2**20} MB uncompressed; the project is refused")
        unpacker = _Unpacker(archive, file)
        info = unpacker.member("project.qde")
        if info is None:
            raise ObservationError(f"{file}: not a REFI-QDA project (no project.qde in it)")
        try:
            data = unpacker.read(info)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ObservationError(f"{file}: project.qde could not be read ({exc})") from None
        _refuse_doctype(data, file)
        try:
            root = ET.fromstring(data)
        except ET.ParseError as exc:  # pragma: no cover - expat has refused it above
            raise ObservationError(f"{file}: project.qde is not well-formed XML ({exc})") from None
        if root.tag != Q + "Project":
            raise ObservationError(f"{file}: not a REFI-QDA project (project.qde's root is {shown(root.tag)})")
        described = root.find(f"{Q}Description")
        lines = [] if described is None else (described.text or "").splitlines()
        said = next((line.strip() for line in lines if line.strip() and not line.startswith(RECORD)), "")
        project = Project(file, root.get("name") or "", said, fallback_user=root.get("creatingUserGUID"))
        recorded = _record(described)
        if isinstance(recorded, dict) and isinstance(recorded.get("codes"), dict):
            project.slugs = {str(g): str(s) for g, s in recorded["codes"].items() if qdc.guid(str(s)) == g}
        if isinstance(recorded, dict) and isinstance(recorded.get("whole"), list):
            project.whole = {_plain_guid(str(g)) for g in recorded["whole"]}
        for user in root.iterfind(f"{Q}Users/{Q}User"):
            if guid := _plain_guid(user.get("guid")):
                project.users[guid] = user.get("name") or ""
        _read_codes(root, project)
        for element in root.iterfind(f"{Q}Notes/{Q}Note"):
            guid = _plain_guid(element.get("guid"))
            content = element.find(f"{Q}PlainTextContent")
            if content is None:
                project.left_out.append(f"note {shown(element.get('name') or guid)}: only a note's text written in "
                                        "the project (PlainTextContent) is read")  # fmt: skip
                continue
            project.notes[guid] = _Note(_plain_guid(element.get("creatingUser")) or None,
                                        element.get("creationDateTime"), content.text or "")  # fmt: skip
        variables = {
            _plain_guid(v.get("guid")): v.get("name") or "" for v in root.iterfind(f"{Q}Variables/{Q}Variable")
        }
        sources = root.find(f"{Q}Sources")
        for element in list(sources) if sources is not None else []:
            kind = element.tag.removeprefix(Q)
            if kind != "TextSource":
                project.left_out.append(f"{kind} {shown(element.get('name') or element.get('guid') or '')}: only "
                                        "text sources are imported")  # fmt: skip
                continue
            project.sources.append(_read_source(unpacker, element, variables, project))
    return project


def _read_codes(root: ET.Element, project: Project) -> None:
    codes = root.find(f"{Q}CodeBook/{Q}Codes")
    pending: list[tuple[ET.Element, str | None, int]] = [
        (c, None, 1) for c in reversed(codes.findall(f"{Q}Code") if codes is not None else [])
    ]
    while pending:
        element, parent, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise ObservationError(f"{project.file}: codes nest more than {MAX_DEPTH} deep")
        guid = _plain_guid(element.get("guid"))
        description = element.find(f"{Q}Description")
        project.codes[guid] = _CodeEntry(guid, element.get("name") or "",
                                         (description.text or "").strip() if description is not None else "",
                                         parent, depth, _note_refs(element))  # fmt: skip
        pending += [(child, guid, depth + 1) for child in reversed(element.findall(f"{Q}Code"))]


def _read_source(unpacker: _Unpacker, element: ET.Element, variables: dict[str, str], project: Project) -> _Source:
    guid = _plain_guid(element.get("guid"))
    name = element.get("name") or guid
    text: str | None = None
    unread = ""
    where = element.get("plainTextPath")
    content = element.find(f"{Q}PlainTextContent")
    try:
        if where:
            scheme, _, rest = where.partition("://")
            candidates = {"internal": [f"sources/{rest}"], "relative": [rest, f"sources/{rest}"]}.get(scheme.lower())
            if not rest or candidates is None:
                unread = f"its text is outside the project ({shown(where)}); only text inside the .qdpx is read"
            else:
                found = next((i for c in candidates if (i := unpacker.member(c)) is not None), None)
                if found is None:
                    unread = f"its text file {shown(where)} is not in the project"
                else:
                    text = _decoded(unpacker.text_of(found, name))
        elif content is not None:
            text = content.text or ""
        else:
            unread = "it has no plain text (no plainTextPath, no PlainTextContent)"
    except UnicodeDecodeError as exc:
        unread = f"its text is not UTF-8 (byte {exc.start:,})"
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        unread = f"its text could not be read ({exc})"
    record = _record(element.find(f"{Q}Description"))
    given: dict[str, str] = {}
    for value in element.iterfind(f"{Q}VariableValue"):
        ref = value.find(f"{Q}VariableRef")
        label = variables.get(_plain_guid(ref.get("targetGUID")), "") if ref is not None else ""
        held = next((v.text for v in value if v.tag != Q + "VariableRef" and v.text), None)
        key = next((k for k, (title, _) in VARIABLES.items() if title == label), None)
        if key and held:
            given[key] = held.strip()
    codings: list[_Coding] = []
    for selection in element.iterfind(f"{Q}PlainTextSelection"):
        sid = selection.get("guid") or "?"
        label = f"selection {sid}" + (f" ({selection.get('name')})" if selection.get("name") else "")
        try:
            start, end = int(selection.get("startPosition", "")), int(selection.get("endPosition", ""))
        except ValueError:
            positions = f"{selection.get('startPosition')}–{selection.get('endPosition')}"
            project.problems.append(Problem(project.file, shown(name), shown(label), shown(positions),
                                            "startPosition and endPosition must be whole numbers"))  # fmt: skip
            continue
        whole = _plain_guid(sid) in project.whole
        notes = _note_refs(selection)
        for coding in selection.iterfind(f"{Q}Coding"):
            codings.append(replace(_coding(coding, label, start, end, selection.get("creatingUser"), whole),
                                   notes=notes))  # fmt: skip
    for coding in element.iterfind(f"{Q}Coding"):
        codings.append(_coding(coding, "the whole source", None, None, element.get("creatingUser"), True))
    return _Source(guid, name, text, record, given, tuple(codings), unread)


def _plain_guid(value: str | None) -> str:
    """A GUID as the import compares it: no surrounding space or braces, lower case ("" for none)."""
    return (value or "").strip().strip("{}").lower()


def _note_refs(element: ET.Element) -> tuple[str, ...]:
    """The GUIDs of the Notes an element's own NoteRefs name."""
    return tuple(_plain_guid(ref.get("targetGUID")) for ref in element.findall(f"{Q}NoteRef"))


def _record(description: ET.Element | None) -> dict[str, Any] | None:
    """The record our own export wrote on a Description's last line, or None."""
    if description is None or not (description.text or "").strip():
        return None
    last = (description.text or "").strip().splitlines()[-1]
    if not last.startswith(RECORD):
        return None
    try:
        found = json.loads(last.removeprefix(RECORD))
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _coding(
    coding: ET.Element, label: str, start: int | None, end: int | None, fallback: str | None, whole: bool
) -> _Coding:
    ref = coding.find(f"{Q}CodeRef")
    target = _plain_guid(ref.get("targetGUID")) if ref is not None else ""
    user = coding.get("creatingUser") or fallback
    return _Coding(target, _plain_guid(user) or None, label, start, end, whole=whole)


# ---- what the study holds


@dataclass(frozen=True)
class _Held:
    teams: dict[str, int]  # casefolded name -> id
    team_names: dict[int, str]
    meetings: dict[tuple[int, dt.date], int]
    meeting_text: dict[int, tuple[str, list[tuple[int, int, int]]]]  # id -> joined text, [(note id, start, end)]
    interviews: dict[str, tuple[int, str]]  # code -> (id, transcript)
    codes: dict[str, int]  # slug -> id
    by_guid: dict[str, str]  # qdc guid -> slug


def _held(cur: duckdb.DuckDBPyConnection) -> _Held:
    team_names = {int(i): str(n) for i, n in cur.execute("select id, name from teams").fetchall()}
    meetings = {
        (int(t), d): int(i) for i, t, d in cur.execute("select id, team_id, meeting_date from meetings").fetchall()
    }
    rows = cur.execute(
        "select meeting_id, list(id order by position), list(length(body) order by position), "
        "string_agg(body, ? order by position) from field_notes group by meeting_id",
        [SEPARATOR],
    ).fetchall()
    meeting_text = {}
    for meeting_id, ids, lengths, joined in rows:
        spans, at = [], 0
        for note_id, length in zip(ids, lengths, strict=True):
            spans.append((int(note_id), at, at + int(length)))
            at += int(length) + len(SEPARATOR)
        meeting_text[int(meeting_id)] = (str(joined), spans)
    interviews = {
        str(c): (int(i), str(t))
        for i, c, t in cur.execute("select id, informant_code, transcript from interviews").fetchall()
    }
    codes = {str(s): int(i) for i, s in cur.execute("select id, slug from codes").fetchall()}
    teams = {n.casefold(): i for i, n in team_names.items()}
    return _Held(teams, team_names, meetings, meeting_text, interviews, codes, {qdc.guid(s): s for s in codes})


# ---- the mapping


_ISO_DATE = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})")
_UK_DATE = re.compile(r"(\d{1,2}[/.]\d{1,2}[/.]\d{4})")
_CODE = re.compile(r"\b([A-Z0-9][A-Z0-9_-]{1,23})\b")


def _recorded(source: _Source) -> Mapping | None:
    """Where our own export said a source goes (its record, else its variables), or None."""
    r, v = source.record or {}, source.variables
    team = r.get("team") if isinstance(r.get("team"), dict) else None
    if r.get("kind") == "meeting" and team and r.get("date"):
        return Mapping(source.name, source.guid, "meeting", str(team.get("name", "")), str(r["date"]),
                       how="recorded in the project")  # fmt: skip
    if r.get("kind") == "interview" and r.get("informant_code"):
        return Mapping(source.name, source.guid, "interview", str(team.get("name", "")) if team else "",
                       str(r.get("date", "")), str(r["informant_code"]), str(r.get("informant_group", "")),
                       how="recorded in the project")  # fmt: skip
    if v.get("kind") == "field notes" and v.get("team") and v.get("meeting_date"):
        return Mapping(
            source.name, source.guid, "meeting", v["team"], v["meeting_date"], how="recorded in its variables"
        )
    if v.get("kind") == "interview" and v.get("informant_code"):
        return Mapping(source.name, source.guid, "interview", v.get("team", ""), v.get("interview_date", ""),
                       v["informant_code"], v.get("informant_group", ""), how="recorded in its variables")  # fmt: skip
    return None


def _guess(source: _Source, held: _Held, by_text: dict[str, Mapping]) -> Mapping:
    """A proposal for a source nobody recorded: the meeting or interview whose text it holds
    exactly, else one its name names (a team and a date, or an informant code), else nothing."""
    if source.text is not None and (found := by_text.get(source.text)):
        return replace(found, source=source.name, source_guid=source.guid)
    name = source.name
    dates = []
    for pattern in (_ISO_DATE, _UK_DATE):
        for match in pattern.findall(name):
            try:
                dates.append(values.day(match))
            except ValueError:
                continue
    teams = [(tid, tname) for tid, tname in held.team_names.items() if tname.casefold() in name.casefold()]
    for tid, tname in sorted(teams, key=lambda t: -len(t[1])):
        for date in dates:
            if (tid, date) in held.meetings:
                return Mapping(name, source.guid, "meeting", tname, date.isoformat(), how="guessed from its name")
    codes = [c for c in _CODE.findall(name) if any(ch.isdigit() for ch in c)]
    for code in codes:
        if code in held.interviews:
            return Mapping(name, source.guid, "interview", informant_code=code, how="guessed from its name")
    if codes:
        when = dates[0].isoformat() if dates else ""
        team = sorted(teams, key=lambda t: -len(t[1]))[0][1] if teams else ""
        return Mapping(name, source.guid, "new interview", team, when, codes[0],
                       how="guessed from its name: say the informant group")  # fmt: skip
    return Mapping(name, source.guid, how="no guess: say what it is")


def _by_text(held: _Held) -> dict[str, Mapping]:
    found: dict[str, Mapping] = {}
    meetings = {mid: key for key, mid in held.meetings.items()}
    for mid, (text, _) in held.meeting_text.items():
        team_id, date = meetings[mid]
        found[text] = Mapping(
            "", "", "meeting", held.team_names[team_id], date.isoformat(), how="guessed from its text"
        )
    for code, (_, transcript) in held.interviews.items():
        found[transcript] = Mapping("", "", "interview", informant_code=code, how="guessed from its text")
    return found


@access.requires("researcher")
def propose_mapping(con: duckdb.DuckDBPyConnection, path: Path | Project, name: str | None = None) -> list[Mapping]:
    """Where each text source of the project at ``path`` (or the project as read already) would go:
    as our own export recorded it, or as guessed (see _guess). Nothing is written."""
    project = path if isinstance(path, Project) else read_project(path, name)
    with db.cursor(con) as cur:
        held = _held(cur)
    texts = _by_text(held)
    return [_recorded(s) or _guess(s, held, texts) for s in project.sources]


def mapping_csv(rows: Iterable[Mapping]) -> str:
    """The mapping as CSV (MAP_COLUMNS), for a researcher to check and fill in in a spreadsheet: a
    cell that a spreadsheet might run as a formula (a source named ``=HYPERLINK(…)``) gets a leading
    ``'`` (cells.spreadsheet_safe), which read_mapping takes off again."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MAP_COLUMNS)
    for row in rows:
        writer.writerow([cells.spreadsheet_safe(str(getattr(row, c))) for c in MAP_COLUMNS])
    return buffer.getvalue()


def _unguarded(cell: str) -> str:
    """A mapping cell as it was before mapping_csv guarded it against running as a formula."""
    rest = cell.removeprefix(cells.QUOTE)
    return rest if rest != cell and cells.runs_as_formula(rest) else cell


def read_mapping(path: Path) -> list[Mapping]:
    """A mapping CSV as ``mapping_csv`` writes it (a researcher's edits included)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ObservationError(f"{path.name}: the mapping could not be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ObservationError(f"{path.name}: the mapping is not UTF-8 text; save it as CSV UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip().lower() for h in reader.fieldnames or ()]
    missing = [c for c in ("source", "maps_to") if c not in headers]
    if missing:
        raise ObservationError(f"{path.name}:1: the mapping needs the columns {', '.join(MAP_COLUMNS[:-1])} "
                               f"(missing: {', '.join(missing)})")  # fmt: skip
    rows = []
    for number, raw in enumerate(reader, start=2):
        row = {str(k).strip().lower(): _unguarded((v or "").strip()) for k, v in raw.items() if k is not None}
        maps_to = row.get("maps_to", "").lower()
        if maps_to not in (*TARGETS, ""):
            raise ObservationError(
                f"{path.name}:{number}:maps_to: '{shown(maps_to)}' — use one of {', '.join(TARGETS)}"
            )
        rows.append(Mapping(row.get("source", ""), _plain_guid(row.get("source_guid")), maps_to,
                            row.get("team", ""), row.get("date", ""), row.get("informant_code", ""),
                            row.get("informant_group", ""), row.get("how", "")))  # fmt: skip
    return rows


# ---- the import


@dataclass
class _Plan:
    """What an import writes, worked out before the transaction."""

    teams: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> details, to create
    meetings: dict[tuple[str, dt.date], dict[str, Any]] = field(default_factory=dict)  # (team, date) -> record
    interviews: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> fields (transcript included)
    codes: list[tuple[str, str, str]] = field(default_factory=list)  # (slug, name, definition), parents first
    segments: list[tuple[tuple[str, Any], int | str, str, int | None, int | None]] = field(default_factory=list)
    """(where, code id or the slug of a code to create, coder, span)"""
    skipped: int = 0
    left_out: list[str] = field(default_factory=list)
    study: tuple[str, str] | None = None
    """The study's name and description, when the file holds no study yet (an import into a new file)."""
    memos: list[tuple[tuple[str, Any], str, str, dt.datetime | None]] = field(default_factory=list)
    """(on what, author, text, when written): on ("new coding", its place in ``segments``), ("coding", id)
    or ("code", id or the slug of a code to create)"""
    memos_held: int = 0


def _choose(project: Project, held: _Held, mapping: list[Mapping] | None) -> dict[str, Mapping]:
    """Each source's mapping: the researcher's (matched by GUID, else by name), else as recorded."""
    given = {m.source_guid: m for m in mapping or () if m.source_guid} if mapping else {}
    named = {m.source: m for m in mapping or () if not m.source_guid} if mapping else {}
    chosen: dict[str, Mapping] = {}
    for source in project.sources:
        found = given.get(source.guid) or named.get(source.name) or _recorded(source)
        if found is None:
            continue
        chosen[source.guid] = found
    if mapping is None and len(chosen) < len(project.sources):
        texts = _by_text(held)
        raise NeedsMapping(project.file, [chosen.get(s.guid) or _guess(s, held, texts) for s in project.sources])
    return chosen


@access.requires("researcher")
def import_project(
    con: duckdb.DuckDBPyConnection, path: Path | Project, mapping: list[Mapping] | None = None, name: str | None = None
) -> Imported:
    """Import the coding of the project at ``path``, or of the project as read already (``name``:
    the file's name to say; read_project's problems are not changed). Sources are
    placed as ``mapping`` says, else as our own export recorded them; without a mapping, a source
    nobody recorded raises NeedsMapping with a proposal. Every problem found is raised at once as
    ProjectProblems, and nothing is written; otherwise one transaction, one audit entry."""
    project = path if isinstance(path, Project) else read_project(Path(path), name)
    with db.cursor(con) as cur:
        held = _held(cur)
        no_study = cur.execute("select count(*) from study").fetchone() == (0,)
    chosen = _choose(project, held, mapping)
    plan = _Plan(left_out=list(project.left_out), study=_new_study(project) if no_study else None)
    problems = list(project.problems)
    missing = [s for s in project.sources if s.guid not in chosen]
    for source in missing:
        problems.append(Problem(project.file, shown(source.name), "maps_to", "",
                                "not in the mapping: say meeting, interview, new interview or skip"))  # fmt: skip
    codes = _CodeResolver(project, held, problems)
    with db.cursor(con) as cur:
        existing = _held_codings(cur)
        memos_held = _held_memos(cur)
    seen: set[tuple[Any, ...]] = set()
    memos = _Memos(project, plan, memos_held)
    for source in project.sources:
        if source.guid not in chosen:
            continue
        target = chosen[source.guid]
        if target.maps_to == "skip":
            plan.left_out.append(f"{shown(source.name)}: mapped to skip")
            continue

        def problem(item: str, value: object, reason: str, source: _Source = source) -> None:
            problems.append(Problem(project.file, shown(source.name), shown(item), shown(str(value)), reason))

        if source.text is None:
            problem("text", "", source.unread)
            continue
        placed = _place(source, target, held, plan, problem)
        if placed is None:
            continue
        for coding in source.codings:
            code_id = codes.resolve(coding.code, source.name, coding.label)
            coder = _coder(project, coding.user)
            if coder is None:
                problem(coding.label, coding.user or "", "no user says who coded this (no creatingUser)")
                continue
            span = _span(coding, placed, source.text, problem)
            if span is None or code_id is None:
                continue
            where, start, end, covers = span
            key = (where, code_id, coder, start, end)
            if key in seen:
                continue
            seen.add(key)
            # the study's codings are compared as _HELD_CODINGS says them: a span over the whole as the whole
            held_as = (where, code_id, coder, None, None) if covers else key
            if isinstance(code_id, int) and held_as in existing:
                plan.skipped += 1
                memos.add(coding.notes, ("coding", existing[held_as]), coder, f"a coding by {coder}")
                continue
            memos.add(coding.notes, ("new coding", len(plan.segments)), coder, f"a coding by {coder}")
            plan.segments.append((where, code_id, coder, start, end))
    for guid, entry in project.codes.items():
        if entry.notes:
            code_id = codes.resolve(guid, "codebook", f"code {entry.name}")
            if code_id is not None:
                memos.add(entry.notes, ("code", code_id), None, f"the code {entry.name}")
    plan.codes = codes.new
    if problems:
        raise ProjectProblems(problems)
    if not (plan.segments or plan.teams or plan.meetings or plan.interviews or plan.memos):
        return Imported(skipped=plan.skipped, left_out=tuple(plan.left_out), memos_held=plan.memos_held)
    return _write(con, project.file, plan, (held, existing))


_HELD_CODINGS = """
select s.note_id, s.interview_id, s.code_id, s.coder,
       case when whole then null else s.span_start end, case when whole then null else s.span_end end, s.id
from (
    select s.*, s.span_start = 0 and s.span_end = coalesce(length(n.body), length(i.transcript)) as whole
    from coded_segments as s
    left join field_notes as n on n.id = s.note_id
    left join interviews as i on i.id = s.interview_id
) as s
"""
"""The codings the study holds, a span over the whole note or transcript said as the whole (no span): a
coding the import would add over the whole note or transcript, with a span or without, is one the study
holds if it holds either (the same passage coded), so importing a project again adds nothing, even one
that another program wrote back with every whole-note coding as a span."""


def _held_codings(cur: duckdb.DuckDBPyConnection) -> dict[tuple[Any, ...], int]:
    """Each coding the study holds, said as _HELD_CODINGS says it, with its id (the first, when two)."""
    found: dict[tuple[Any, ...], int] = {}
    for n, i, c, w, s, e, segment_id in cur.execute(_HELD_CODINGS + " order by s.id").fetchall():
        key = (("note", int(n)) if n is not None else ("interview", int(i)), int(c), str(w), s, e)
        found.setdefault(key, int(segment_id))
    return found


def _held_memos(cur: duckdb.DuckDBPyConnection) -> set[tuple[str, int, str]]:
    """Who has written a memo on what: ("coding", id, author) or ("code", id, author)."""
    rows = cur.execute("select coding_id, code_id, author from memos").fetchall()
    return {("coding", int(s), str(a)) if s is not None else ("code", int(c), str(a)) for s, c, a in rows}


class _Memos:
    """The project's memos on the codings and codes it imports, as the study keeps them (observation/
    coding.py): one memo per author on a coding or a code; a memo on a coding only by its coder; the
    text a passage of at most MEMO_MAX characters. A memo the study already has (same author, same
    coding or code) is left as it is; one the study would not take is left out, and said."""

    def __init__(self, project: Project, plan: _Plan, held: set[tuple[str, int, str]]) -> None:
        self.project, self.plan, self.held = project, plan, held
        self.taken: set[tuple[tuple[str, Any], str]] = set()

    def add(self, notes: tuple[str, ...], on: tuple[str, Any], coder: str | None, what: str) -> None:
        for guid in notes:
            note = self.project.notes.get(guid)
            if note is None:
                self.plan.left_out.append(f"a memo on {shown(what)}: its note {shown(guid)} is not in the project")
                continue
            author = _coder(self.project, note.user)
            label = f"a memo by {shown(author or 'nobody')} on {shown(what)}"
            if author is None:
                self.plan.left_out.append(f"{label}: no user says who wrote it (no creatingUser)")
                continue
            if coder is not None and author != coder:
                self.plan.left_out.append(f"{label}: only a coding's coder writes a memo on it")
                continue
            try:
                body = values.passage(note.body, MEMO_MAX)
                when = _written_at(note.written)
            except ValueError as exc:
                self.plan.left_out.append(f"{label}: {exc}")
                continue
            if (on, author) in self.taken:
                continue  # one memo per author on a coding or a code: the first
            self.taken.add((on, author))
            if isinstance(on[1], int) and on[0] != "new coding" and (on[0], on[1], author) in self.held:
                self.plan.memos_held += 1
                continue
            self.plan.memos.append((on, author, body, when))


# A placed source: ("meeting", (team, date) or id, [(note key, start, end)]) or ("interview", key, length)
_Placed = tuple[str, Any, Any]


def _place(source: _Source, target: Mapping, held: _Held, plan: _Plan, problem: Any) -> _Placed | None:
    """Where a source's codings go, checking its text; None (with the problem said) when nowhere."""
    text = source.text or ""
    record = source.record or {}
    if target.maps_to == "meeting":
        try:
            date = values.day(target.date) if target.date else None
        except ValueError as exc:
            problem("date", target.date, str(exc))
            return None
        if not target.team or date is None:
            problem("maps_to", "meeting", "a meeting needs its team and date")
            return None
        team_id = held.teams.get(target.team.casefold())
        meeting_id = held.meetings.get((team_id, date)) if team_id is not None else None
        if meeting_id is not None:
            joined, spans = held.meeting_text.get(meeting_id, ("", []))
            if text != joined:
                problem("text", _first_difference(text, joined),
                        f"differs from the notes of {held.team_names[team_id or 0]}'s meeting on {date:%d/%m/%Y} "
                        f"as joined ({_which_note(text, joined, spans)})")  # fmt: skip
                return None
            return ("meeting", meeting_id, [(("note", n), s, e) for n, s, e in spans])
        layout = record.get("notes") if record.get("kind") == "meeting" else None
        if not isinstance(layout, list) or not layout:
            problem(
                "team, date",
                f"{target.team} {date.isoformat()}",
                "no meeting of that team on that date in the study (map it to a meeting the study holds)",
            )
            return None
        if not _team_ready(target.team, record, held, plan, problem):
            return None
        kept = _new_meeting(record, problem)
        notes = _new_notes(layout, text, problem)
        if kept is None or notes is None:
            return None
        key = (target.team.casefold(), date)
        made = {"text": text, "status": kept[0], "format": kept[1], "notes": notes}
        other = plan.meetings.get(key)
        if other is not None and {k: other[k] for k in made} != made:
            differ = "texts" if other["text"] != text else "records"
            problem("team, date", f"{target.team} {date.isoformat()}",
                    f"two sources are the same new meeting (this one and '{shown(other['source'])}') and their "
                    f"{differ} differ: map one elsewhere, or skip it")  # fmt: skip
            return None
        plan.meetings.setdefault(key, made | {"source": source.name})
        return ("meeting", key, [(("new note", (*key, n["position"])), n["start"], n["end"]) for n in notes])
    code = target.informant_code.strip()
    if target.maps_to == "interview":
        found = held.interviews.get(code)
        if found is not None:
            if text != found[1]:
                problem("text", _first_difference(text, found[1]),
                        f"differs from the transcript of the interview with {code}")  # fmt: skip
                return None
            return ("interview", ("interview", found[0]), len(text))
        if record.get("kind") != "interview":
            problem("informant_code", code, "no interview with this informant in the study (map it as new interview)")
            return None
    elif not target.maps_to:
        problem("maps_to", "", f"say where it goes: {', '.join(TARGETS)}")
        return None
    elif target.maps_to != "new interview":
        problem("maps_to", target.maps_to, f"use one of {', '.join(TARGETS)}")
        return None
    elif code in held.interviews:
        problem(
            "informant_code", code, "the study already holds an interview with this informant (map it as interview)"
        )
        return None
    fields = _new_interview(target, text, record, held, plan, problem)
    if fields is None:
        return None
    other = plan.interviews.get(code)
    if other is not None and {k: other[k] for k in fields} != fields:
        problem("informant_code", code,
                f"two sources are the same new interview (this one and '{shown(other['source'])}') and their "
                f"{'texts' if other['transcript'] != text else 'group, date or team'} differ: map one to another "
                "informant, or skip it")  # fmt: skip
        return None
    plan.interviews.setdefault(code, fields | {"source": source.name})
    return ("interview", ("new interview", code), len(text))


def _whole(value: object, least: int, most: int) -> int:
    """A whole number of a record (a JSON number or text), within ``least`` to ``most``."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("not a whole number")
    return values.whole(str(value), least, most)


def _new_meeting(record: dict[str, Any], problem: Any) -> tuple[str, str] | None:
    """A new meeting's status and format from its record (held, service base when not said), checked
    as the meetings CSV checks them."""
    kept: list[str] = []
    for name, options, default in (("status", labels.MEETING_STATUSES, "held"),
                                   ("format", labels.MEETING_FORMATS, "service_base")):  # fmt: skip
        given = record.get(name)
        try:
            if given is not None and not isinstance(given, str):
                raise ValueError("not a text")
            kept.append(values.choice(given or default, options, name))
        except ValueError as exc:
            problem(name, given, str(exc))
    return (kept[0], kept[1]) if len(kept) == 2 else None


def _new_notes(layout: list[Any], text: str, problem: Any) -> list[dict[str, Any]] | None:
    """A new meeting's notes from its record, each field checked as the field notes CSV checks it
    (position from 1, unique; author one line of at most PERSON_MAX; minute 0 to 1,440; the body, the
    text from start to end, a passage of at most NOTE_MAX without control characters), written_at a
    date and time; the notes within the text and apart. None (every problem said) when any is wrong."""
    notes: list[dict[str, Any]] = []
    ok = True
    positions: set[int] = set()
    for number, note in enumerate(layout, start=1):
        where = f"note {number}"
        if not isinstance(note, dict):
            problem(where, note, "not a note's record")
            ok = False
            continue
        checked: dict[str, Any] = {}
        checks: dict[str, Any] = {
            "position": lambda v: _whole(v, 1, 10_000),
            "start": lambda v: _whole(v, 0, len(text)),
            "end": lambda v: _whole(v, 1, len(text)),
            "author": lambda v: values.line(v if isinstance(v, str) else "", PERSON_MAX),
            "minute": lambda v: None if v is None else _whole(v, 0, 1_440),
            "written_at": _written_at,
        }
        for name, check in checks.items():
            try:
                checked[name] = check(note.get(name))
            except ValueError as exc:
                problem(f"{where}: {name}", note.get(name), str(exc))
        if len(checked) < len(checks):
            ok = False
            continue
        if checked["position"] in positions:
            problem(f"{where}: position", checked["position"], "two notes of the meeting have this position")
            ok = False
        positions.add(checked["position"])
        if checked["start"] >= checked["end"]:
            problem(f"{where}: start, end", f"{checked['start']}–{checked['end']}", "the note ends before it starts")
            ok = False
            continue
        try:
            values.passage(text[checked["start"] : checked["end"]], NOTE_MAX)
        except ValueError as exc:
            problem(f"{where}: body", text[checked["start"] : checked["end"]], f"its text {exc}")
            ok = False
            continue
        notes.append(checked)
    laid = sorted(notes, key=lambda n: n["start"])
    for before, after in itertools.pairwise(laid):
        if after["start"] < before["end"]:
            both = f"{before['position']} and {after['position']}"
            problem("notes", f"{before['start']}–{before['end']}, {after['start']}–{after['end']}",
                    f"the notes at positions {both} overlap in the text")  # fmt: skip
            ok = False
    return notes if ok else None


def _written_at(value: object) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("not a date and time")
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not a date and time (2020-01-31T14:05:00)") from None
    return when.astimezone(dt.UTC).replace(tzinfo=None) if when.tzinfo else when


def _team_ready(team: str, record: dict[str, Any], held: _Held, plan: _Plan, problem: Any) -> bool:
    """The team exists, or the record says enough to create it (added to the plan)."""
    if team.casefold() in held.teams or team.casefold() in plan.teams:
        return True
    details = record.get("team") if isinstance(record.get("team"), dict) else None
    try:
        if details is None:
            raise ValueError("no team of that name in the study")
        name = values.line(str(details["name"]), NAME_MAX)
        service = values.line(str(details.get("service") or "not recorded"), NAME_MAX)
        setting = str(details.get("setting") or "other")
        if setting not in SETTINGS:
            raise ValueError(f"setting {setting!r} is not one of {', '.join(SETTINGS)}")
        start = dt.date.fromisoformat(str(details["start_date"]))
    except (KeyError, ValueError) as exc:
        problem("team", team, str(exc))
        return False
    plan.teams[team.casefold()] = {"name": name, "service": service, "setting": setting, "start_date": start}
    return True


def _new_interview(
    target: Mapping, text: str, record: dict[str, Any], held: _Held, plan: _Plan, problem: Any
) -> dict[str, Any] | None:
    ok = True
    code = target.informant_code.strip()
    try:
        _PARTICIPANT_CODE.validate_python(code)
    except ValidationError:
        problem("informant_code", code, "a pseudonymous code: upper-case letters, digits, - or _, with a digit")
        ok = False
    group = target.informant_group.strip()
    if group not in GROUPS:
        problem("informant_group", group, f"use one of {', '.join(GROUPS)}")
        ok = False
    try:
        date = values.date(target.date) if record.get("kind") != "interview" else dt.date.fromisoformat(target.date)
    except ValueError as exc:
        problem("date", target.date, str(exc))
        ok = False
    team_id: Any = None
    if target.team:
        if target.team.casefold() in held.teams:
            team_id = held.teams[target.team.casefold()]
        elif _team_ready(target.team, record, held, plan, problem):
            team_id = ("new team", target.team.casefold())
        else:
            ok = False
    try:
        values.passage(text, NOTE_MAX)
    except ValueError as exc:
        problem("text", text, f"a transcript {exc}")
        ok = False
    if not ok:
        return None
    return {"informant_code": code, "informant_group": group, "team": team_id, "interview_date": date,
            "transcript": text}  # fmt: skip


def _differ_at(text: str, held: str) -> int:
    """Where the file's text first differs from the study's (the shorter one's length when one begins the other)."""
    return next((i for i, (a, b) in enumerate(zip(text, held, strict=False)) if a != b), min(len(text), len(held)))


def _first_difference(text: str, held: str) -> str:
    at = _differ_at(text, held)
    return text[max(0, at - 10) : at + 30] or "(the end of the text)"


def _which_note(text: str, joined: str, spans: list[tuple[int, int, int]]) -> str:
    if not joined:
        return "the meeting holds no notes"
    at = _differ_at(text, joined)
    number = next((k for k, (_, s, e) in enumerate(spans, start=1) if at <= e), len(spans))
    return (
        f"from character {at:,}, in note {number} of {len(spans)}; the file's text has {len(text):,} characters, "
        f"the notes {len(joined):,}"
    )


def _span(
    coding: _Coding, placed: _Placed, text: str, problem: Any
) -> tuple[tuple[str, Any], int | None, int | None, bool] | None:
    """A coding's note or interview, its span (None: the whole) and whether it covers the whole note or
    transcript; or None with the problem said. Only a coding marked whole (coding.whole) of exactly its
    note's range or the whole transcript comes back without a span: any other selection is a span."""
    kind, key, layout = placed
    start, end = (0, len(text)) if coding.start is None or coding.end is None else (coding.start, coding.end)
    if not 0 <= start < end <= len(text):
        problem(coding.label, f"{start}–{end}", f"not a selection within the source's {len(text):,} characters")
        return None
    if kind == "interview":
        covers = (start, end) == (0, len(text))
        return (key, None, None, True) if covers and coding.whole else (key, start, end, covers)
    for note, first, last in layout:
        if first <= start and end <= last:
            covers = (start, end) == (first, last)
            return (note, None, None, True) if covers and coding.whole else (note, start - first, end - first, covers)
    problem(coding.label, f"{start}–{end}", "crosses from one note into another (or covers the blank line between "
            "two): code each note on its own")  # fmt: skip
    return None


def _coder(project: Project, user: str | None) -> str | None:
    guid = user or _plain_guid(project.fallback_user) or None
    if guid is None:
        return None
    named = project.users.get(guid, "")
    try:
        return values.line(named, PERSON_MAX) if named.strip() else guid
    except ValueError:
        return guid


SLUG = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")
"""A code's slug, as the schema checks it."""


class _CodeResolver:
    """Codes by GUID: the study's code of that GUID (qdc's scheme), else of the slug its place in the
    tree gives, else a new code (with its parents) added to ``new``. Every code of the codebook is
    given its slug first, in the codebook's order, so that two codes never share one: a code whose
    slug another code of the project has taken gets _2 (then _3…) after its own part."""

    def __init__(self, project: Project, held: _Held, problems: list[Problem]) -> None:
        self.project, self.held, self.problems = project, held, problems
        self.slugs: dict[str, str | None] = {}  # guid -> slug of the codes resolved (None: refused)
        self.new: list[tuple[str, str, str]] = []
        self.made: set[str] = set()  # slugs of new codes
        self.planned: dict[str, tuple[str | None, tuple[str, str, str] | None]] = {}  # guid -> slug, or None, problem
        taken = {slug: guid for guid, slug in held.by_guid.items() if guid in project.codes}
        for guid, entry in project.codes.items():
            self.planned[guid] = self._plan(entry, taken)

    def _plan(self, entry: _CodeEntry, taken: dict[str, str]) -> tuple[str | None, tuple[str, str, str] | None]:
        if entry.guid in self.held.by_guid:
            return self.held.by_guid[entry.guid], None
        parent = self.planned.get(entry.parent, (None, None))[0] if entry.parent is not None else None
        if entry.parent is not None and parent is None:
            return None, None  # its parent was refused (said once)
        try:
            name = values.line(entry.name, NAME_MAX)
        except ValueError as exc:
            return None, ("name", entry.name, str(exc))
        ours = self.project.slugs.get(entry.guid)  # a code of our own export keeps its slug
        if ours and SLUG.fullmatch(ours) and ours.rpartition(".")[0] == (parent or "") and ours not in taken:
            slug = ours
        else:
            base = f"{parent}.{qdc.slug_part(name, entry.guid)}" if parent else qdc.slug_part(name, entry.guid)
            slug, n = base, 1
            while slug in taken:
                n += 1
                slug = f"{base}_{n}"
        if len(slug) > NAME_MAX:
            return None, ("slug", slug, f"{len(slug):,} characters; at most {NAME_MAX:,}")
        taken[slug] = entry.guid
        return slug, None

    def resolve(self, guid: str, source: str, label: str) -> int | str | None:
        """The code's id in the study, or its slug when the import creates it; None: a problem."""
        if guid not in self.project.codes:
            self.problems.append(Problem(self.project.file, shown(source), shown(label), shown(guid),
                                         "the coding names a code that is not in the project's codebook"))  # fmt: skip
            return None
        slug = self._slug(guid)
        if slug is None:
            return None
        return self.held.codes.get(slug, slug)

    def _slug(self, guid: str) -> str | None:
        if guid in self.slugs:
            return self.slugs[guid]
        chain = []
        at: str | None = guid
        while at is not None and at not in self.slugs:
            chain.append(at)
            at = self.project.codes[at].parent if at in self.project.codes else None
        for each in reversed(chain):
            self.slugs[each] = self._make(self.project.codes[each])
        return self.slugs[guid]

    def _make(self, entry: _CodeEntry) -> str | None:
        def problem(attribute: str, value: str, reason: str) -> None:
            self.problems.append(Problem(self.project.file, "codebook", f"code {shown(entry.name or entry.guid)}",
                                         shown(value), f"{attribute}: {reason}"))  # fmt: skip

        slug, refused = self.planned[entry.guid]
        if slug is None:
            if refused:
                problem(*refused)
            return None
        if slug in self.held.codes:
            return slug
        definition = entry.definition
        if definition:
            try:
                definition = values.passage(definition, DEFINITION_MAX)
            except ValueError as exc:
                problem("Description", definition, str(exc))
                return None
        if slug not in self.made:
            self.made.add(slug)
            self.new.append((slug, values.line(entry.name, NAME_MAX), definition))
        return slug


@access.requires("researcher")
def _write(
    con: duckdb.DuckDBPyConnection, file: str, plan: _Plan, seen: tuple[_Held, dict[tuple[Any, ...], int]]
) -> Imported:
    """Write the plan in one transaction with one audit entry, if the study is still as it was when
    the plan was made (notes, transcripts, teams, meetings, codes and codings); else nothing."""
    counts: dict[str, dict[str, int]] = {}
    held = seen[0]
    with db.transaction(con, meetings=None if plan.meetings else ()) as cur:
        if (_held(cur), _held_codings(cur)) != seen:
            raise ObservationError("the study changed while the project was being checked: import it again")
        study = None
        if plan.study and cur.execute("select count(*) from study").fetchone() == (0,):
            study = plan.study[0]
            cur.execute("insert into study (id, name, is_demo, description) values (1, ?, false, ?)", list(plan.study))
            counts["study"] = {"created": 1}
        team_ids = dict(held.teams)
        for key, details in plan.teams.items():
            team_ids[key] = db.insert_row(cur, "teams", details)
        notes: dict[tuple[str, dt.date, int], int] = {}
        meeting_ids: dict[tuple[str, dt.date], int] = {}
        for (team_key, date), made in plan.meetings.items():
            meeting_ids[(team_key, date)] = db.insert_row(cur, "meetings", {
                "team_id": team_ids[team_key], "meeting_date": date, "status": made["status"],
                "format": made["format"]})  # fmt: skip
            for note in made["notes"]:
                notes[(team_key, date, note["position"])] = db.insert_row(cur, "field_notes", {
                    "meeting_id": meeting_ids[(team_key, date)], "position": note["position"],
                    "minute": note["minute"], "author": note["author"], "written_at": note["written_at"],
                    "body": made["text"][note["start"] : note["end"]]})  # fmt: skip
        interview_ids: dict[str, int] = {}
        segment_ids: list[int] = []
        for code, fields in plan.interviews.items():
            team = fields["team"]
            interview_ids[code] = db.insert_row(cur, "interviews", {
                **{k: v for k, v in fields.items() if k not in ("team", "source")},
                "team_id": team_ids[team[1]] if isinstance(team, tuple) else team})  # fmt: skip
        code_ids = dict(held.codes)
        for slug, name, definition in plan.codes:
            parent = slug.rpartition(".")[0]
            parent_id = code_ids.get(parent) if parent else None
            fields = {"slug": slug, "parent_id": parent_id, "name": name, "definition": definition}
            code_ids[slug] = db.insert_row(cur, "codes", fields)
        for (kind, key), applied, coder, start, end in plan.segments:
            note_id = interview_id = None
            if kind == "note":
                note_id = key
            elif kind == "new note":
                note_id = notes[key]
            elif kind == "interview":
                interview_id = key
            else:
                interview_id = interview_ids[key]
            code_id = code_ids[applied] if isinstance(applied, str) else applied
            row = {"note_id": note_id, "interview_id": interview_id, "code_id": code_id, "coder": coder}
            segment_ids.append(db.insert_row(cur, "coded_segments", row | {"span_start": start, "span_end": end}))
        memos = 0
        for (kind, on), author, body, when in plan.memos:
            column: Literal["coding_id", "code_id"] = "code_id" if kind == "code" else "coding_id"
            if kind == "code":
                target = code_ids[on] if isinstance(on, str) else on
            else:
                target = segment_ids[on] if kind == "new coding" else on
            if cur.execute(f"select 1 from memos where {column} = ? and author = ?", [target, author]).fetchone():  # noqa: S608 - a column named here
                continue  # written meanwhile: the study's stays
            insert_memo(cur, column, target, author, body, when)
            memos += 1
        if memos:
            counts["memos"] = {"created": memos}
        integrity.require_intact(
            cur, ("teams", "meetings", "field_notes", "interviews", "codes", "coded_segments", "memos")
        )
        counts["coded_segments"] = {"created": len(plan.segments), "skipped": plan.skipped}
        for table, n in (("codes", len(plan.codes)), ("teams", len(plan.teams)), ("meetings", len(plan.meetings)),
                         ("field_notes", len(notes)), ("interviews", len(plan.interviews))):  # fmt: skip
            if n:
                counts[table] = {"created": n}
        audit.record(cur, "import", "coded_segments", file, after={"files": [file], "format": "qdpx", "counts": counts})
    return Imported(len(plan.segments), plan.skipped, len(plan.codes), len(plan.teams), len(plan.meetings),
                    len(notes), len(plan.interviews), tuple(plan.left_out), study, memos, plan.memos_held)  # fmt: skip
