"""The bottom of observation/ui: the session's own state, read and kept without the study — the
settings, the URL's parameters, the widget values kept across pages, and presenter mode as chosen.
Every other ui module may import this one; it imports none of them, so no circle can form."""

from __future__ import annotations

from typing import NoReturn

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner import get_script_run_ctx

from observation import access, config, filters
from observation import presenting as presenting_rules
from observation.errors import ObservationError
from observation.plain import markdown_text


def settings() -> config.Settings:
    try:
        return config.load_settings()
    except ObservationError as exc:
        stop_with(str(exc))


def stop_with(message: str) -> NoReturn:
    st.error(message, icon=":material/error:")
    st.stop()


def metric_row(n: int) -> list[DeltaGenerator]:
    """Where a row of ``n`` metric cards goes, each in turn: a row that wraps, so a card too narrow
    for its label and note moves to the next line whole (in ``n`` columns a 1,100 px window cut
    "service users 21% · carers 7%" to "service users 2…")."""
    return [st.container(horizontal=True)] * n


def query_params() -> dict[str, str]:
    return {name: st.query_params[name] for name in st.query_params}


def write_query_params(wanted: dict[str, str], names: tuple[str, ...]) -> None:
    """Make the URL's parameters ``names`` say exactly ``wanted`` (absent: the default), in one
    change of the address and only when it differs: Streamlit pushes a browser-history entry for
    every change of st.query_params (an assignment or a deletion each), so setting three parameters
    one by one would take three presses of Back to undo. The other parameters keep their places."""
    current = query_params()
    updated = {name: value for name, value in current.items() if name not in names or name in wanted}
    updated.update((name, wanted[name]) for name in names if name in wanted)
    if updated != current:
        st.query_params.from_dict(updated)


SHARED_PARAMS = (*filters.FILTER_PARAMS, *presenting_rules.PARAMS)
SHARED_LINK = "shared_link"


def write_shared_params(wanted: dict[str, str], names: tuple[str, ...]) -> None:
    """write_query_params for parameters every page shares (the filter, presenter mode), kept in
    the session so that carry_shared_params can put them in the next page's address."""
    kept = {name: value for name, value in st.session_state.get(SHARED_LINK, {}).items() if name not in names}
    st.session_state[SHARED_LINK] = {**kept, **wanted}
    write_query_params(wanted, names)


def carry_shared_params() -> None:
    """Put the shared parameters in the address before st.navigation says which page runs (app.py).

    A click in the navigation sends Streamlit to the page with a bare address, and Streamlit's front
    end pushes a browser-history entry for the page and another for every later change of the
    address: writing the filter back during the page would make each page change two entries, the
    first of which Back returns to only for the page to write the filter again (Back "doing
    nothing"). Written here, before the navigation message, the front end pushes the page's
    address once, with them. Not on the session's first run (the link is then what applies), and
    not when Back or Forward brought the page (the address is then what applies)."""
    if SHARED_LINK in st.session_state and not history_navigation():
        write_query_params(st.session_state[SHARED_LINK], SHARED_PARAMS)


def history_navigation() -> bool:
    """This run was started by the browser's Back or Forward: the address is what it should show.

    ``is_history_navigation`` is Streamlit's own, not a documented API (tests/unit/test_streamlit_internals.py
    checks the installed Streamlit has it): without it, every run counts as not from Back or Forward,
    so the shared parameters are written as on any other page change."""
    ctx = get_script_run_ctx()
    return bool(getattr(ctx, "is_history_navigation", False))


SHARED_WIDGETS = ("flt_teams", "flt_setting", "pm_on", "pm_threshold", "pm_letters")


def keep_across_pages() -> None:
    """Streamlit forgets a widget's value when another page runs (a widget belongs to its page);
    the sidebar's filter and presenter mode belong to every page. Setting each value to itself
    before the widgets are drawn makes it the session's, so the next page's widget starts from it
    (Streamlit's documented way to keep widget values across pages)."""
    for key in (*SHARED_WIDGETS, *st.session_state.get("kept_widgets", ())):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def keep(key: str) -> None:
    """Keep a page's own choice (a widget keyed ``key``) for when the user comes back to the page."""
    st.session_state.setdefault("kept_widgets", set()).add(key)


def presenting() -> presenting_rules.Presenting:
    """Presenter mode as chosen in the sidebar, or as the URL asked on the session's first run.
    A presenter is always in it; a coach never (presenter mode shows the whole study, beyond a
    coach's teams). Whoever chooses, the threshold is never under the study's floor
    (OBSERVATION_PRESENTER_MINIMUM): a link asking for less is refused with a notice."""
    role = access.current().role
    if role == "coach":
        return presenting_rules.Presenting(on=False)
    floor = settings().presenter_minimum
    if "pm_ready" not in st.session_state:
        chosen, notices = presenting_rules.from_query_params(query_params(), minimum=floor)
        st.session_state["pm_on"] = chosen.on
        st.session_state["pm_threshold"] = chosen.threshold
        st.session_state["pm_letters"] = chosen.letters
        st.session_state.setdefault("flt_notices", []).extend(notices)
        st.session_state["pm_ready"] = True
    # Changed only when it must be: a drawn widget's value cannot be set (and the drawn threshold
    # cannot go under its min_value, the floor).
    if role == "presenter" and not st.session_state.get("pm_on"):
        st.session_state["pm_on"] = True
    if int(st.session_state.get("pm_threshold", 0)) < floor:
        st.session_state["pm_threshold"] = floor
    return presenting_rules.Presenting(
        on=bool(st.session_state.get("pm_on", False)),
        threshold=int(st.session_state["pm_threshold"]),
        letters=bool(st.session_state.get("pm_letters", True)),
        floor=floor,
    )


def plain(text: str) -> str:
    """Study text (a note, a name, an annotation's label, an error that quotes one) as Markdown
    that shows it as typed: every mark of markup escaped and no address a live link (see
    observation.plain.markdown_text, the one place this is done)."""
    return markdown_text(text)
