"""The Import page's uploads: their names, how the user chose to read each (kept per upload), each
file's headers and first values, how it is read now, and the mapping step that says what a file
holds and which column each header is."""

from __future__ import annotations

import contextlib
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from observation import ingest
from observation.errors import ObservationError
from observation.ingest.read import MAX_BYTES, shown
from observation.ingest.values import day
from observation.ui.state import plain

SAMPLES, SAMPLE_CHARACTERS = 3, 40
"""Values shown under each header in the mapping step, and the most of each."""


LEAVE_OUT = ""


TRANSCRIPTS = ingest.transcripts.SUFFIXES
"""The files an interview manifest's transcripts may be, uploaded with it."""


UPLOAD_MEGABYTES = MAX_BYTES // 2**20
"""The most an uploaded file may hold: what an import takes, from the page or the command line."""


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


def file_reading(name: str, upload: Any, read_as: str, ignored: Sequence[str], *, done: bool) -> None:
    """One file: what it was read as, the headers left out, and (before the import) a way to read
    it differently."""
    chosen = upload is not None and upload.file_id in st.session_state.get("import_plans", {})
    st.markdown(
        f"**{plain(name)}**: read as {plain(_visible(_in_words(read_as)))}" + (", as you chose" if chosen else "")
    )
    if ingest.transcripts.is_transcript(name):
        return  # a transcript is read as the manifest's row that names it says, not as a spreadsheet
    if ignored:
        left_out = ", ".join(map(_visible, ignored))
        st.caption(plain(f"Left out, as no column of this kind reads them: {left_out}"))
    if done or upload is None:
        return
    if st.toggle("Change how it is read", key=f"import_change_{upload.file_id}"):
        peek, reading = first_values(upload, name), how_read(upload, name)
        if peek is not None and reading is not None:
            mapping_step(upload.file_id, peek, reading.kind, dict(reading.match.columns), "", chosen=chosen)


@st.fragment
def mapping_step(
    file_id: str, peek: Peek, kind: str | None, columns: dict[str, str] | None, why: str, *, chosen: bool = False
) -> None:
    """Choose what a file holds and which column each header is, then check again: a choice
    reruns only this step (the files are checked again once, on the button)."""
    sheet = peek.sheet
    with st.container(border=True), unexpected_as_one_line():
        if why:
            st.warning(plain(why), icon=":material/warning:")
        kinds: list[str] = list(ingest.KIND_NAMES)
        chosen_kind = st.selectbox(
            "What the file holds", kinds, index=kinds.index(kind) if kind in kinds else None,
            format_func=lambda k: f"{ingest.KIND_WORDS[k]}: {ingest.KIND_ROWS[k]}", key=f"import_kind_{file_id}",
            placeholder="Choose what the file holds",
        )  # fmt: skip
        if chosen_kind is None:
            st.caption(plain(f"Its headers: {', '.join(_visible(h) for h in sheet.headers if h)}"))
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
            title = plain(_visible(header))
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
                st.caption(plain("e.g. " + ", ".join(samples)) if samples else "empty in the first rows")
        if len(headed) < len(sheet.columns):
            st.caption("Columns whose header has no letter or digit are left out.")
        missing = [c for c in required if c not in mapping.values()]
        twice = {c: [_visible(sheet.headers[sheet.columns.index(h)]) for h, x in mapping.items() if x == c]
                 for c in set(mapping.values()) - {LEAVE_OUT}}  # fmt: skip
        twice = {c: hs for c, hs in twice.items() if len(hs) > 1}
        if missing:
            st.warning(plain(f"Still to choose: {', '.join(missing)}."), icon=":material/rule:")
        for column, hs in sorted(twice.items()):
            st.warning(plain(f"{column} is chosen for more than one header ({', '.join(hs)}): keep one."),
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


def first_values(upload: Any, name: str) -> Peek | None:
    """The file's headers and first values (read once per upload); None when it cannot be read
    (its problem is in the list)."""
    peeks: dict[str, Peek | None] = st.session_state.setdefault("import_peeks", {})
    if ingest.transcripts.is_transcript(name):
        return None  # a transcript has no headers
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


def how_read(upload: Any, name: str) -> ingest.Reading | None:
    """How the file is read now: as the user chose, or as its headers tell."""
    peek = first_values(upload, name)
    if peek is None:
        return None
    try:
        return ingest.read(peek.sheet, plan=st.session_state.get("import_plans", {}).get(upload.file_id))
    except ObservationError:
        return None


def _in_words(read_as: str) -> str:
    """How a file was read ("field_notes (Note as body)"), its kind in words ("field notes (…)")."""
    kind, rest = read_as.split(" (", 1) if " (" in read_as else (read_as, "")
    return ingest.KIND_WORDS.get(kind, kind) + (f" ({rest}" if rest else "")


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
