"""The Import page's import: the uploaded files checked (or imported) all or nothing, and what
they would change, or every problem in every file, listed by file, row, column, value and reason."""

from __future__ import annotations

import itertools
import re
import tempfile
from collections import Counter
from collections.abc import Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from observation import ingest, labels
from observation.errors import ObservationError
from observation.ui.state import plain
from observation.ui.study import connection, study_changed
from observation.ui.upload import file_names, file_reading, first_values, how_read, mapping_step

PROBLEM_ROWS = 200
"""Problems shown at once: thousands are paged (a static table of them all would be slow to draw)."""


VALUE_CHARACTERS, RUN_CHARACTERS = 40, 20
"""The most of a value the problem table shows, and of a run of it with no space: such a run
cannot wrap, and a wide value column squeezed the reasons into a few words a line, past the
page's edge."""


_LENGTH_SAID = re.compile(r"… \(([\d,]+) characters\)$")
"""How the core ends a value it cut (observation.ingest.read.shown)."""


TRANSCRIPT = "an interview transcript, matched to the manifest's row that names it"
"""How a transcript uploaded with a refused import is read."""


@dataclass(frozen=True)
class Refused:
    """An import refused: every problem in every file (the files whose kind their headers did not
    tell are in ``unrecognised``, and their one problem is the mapping step, not a row), or
    ``failure``, one line, when the import could not be checked at all."""

    problems: list[ingest.Problem] = field(default_factory=list)
    unrecognised: tuple[str, ...] = ()
    failure: str = ""


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
        # an interview manifest's transcripts are those uploaded with it (by name), never files
        # beside it on the server
        bar = st.progress(0.0, text="Checking the files…" if dry_run else "Importing…")
        try:
            outcome = ingest.import_files(
                connection(), paths, dry_run=dry_run, names=names, plans=plans, beside=False,
                progress=lambda share, where: bar.progress(share, text=plain(where)),
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
        st.success(plain(f"Imported {files}."), icon=":material/check_circle:")
    elif result.changed:
        st.info(
            plain(f"Ready to import {files}: nothing is written until you confirm."),
            icon=":material/preview:",
        )
    else:
        st.info(
            plain(f"{files}: the study already holds all of it, so importing would change nothing."),
            icon=":material/check:",
        )
    counts = pd.DataFrame(
        [
            {"table": ingest.KIND_WORDS.get(t, t), **{k: c[k] for k in ("created", "changed", "skipped")}}
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
        file_reading(name, names.get(name), result.read_as.get(name, ""), result.ignored.get(name, []), done=done)
    return not done and result.changed


def _changes(result: ingest.Outcome, *, done: bool) -> None:
    """Every value the import changes (or would), before and after: nothing the study holds is
    overwritten unseen."""
    total = sum(c["changed"] for c in result.counts.values())
    st.subheader("What changed" if done else "What would change", anchor=False)
    shown = len(result.changes)
    more = f" The first {shown:,} are listed; the audit trail keeps every one." if shown == ingest.SHOWN_CHANGES else ""
    st.caption(
        f"{labels.counted(total, 'record')} {'were' if done else 'would be'} changed: each value before and after, "
        f"as the study held it and as the files give it.{more}"
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "table": ingest.KIND_WORDS.get(c.table, c.table),
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
        st.error(plain(refused.failure), icon=":material/error:")
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
        st.error(plain(" ".join(parts)), icon=":material/error:")
    else:
        st.warning(plain(" ".join(parts)), icon=":material/help:")
    plans: dict[str, ingest.Plan] = st.session_state.get("import_plans", {})
    for name in refused.unrecognised:
        upload = uploads.get(name)
        peek = None if upload is None else first_values(upload, name)
        if upload is None or peek is None:
            continue
        st.subheader(plain(f"What does {name} hold?"), anchor=False)
        plan = plans.get(upload.file_id)
        why = next((p.reason for p in refused.problems if p.file == name), "") if plan else ""
        st.caption(
            "Its headers do not say. Choose what the file holds and which column each header is; "
            "the file is then checked again with the others."
        )
        mapping_step(upload.file_id, peek, plan.kind if plan else None, dict(plan.columns) if plan else None, why,
                      chosen=plan is not None)  # fmt: skip
    if refused.problems:
        if refused.unrecognised and any(p.reason.startswith("no ") for p in refused.problems):
            st.caption(
                "A problem that names a team, participant, meeting or code missing from the study may go "
                "once the files above are read."
            )
        problem_table(refused.problems)
    read = [n for n in uploads if n not in refused.unrecognised and not any(
        p.file == n and p.row == 0 for p in refused.problems)]  # fmt: skip
    if read:
        st.subheader("How the other files were read" if refused.unrecognised else "How each file was read",
                     anchor=False)  # fmt: skip
        for name in read:
            if ingest.transcripts.is_transcript(name):
                file_reading(name, uploads[name], TRANSCRIPT, [], done=False)
                continue
            reading = how_read(uploads[name], name)
            if reading is not None:
                named = ", ".join(f"{w} as {c}" for w, c in reading.named.items())
                file_reading(name, uploads[name], f"{reading.kind} ({named})" if named else reading.kind,
                              reading.left_out, done=False)  # fmt: skip
    return False


def problem_table(problems: Sequence[ingest.Problem]) -> None:
    """Every problem, in file and row order, each reason whole: a static table per file (a grid
    would cut long reasons), its cells shown as typed (study text is never Markdown), paged when
    long. A long value is shown shorter than the core cuts it, its length on a line of its own, so
    that it leaves the reason room at any width (an unbroken run of letters cannot wrap)."""
    first = 0
    if len(problems) > PROBLEM_ROWS:
        pages = -(-len(problems) // PROBLEM_ROWS)
        choice, words = st.columns([1, 4], vertical_alignment="bottom")
        page = int(choice.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1,
                                       key="import_problems_page"))  # fmt: skip
        first = (page - 1) * PROBLEM_ROWS
        words.caption(
            f"Problems {first + 1:,} to {min(first + PROBLEM_ROWS, len(problems)):,} of {len(problems):,}, "
            "in file and row order."
        )
    in_file = Counter(p.file for p in problems)
    for file, group in itertools.groupby(problems[first : first + PROBLEM_ROWS], key=lambda p: p.file):
        st.markdown(f"**{plain(file)}**: {in_file[file]:,} problem{'' if in_file[file] == 1 else 's'}")
        rows = [
            {
                "Row": "whole file" if p.row == 0 else f"{p.row:,}",
                "Column": _short(p.column),
                "Value": _short(p.value),
                "Reason": plain(p.reason),
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
        return plain(value)
    return plain(head + "…") + "\\\n" + plain(f"({length} characters)")


def _s(items: Sized) -> str:
    return "" if len(items) == 1 else "s"


def _count_files(names: Sequence[str]) -> str:
    return ", ".join(names) if len(names) <= 3 else f"{len(names)} files"
