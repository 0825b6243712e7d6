"""Streamlit glue for getting data in and out: uploads to the importer, exports to downloads,
and the audit trail. Writes go through the app's one connection, then the cached reads are cleared."""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from observation import db, export, ingest
from observation.errors import ObservationError
from observation.ui import _connection, _escape_markdown, _location, settings, study_changed, tables

ANY_KIND = "told by the headers"


def connection() -> duckdb.DuckDBPyConnection:
    return _connection(_location())


def run_import(uploads: Sequence[Any], kind: str, *, dry_run: bool) -> ingest.Outcome | list[ingest.Problem]:
    """Import the uploaded files (or check them, with ``dry_run``): the outcome, or every problem."""
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i, upload in enumerate(uploads):
            path = Path(folder) / f"{i}-{Path(upload.name).name}"
            path.write_bytes(upload.getvalue())
            paths.append(path)
        names = [Path(u.name).name for u in uploads]
        bar = st.progress(0.0, text="Checking the files…" if dry_run else "Importing…")
        try:
            outcome = ingest.import_files(
                connection(), paths, kind=None if kind == ANY_KIND else kind, dry_run=dry_run, names=names,
                progress=lambda share, where: bar.progress(share, text=_escape_markdown(where)),
            )  # fmt: skip
        except ingest.ImportProblems as exc:
            return exc.problems
        except ObservationError as exc:
            return [ingest.Problem(names[0] if len(names) == 1 else "", 0, "", "", str(exc))]
        except Exception as exc:
            return [ingest.Problem("", 0, "", "", f"the files could not be imported ({type(exc).__name__})")]
        finally:
            bar.empty()
    if not dry_run:
        study_changed()  # every page reads the new rows
    return outcome


def show_outcome(outcome: ingest.Outcome | list[ingest.Problem], done: bool) -> bool:
    """Say what an import did or would do; True when there is nothing wrong."""
    if isinstance(outcome, list):
        st.error(f"{len(outcome)} problem(s): nothing was imported. Fix them in the files and upload again.")
        st.dataframe(
            tables.page_of(pd.DataFrame([vars(p) for p in outcome]), "import_problems"), hide_index=True,
            key="import_problems",
            column_config={"file": "File", "row": "Row", "column": "Column", "value": "Value",
                           "reason": st.column_config.TextColumn("Reason", width="large")},
        )  # fmt: skip
        return False
    files = ", ".join(outcome.files)
    if done:
        st.success(f"Imported {files}.", icon=":material/check_circle:")
    else:
        st.info(f"Ready to import {files}: nothing is written until you confirm.", icon=":material/preview:")
    counts = pd.DataFrame(
        [{"table": t, **{k: c[k] for k in ("created", "changed", "skipped")}} for t, c in outcome.counts.items()]
    )
    st.dataframe(
        counts,
        hide_index=True,
        key="import_done" if done else "import_preview",
        column_config={"table": "Table", "created": "Created", "changed": "Changed", "skipped": "Unchanged"},
    )
    return True


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


def audit_rows(actions: Sequence[str], limit: int = 500, longest: int = 2000) -> pd.DataFrame:
    """The latest ``limit`` entries; values longer than ``longest`` characters (an import's list of
    the rows it created) are cut there and say how long they are."""
    with db.cursor(connection()) as cur:
        return cur.execute(
            """
            select id, written_at, actor, action, table_name, row_key,
                   cut_text(before::varchar, $longest) as before, cut_text(after::varchar, $longest) as after
            from audit
            where len($actions::varchar[]) = 0 or list_contains($actions::varchar[], action)
            order by id desc
            limit $limit
            """,
            {"actions": list(actions), "limit": limit, "longest": longest},
        ).fetchdf()
