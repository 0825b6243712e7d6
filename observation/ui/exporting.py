"""The Export page's export, made for exactly the choices shown, and the Audit trail's rows."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import streamlit as st

from observation import export
from observation.errors import ObservationError
from observation.ui.state import plain, settings
from observation.ui.study import connection


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
        st.error(plain(str(exc)), icon=":material/error:")
        return
    except Exception as exc:  # its message may quote a note: only its kind is said, and nothing is logged
        st.error(f"The export could not be made ({type(exc).__name__}). Nothing was written.", icon=":material/error:")
        return
    st.session_state["export_prepared"] = ((level, fmt, threshold), made)
    for line in export.made_safe(written, fmt):
        st.info(plain(line), icon=":material/info:")


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
