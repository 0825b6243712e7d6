"""The views' choices kept in the URL, so that a copied link shows the same view: a team, a
meeting, the codes searched for, the source codes are counted in; and the marks clicked in a chart."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from observation import definitions, labels, notes
from observation.filters import StudyFilter
from observation.ui.state import keep, plain, query_params
from observation.ui.study import overview


def url_choice(key: str, param: str, options: Sequence[Any], default: Any) -> None:
    """Before a widget keyed ``key`` is drawn: take its value from the URL parameter ``param`` when
    it has none — on the page's first run, and on a return to the page (Streamlit forgets a
    widget's value when another page runs). A value not among ``options`` falls back, with a
    notice the first time."""
    keep(key)
    if key in st.session_state:
        return
    first = f"{key}__from_url" not in st.session_state
    st.session_state[f"{key}__from_url"] = True
    raw = query_params().get(param)
    chosen = next((o for o in options if str(o) == raw), None)
    if first and raw is not None and chosen is None:
        st.warning(
            plain(f"Ignored {param}={raw!r} in the link: not one of the choices here."),
            icon=":material/link_off:",
        )
    st.session_state[key] = default if chosen is None else chosen


def keep_in_url(param: str, value: object, default: object) -> None:
    """After the widget: say its value in the URL (and nothing when it is the default)."""
    if value is None or value == default:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != str(value):
        st.query_params[param] = str(value)


SEARCH_CHARS = 200  # the longest search; a longer paste keeps its first SEARCH_CHARS, with a notice
PASTE_CHARS = 5000  # the box takes a long paste (Streamlit's box refuses, silently, one over max_chars)


def url_text(key: str, param: str, label: str, placeholder: str) -> str:
    """A search box whose words are kept in the URL. Words longer than SEARCH_CHARS (pasted, or in
    the link) are cut to their first SEARCH_CHARS, and the page says so."""
    if f"{key}__from_url" not in st.session_state:
        st.session_state[f"{key}__from_url"] = True
        st.session_state[key] = query_params().get(param, "")
        _shorten(key)
    text: str = st.text_input(
        label, key=key, placeholder=placeholder, max_chars=PASTE_CHARS, on_change=_shorten, args=(key,)
    )
    if st.session_state.pop(f"{key}__cut", False):
        st.warning(
            f"A search takes up to {SEARCH_CHARS} characters, so only the first {SEARCH_CHARS} are searched; "
            "shorten it to search other words.",
            icon=":material/short_text:",
        )
    keep_in_url(param, text.strip(), "")
    return text.strip()


def _shorten(key: str) -> None:
    """The search box's words, without spaces around them, cut to SEARCH_CHARS (noted when cut)."""
    text = str(st.session_state.get(key) or "").strip()
    if len(text) > SEARCH_CHARS:
        text = text[:SEARCH_CHARS].strip()
        st.session_state[f"{key}__cut"] = True
    st.session_state[key] = text


SOURCE_PARAM = "source"
SOURCES: tuple[notes.Source, ...] = ("notes", "interviews", "both")


def choose_source(key: str) -> notes.Source:
    """Field notes, interviews or both, for every count of codes on the page: a widget keyed
    ``key``, kept in the link as ``source=notes|interviews|both`` (a bad value is ignored with a
    notice, as url_choice does)."""
    url_choice(key, SOURCE_PARAM, SOURCES, notes.DEFAULT_SOURCE)
    source: notes.Source = (
        st.segmented_control(
            "Count codes in",
            SOURCES,
            format_func=labels.SOURCE_CHOICES.__getitem__,
            key=key,
            required=True,
            help=definitions.CODE_COUNTS,
        )
        or notes.DEFAULT_SOURCE
    )
    keep_in_url(SOURCE_PARAM, source, notes.DEFAULT_SOURCE)
    return source


def read_hint(mark: str, source: notes.Source, apart: bool = False) -> str:
    """What clicking a mark of a chart of ``source`` opens; ``apart``: a chart of both sources whose
    marks each count one of them."""
    if source == "both" and apart:
        return f"Click a {mark} to read the notes or the interview transcripts it counts."
    return {
        "notes": f"Click a {mark} to read its notes.",
        "interviews": f"Click a {mark} to read its interview transcripts.",
        "both": f"Click a {mark} to read its notes. The interview transcripts counted in it come with them.",
    }[source]


def picked(event: Any) -> list[Any]:
    """The customdata of the marks selected in a chart drawn with on_select="rerun"."""
    try:
        points = event.selection.points
    except AttributeError:
        return []
    return [p["customdata"] for p in points if p.get("customdata") is not None]


def choose_team(
    key: str, param: str | None, flt: StudyFilter, label: str = "Team", keep_first: bool = False
) -> int | None:
    """One of the teams in the filter, kept in the URL; None when the filter has no team. The
    first team by name is the default, left out of the URL, unless ``keep_first`` and the URL
    names it already (a link to the first team keeps naming it, whatever teams the filter later
    brings in; a page opened without one does not gain one). With ``param`` None, the choice is
    kept for the session only (for when the user comes back to the page), not in the URL."""
    teams = {t.team_id: t.team_name for t in overview(flt).teams}
    if not teams:
        return None
    first = next(iter(teams))
    if param is None:
        keep(key)
    else:
        url_choice(key, param, list(teams), first)
    if st.session_state.get(key) not in teams:
        st.session_state[key] = first
    team_id: int = st.selectbox(label, list(teams), format_func=lambda t: teams[t], key=key)
    if param is not None:
        keep_in_url(param, team_id, None if keep_first and param in query_params() else first)
    return team_id


def choose_meeting(key: str, param: str, rows: pd.DataFrame, clicked: list[Any]) -> int | None:
    """A meeting among ``rows`` (meeting_id, team_name, meeting_date, status): the one last clicked
    in a chart, or chosen in the list, kept in the URL."""
    labels = {
        int(m): f"{n} — {pd.Timestamp(d):%d %b %Y} ({s})"
        for m, n, d, s in zip(rows["meeting_id"], rows["team_name"], rows["meeting_date"], rows["status"], strict=True)
    }
    url_choice(key, param, list(labels), None)
    # A chart keeps its selection across reruns: apply a click once, when it is new, so that a
    # meeting chosen from the list afterwards is not undone by the old click.
    ids = tuple(int(c[0] if isinstance(c, list) else c) for c in clicked)
    if ids and ids != st.session_state.get(f"{key}__clicked") and ids[-1] in labels:
        st.session_state[key] = ids[-1]
    st.session_state[f"{key}__clicked"] = ids
    if st.session_state.get(key) not in labels:
        st.session_state[key] = None
    meeting_id: int | None = st.selectbox(
        "Read a meeting",
        list(labels),
        format_func=lambda m: labels[m],
        key=key,
        placeholder="Click a meeting in a chart, or choose one here",
    )
    keep_in_url(param, meeting_id, None)
    return meeting_id


def url_codes(key: str, param: str, book: tuple[notes.CodeNode, ...]) -> tuple[int, ...]:
    """Codes to search for, kept in the URL as ``codes=2,5``; unknown ones are dropped with a notice."""
    names = {n.code.id: ("  " * n.depth) + n.code.name for n in book}
    if f"{key}__from_url" not in st.session_state:
        st.session_state[f"{key}__from_url"] = True
        raw = [part.strip() for part in query_params().get(param, "").split(",") if part.strip()]
        wanted = [int(p) for p in raw if re.fullmatch("[0-9]{1,9}", p) and int(p) in names]
        if len(wanted) < len(raw):
            notice = f"Ignored codes={','.join(raw)!r} in part: not codes of this study."
            st.warning(plain(notice), icon=":material/link_off:")
        st.session_state[key] = wanted
    chosen: list[int] = st.multiselect(
        "Codes (a theme includes the codes under it)",
        list(names),
        format_func=lambda c: names[c],
        key=key,
        placeholder="Any code",
    )
    keep_in_url(param, ",".join(str(c) for c in chosen), "")
    return tuple(chosen)


TAB_PARAM = "tab"
"""The URL parameter that names a page's open tab (open_tab_only), as its label in lower case with
hyphens (?tab=run-and-spc-charts); the first tab is left out."""


def open_tab_only(labels: Sequence[str], key: str, linked: dict[str, str] | None = None) -> Sequence[Any]:
    """Tabs of which only the open one is worked out and drawn (``.open``): Streamlit otherwise
    runs and draws every tab, charts and all, for the one a person reads. A click on another tab
    runs the page again. The open tab is kept in the URL (TAB_PARAM) and for when the user comes
    back to the page. ``linked``: a tab's own parameters ({"meeting": "One meeting"}): a link
    with one and no TAB_PARAM opens that tab, and they leave the URL while another tab is open, so
    that a copied link opens the tab on the screen. Streamlit knows the open tab by every label
    (and the tab opened first): a label that changed with the data (a count in it) or came and went
    would open the first tab again, so labels stay the same and a count is said inside its tab."""
    keep(key)
    linked = linked or {}
    by_slug = {_slug(label): label for label in labels}
    opened_first = f"{key}__first"
    if key not in st.session_state:  # the page's first run
        given = query_params()
        asked = given.get(TAB_PARAM)
        if asked is not None and asked not in by_slug:
            st.warning(
                plain(f"Ignored {TAB_PARAM}={asked!r} in the link: not one of the tabs here."),
                icon=":material/link_off:",
            )
        from_link = next((tab for param, tab in linked.items() if param in given and tab in labels), None)
        st.session_state[opened_first] = by_slug.get(asked or "") or from_link
    # The same default on every run: Streamlit tells tabs apart by it, and a tab's own choice
    # leaving the link (a QI chart set back to its defaults) would otherwise reopen the first tab.
    tabs = st.tabs(labels, key=key, default=st.session_state.get(opened_first), on_change="rerun")
    shown = next((label for label, tab in zip(labels, tabs, strict=True) if tab.open), labels[0])
    keep_in_url(TAB_PARAM, _slug(shown), _slug(labels[0]))
    for param in [param for param, tab in linked.items() if tab != shown and param in st.query_params]:
        del st.query_params[param]
    return tabs


def _slug(label: str) -> str:
    """A tab's label as the link names it: "Run and SPC charts" → "run-and-spc-charts"."""
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
