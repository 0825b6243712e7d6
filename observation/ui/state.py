"""The bottom of observation/ui: the session's own state, read and kept without the study — the
settings, the URL's parameters, the widget values kept across pages, and presenter mode as chosen.
Every other ui module may import this one; it imports none of them, so no circle can form."""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

from observation import access, config
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
