"""Streamlit glue for getting data in and out: uploads to the importer, exports to downloads,
and the audit trail. Writes go through the app's one connection, then the cached reads are cleared."""

from __future__ import annotations

import contextlib
import io
import itertools
import re
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from observation import export, ingest, trail
from observation.errors import ObservationError
from observation.ingest.read import MAX_BYTES, shown
from observation.ingest.values import day
from observation.ui import _connection, _escape_markdown, _location, settings, study_changed


def connection() -> duckdb.DuckDBPyConnection:
    return _connection(_location())


KIND_WORDS = {
    "teams": "teams",
    "participants": "participants",
    "meetings": "meetings",
    "attendance": "attendance",
    "field_notes": "field notes",
    "codes": "codes",
    "coded_segments": "coded segments",
    "recruitment_events": "recruitment events",
    "annotations": "annotations",
    ingest.REGISTER: "register",
}
"""Each kind of file (and the table it fills) as the page names it, in words."""
KIND_LABELS = {
    "teams": "one row per team",
    "participants": "one row per person",
    "meetings": "one row per meeting",
    "attendance": "one row per person at a meeting",
    "field_notes": "one row per note",
    "codes": "the codebook, one row per code",
    "coded_segments": "one row per code applied to a note",
    "recruitment_events": "one row per recruitment step",
    "annotations": "one row per dated event",
    ingest.REGISTER: "one row per person, one column per meeting date",
}
"""What each kind of file holds, as the mapping step offers it (after the kind's name, as the
preview names it)."""
PROBLEM_ROWS = 200
"""Problems shown at once: thousands are paged (a static table of them all would be slow to draw)."""
VALUE_CHARACTERS, RUN_CHARACTERS = 40, 20
"""The most of a value the problem table shows, and of a run of it with no space: such a run
cannot wrap, and a wide value column squeezed the reasons into a few words a line, past the
page's edge."""
_LENGTH_SAID = re.compile(r"… \(([\d,]+) characters\)$")
"""How the core ends a value it cut (observation.ingest.read.shown)."""
SAMPLES, SAMPLE_CHARACTERS = 3, 40
"""Values shown under each header in the mapping step, and the most of each."""
LEAVE_OUT = ""
UPLOAD_MEGABYTES = MAX_BYTES // 2**20
"""The most an uploaded file may hold: what an import takes, from the page or the command line."""


@dataclass(frozen=True)
class Refused:
    """An import refused: every problem in every file (the files whose kind their headers did not
    tell are in ``unrecognised``, and their one problem is the mapping step, not a row), or
    ``failure``, one line, when the import could not be checked at all."""

    problems: list[ingest.Problem] = field(default_factory=list)
    unrecognised: tuple[str, ...] = ()
    failure: str = ""


@dataclass(frozen=True)
class Peek:
    """A file's headers and its first values, for the mapping step (only a few rows are kept)."""

    sheet: ingest.Sheet
    samples: tuple[tuple[str, ...], ...]
    """The first non-empty values under each header."""


@contextlib.contextmanager
def unexpected_as_one_line() -> Iterator[None]:
    """Anything unexpected while checking, importing or drawing the import: one line, its kind
    only (its message may quote a cell), never a traceback."""
    try:
        yield
    except Exception as exc:
        st.error(
            f"Something unexpected went wrong ({type(exc).__name__}). Remove the files and upload them again to "
            "see where they stand.",
            icon=":material/error:",
        )


def file_names(uploads: Sequence[Any]) -> list[str]:
    """Each upload's name as problems and the preview name it; a name given twice gets (2), (3)…"""
    seen: Counter[str] = Counter()
    names = []
    for upload in uploads:
        name = Path(upload.name).name
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{Path(name).stem} ({seen[name]}){Path(name).suffix}")
    return names


def plans_for(uploads: Sequence[Any]) -> list[ingest.Plan | None]:
    """How the user chose to read each file (None: as its headers tell); choices and peeks of files
    no longer uploaded are forgotten."""
    here = {u.file_id for u in uploads}
    for store in ("import_plans", "import_peeks"):
        kept = {k: v for k, v in st.session_state.get(store, {}).items() if k in here}
        st.session_state[store] = kept
    plans: dict[str, ingest.Plan] = st.session_state["import_plans"]
    return [plans.get(u.file_id) for u in uploads]


def run_import(
    uploads: Sequence[Any], *, dry_run: bool, plans: Sequence[ingest.Plan | None] | None = None
) -> ingest.Outcome | Refused:
    """Import the uploaded files (or check them, with ``dry_run``), each read as its plan says or
    as its headers tell: the outcome, or every problem."""
    names = file_names(uploads)
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i, upload in enumerate(uploads):
            path = Path(folder) / f"{i}-{Path(upload.name).name}"
            path.write_bytes(upload.getvalue())
            paths.append(path)
        bar = st.progress(0.0, text="Checking the files…" if dry_run else "Importing…")
        try:
            outcome = ingest.import_files(
                connection(), paths, dry_run=dry_run, names=names, plans=plans,
                progress=lambda share, where: bar.progress(share, text=_escape_markdown(where)),
            )  # fmt: skip
        except ingest.ImportProblems as exc:
            unrecognised = set(exc.unrecognised)
            told = [p for p in exc.problems if not (p.file in unrecognised and p.row == 1 and not p.column)]
            return Refused(told, exc.unrecognised)
        except ObservationError as exc:  # the import as a whole (the study refused it, say)
            return Refused(failure=str(exc))
        except Exception as exc:  # its message may quote a cell: only its kind is said
            what = "imported" if not dry_run else "checked"
            return Refused(failure=f"The files could not be {what} ({type(exc).__name__}). Nothing was written.")
        finally:
            bar.empty()
    if not dry_run and outcome.changed:
        study_changed()  # every page reads the new rows
    return outcome


def show_outcome(result: ingest.Outcome | Refused, *, done: bool, uploads: Sequence[Any] = ()) -> bool:
    """Say what an import did or would do, how each file was read (with the mapping step for a
    file whose kind its headers did not tell), or every problem; True when the files can be
    imported and would change the study."""
    names = dict(zip(file_names(uploads), uploads, strict=True))
    if isinstance(result, Refused):
        return _show_refused(result, names)
    files = ", ".join(result.files)
    if done:
        st.success(_escape_markdown(f"Imported {files}."), icon=":material/check_circle:")
    elif result.changed:
        st.info(
            _escape_markdown(f"Ready to import {files}: nothing is written until you confirm."),
            icon=":material/preview:",
        )
    else:
        st.info(
            _escape_markdown(f"{files}: the study already holds all of it, so importing would change nothing."),
            icon=":material/check:",
        )
    counts = pd.DataFrame(
        [
            {"table": KIND_WORDS.get(t, t), **{k: c[k] for k in ("created", "changed", "skipped")}}
            for t, c in result.counts.items()
        ]
    )
    st.dataframe(
        counts,
        hide_index=True,
        key="import_done" if done else "import_preview",
        column_config={"table": "Table", "created": "Created", "changed": "Changed", "skipped": "Unchanged"},
    )
    if result.changes:
        _changes(result, done=done)
    st.subheader("How each file was read", anchor=False)
    for name in result.files:
        _file_reading(name, names.get(name), result.read_as.get(name, ""), result.ignored.get(name, []), done=done)
    return not done and result.changed


def _changes(result: ingest.Outcome, *, done: bool) -> None:
    """Every value the import changes (or would), before and after: nothing the study holds is
    overwritten unseen."""
    total = sum(c["changed"] for c in result.counts.values())
    st.subheader("What changed" if done else "What would change", anchor=False)
    shown = len(result.changes)
    more = f" The first {shown:,} are listed; the audit trail keeps every one." if shown == ingest.SHOWN_CHANGES else ""
    st.caption(
        f"{total:,} record(s) {'were' if done else 'would be'} changed: each value before and after, "
        f"as the study held it and as the files give it.{more}"
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "table": KIND_WORDS.get(c.table, c.table),
                    "record": c.record,
                    "column": c.column,
                    "before": c.before,
                    "after": c.after,
                }
                for c in result.changes
            ]
        ),
        hide_index=True,
        key="import_changed" if done else "import_changes",
        column_config={"table": "Table", "record": "Record", "column": "Column", "before": "Before", "after": "After"},
    )


def _show_refused(refused: Refused, uploads: dict[str, Any]) -> bool:
    if refused.failure:
        st.error(_escape_markdown(refused.failure), icon=":material/error:")
        return False
    by_file = Counter(p.file for p in refused.problems)
    parts = []
    if refused.problems:
        each = ", ".join(f"{file}: {n:,}" for file, n in sorted(by_file.items()))
        parts.append(f"{len(refused.problems):,} problem{_s(refused.problems)} in {len(by_file)} file"
                     f"{_s(by_file)} ({each}), all listed below. Fix them in the files and upload them again: "
                     "nothing is imported while any is left.")  # fmt: skip
    if refused.unrecognised:
        parts.append(f"What {_count_files(refused.unrecognised)} hold{'s' if len(refused.unrecognised) == 1 else ''} "
                     "could not be told from the headers: say it below.")  # fmt: skip
    if refused.problems:
        st.error(_escape_markdown(" ".join(parts)), icon=":material/error:")
    else:
        st.warning(_escape_markdown(" ".join(parts)), icon=":material/help:")
    plans: dict[str, ingest.Plan] = st.session_state.get("import_plans", {})
    for name in refused.unrecognised:
        upload = uploads.get(name)
        peek = None if upload is None else _peek(upload, name)
        if upload is None or peek is None:
            continue
        st.subheader(_escape_markdown(f"What does {name} hold?"), anchor=False)
        plan = plans.get(upload.file_id)
        why = next((p.reason for p in refused.problems if p.file == name), "") if plan else ""
        st.caption(
            "Its headers do not say. Choose what the file holds and which column each header is; "
            "the file is then checked again with the others."
        )
        _mapping_step(upload.file_id, peek, plan.kind if plan else None, dict(plan.columns) if plan else None, why,
                      chosen=plan is not None)  # fmt: skip
    if refused.problems:
        if refused.unrecognised and any(p.reason.startswith("no ") for p in refused.problems):
            st.caption(
                "A problem that names a team, participant, meeting or code missing from the study may go "
                "once the files above are read."
            )
        _problem_table(refused.problems)
    read = [n for n in uploads if n not in refused.unrecognised and not any(
        p.file == n and p.row == 0 for p in refused.problems)]  # fmt: skip
    if read:
        st.subheader("How the other files were read" if refused.unrecognised else "How each file was read",
                     anchor=False)  # fmt: skip
        for name in read:
            reading = _reading(uploads[name], name)
            if reading is not None:
                named = ", ".join(f"{w} as {c}" for w, c in reading.named.items())
                _file_reading(name, uploads[name], f"{reading.kind} ({named})" if named else reading.kind,
                              reading.left_out, done=False)  # fmt: skip
    return False


def _problem_table(problems: Sequence[ingest.Problem]) -> None:
    """Every problem, in file and row order, each reason whole: a static table per file (a grid
    would cut long reasons), its cells shown as typed (study text is never Markdown), paged when
    long. A long value is shown shorter than the core cuts it, its length on a line of its own, so
    that it leaves the reason room at any width (an unbroken run of letters cannot wrap)."""
    first = 0
    if len(problems) > PROBLEM_ROWS:
        pages = -(-len(problems) // PROBLEM_ROWS)
        choice, words = st.columns([1, 4], vertical_alignment="bottom")
        page = int(choice.number_input(f"Page, of {pages:,}", min_value=1, max_value=pages, step=1,
                                       key="import_problems_page"))  # fmt: skip
        first = (page - 1) * PROBLEM_ROWS
        words.caption(
            f"Problems {first + 1:,} to {min(first + PROBLEM_ROWS, len(problems)):,} of {len(problems):,}, "
            "in file and row order."
        )
    in_file = Counter(p.file for p in problems)
    for file, group in itertools.groupby(problems[first : first + PROBLEM_ROWS], key=lambda p: p.file):
        st.markdown(f"**{_escape_markdown(file)}**: {in_file[file]:,} problem{'' if in_file[file] == 1 else 's'}")
        rows = [
            {
                "Row": "whole file" if p.row == 0 else f"{p.row:,}",
                "Column": _short(p.column),
                "Value": _short(p.value),
                "Reason": _escape_markdown(p.reason),
            }
            for p in group
        ]
        st.table(pd.DataFrame(rows), hide_index=True)


def _short(value: str) -> str:
    """A value (or a header) as Markdown for the problem table: at most VALUE_CHARACTERS of it,
    and of a run with no space at most RUN_CHARACTERS, then, on a line of its own, how long it
    is (the length the core said when it cut it first)."""
    said = _LENGTH_SAID.search(value)
    head, length = (value[: said.start()], said.group(1)) if said else (value, "")
    run = re.search(rf"\S{{{RUN_CHARACTERS + 1},}}", head)
    keep = min(VALUE_CHARACTERS, run.start() + RUN_CHARACTERS if run else len(head))
    if keep < len(head):
        head, length = head[:keep].rstrip(), length or f"{len(value):,}"
    if not length:
        return _escape_markdown(value)
    return _escape_markdown(head + "…") + "\\\n" + _escape_markdown(f"({length} characters)")


def _file_reading(name: str, upload: Any, read_as: str, ignored: Sequence[str], *, done: bool) -> None:
    """One file: what it was read as, the headers left out, and (before the import) a way to read
    it differently."""
    chosen = upload is not None and upload.file_id in st.session_state.get("import_plans", {})
    st.markdown(
        f"**{_escape_markdown(name)}**: read as {_escape_markdown(_visible(_in_words(read_as)))}"
        + (", as you chose" if chosen else "")
    )
    if ignored:
        left_out = ", ".join(map(_visible, ignored))
        st.caption(_escape_markdown(f"Left out, as no column of this kind reads them: {left_out}"))
    if done or upload is None:
        return
    if st.toggle("Change how it is read", key=f"import_change_{upload.file_id}"):
        peek, reading = _peek(upload, name), _reading(upload, name)
        if peek is not None and reading is not None:
            _mapping_step(upload.file_id, peek, reading.kind, dict(reading.match.columns), "", chosen=chosen)


@st.fragment
def _mapping_step(
    file_id: str, peek: Peek, kind: str | None, columns: dict[str, str] | None, why: str, *, chosen: bool = False
) -> None:
    """Choose what a file holds and which column each header is, then check again: a choice
    reruns only this step (the files are checked again once, on the button)."""
    sheet = peek.sheet
    with st.container(border=True), unexpected_as_one_line():
        if why:
            st.warning(_escape_markdown(why), icon=":material/warning:")
        kinds: list[str] = list(ingest.KIND_NAMES)
        chosen_kind = st.selectbox(
            "What the file holds", kinds, index=kinds.index(kind) if kind in kinds else None,
            format_func=lambda k: f"{KIND_WORDS[k]}: {KIND_LABELS[k]}", key=f"import_kind_{file_id}",
            placeholder="Choose what the file holds",
        )  # fmt: skip
        if chosen_kind is None:
            st.caption(_escape_markdown(f"Its headers: {', '.join(_visible(h) for h in sheet.headers if h)}"))
            return
        wanted = ingest.columns_of(chosen_kind)
        required = ingest.required_of(chosen_kind)
        guess = columns if columns is not None and chosen_kind == kind else dict(
            ingest.headers.match(chosen_kind, wanted, sheet.columns).columns)  # fmt: skip
        mapping: dict[str, str] = {}
        options = [LEAVE_OUT, *wanted]

        def label(column: str) -> str:
            return "leave out" if column == LEAVE_OUT else column + (" (required)" if column in required else "")

        cells = st.columns(4)
        headed = [i for i, c in enumerate(sheet.columns) if c]
        for n, i in enumerate(headed):
            header, column, samples = sheet.headers[i], sheet.columns[i], peek.samples[i]
            title = _escape_markdown(_visible(header))
            with cells[n % 4]:
                if chosen_kind == ingest.REGISTER and _is_date(header):
                    st.selectbox(title, ["a meeting date"], disabled=True,
                                 key=f"import_col_{file_id}_{chosen_kind}_{i}")  # fmt: skip
                else:
                    default = guess.get(column, LEAVE_OUT)
                    mapping[column] = st.selectbox(
                        title, options, index=options.index(default) if default in options else 0,
                        format_func=label, key=f"import_col_{file_id}_{chosen_kind}_{i}",
                    )  # fmt: skip
                st.caption(_escape_markdown("e.g. " + ", ".join(samples)) if samples else "empty in the first rows")
        if len(headed) < len(sheet.columns):
            st.caption("Columns whose header has no letter or digit are left out.")
        missing = [c for c in required if c not in mapping.values()]
        twice = {c: [_visible(sheet.headers[sheet.columns.index(h)]) for h, x in mapping.items() if x == c]
                 for c in set(mapping.values()) - {LEAVE_OUT}}  # fmt: skip
        twice = {c: hs for c, hs in twice.items() if len(hs) > 1}
        if missing:
            st.warning(_escape_markdown(f"Still to choose: {', '.join(missing)}."), icon=":material/rule:")
        for column, hs in sorted(twice.items()):
            st.warning(_escape_markdown(f"{column} is chosen for more than one header ({', '.join(hs)}): keep one."),
                       icon=":material/rule:")  # fmt: skip
        if chosen_kind == ingest.REGISTER and not any(_is_date(h) for h in sheet.headers):
            st.warning(
                "None of its headers is a meeting date (31/01/2020 or 2020-01-31): a register has one column "
                "per meeting date.",
                icon=":material/rule:",
            )
        buttons = st.container(horizontal=True)
        plan = ingest.Plan(chosen_kind, mapping)
        if buttons.button("Check the files again, reading it this way", key=f"import_apply_{file_id}", type="primary",
                          disabled=bool(missing or twice), on_click=_choose, args=(file_id, plan)):  # fmt: skip
            st.rerun(scope="app")  # the whole page: every file is checked again
        if chosen and buttons.button("Forget this choice", key=f"import_forget_{file_id}", on_click=_choose,
                                     args=(file_id, None), help="Read the file as its headers tell"):  # fmt: skip
            st.rerun(scope="app")


def _choose(file_id: str, plan: ingest.Plan | None) -> None:
    """Read the file as ``plan`` says (None: as its headers tell), and close its step."""
    plans: dict[str, ingest.Plan] = st.session_state.setdefault("import_plans", {})
    if plan is None:
        plans.pop(file_id, None)
    else:
        plans[file_id] = plan
    st.session_state[f"import_change_{file_id}"] = False


def _peek(upload: Any, name: str) -> Peek | None:
    """The file's headers and first values (read once per upload); None when it cannot be read
    (its problem is in the list)."""
    peeks: dict[str, Peek | None] = st.session_state.setdefault("import_peeks", {})
    if upload.file_id not in peeks:
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / Path(upload.name).name
                path.write_bytes(upload.getvalue())
                sheet = ingest.read_sheet(path, name)
            samples = tuple(tuple(map(_cut, column)) for column in sheet.samples(SAMPLES))
            peeks[upload.file_id] = Peek(sheet.headers_only(), samples)
        except Exception:
            peeks[upload.file_id] = None
    return peeks[upload.file_id]


def _reading(upload: Any, name: str) -> ingest.Reading | None:
    """How the file is read now: as the user chose, or as its headers tell."""
    peek = _peek(upload, name)
    if peek is None:
        return None
    try:
        return ingest.read(peek.sheet, plan=st.session_state.get("import_plans", {}).get(upload.file_id))
    except ObservationError:
        return None


def _in_words(read_as: str) -> str:
    """How a file was read ("field_notes (Note as body)"), its kind in words ("field notes (…)")."""
    kind, rest = read_as.split(" (", 1) if " (" in read_as else (read_as, "")
    return KIND_WORDS.get(kind, kind) + (f" ({rest}" if rest else "")


def _cut(value: str) -> str:
    line = _visible(" ".join(value.split()))
    return line if len(line) <= SAMPLE_CHARACTERS else line[: SAMPLE_CHARACTERS - 1] + "…"


def _visible(text: str) -> str:
    """Text from a file with its control characters made visible (\\x00), never cut."""
    return shown(text, longest=len(text) * 4 + 1)


def _is_date(header: str) -> bool:
    try:
        day(header)
    except ValueError:
        return False
    return True


def _s(items: Sized) -> str:
    return "" if len(items) == 1 else "s"


def _count_files(names: Sequence[str]) -> str:
    return ", ".join(names) if len(names) <= 3 else f"{len(names)} files"


def prepared(level: export.Level, fmt: export.Format, threshold: int | None) -> tuple[str, bytes] | None:
    """The export prepared for exactly these choices, if any (never one made for other choices)."""
    found = st.session_state.get("export_prepared")
    if isinstance(found, tuple) and found[0] == (level, fmt, threshold):
        return found[1]  # type: ignore[no-any-return]
    return None


def prepare_export(level: export.Level, fmt: export.Format, threshold: int | None) -> None:
    """Write the export for download (a folder is zipped, its note beside the tables) and say what
    was made safe for a spreadsheet; a failure is one line on the page, and nothing of the study's
    text reaches the page or the server's log."""
    try:
        with st.spinner("Working out which counts to hide…" if level == "aggregate" else "Preparing the export…"):
            made, written = _export_bytes(level, fmt, threshold)
    except ObservationError as exc:
        st.error(_escape_markdown(str(exc)), icon=":material/error:")
        return
    except Exception as exc:  # its message may quote a note: only its kind is said, and nothing is logged
        st.error(f"The export could not be made ({type(exc).__name__}). Nothing was written.", icon=":material/error:")
        return
    st.session_state["export_prepared"] = ((level, fmt, threshold), made)
    for line in export.made_safe(written, fmt):
        st.info(_escape_markdown(line), icon=":material/info:")


def threshold_floor() -> int:
    """The lowest "Hide counts under" anyone may choose for the aggregate export."""
    return export.threshold_floor(settings())


def default_threshold() -> int:
    return export.default_threshold(settings())


def _export_bytes(
    level: export.Level, fmt: export.Format, threshold: int | None
) -> tuple[tuple[str, bytes], export.Contents]:
    """The export's file name and bytes, and what it wrote."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / (f"study-{level}.xlsx" if fmt == "xlsx" else f"study-{level}-{fmt}")
        written = export.export(connection(), level, fmt, out, threshold=threshold, settings=settings())
        if fmt == "xlsx":
            return (out.name, out.read_bytes()), written
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(out.iterdir()):
                archive.write(path, f"{out.name}/{path.name}")
        return (f"{out.name}.zip", buffer.getvalue()), written


def audit_rows(actions: Sequence[str]) -> pd.DataFrame:
    """The audit trail's latest entries with one of ``actions`` (none: every action), newest first."""
    return trail.entries(connection(), actions)
