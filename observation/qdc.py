"""The codebook in the REFI-QDA codebook format (.qdc), so it moves to and from NVivo, ATLAS.ti,
MAXQDA, QualCoder and Taguette.

Codes nest as in the codebook; a code's definition is its Description. The framework tags (COM-B
component, barrier or enabler, 4Pi domain) travel as Sets named like "COM-B: capability", which
those programs show as code sets. GUIDs are derived from each code's slug, so exporting twice gives
the same file and re-importing matches the same codes.

An import takes a code as the study takes one from a form or a spreadsheet (observation/models.py):
a name of one line, at most NAME_MAX characters, a slug as long, a definition of at most
DEFINITION_MAX, no control character in either. A file that breaks any rule, anywhere, is refused
whole, with every problem listed as FILE:CODE:ATTRIBUTE: 'value' — reason; an import that changes
nothing writes nothing, not even an audit entry. An export is audited.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

import duckdb

from observation import access, audit, db
from observation.errors import ObservationError
from observation.ingest import values
from observation.ingest.read import shown
from observation.models import CONTROL, DEFINITION_MAX, NAME_MAX, Code
from observation.notes import codebook

NS = "urn:QDA-XML:codebook:1.0"
GUIDS = uuid.UUID("6f1c2a52-4a8e-4d6e-9d1f-2f0b8c6a7e10")  # namespace for slug-derived GUIDs
TAGS = {"com_b": "COM-B", "valence": "Barrier or enabler", "four_pi": "4Pi"}
MAX_BYTES = 5 * 2**20
MAX_DEPTH = 20
_P = TypeVar("_P")  # the kind of problem a Refused lists
ALLOWED = {
    "com_b": ("capability", "opportunity", "motivation", "behaviour"),
    "valence": ("barrier", "enabler"),
    "four_pi": ("presence", "process", "impact"),
}


def guid(slug: str) -> str:
    return str(uuid.uuid5(GUIDS, slug))


def to_qdc(codes: list[Code]) -> bytes:
    """The codebook as a .qdc document."""
    ET.register_namespace("", NS)
    book = ET.Element(f"{{{NS}}}CodeBook", {"origin": "Microsystem involvement"})
    holder = ET.SubElement(book, f"{{{NS}}}Codes")
    elements: dict[int, ET.Element] = {}
    for code in sorted(codes, key=lambda c: c.slug):
        parent = elements.get(code.parent_id) if code.parent_id is not None else holder
        element = ET.SubElement(parent if parent is not None else holder, f"{{{NS}}}Code",
                                {"guid": guid(code.slug), "name": code.name, "isCodable": "true"})  # fmt: skip
        if code.definition:
            ET.SubElement(element, f"{{{NS}}}Description").text = code.definition
        elements[code.id] = element
    sets: dict[str, list[str]] = {}
    for code in codes:
        for field_, label in TAGS.items():
            if value := getattr(code, field_):
                sets.setdefault(f"{label}: {value}", []).append(guid(code.slug))
    if sets:
        holder_sets = ET.SubElement(book, f"{{{NS}}}Sets")
        for name, members in sorted(sets.items()):
            group = ET.SubElement(holder_sets, f"{{{NS}}}Set", {"guid": str(uuid.uuid5(GUIDS, name)), "name": name})
            for member in members:
                ET.SubElement(group, f"{{{NS}}}MemberCode", {"targetGUID": member})
    return document(book)


def document(root: ET.Element) -> bytes:
    """A REFI-QDA file's XML (a .qdc's codebook, a .qdpx's project.qde): indented, UTF-8, declared so."""
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + bytes(ET.tostring(root, encoding="utf-8"))


@access.requires("researcher")
def export_codebook(con: duckdb.DuckDBPyConnection, out: Path) -> int:
    """Write the codebook to ``out`` and audit it (action "export", the file, how many codes), in
    one transaction: a file that cannot be written leaves no audit entry. Returns how many codes."""
    out = Path(out)
    codes = [node.code for node in codebook(con)]
    payload = to_qdc(codes)
    try:
        with db.transaction(con, meetings=()) as cur:
            audit.record(cur, "export", "codes", str(out), after={"codes": len(codes)})
            out.write_bytes(payload)
    except OSError as exc:
        raise ObservationError(f"{out}: the codebook could not be written ({exc.strerror or exc})") from None
    return len(codes)


@dataclass(frozen=True)
class Problem:
    """One thing a .qdc file holds that the study would not take: the file, the code (its name, or
    its GUID when the name is the problem), the attribute, the value as shown and the reason."""

    file: str
    code: str
    attribute: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.code}:{self.attribute}: '{self.value}' — {self.reason}"


class Refused(ObservationError, Generic[_P]):
    """A REFI-QDA file refused whole; nothing was written. ``problems`` lists every one, each said
    on its line as FILE:WHERE:WHAT: 'value' — reason (a .qdc's Problem here, a .qdpx's in qdpx.py)."""

    def __init__(self, problems: list[_P]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was imported:\n" + "\n".join(map(str, problems)))


class CodebookProblems(Refused[Problem]):
    """The codebook was refused; nothing was written. ``problems`` lists every one in the file."""


@dataclass(frozen=True)
class Imported:
    """How many codes a .qdc file held, and how many of them the import created and changed;
    ``said`` puts it in words."""

    read: int
    created: int = 0
    changed: int = 0

    def said(self, source: Path | str) -> str:
        if not (self.created or self.changed):
            return f"Read {self.read} codes from {source}; nothing changed (the study holds them as they are)."
        return f"Read {self.read} codes from {source}: {self.created} created, {self.changed} changed."


@dataclass(frozen=True)
class _Entry:
    slug: str
    name: str
    definition: str
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def wanted(self) -> tuple[str, str, str | None, str | None, str | None]:
        return (self.name, self.definition, self.tags.get("com_b"), self.tags.get("valence"), self.tags.get("four_pi"))


def _parse(path: Path) -> ET.Element:
    """The file's root element; a file that is not XML one ObservationError, on one line."""
    if path.is_dir():
        raise ObservationError(f"{path.name}: a folder, not a REFI-QDA codebook")
    if not path.is_file():
        raise ObservationError(f"{path.name}: no such file")
    if not (size := path.stat().st_size):
        raise ObservationError(f"{path.name}: the file is empty, not a REFI-QDA codebook")
    if size > MAX_BYTES:
        raise ObservationError(f"{path.name}: too large for a codebook (at most {MAX_BYTES // 2**20} MB)")
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as exc:
        line, column = exc.position
        raise ObservationError(
            f"{path.name}:{line}:{column + 1}: not a REFI-QDA codebook ({_why(path, exc)})"
        ) from None
    except (OSError, LookupError, ValueError) as exc:  # unreadable, or an encoding Python does not know
        raise ObservationError(f"{path.name}: not a REFI-QDA codebook ({exc})") from None


def _why(path: Path, exc: ET.ParseError) -> str:
    """The parser's reason, with a control character (which XML cannot hold) said as one."""
    reason = str(exc).rpartition(":")[0] or str(exc)
    line, column = exc.position
    try:
        text = re.split(r"\r\n|\r|\n", path.read_bytes().decode("utf-8"))[line - 1][column:]
    except (UnicodeDecodeError, IndexError):
        return reason
    if (bad := CONTROL.match(text)) or (bad := re.match(r"&#(?:x[0-9a-fA-F]+|[0-9]+);", text)):
        return f"it holds a control character ({shown(bad[0])}), not text; paste it again as plain text"
    return reason


def slug_part(name: str, guid: str) -> str:
    """A code's own part of its slug, from its name: letters as ASCII where they have one (présence:
    presence; Ζωή: nothing), every other run of characters one underscore; when nothing is left (a
    name in Chinese, Greek or Arabic script, or of signs only), code_ and six hex digits of a hash
    of the code's GUID, so it stays the same from one import to the next."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    own = re.sub(r"[^a-z0-9]+", "_", ascii_).strip("_")
    return own or f"code_{hashlib.sha256(guid.encode('utf-8')).hexdigest()[:6]}"


@access.requires("researcher")
def import_codebook(con: duckdb.DuckDBPyConnection, path: Path) -> Imported:
    """Create or update the codes of a .qdc file (matched by slug), with their tags; all or nothing.
    Every code is held to the study's rules (see the module); the problems found are all raised at
    once as CodebookProblems. An import that changes nothing writes nothing."""
    path = Path(path)
    root = _parse(path)
    if root.tag != f"{{{NS}}}CodeBook":
        raise ObservationError(f"{path.name}: not a REFI-QDA codebook (its root is {shown(root.tag)})")
    tags: dict[str, dict[str, str]] = {}
    for group in root.iter(f"{{{NS}}}Set"):
        label, _, value = group.get("name", "").partition(": ")
        found = next((f for f, name in TAGS.items() if name == label), None)
        for member in group.iter(f"{{{NS}}}MemberCode"):
            if found:
                tags.setdefault(member.get("targetGUID", ""), {})[found] = value.strip().lower()
    with db.cursor(con) as cur:
        known = {guid(slug): slug for (slug,) in cur.execute("select slug from codes").fetchall()}

    problems: list[Problem] = []

    def problem(code: str, attribute: str, value: str, reason: str) -> None:
        problems.append(Problem(path.name, code, attribute, shown(value), reason))

    rows: list[_Entry] = []
    codes = root.find(f"{{{NS}}}Codes")
    # Walk the tree in file order without recursion (a crafted file can nest deeply), each code
    # before its children; a code whose name is refused has no slug worth checking, nor have they.
    top = codes if codes is not None else root
    pending: list[tuple[ET.Element, str | None, int, bool]] = [
        (child, None, 1, True) for child in reversed(top.findall(f"{{{NS}}}Code"))
    ]
    seen: dict[str, str] = {}
    number = 0
    while pending:
        element, parent_slug, depth, sound = pending.pop()
        if depth > MAX_DEPTH:
            raise ObservationError(f"{path.name}: codes nest more than {MAX_DEPTH} deep")
        number += 1
        given = element.get("guid", "")
        written = element.get("name") or ""
        try:
            name = values.line(written, NAME_MAX)
            row, named = shown(name), True
        except ValueError as exc:
            name, named = written.strip(), False
            row = f"guid {shown(given)}" if given else f"code {number}"
            problem(row, "name", written, str(exc))
        own = slug_part(name, given.strip("{}").lower() or name)
        # a code this study exported keeps its slug; another program's code gets one from its name
        slug = known.get(given) or (f"{parent_slug}.{own}" if parent_slug else own)
        checked = named and sound
        if checked and len(slug) > NAME_MAX:
            problem(row, "slug", slug, f"{len(slug):,} characters; at most {NAME_MAX:,} (a slug is made from "
                    "the names of the code and its parents: shorten them, or nest it less deep)")  # fmt: skip
        elif checked and slug in seen:
            problem(row, "name", name, f"would be the same code as '{shown(seen[slug])}' (both {shown(slug)})")
        elif checked:
            seen[slug] = name
        description = element.find(f"{{{NS}}}Description")
        text = (description.text or "").strip() if description is not None else ""
        if text:
            try:
                text = values.passage(text, DEFINITION_MAX)
            except ValueError as exc:
                problem(row, "Description", text, str(exc))
        tagged = tags.get(given, {})
        for field_, value in tagged.items():
            if value not in ALLOWED[field_]:
                problem(row, TAGS[field_], value, f"not a {TAGS[field_]} tag; use one of {', '.join(ALLOWED[field_])}")
        rows.append(_Entry(slug, name, text, tagged))
        pending += [(child, slug, depth + 1, checked) for child in reversed(element.findall(f"{{{NS}}}Code"))]
    if problems:
        raise CodebookProblems(problems)
    with db.cursor(con) as cur:
        if not _differences(cur, rows):
            return Imported(len(rows))  # nothing to write (an import that changes nothing is not audited)
    created = changed = 0
    with db.transaction(con) as cur:
        for entry, current in _differences(cur, rows):
            if current is None:
                parent = entry.slug.rpartition(".")[0] or None
                parent_id = cur.execute("select id from codes where slug = ?", [parent]).fetchone() if parent else None
                cur.execute(
                    "insert into codes (slug, parent_id, name, definition, com_b, valence, four_pi) "
                    "values (?, ?, ?, ?, ?, ?, ?)",
                    [entry.slug, parent_id[0] if parent_id else None, *entry.wanted],
                )
                audit.record(cur, "create", "codes", f"slug={entry.slug}", after={"name": entry.name})
                created += 1
            else:
                cur.execute(
                    "update codes set name = ?, definition = ?, com_b = ?, valence = ?, four_pi = ? where slug = ?",
                    [*entry.wanted, entry.slug],
                )
                audit.record(
                    cur,
                    "change",
                    "codes",
                    f"slug={entry.slug}",
                    before={"name": current[0]},
                    after={"name": entry.name},
                )
                changed += 1
        if created or changed:  # another writer may have made the same changes in the meantime
            db.sync_sequences(cur)
            audit.record(
                cur, "import", "codes", path.name, after={"codes": len(rows), "created": created, "changed": changed}
            )
    return Imported(len(rows), created, changed)


def _differences(cur: duckdb.DuckDBPyConnection, rows: list[_Entry]) -> list[tuple[_Entry, tuple[object, ...] | None]]:
    """The codes of ``rows`` the study does not hold as they are, parents first, each with what the
    study holds (None for a code it does not have)."""
    held = {
        slug: tuple(rest)
        for slug, *rest in cur.execute("select slug, name, definition, com_b, valence, four_pi from codes").fetchall()
    }
    return [(entry, held.get(entry.slug)) for entry in rows if held.get(entry.slug) != entry.wanted]
