"""Importing observations from spreadsheets: every problem in every file reported as
``FILE:ROW:COLUMN: value — reason``, and all files written in one transaction or not at all.

Kinds of file, recognised from their headers (or named): one row per record for each table
(teams, participants, meetings, attendance, contributions, field_notes, codes, coded_segments,
recruitment_events, annotations), one row per answer to the experience questionnaire
(**feedback**, see ingest.feedback) and one row per change in the **impact** log, the attendance
**register** researchers keep: one row per person (team, participant, role) and one column per
meeting date, and an **interview manifest**: one row per interview (file, team, date, informant
code and group) naming its transcript, a .txt, .md or .docx file given with it (see
ingest.transcripts). Rows are matched to the study
by their natural keys (a team's name, a participant's code, a team and date for a meeting, an
informant's code...), so importing the same file again changes nothing. Contributions, where two
identical rows are two contributions, are matched as a multiset (see ingest.contributions).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, cast

import duckdb
from pydantic import TypeAdapter, ValidationError

from observation import access, audit, db, integrity, labels, record
from observation.errors import ObservationError
from observation.ingest import bulk, headers, transcripts
from observation.ingest import contributions as live
from observation.ingest import feedback as answered
from observation.ingest import values as v
from observation.ingest.read import Problem, Sheet, Unreadable, normalise, read_sheet, shown
from observation.models import DEFINITION_MAX, LABEL_MAX, NAME_MAX, NOTE_MAX, PERSON_MAX, ParticipantCode

# The words a file may use for each value (its stored value is always accepted too): the words the
# pages use (observation.labels), except where a file's short word is kept (formats, categories).
SETTINGS = {value: words.lower() for value, words in labels.SETTINGS.items()}
STATUSES = labels.MEETING_STATUSES
FORMATS = {"ward": "ward", "service_base": "service base", "home": "home", "virtual": "virtual", "other": "other"}
STAGES = {value: words.lower() for value, words in labels.RECRUITMENT_STAGES.items()}
ATTENDANCE = {value: words for value, words in labels.ATTENDANCE.items() if value != labels.NOT_EXPECTED}
CONTRIBUTIONS = labels.CONTRIBUTIONS
IMPACT_KINDS = {kind: kind.replace("_", " ") for kind in labels.IMPACT_KINDS}
"""A change's kind in a file's short words (the impact log's own words, labels.IMPACT_KINDS, are read too)."""
ORIGINS = {origin: origin.replace("_", " ") for origin in labels.IMPACT_ORIGINS}
"""Whom a change's idea came from, in a file's short words (the impact log's own are read too)."""
CATEGORIES = {
    c: c.replace("_", " ") for c in ("home_meetings", "qi_training", "recruitment_drive", "service_change", "other")
}
COM_B = {c: c for c in ("capability", "opportunity", "motivation", "behaviour")}
VALENCE = {"barrier": "barrier", "enabler": "enabler"}
FOUR_PI = {"presence": "presence", "process": "process", "impact": "impact"}
GROUPS: dict[str, tuple[str, ...]] = {
    "leader_manager": ("leaders and managers", "leader or manager", "leader and manager", "leaders", "leader",
                       "managers", "manager"),
    "frontline_staff": ("front-line staff", "front-line staff member"),
    "service_user": ("service users", "service user"),
    "carer": ("carers", "carer"),
}  # fmt: skip
"""The words a manifest may use for each informant group (its stored value is accepted too), the
first as the message names it: in any case, with or without hyphens and spaces ("frontline staff")."""
_CODE = TypeAdapter(ParticipantCode)


def slug(text: str) -> str:
    value = v.line(text, NAME).lower()
    if not re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)*", value):
        raise ValueError("a code's slug is lower-case words joined by '_', with '.' before a child: theme.child_code")
    return value


NAME, PERSON, LABEL, DEFINITION, NOTE = NAME_MAX, PERSON_MAX, LABEL_MAX, DEFINITION_MAX, NOTE_MAX
CHANGE = 2_000
"""The longest description of a change in the impact log (models.ChangeDescription)."""


def one_line(most: int) -> Callable[[str], str]:
    return lambda text: v.line(text, most)


def informant_group(text: str) -> str:
    """An informant group, in the words of GROUPS or as stored, in any case and spacing."""
    wanted = re.sub(r"[\s_-]+", "", text.strip().lower())
    for group, words in GROUPS.items():
        if wanted in {re.sub(r"[\s_-]+", "", w) for w in (group, *words)}:
            return group
    raise ValueError(f"not a known informant group; use one of: {', '.join(w[0] for w in GROUPS.values())}")


def minutes(text: str) -> int:
    return v.whole(text, 1, 480)


def _either(text: str, short: dict[str, str], words: dict[str, str], what: str) -> str:
    """One of ``short``'s values (code -> a file's short word), read as a short word, as stored or
    in the pages' ``words``, in any case."""
    for options in (short, words):
        with contextlib.suppress(ValueError):
            return v.choice(text, options, what)
    raise ValueError(f"not a known {what}; use one of: {', '.join(short.values())} (or the impact log's words: "
                     f"{', '.join(words.values())})")  # fmt: skip


def change_kind(text: str) -> str:
    return _either(text, IMPACT_KINDS, labels.IMPACT_KINDS, "kind of change")


def origin(text: str) -> str:
    return _either(text, ORIGINS, labels.IMPACT_ORIGINS, "origin (whom the idea came from)")


def happened(text: str) -> dt.date:
    """A change's date: in the study's window (``values.date``), and not after today."""
    day = v.date(text)
    if day > dt.date.today():
        raise ValueError("after today: log a change once it has happened")
    return day


def code(text: str) -> str:
    try:
        return _CODE.validate_python(text.strip().upper())
    except ValidationError:
        raise ValueError("not a pseudonymous code (letters, digits, '-' or '_', with at least one digit)") from None


class ImportProblems(ObservationError):
    """The import was refused; nothing was written. ``problems`` lists every one, in every file."""

    def __init__(self, problems: list[Problem], unrecognised: Sequence[str] = ()) -> None:
        self.problems, self.unrecognised = problems, tuple(unrecognised)
        """The files whose kind their headers did not tell (a plan or --kind can say it)."""
        super().__init__(f"{len(problems)} problem(s); nothing was imported:\n" + "\n".join(map(str, problems)))


@dataclass(frozen=True)
class Change:
    """One value an import changes in the study: which record (by what people call it), which
    column, and the value before and after."""

    table: str
    record: str
    column: str
    before: str
    after: str


SHOWN_CHANGES = bulk.SHOWN_CHANGES
"""The most changes an outcome lists (each is in the audit trail whatever their number)."""


@dataclass
class Outcome:
    """What an import did (or, in a dry run, would do) per table: created, changed, skipped."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    read_as: dict[str, str] = field(default_factory=dict)
    """Each file's kind, and its headers that were read under another name: "meetings (Date of
    meeting as date)"."""
    ignored: dict[str, list[str]] = field(default_factory=dict)
    """Each file's headers that no column of its kind reads: left out, and said."""
    changes: list[Change] = field(default_factory=list)
    """The values the import changes (up to SHOWN_CHANGES), so none is overwritten unseen."""

    def change(self, table: str, record: str, column: str, before: object, after: object) -> None:
        if len(self.changes) < SHOWN_CHANGES:
            self.changes.append(Change(table, record, column, _as_text(before), _as_text(after)))

    def count(self, table: str, what: str) -> None:
        self.counts.setdefault(table, Counter())[what] += 1

    @property
    def changed(self) -> bool:
        return any(c["created"] or c["changed"] for c in self.counts.values())

    def lines(self) -> list[str]:
        return [
            *(f"{file}: read as {kind}" for file, kind in self.read_as.items()),
            *(f"{file}: not imported, no column of its kind reads {', '.join(h)}" for file, h in self.ignored.items()),
            *(
                f"{table}: {c['created']} created, {c['changed']} changed, {c['skipped']} unchanged"
                for table, c in self.counts.items()
            ),
            *(f"  {c.table}, {c.record}: {c.column} {c.before} → {c.after}" for c in self.changes),
        ]


def _as_text(value: object) -> str:
    """A value as a change shows it: a date as 31/01/2020, yes/no, nothing as "(none)"."""
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return shown(str(value))


# --- kinds of file --------------------------------------------------------------------------------

Parser = Callable[[str], Any]


@dataclass(frozen=True)
class Kind:
    name: str
    required: dict[str, Parser]
    optional: dict[str, Parser] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.required, *self.optional)


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("teams", {"name": one_line(NAME), "service": one_line(NAME),
                       "setting": lambda s: v.choice(s, SETTINGS, "setting"), "start_date": v.date},
             {"coach": one_line(254)}),
        Kind("participants", {"code": code, "team": one_line(NAME), "role": one_line(NAME)},
             {"qi_trained": v.boolean}),
        Kind("meetings", {"team": one_line(NAME), "date": v.date,
                          "status": lambda s: v.choice(s, STATUSES, "status")},
             {"format": lambda s: v.choice(s, FORMATS, "format"), "duration_minutes": minutes,
              "action_items": lambda s: v.whole(s, 0, 1_000), "evaluated": v.boolean}),
        Kind("attendance", {"team": one_line(NAME), "date": v.date, "participant": code,
                            "status": lambda s: v.choice(s, ATTENDANCE, "attendance status")},
             {"participation": lambda s: v.choice(s, v.LEVELS, "participation level")}),
        Kind("contributions", {"team": one_line(NAME), "date": v.date, "minute": lambda s: v.whole(s, 0, 480),
                               "participant": code,
                               "kind": lambda s: v.choice(s, CONTRIBUTIONS, "kind of contribution"),
                               "observer": one_line(PERSON)}),
        Kind("feedback", {"team": one_line(NAME), "date": v.date, "participant": code, "item": one_line(NAME),
                          "answer": answered.answer},
             {"via": lambda s: v.choice(s, answered.VIA, "way the answer came")}),
        Kind("field_notes", {"team": one_line(NAME), "date": v.date, "position": lambda s: v.whole(s, 1, 10_000),
                             "author": one_line(PERSON), "body": lambda s: v.passage(s, NOTE)},
             {"minute": lambda s: v.whole(s, 0, 1_440)}),
        Kind("codes", {"slug": slug, "name": one_line(NAME)},
             {"definition": lambda s: v.passage(s, DEFINITION),
              "com_b": lambda s: v.choice(s, COM_B, "COM-B component"),
              "valence": lambda s: v.choice(s, VALENCE, "barrier or enabler"),
              "four_pi": lambda s: v.choice(s, FOUR_PI, "4Pi domain")}),
        Kind("coded_segments", {"team": one_line(NAME), "date": v.date, "position": lambda s: v.whole(s, 1, 10_000),
                                "code": one_line(NAME), "coder": one_line(PERSON)}),
        Kind("recruitment_events", {"participant": code, "stage": lambda s: v.choice(s, STAGES, "stage"),
                                    "date": v.date}, {"reason": one_line(NAME)}),
        Kind("annotations", {"date": v.date, "label": one_line(LABEL)},
             {"team": one_line(NAME), "category": lambda s: v.choice(s, CATEGORIES, "category")}),
        Kind("impact", {"team": one_line(NAME), "date": happened, "kind": change_kind,
                        "description": lambda s: v.passage(s, CHANGE), "origin": origin},
             {"meeting_date": v.date}),
        Kind("interviews", {"file": transcripts.file_name, "date": v.date, "informant_code": code,
                            "informant_group": informant_group}, {"team": one_line(NAME)}),
    )
}  # fmt: skip
REGISTER = "register"
KIND_NAMES = (*KINDS, REGISTER)
MEETING_PARTS = {"meetings", "attendance", "field_notes"}
ORDER = ("teams", "codes", "participants", "meetings", "attendance", "contributions", "feedback", "field_notes",
         "coded_segments", "recruitment_events", "annotations", "impact", "interviews")  # fmt: skip
TABLES_OF: dict[str, tuple[str, ...]] = {"feedback": ("feedback_responses", "feedback_items"),
                                         "impact": ("impact_entries",)}  # fmt: skip
"""The tables a kind writes, where they are not the table of its name (an outcome counts a kind's rows)."""
INTERVIEWS = "interviews"
KIND_WORDS: dict[str, str] = {INTERVIEWS: "interviews", **labels.TABLES}
"""Each kind of file in words, as labels.TABLES names the others."""
KIND_ROWS: dict[str, str] = {
    INTERVIEWS: "a manifest, one row per interview naming its transcript (.txt, .md or .docx)",
    **labels.TABLE_ROWS,
}
"""What each kind of file holds, as labels.TABLE_ROWS says it for the others."""


REGISTER_COLUMNS = ("team", "participant", "role")
KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "teams": (("name",), "team (by name, in any case)"),
    "participants": (("code",), "participant code"),
    "meetings": (("team", "date"), "meeting (team and date)"),
    "field_notes": (("team", "date", "position"), "note (team, date and position)"),
    "codes": (("slug",), "code (slug)"),
    "coded_segments": (("team", "date", "position", "code", "coder"), "coding (team, date, position, code, coder)"),
    "recruitment_events": (("participant", "stage", "date"), "recruitment step (participant, stage and date)"),
    "annotations": (("team", "date", "label"), "event (team, date and label)"),
    "impact": (("team", "date", "description"), "change (team, date and description)"),
    "interviews": (("informant_code",), "informant (code)"),
    REGISTER: (("participant",), "participant"),
}
"""What makes a row the same record as another, per kind (attendance: see ingest.bulk; feedback:
ingest.feedback; contributions have none, see ingest.contributions): the same key twice in one
import is a problem naming both rows, never "the last row wins"."""


def columns_of(kind: str) -> tuple[str, ...]:
    """The columns a file of ``kind`` may have, required first (a register: then one per date)."""
    return REGISTER_COLUMNS if kind == REGISTER else KINDS[kind].columns


def required_of(kind: str) -> tuple[str, ...]:
    return REGISTER_COLUMNS if kind == REGISTER else tuple(KINDS[kind].required)


@dataclass(frozen=True)
class Plan:
    """How to read one file, chosen by hand: its kind and which column each header is
    (normalised header -> column; "" leaves a header out)."""

    kind: str
    columns: Mapping[str, str]


class UnknownKind(ObservationError):
    """No kind of file has all its required columns among these headers (or more than one has)."""

    def __init__(self, file: str, headers: Sequence[str], reason: str) -> None:
        self.file, self.headers, self.reason = file, tuple(headers), reason
        super().__init__(f"{file}: {reason}")


@dataclass(frozen=True)
class Reading:
    """A file as it will be read: its kind and which column each header is."""

    sheet: Sheet
    kind: str
    match: headers.Match

    @property
    def named(self) -> dict[str, str]:
        """Headers as written that are read under another name -> the column."""
        written = dict(zip(self.sheet.columns, self.sheet.headers, strict=True))
        return {written[h]: c for h, c in self.match.columns.items() if h != c}

    @property
    def left_out(self) -> list[str]:
        """Headers as written that no column reads (a register's date columns are read), and a
        workbook's hidden sheets."""
        dates = {c for c, _, _ in _date_columns(self.sheet)} if self.kind == REGISTER else set()
        return [*(shown(w) for c, w in zip(self.sheet.columns, self.sheet.headers, strict=True)
                  if w and c not in self.match.columns and c not in dates),
                *(f"the hidden sheet {shown(name)}" for name in self.sheet.hidden)]  # fmt: skip

    @property
    def doubles(self) -> list[Problem]:
        """A header left out that is another name for a column another header already is: its
        values would be lost if they differ, so it is a problem (keep one of the two)."""
        read = {c: h for h, c in self.match.columns.items()}
        written = dict(zip(self.sheet.columns, self.sheet.headers, strict=True))
        return [
            Problem(self.sheet.name, 1, written[h], written[h],
                    f"another name for {column}, which {written[read[column]]} already is; keep one of the two")
            for h in self.sheet.columns if h not in self.match.columns and h not in self.match.dropped
            for column in read if h in headers.names(self.kind, column)[1:]
        ]  # fmt: skip

    def renamed(self) -> Sheet:
        """The sheet with each header named as the column it is read as (another header that has
        a column's own name, but is not read as it, is set aside)."""
        taken = set(self.match.columns.values())
        names = [self.match.columns.get(c) or (f"~{c}" if c in taken else c) for c in self.sheet.columns]
        return replace(self.sheet, columns=tuple(names), table=self.sheet.table.rename_columns(names))

    def column_written(self, column: str) -> str:
        """The header as the file wrote it for ``column`` (for messages)."""
        for header, written in zip(self.sheet.columns, self.sheet.headers, strict=True):
            if self.match.columns.get(header) == column:
                return written
        return column


def expected() -> str:
    """Each kind's required columns, for a message."""
    return "; ".join(f"{k}: {', '.join(required_of(k))}" for k in KIND_NAMES)


def read(sheet: Sheet, kind: str | None = None, plan: Plan | None = None) -> Reading:
    """How ``sheet`` reads: as ``plan`` says, or as ``kind``, or as the kind its headers tell."""
    named = plan.kind if plan is not None else kind
    if named is not None and named not in KIND_NAMES:
        raise UnknownKind(sheet.name, sheet.headers, f"unknown kind {named!r}; use one of: {', '.join(KIND_NAMES)}")
    if plan is not None:
        try:
            return Reading(sheet, plan.kind, headers.given(plan.columns, sheet.columns, columns_of(plan.kind)))
        except ValueError as exc:
            raise UnknownKind(sheet.name, sheet.headers, str(exc)) from None
    if kind is not None:
        return Reading(sheet, kind, headers.match(kind, columns_of(kind), sheet.columns))
    register = headers.match(REGISTER, REGISTER_COLUMNS, sheet.columns)
    if not register.missing(REGISTER_COLUMNS) and _date_columns(sheet):
        return Reading(sheet, REGISTER, register)
    # the most specific kind whose required columns are all there (attendance over meetings)
    found = [(len(k.required), k.name, m) for k in KINDS.values()
             if not (m := headers.match(k.name, k.columns, sheet.columns)).missing(k.required)]  # fmt: skip
    best = [f for f in found if f[0] == max(found)[0]] if found else []
    if len(best) == 1:
        return Reading(sheet, best[0][1], best[0][2])
    clashes = [f"{column} (could be {' or '.join(h)})" for k in KINDS.values()
               for column, h in headers.match(k.name, k.columns, sheet.columns).clashes]  # fmt: skip
    why = f"; more than one header could be {', '.join(dict.fromkeys(clashes))}" if clashes else ""
    raise UnknownKind(
        sheet.name,
        sheet.headers,
        f"cannot tell what kind of file this is from its headers ({', '.join(map(shown, sheet.headers))}){why}. "
        f"Each kind needs these columns (other usual names are understood too): {expected()}",
    )


def _date_columns(sheet: Sheet) -> list[tuple[str, str, dt.date]]:
    """A register's meeting-date columns: (column, header as written, date)."""
    found = []
    for column, header in zip(sheet.columns, sheet.headers, strict=True):
        try:
            found.append((column, header, v.day(header)))
        except ValueError:
            continue
    return found


# --- importing ------------------------------------------------------------------------------------


@access.requires("researcher")
def import_files(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    *,
    kind: str | None = None,
    dry_run: bool = False,
    names: Sequence[str] | None = None,
    plans: Sequence[Plan | None] | None = None,
    progress: Progress | None = None,
    beside: bool = True,
) -> Outcome:
    """Import ``paths`` in one transaction. Any problem in any file: nothing is written and
    ImportProblems lists them all, in every file (a file that cannot be read at all is one
    problem, and the others are still checked). ``kind`` names the kind of every file, ``plans``
    (one per file, or None) how to read each; otherwise the headers tell. ``dry_run`` reports
    what would happen and writes nothing. ``progress`` hears the share of rows read so far (0
    to 1) and where, now and then.

    Among ``paths``, the transcripts (.txt, .md, .docx) are the files an interview manifest
    names, matched by name; with ``beside`` (the command line) a manifest's transcripts are
    also found in its folder, without it (an upload) only among ``paths``."""
    readings: list[Reading] = []
    problems: list[Problem] = []
    unrecognised: list[str] = []
    files = transcripts.Files(beside=beside)
    given: dict[str, Path] = {}
    folders: dict[str, Path] = {}
    for i, path in enumerate(paths):
        label = names[i] if names else Path(path).name
        if transcripts.is_transcript(label):
            if Path(path).is_file():
                given[label] = Path(path)
            else:
                problems.append(Problem(label, 0, "", "", "no such file"))
            continue
        folders[label] = Path(path).parent
        try:
            readings.append(read(read_sheet(Path(path), label), kind, plans[i] if plans else None))
        except Unreadable as exc:
            problems.append(exc.problem)
        except UnknownKind as exc:
            problems.append(Problem(exc.file, 1, "", ", ".join(map(shown, exc.headers)), exc.reason))
            unrecognised.append(exc.file)
        except ObservationError as exc:
            problems.append(Problem(label, 0, "", "", str(exc).removeprefix(f"{label}: ")))
    files.given, files.folders = given, folders
    outcome = Outcome(files=[r.sheet.name for r in readings])
    for r in readings:
        named = ", ".join(f"{shown(w)} as {c}" for w, c in r.named.items())
        outcome.read_as[r.sheet.name] = f"{r.kind} ({named})" if named else r.kind
        if r.left_out:
            outcome.ignored[r.sheet.name] = r.left_out
    with db.WRITES:  # one write at a time in this process (see observation.db)
        try:
            return _import(con, readings, problems, outcome, dry_run, progress, files)
        except ImportProblems as exc:
            raise ImportProblems(exc.problems, unrecognised) from None


@access.requires("researcher")
def _import(
    con: duckdb.DuckDBPyConnection,
    readings: list[Reading],
    problems: list[Problem],
    outcome: Outcome,
    dry_run: bool,
    progress: Progress | None,
    files: transcripts.Files,
) -> Outcome:
    cur = db.cursor(con)
    try:
        db.begin(cur)
        sheets = [r.renamed() for r in readings]
        for sheet, reading in zip(sheets, readings, strict=True):
            problems += [*sheet.problems, *reading.doubles]
        writer = _Writer(cur, outcome, problems, _Tally(sum(s.table.num_rows for s in sheets), progress), files)
        for table in ORDER:
            for sheet, reading in zip(sheets, readings, strict=True):
                if reading.kind == table:
                    writer.rows(sheet, KINDS[table])
                elif reading.kind == REGISTER and table == "attendance":
                    writer.register(sheet, reading.match.dropped)
        named = {PurePosixPath(row.get("file", "").replace("\\", "/")).name for sheet, reading in
                 zip(sheets, readings, strict=True) if reading.kind == INTERVIEWS for row in sheet.rows}  # fmt: skip
        problems += [Problem(name, 0, "", "", "no interview manifest names this transcript: add a row for it to "
                             "the manifest, or leave the file out") for name in files.unnamed(named)]  # fmt: skip
        if problems:
            raise ImportProblems(_as_written(problems, readings))
        # a preview must refuse what the import would; an import deletes nothing, so only the
        # references of the attendance rows it wrote (perhaps millions) are checked, of that table
        touched = {t for kind in outcome.counts for t in TABLES_OF.get(kind, (kind,))}
        integrity.require_intact(cur, touched, {"attendance": "_imported_attendance"})
        if dry_run or not outcome.changed:
            cur.execute("rollback")  # nothing to write (an import that changed nothing is not audited)
            return outcome
        db.sync_sequences(cur)
        writer.bump_versions()
        audit.record(
            cur, "import", after={"files": outcome.files, "counts": {t: dict(c) for t, c in outcome.counts.items()}}
        )
        db.keep_meeting_facts(cur, writer.facts_of())
        cur.execute("commit")
        return outcome
    except duckdb.Error as exc:
        _rollback(cur)
        raise ObservationError(f"nothing was imported: {db.said(exc)}") from None
    except BaseException:
        _rollback(cur)
        raise
    finally:
        cur.close()


def _as_written(problems: list[Problem], readings: list[Reading]) -> list[Problem]:
    """Every problem in file and row order, one a cell, its column named as the file wrote the
    header and its value shown readably (control characters visible, a long value cut with its
    length)."""
    by_file = {r.sheet.name: r for r in readings}
    out, seen = [], set()
    for p in problems:
        if (p.file, p.row, p.column) in seen:
            continue  # one problem a cell: the first found (a cell the file cannot give, before its value)
        seen.add((p.file, p.row, p.column))
        reading = by_file.get(p.file)
        column = reading.column_written(p.column) if reading is not None else p.column
        out.append(Problem(p.file, p.row, column, shown(p.value), p.reason))
    return sorted(out, key=lambda p: (p.file, p.row))


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    """Roll back, unless DuckDB already ended the transaction (a failed commit does)."""
    with contextlib.suppress(duckdb.Error):
        cur.execute("rollback")


def _present(row: dict[str, Any], *columns: str) -> dict[str, Any]:
    """The values of ``columns`` that the file has (a column it lacks changes nothing)."""
    return {c: row[c] for c in columns if c in row}


Progress = Callable[[float, str], object]
"""Told the share of rows read (0 to 1) and which file and row: ``progress(0.25, "register.xlsx, row 40")``."""


class _Tally:
    """Counts rows as they are read and tells ``progress`` at every whole percent."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total, self.progress, self.read, self.told = max(total, 1), progress, 0, -1

    def row(self, sheet: Sheet, number: int, count: int = 1) -> None:
        self.read += count
        percent = self.read * 100 // self.total
        if self.progress is not None and percent > self.told:
            self.told = percent
            self.progress(min(self.read / self.total, 1.0), f"{sheet.name}, row {number} of {sheet.table.num_rows + 1}")


class _Writer:
    def __init__(
        self,
        cur: duckdb.DuckDBPyConnection,
        outcome: Outcome,
        problems: list[Problem],
        tally: _Tally,
        files: transcripts.Files | None = None,
    ) -> None:
        self.cur, self.outcome, self.problems, self.tally = cur, outcome, problems, tally
        self.files = files if files is not None else transcripts.Files()
        self.roles = dict(cur.execute("select code, label from role_categories order by sort_order").fetchall())
        self.touched: set[int | None] = set()
        self.seen: dict[tuple[str, tuple[object, ...]], tuple[str, int]] = {}
        cur.execute(bulk.IMPORTED)

    def twice(self, sheet: Sheet, number: int, kind: str, key: tuple[object, ...], value: str) -> bool:
        """True (and a problem naming both rows) when a row of this import already had ``key``."""
        first = self.seen.setdefault((kind, key), (sheet.name, number))
        if first == (sheet.name, number):
            return False
        columns, what = KEYS[kind]
        where = f"row {first[1]}" + ("" if first[0] == sheet.name else f" of {first[0]}")
        self.problem(sheet, number, columns[0], value, f"the same {what} as {where}; keep one row")
        return True

    def bump_versions(self) -> None:
        """Meetings this import wrote to get a new version, so a Record page opened before the
        import refuses to save over it."""
        record.bump_versions(self.cur, sorted(self.written()), f"import by {audit.actor()}")

    def facts_of(self) -> set[int] | None:
        """The meetings whose facts this import can have changed (meeting_facts counts a meeting's
        attendance by its people's roles): those it wrote to, or every one (None) when it changed
        a participant."""
        if self.outcome.counts.get("participants", Counter())["changed"]:
            return None
        return self.written()

    def written(self) -> set[int]:
        """The meetings this import wrote to."""
        return cast("set[int]", self.touched - {None})

    def rows(self, sheet: Sheet, kind: Kind) -> None:
        missing = [c for c in kind.required if c not in sheet.columns]
        if missing:
            self.problems.append(Problem(sheet.name, 1, ", ".join(missing), "", "required column missing"))
            return
        if kind.name == "attendance":  # the kind that runs to millions of rows: checked and written set-based
            written = bulk.attendance(self.cur, sheet, {**kind.required, **kind.optional}, audit.actor())
            self.tally.row(sheet, sheet.table.num_rows + 1, sheet.table.num_rows)
            self.problems += [Problem(sheet.name, *p) for p in written.problems]
            if written.counts:  # as the row-by-row writers: a table appears once a row was read for it
                self.outcome.counts.setdefault("attendance", Counter()).update(written.counts)
            self.touched.update(written.touched)
            for team, day, person, *values in written.changes:
                for column, before, after in (("status", *values[:2]), ("participation", *values[2:])):
                    if before != after:
                        where = f"{team}, {day:%d/%m/%Y}, {person}"
                        self.outcome.change("attendance", where, *self.readable(column, before, after))
            return
        if kind.name == "contributions":  # matched as a multiset, not by a key (see ingest.contributions)
            added = live.contributions(
                self.cur, sheet, kind.required, audit.actor(), lambda n: self.tally.row(sheet, n)
            )
            self.problems += [Problem(sheet.name, *p) for p in added.problems]
            if added.counts:
                self.outcome.counts.setdefault("contributions", Counter()).update(added.counts)
            self.touched.update(added.touched)
            return
        if kind.name == "feedback":  # written set-based, matched by meeting, person and item (see ingest.feedback)
            given = answered.feedback(self.cur, sheet, {**kind.required, **kind.optional}, audit.actor(), self.seen,
                                      lambda n: self.tally.row(sheet, n))  # fmt: skip
            self.problems += [Problem(sheet.name, *p) for p in given.problems]
            if given.counts:
                self.outcome.counts.setdefault("feedback", Counter()).update(given.counts)
            for change in given.changes:
                self.outcome.change("feedback", *change)
            return
        for number, row in enumerate(sheet.rows, start=2):
            self.tally.row(sheet, number)
            if not any(row.values()):
                continue
            parsed = self.parse(sheet, number, row, kind)
            if parsed is None:
                continue
            columns = KEYS[kind.name][0]
            key = tuple(str(parsed.get(c) or "").casefold() for c in columns)
            if not self.twice(sheet, number, kind.name, key, row.get(columns[0], "")):
                getattr(self, f"write_{kind.name}")(sheet, number, parsed)

    def parse(self, sheet: Sheet, number: int, row: dict[str, str], kind: Kind) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        ok = True
        for column, parse in (*kind.required.items(), *kind.optional.items()):
            if column not in row:
                continue  # a column the file does not have leaves what the study holds alone
            raw = row[column]
            if not raw.strip() and column not in kind.required:
                out[column] = None
                continue
            try:
                out[column] = parse(raw)
            except ValueError as exc:
                self.problem(sheet, number, column, raw, str(exc))
                ok = False
        return out if ok else None

    def problem(self, sheet: Sheet, number: int, column: str, value: str, reason: str) -> None:
        self.problems.append(Problem(sheet.name, number, column, value, reason))

    def one(self, sql: str, params: list[Any]) -> Any:
        row = self.cur.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def upsert(self, table: str, key: dict[str, Any], values: dict[str, Any], record: str = "") -> None:
        """Create the row with ``key``, change it when ``values`` differ (each change told to the
        outcome under ``record``, what people call the row), or leave it alone."""
        where = " and ".join(f"{c} is not distinct from ?" for c in key)
        names = list(values)
        existing = self.cur.execute(
            f"select {', '.join(names) or '1'} from {table} where {where}",  # noqa: S608 - names from this module
            list(key.values()),
        ).fetchone()
        row_key = ", ".join(f"{k}={val}" for k, val in key.items())
        if existing is None:
            columns = [*key, *names]
            self.cur.execute(
                f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",  # noqa: S608
                [*key.values(), *values.values()],
            )
            self.outcome.count(table, "created")
            audit.record(self.cur, "create", table, row_key, after=values)
        elif names and list(existing) != list(values.values()):
            # Only the columns that differ: DuckDB rewrites a row whose indexed columns are set,
            # which a foreign key pointing at the row would refuse.
            changed = {n: val for n, old, val in zip(names, existing, values.values(), strict=True) if old != val}
            self.cur.execute(
                f"update {table} set {', '.join(f'{n} = ?' for n in changed)} where {where}",  # noqa: S608
                [*changed.values(), *key.values()],
            )
            self.outcome.count(table, "changed")
            for column, new_value in changed.items():
                shown_as, before, after = self.readable(column, existing[names.index(column)], new_value)
                self.outcome.change(table, record or row_key, shown_as, before, after)
            audit.record(
                self.cur, "change", table, row_key, before=dict(zip(names, existing, strict=True)), after=values
            )
        else:
            self.outcome.count(table, "skipped")
            return
        # A meeting that changed (the Record page also shows the marks and recruitment steps on
        # its date): a Record page opened before must not save over it.
        if table in MEETING_PARTS:
            self.touched.add(
                key.get("meeting_id")
                or self.one(
                    "select id from meetings where team_id = ? and meeting_date = ?",
                    [key.get("team_id"), key.get("meeting_date")],
                )
            )
        elif table == "annotations":
            self.touched.add(
                self.one(
                    "select id from meetings where team_id = ? and meeting_date = ?",
                    [key["team_id"], key["event_date"]],
                )
            )
        elif table == "recruitment_events":
            self.touched.add(
                self.one(
                    "select m.id from meetings as m join participants as p on p.team_id = m.team_id "
                    "where p.id = ? and m.meeting_date = ?",
                    [key["participant_id"], key["event_date"]],
                )
            )

    def readable(self, column: str, before: object, after: object) -> tuple[str, object, object]:
        """A column and its values as people know them: a team by its name, a code by its slug."""
        lookup = {"team_id": ("team", "select name from teams where id = ?"),
                  "reason_code_id": ("reason", "select slug from codes where id = ?"),
                  "parent_id": ("parent", "select slug from codes where id = ?")}.get(column)  # fmt: skip
        if column == "participation":
            return column, v.LEVELS.get(str(before), before), v.LEVELS.get(str(after), after)
        if column == "informant_group":
            words = labels.INFORMANT_GROUPS
            return "informant group", words.get(str(before), before), words.get(str(after), after)
        if lookup is None:
            return column, before, after
        name, sql = lookup
        return (
            name,
            None if before is None else self.one(sql, [before]),
            None if after is None else self.one(sql, [after]),
        )

    # references -----------------------------------------------------------------------------------

    def team_id(self, sheet: Sheet, number: int, name: str, column: str = "team") -> int | None:
        found = self.one(  # exactly that name, else the one that differs only in case
            "select id from teams where lower(name) = lower(?) order by name <> ?, id limit 1", [name, name]
        )
        if found is None:
            self.problem(sheet, number, column, name, "no such team in the study or in this import")
        return found  # type: ignore[no-any-return]

    def participant_id(self, sheet: Sheet, number: int, participant: str) -> int | None:
        found = self.one("select id from participants where code = ?", [participant])
        if found is None:
            self.problem(
                sheet, number, "participant", participant, "no such participant in the study or in this import"
            )
        return found  # type: ignore[no-any-return]

    def meeting_id(self, sheet: Sheet, number: int, team_id: int, day: dt.date) -> int | None:
        found = self.one("select id from meetings where team_id = ? and meeting_date = ?", [team_id, day])
        if found is None:
            self.problem(sheet, number, "date", day.isoformat(), "no meeting of that team on that date")
        return found  # type: ignore[no-any-return]

    def code_id(self, sheet: Sheet, number: int, column: str, slug: str) -> int | None:
        found = self.one("select id from codes where slug = ?", [slug])
        if found is None:
            self.problem(sheet, number, column, slug, "no such code (by its slug) in the codebook or this import")
        return found  # type: ignore[no-any-return]

    def role(self, sheet: Sheet, number: int, raw: str) -> str | None:
        try:
            return v.choice(raw, self.roles, "role")
        except ValueError as exc:
            self.problem(sheet, number, "role", raw, str(exc))
            return None

    # one writer per kind --------------------------------------------------------------------------

    def write_teams(self, sheet: Sheet, number: int, r: dict[str, Any]) -> None:
        # a team is the same team whatever the case of its name
        name = self.one("select name from teams where lower(name) = lower(?)", [r["name"]]) or r["name"]
        self.upsert("teams", {"name": name}, _present(r, "service", "setting", "start_date", "coach"), name)

    def write_codes(self, sheet: Sheet, number: int, r: dict[str, Any]) -> None:
        slug = r["slug"].lower()
        parent = None
        if "." in slug:
            parent = self.code_id(sheet, number, "slug", slug.rpartition(".")[0])
            if parent is None:
                return
        values = {"parent_id": parent, "name": r["name"]} | _present(r, "com_b", "valence", "four_pi")
        if "definition" in r:
            values["definition"] = r["definition"] or ""
        self.upsert("codes", {"slug": slug}, values, slug)

    def write_participants(self, sheet: Sheet, number: int, r: dict[str, Any]) -> None:
        team = self.team_id(sheet, number, r["team"])
        role = self.role(sheet, number, r["role"])
        if team is not None and role is not None:
            moved = self.cur.execute(
                "select (select count(*) from attendance where participant_id = p.id) "
                "+ (select count(*) from recruitment_events where participant_id = p.id) "
                "from participants as p where p.code = ? and p.team_id <> ?",
                [r["code"], team],
            ).fetchone()
            if moved is not None and moved[0]:
                self.problem(sheet, number, "team", r["team"], f"{r['code']} has attendance or recruitment steps with "
                             "another team; to record them in this one, give them a new code")  # fmt: skip
                return
            values = {"team_id": team, "role": role} | _present(r, "qi_trained")
            self.upsert("participants", {"code": r["code"]}, values, r["code"])

    def write_meetings(self, sheet: Sheet, number: int, r: dict[str, Any]) -> None:
        team = self.team_id(sheet, number, r["team"])
        if team is None:
            return
        values = _present(r, "status", "duration_minutes", "action_items", "evaluated", "format")
        if values.get("format", "") is None:
            values["format"] = "service_base"
        self.upsert(
            "meetings", {"team_id": team, "meeting_date": r["date"]}, values, f"{r['team']}, {r['date']:%d/%m/%Y}"
        )

    def write_field_notes(self, sheet: Sheet, number: int, r: dict[str, Any]) -> None:
        team = self.team_id(sheet, number, r["team"])
        meeting = None if team is None else self.meeting_id(sheet, number, team, r["date"])
        if meeting is not None:
            values = {"author": r["author"], "body": r["body"]} | _present(r, "minute")
            where = f"{r['team']}, {r['date']:%d/%m/%Y}, note {r['position']}"
            note = self.one(
                "select id from field_notes where meeting_id = ? and position = ?", [meeting, r["position"]]
            )
            moved = None if note is None else integrity.moved_spans(self.cur, "field_notes", note, r["body"])
            if moved:
                self.problem(sheet, number, "body", r["body"], moved)
                return
            self.upsert("field_notes", {"meeting_id": meeting, "position": r["position"]}, values, where)

    def write_coded_segments(self, sheet: Sheet, number: int, r: dict[str, Any]) -> None:
        team = self.team_id(sheet, number, r["team"])
        meeting = None if team is None else self.meeting_id(sheet, number, team, r["date"])
        code_id = self.code_id(sheet, number, "code", r["code"].lower())
        if meeting is None or code_id is None:
            return
        note = self.one("select id from field_notes where meeting_id = ? and position = ?", [meeting, r["position"]])
        if note is None:
            self.problem(sheet, number, "position", str(r["position"]), "no field note at that position of the meeting")
            return
        self.upsert("coded_segments", {"note_id": note, "code_id": code_id, "coder": r["coder"]}, {})

    def write_recruitment_events(self, sheet: Sheet, number: int, r: dict[str, Any]) -> None:
        person = self.participant_id(sheet, number, r["participant"])
        given = r.get("reason")
        reason = self.code_id(sheet, number, "reason", given.lower()) if given else None
        if person is None or (given and reason is None):
            return
        key = {"participant_id": person, "stage": r["stage"], "event_date": r["date"]}
        where = f"{r['participant']}, {r['stage']}, {r['date']:%d/%m/%Y}"
        self.upsert("recruitment_events", key, {"reason_code_id": reason} if "reason" in r else {}, where)

    def write_annotations(self, sheet: Sheet, number: int, r: dict[str, Any]) -> None:
        team = self.team_id(sheet, number, r["team"]) if r.get("team") else None
        if r.get("team") and team is None:
            return
        key = {"team_id": team, "event_date": r["date"], "label": r["label"]}
        where = f"{r['label']}, {r['date']:%d/%m/%Y}"
        self.upsert("annotations", key, {"category": r.get("category") or "other"} if "category" in r else {}, where)

    def write_impact(self, sheet: Sheet, number: int, r: dict[str, Any]) -> None:
        """A change in the impact log, matched by team, date and description (its words as written),
        audited as observation.feedback audits one logged on a page."""
        team = self.team_id(sheet, number, r["team"])
        if team is None:
            return
        values = {"kind": r["kind"], "origin": r["origin"]}
        day = r.get("meeting_date")
        if day is not None:
            meeting = self.cur.execute(
                "select id, status from meetings where team_id = ? and meeting_date = ?", [team, day]
            ).fetchone()
            if meeting is None:
                self.problem(sheet, number, "meeting_date", day.isoformat(), "no meeting of that team on that date")
                return
            if meeting[1] != "held":
                status = labels.MEETING_STATUSES.get(meeting[1], meeting[1]).lower()
                self.problem(sheet, number, "meeting_date", day.isoformat(),
                             f"that meeting was {status}: a change arises at a held meeting")  # fmt: skip
                return
            if day > r["date"]:
                self.problem(sheet, number, "meeting_date", day.isoformat(),
                             f"after the change ({r['date']:%d/%m/%Y}): the meeting where a change arose is on or "
                             "before the change's date")  # fmt: skip
                return
            values["meeting_id"] = meeting[0]
        elif "meeting_date" in r:
            values["meeting_id"] = None  # a blank cell: it arose at no meeting
        key = {"team_id": team, "entry_date": r["date"], "description": r["description"]}
        found = self.cur.execute(
            "select id, kind, origin, meeting_id from impact_entries "
            "where team_id = ? and entry_date = ? and description = ? order by id limit 1",
            list(key.values()),
        ).fetchone()
        if found is None:
            fields = {**key, "meeting_id": values.get("meeting_id"), "kind": r["kind"], "origin": r["origin"]}
            new_id = db.insert_row(self.cur, "impact_entries", fields)
            self.outcome.count("impact", "created")
            audit.record(self.cur, "create", "impact_entries", f"id={new_id}", after=fields)
            return
        held = dict(zip(("kind", "origin", "meeting_id"), found[1:], strict=True))
        changed = {c: value for c, value in values.items() if held[c] != value}
        if not changed:
            self.outcome.count("impact", "skipped")
            return
        self.cur.execute(
            f"update impact_entries set {', '.join(f'{c} = ?' for c in changed)} where id = ?",  # noqa: S608 - names from this module
            [*changed.values(), found[0]],
        )
        self.outcome.count("impact", "changed")
        where = f"{r['team']}, {r['date']:%d/%m/%Y}, {shown(r['description'], 40)}"
        for column, after in changed.items():
            self.outcome.change("impact", where, *self.impact_words(column, held[column], after))
        audit.record(self.cur, "change", "impact_entries", f"id={found[0]}",
                     before={c: held[c] for c in changed}, after=changed)  # fmt: skip

    def impact_words(self, column: str, before: object, after: object) -> tuple[str, object, object]:
        """A column of the impact log and its values as the Team profile shows them."""
        if column == "meeting_id":
            sql = "select meeting_date from meetings where id = ?"
            return "meeting", None if before is None else self.one(sql, [before]), self.one(sql, [after])
        words = labels.IMPACT_KINDS if column == "kind" else labels.IMPACT_ORIGINS
        return column, words.get(str(before), before), words.get(str(after), after)

    def write_interviews(self, sheet: Sheet, number: int, r: dict[str, Any]) -> None:
        informant = r["informant_code"]
        team = self.team_id(sheet, number, r["team"]) if r.get("team") else None
        text = self.transcript(sheet, number, r["file"], informant)
        if text is None or (r.get("team") and team is None):
            return
        values = {"informant_group": r["informant_group"], "interview_date": r["date"]}
        if "team" in r:  # a manifest without the column leaves an interview's team as it is
            values["team_id"] = team
        values["transcript"] = text
        held = self.one("select id from interviews where informant_code = ?", [informant])
        moved = None if held is None else integrity.moved_spans(self.cur, "interviews", held, text)
        if moved:
            self.problem(sheet, number, "file", r["file"], f"this file differs from the study's transcript: {moved}")
            return
        self.upsert("interviews", {"informant_code": informant}, values, informant)

    def transcript(self, sheet: Sheet, number: int, written: str, informant: str) -> str | None:
        """The text of the transcript a manifest's row names (a problem, and None, when there is
        none to read, when it cannot be read, or when another row named it already)."""
        try:
            name, path = self.files.find(sheet.name, written)
            earlier = self.files.read_by.setdefault(str(path.resolve()), (sheet.name, number))
            if earlier != (sheet.name, number):
                where = f"row {earlier[1]}" + ("" if earlier[0] == sheet.name else f" of {earlier[0]}")
                raise ValueError(f"the same transcript as {where}: each interview is its own transcript, "
                                 "under its informant's code")  # fmt: skip
            text = transcripts.read(path)
        except ValueError as exc:
            self.problem(sheet, number, "file", written, str(exc))
            return None
        except OSError as exc:
            self.problem(sheet, number, "file", written, f"cannot be read ({exc.strerror or type(exc).__name__})")
            return None
        if name not in self.outcome.read_as:
            self.outcome.files.append(name)
        self.outcome.read_as[name] = f"the transcript of {informant} ({sheet.name}, row {number})"
        return text

    def register(self, sheet: Sheet, dropped: frozenset[str] = frozenset()) -> None:
        """One row per person, one column per meeting date: creates what it names (a new team is
        'other' setting until edited), then the attendance in its cells. ``dropped``: headers a
        person chose to leave out."""
        person_column = "participant"
        dates = []
        for column, header, _ in _date_columns(sheet):
            try:
                dates.append((column, header, v.date(header)))
            except ValueError as exc:
                self.problem(sheet, 1, header, header, str(exc))
        date_columns = {c for c, _, _ in _date_columns(sheet)}
        for column, header in zip(sheet.columns, sheet.headers, strict=True):
            # A header with a digit is a meeting date the import cannot read, unless a person left
            # it out; one without is another column, left out (and said) as in any kind of file.
            if any(ch.isdigit() for ch in header) and column not in {*REGISTER_COLUMNS, *date_columns, *dropped}:
                try:
                    v.day(header)
                except ValueError as exc:
                    self.problem(sheet, 1, header, header, f"{exc} (a register's columns besides team, participant "
                                 "and role are meeting dates; leave this one out if it is not)")  # fmt: skip
        for number, row in enumerate(sheet.rows, start=2):
            self.tally.row(sheet, number)
            if not any(row.values()):
                continue
            raw_team, raw_code = row.get("team", ""), row.get(person_column, "")
            person_code, team_name = None, None
            try:
                person_code = code(raw_code)
            except ValueError as exc:
                self.problem(sheet, number, person_column, raw_code, str(exc))
            role = self.role(sheet, number, row.get("role", ""))
            try:
                team_name = v.line(raw_team, NAME)
            except ValueError as exc:
                self.problem(sheet, number, "team", raw_team, str(exc))
            if person_code is None or role is None or team_name is None:
                continue
            if self.twice(sheet, number, REGISTER, (sheet.name, person_code), raw_code):
                continue
            first_day = min((d for _, _, d in dates), default=dt.date.today())
            if self.one("select id from teams where lower(name) = lower(?)", [team_name]) is None:
                self.upsert("teams", {"name": team_name}, {"service": "", "setting": "other", "start_date": first_day})
            team = self.team_id(sheet, number, team_name)
            if team is None:
                continue
            existing = self.cur.execute(
                "select team_id, role from participants where code = ?", [person_code]
            ).fetchone()
            if existing is None:
                self.upsert("participants", {"code": person_code}, {"team_id": team, "role": role, "qi_trained": False})
            elif tuple(existing) != (team, role):
                self.problem(
                    sheet,
                    number,
                    person_column,
                    raw_code,
                    "this code belongs to another team or role, in the study or in this import",
                )
                continue
            person = self.one("select id from participants where code = ?", [person_code])
            for column, header, day in dates:
                raw = row.get(column, "")
                try:
                    status = v.mark(raw)
                except ValueError as exc:
                    self.problem(sheet, number, header, raw, str(exc))
                    continue
                if status is None:
                    continue
                if self.one("select id from meetings where team_id = ? and meeting_date = ?", [team, day]) is None:
                    self.upsert("meetings", {"team_id": team, "meeting_date": day}, {"status": "held"})
                meeting = self.one("select id from meetings where team_id = ? and meeting_date = ?", [team, day])
                earlier = self.cur.execute(
                    "select file, row from _imported_attendance where meeting_id = ? and participant_id = ?",
                    [meeting, person],
                ).fetchone()
                if earlier is not None:
                    where = f"row {earlier[1]}" + ("" if earlier[0] == sheet.name else f" of {earlier[0]}")
                    self.problem(sheet, number, header, raw, f"the same person at the same meeting as {where}; "
                                 "keep one mark")  # fmt: skip
                    continue
                key = {"meeting_id": meeting, "participant_id": person}
                current = self.one("select participation from attendance where meeting_id = ? and participant_id = ?",
                                   [meeting, person])  # fmt: skip
                level = current if status == "present" else None
                self.cur.execute("insert into _imported_attendance values (?, ?, ?, ?, ?)",
                                 [meeting, person, level, sheet.name, number])  # fmt: skip
                where = f"{team_name}, {day:%d/%m/%Y}, {person_code}"
                self.upsert("attendance", key, {"status": status, "participation": level}, where)


__all__ = [
    "INTERVIEWS", "KIND_NAMES", "KIND_ROWS", "KIND_WORDS", "REGISTER", "SHOWN_CHANGES", "Change", "ImportProblems",
    "Outcome", "Plan", "Problem", "Progress", "Reading", "Sheet", "UnknownKind", "columns_of", "headers",
    "import_files", "normalise", "read", "read_sheet", "required_of", "transcripts",
]  # fmt: skip
