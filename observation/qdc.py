"""The codebook in the REFI-QDA codebook format (.qdc), so it moves to and from NVivo, ATLAS.ti,
MAXQDA, QualCoder and Taguette.

Codes nest as in the codebook; a code's definition is its Description. The framework tags (COM-B
component, barrier or enabler, 4Pi domain) travel as Sets named like "COM-B: capability", which
those programs show as code sets. GUIDs are derived from each code's slug, so exporting twice gives
the same file and re-importing matches the same codes.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb

from observation import access, audit, db
from observation.errors import ObservationError
from observation.models import Code

NS = "urn:QDA-XML:codebook:1.0"
GUIDS = uuid.UUID("6f1c2a52-4a8e-4d6e-9d1f-2f0b8c6a7e10")  # namespace for slug-derived GUIDs
TAGS = {"com_b": "COM-B", "valence": "Barrier or enabler", "four_pi": "4Pi"}
MAX_BYTES = 5 * 2**20
MAX_DEPTH = 20
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
        for field, label in TAGS.items():
            if value := getattr(code, field):
                sets.setdefault(f"{label}: {value}", []).append(guid(code.slug))
    if sets:
        holder_sets = ET.SubElement(book, f"{{{NS}}}Sets")
        for name, members in sorted(sets.items()):
            group = ET.SubElement(holder_sets, f"{{{NS}}}Set", {"guid": str(uuid.uuid5(GUIDS, name)), "name": name})
            for member in members:
                ET.SubElement(group, f"{{{NS}}}MemberCode", {"targetGUID": member})
    ET.indent(book)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + bytes(ET.tostring(book, encoding="utf-8"))


@access.requires("researcher")
def export_codebook(con: duckdb.DuckDBPyConnection, out: Path) -> int:
    with db.cursor(con) as cur:
        result = cur.execute("select * from codes")
        names = [d[0] for d in result.description or ()]
        codes = [Code.model_validate(dict(zip(names, row, strict=True))) for row in result.fetchall()]
    Path(out).write_bytes(to_qdc(codes))
    return len(codes)


@access.requires("researcher")
def import_codebook(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Create or update the codes of a .qdc file (matched by slug), with their tags; all or nothing."""
    path = Path(path)
    if path.stat().st_size > MAX_BYTES:
        raise ObservationError(f"{path.name}: too large for a codebook")
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise ObservationError(f"{path.name}: not a REFI-QDA codebook ({exc})") from None
    if root.tag != f"{{{NS}}}CodeBook":
        raise ObservationError(f"{path.name}: not a REFI-QDA codebook (its root is {root.tag})")
    tags: dict[str, dict[str, str]] = {}
    for group in root.iter(f"{{{NS}}}Set"):
        label, _, value = group.get("name", "").partition(": ")
        field = next((f for f, name in TAGS.items() if name == label), None)
        for member in group.iter(f"{{{NS}}}MemberCode"):
            if field:
                tags.setdefault(member.get("targetGUID", ""), {})[field] = value.strip().lower()
    rows: list[tuple[str, str, str, dict[str, str]]] = []
    with db.cursor(con) as cur:
        known = {guid(slug): slug for (slug,) in cur.execute("select slug from codes").fetchall()}

    codes = root.find(f"{{{NS}}}Codes")
    # Walk the tree without recursion (a crafted file can nest deeply), parents before children.
    pending: list[tuple[ET.Element, str | None, int]] = [(codes if codes is not None else root, None, 0)]
    seen: dict[str, str] = {}
    while pending:
        element, parent_slug, depth = pending.pop(0)
        if depth > MAX_DEPTH:
            raise ObservationError(f"{path.name}: codes nest more than {MAX_DEPTH} deep")
        for child in element.findall(f"{{{NS}}}Code"):
            name = (child.get("name") or "").strip()
            if not name:
                raise ObservationError(f"{path.name}: a code without a name")
            own = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "code"
            # a code this study exported keeps its slug; another program's code gets one from its name
            slug = known.get(child.get("guid", "")) or (f"{parent_slug}.{own}" if parent_slug else own)
            if slug in seen:
                raise ObservationError(f"{path.name}: the codes {seen[slug]!r} and {name!r} would be the same code")
            seen[slug] = name
            description = child.find(f"{{{NS}}}Description")
            text = (description.text or "").strip() if description is not None else ""
            rows.append((slug, name, text, tags.get(child.get("guid", ""), {})))
            pending.append((child, slug, depth + 1))
    for _slug, name, _, tagged in rows:
        for field, value in tagged.items():
            if value not in ALLOWED[field]:
                raise ObservationError(
                    f"{path.name}: {name!r} has {TAGS[field]} {value!r}; use one of {', '.join(ALLOWED[field])}"
                )
    with db.transaction(con) as cur:
        for slug, name, definition, tagged in rows:
            parent = slug.rpartition(".")[0] or None
            parent_id = cur.execute("select id from codes where slug = ?", [parent]).fetchone() if parent else None
            values = [parent_id[0] if parent_id else None, name, definition,
                      tagged.get("com_b"), tagged.get("valence"), tagged.get("four_pi")]  # fmt: skip
            found = cur.execute("select id, name, definition from codes where slug = ?", [slug]).fetchone()
            if found is None:
                cur.execute(
                    "insert into codes (slug, parent_id, name, definition, com_b, valence, four_pi) "
                    "values (?, ?, ?, ?, ?, ?, ?)",
                    [slug, *values],
                )
                audit.record(cur, "create", "codes", f"slug={slug}", after={"name": name})
            else:
                current = cur.execute(
                    "select name, definition, com_b, valence, four_pi from codes where slug = ?", [slug]
                ).fetchone()
                wanted = (name, definition, tagged.get("com_b"), tagged.get("valence"), tagged.get("four_pi"))
                if current is not None and tuple(current) != wanted:
                    cur.execute(
                        "update codes set name = ?, definition = ?, com_b = ?, valence = ?, four_pi = ? where slug = ?",
                        [*wanted, slug],
                    )
                    audit.record(
                        cur, "change", "codes", f"slug={slug}", before={"name": current[0]}, after={"name": name}
                    )
        db.sync_sequences(cur)
        audit.record(cur, "import", "codes", str(path.name), after={"codes": len(rows)})
    return len(rows)
