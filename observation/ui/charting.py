"""Figures on a page: built once for the same data (a process-wide cache), drawn with their PNG
and SVG downloads, and the slide deck made from the study."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, get_args

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from observation import access, deck, figures
from observation.errors import ObservationError
from observation.filters import StudyFilter
from observation.ui.state import plain, presenting, settings
from observation.ui.study import connection, study_info

T = TypeVar("T")
FIGURES = 32
"""Figures kept (figure()): a national study's twelve-panel chart is about a megabyte."""


def figure(build: Callable[..., T], *args: Any) -> T:
    """``build(*args)`` (a figure, from a pure function of its arguments), built once for the same
    arguments and kept for the process: Plotly took a tenth of a second to build a twelve-panel
    figure, on every rerun of the page. The arguments are compared by content (every cell of a data
    frame), so new data is a new figure. Other sessions are shown the very same object: never change
    a figure this returns (figures.for_a_room and for_export copy; the copy a page draws is kept on
    it, by _on_screen)."""
    key = tuple(_content(a) if isinstance(a, pd.DataFrame) else a for a in args)
    return _figure(f"{build.__module__}.{build.__qualname__}", key, args, build)


@st.cache_resource(show_spinner=False, max_entries=FIGURES)
def _figure(name: str, key: tuple[Any, ...], _args: tuple[Any, ...], _build: Callable[..., T]) -> T:
    return _build(*_args)


def _content(frame: pd.DataFrame) -> str:
    """A digest of every cell of ``frame``: Streamlit's own hash of a data frame of 50,000 rows or
    more looks at a sample of its rows, and a changed count elsewhere would show the old figure.
    The cells' values are hashed, not the frame's pickle: a cached read hands each run an unpickled
    copy whose pickle differs from the first (objects shared or not), which missed the figure on a
    page's second visit."""
    header = (list(frame.columns), frame.columns.names, frame.index.names, [repr(t) for t in frame.dtypes])
    digest = hashlib.sha256(repr(header).encode())
    try:
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    except TypeError:  # a cell holding a list or a dict: its pickle (a copy may then miss once)
        digest.update(pickle.dumps(frame, protocol=5))
    return digest.hexdigest()


def chart(
    fig: go.Figure, key: str, name: str, flt: StudyFilter, rules: str | None = None, clickable: bool = False
) -> Any:
    """A chart on the page, and beneath it PNG and SVG downloads that say where it came from. The
    files are drawn only when a button is pressed (a few seconds each, in Chromium). A
    ``clickable`` chart returns its selection event (see choices.picked)."""
    mode = presenting()
    event = plot(fig, key, clickable, mode.on)
    if figures.chromium() is None:
        st.caption("PNG and SVG downloads need Chromium or Chrome on the server (on Debian: apt-get install chromium).")
        return event
    info = study_info()
    provenance = figures.Provenance(
        period=figures.period_text(flt, info),
        rules=rules,
        synthetic=bool(info and info.study.is_demo),
        presenter=mode.badge() if mode.on else None,
    )
    row = st.container(horizontal=True)
    for fmt in get_args(figures.ImageFormat):
        row.download_button(
            fmt.upper(), data=_drawn(fig, provenance, fmt, mode.on), file_name=f"{name}.{fmt}", mime=figures.MIME[fmt],
            key=f"{key}_{fmt}", on_click="ignore", icon=":material/download:", help=f"The chart as {fmt.upper()}",
        )  # fmt: skip
    return event


def plot(fig: go.Figure, key: str, clickable: bool = False, room: bool = False) -> Any:
    """``fig`` drawn on the page as figures.for_screen prepares it (the browser draws it once), as
    presenter mode shows it if ``room``; a ``clickable`` chart returns its selection event."""
    shown = _on_screen(fig, clickable, room)
    width = int(shown.layout.width)
    if clickable:
        return st.plotly_chart(shown, key=key, on_select="rerun", selection_mode="points", theme=None, width=width)
    return st.plotly_chart(shown, key=key, theme=None, width=width)


def _on_screen(fig: go.Figure, clickable: bool, room: bool) -> go.Figure:
    """The copy of ``fig`` the page draws, made once per figure and way of showing it: kept on the
    figure itself, which figure() shares with every run and session (figures.for_screen digests the
    whole figure; presenter mode's copy, made on every run before, is kept the same way)."""
    kept: dict[tuple[bool, bool], go.Figure] = fig.__dict__.setdefault("_observation_screen", {})
    if (clickable, room) not in kept:
        kept[(clickable, room)] = figures.for_screen(figures.for_a_room(fig) if room else fig, clickable)
    return kept[(clickable, room)]


STREAMLIT_SCRIPTS = Path(st.__file__).parent / "static" / "static" / "js"
EARLY_SCRIPTS = (
    "PlotlyChart", "DataFrame", "Metric", "Button", "DownloadButton", "ButtonGroup",
    "DateInput", "NumberInput", "TextArea", "FileUploader",
)  # fmt: skip
"""Streamlit's scripts for the elements the pages show that the browser loads only when a page
first shows one: the charts' (Plotly's, 4.7 MB: 1.2 s in Chromium), the tables' and metrics' (the
first page with a table waited for 28 scripts, the last 1.2 s after the click), the buttons', the
date and number inputs', the text areas' and the file uploader's. Their dependencies come with them."""
EARLY = tuple(found.name for name in EARLY_SCRIPTS for found in sorted(STREAMLIT_SCRIPTS.glob(f"{name}.*.js"))[:1])
"""The file names of EARLY_SCRIPTS in the Streamlit installed ("PlotlyChart.<hash>.js")."""
_EARLY_FILES = Path(__file__).with_name("early")
_EARLY = st.components.v2.component(
    "observation_scripts_early",
    css=(_EARLY_FILES / "scripts.css").read_text(encoding="utf-8"),
    js=(_EARLY_FILES / "scripts.js").read_text(encoding="utf-8"),
    isolate_styles=False,
)


def load_scripts_early() -> None:
    """Have the browser load Streamlit's scripts for the pages' elements (EARLY) in the background
    as soon as any page is open, so that the first page with a chart or a table waits for its data
    only (app.py, every run: a component that draws nothing; the browser loads each script once)."""
    if EARLY:  # another Streamlit's names: each element loads its own, as before
        _EARLY(key="scripts_early", data={"scripts": list(EARLY)})


PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def deck_download(flt: StudyFilter) -> None:
    """Make the page's slide deck under presenter mode's rules (with a progress bar: each chart is
    drawn in Chromium), then offer it. A deck made for other filters or rules is not offered."""
    if figures.chromium() is None or access.current().role == "coach":  # a deck shows the whole study
        return
    mode = presenting().model_copy(update={"on": True})
    made_for = (flt, mode)
    if st.button("Make a slide deck", key="deck_make", icon=":material/slideshow:",
                 help="A .pptx to hand out that tells the study's story: headline measures, each team, the QI "
                      "charts' reading, quarter by quarter, the recruitment funnel and tensions, and the method; "
                      "the numbers in the speaker notes. Presenter mode's rules always apply to it, at the "
                      "threshold chosen in the sidebar."):  # fmt: skip
        bar = st.progress(0.0, text="Drawing the slides…")
        try:
            made = deck.overview_deck(
                connection(), flt, settings(), mode,
                progress=lambda share, what: bar.progress(share, text=plain(what)),
            )  # fmt: skip
        except ObservationError as exc:
            st.error(plain(str(exc)), icon=":material/error:")
            return
        finally:
            bar.empty()
        st.session_state["deck"] = (made_for, made)
    kept = st.session_state.get("deck")
    if kept is not None and kept[0] == made_for:
        st.download_button("Download the deck", data=kept[1], file_name="involvement-overview.pptx", mime=PPTX,
                           key="deck_download", on_click="ignore", icon=":material/download:")  # fmt: skip


def _drawn(fig: go.Figure, provenance: figures.Provenance, fmt: figures.ImageFormat, room: bool) -> Callable[[], bytes]:
    """The file, prepared and drawn only when its button is pressed (from the chart as presenter
    mode shows it, when it is on)."""
    return lambda: figures.image(figures.for_export(figures.for_a_room(fig) if room else fig, provenance), fmt)
