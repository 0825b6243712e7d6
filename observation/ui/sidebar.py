"""What every page starts with (shared_sidebar): the person signed in, the study opened, presenter
mode's switch and the shared filter in the sidebar, kept in the URL; and the pages app.py lists
for the person signed in."""

from __future__ import annotations

import datetime as dt
import re
import runpy
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from observation import access, config, filters, labels, queries
from observation import presenting as presenting_rules
from observation.filters import StudyFilter
from observation.ui import study
from observation.ui.signin import account, sign_in_screen, signed_in
from observation.ui.state import (
    history_navigation,
    keep_across_pages,
    plain,
    presenting,
    query_params,
    settings,
    stop_with,
    write_shared_params,
)
from observation.ui.study import open_study, team_names
from observation.ui.widgets import demo_badge

ALL = "all"


def shared_sidebar(page: str, filtered: bool = True) -> StudyFilter:
    """What every page starts with: the person signed in (or the sign-in screen), the study
    opened (or a one-line reason why not), the demo badge, presenter mode's switch, and the shared
    filter in the sidebar, kept in the URL. Returns the filter. ``page`` is the page's file name
    under pages/: a page the person's role may not open answers "page not found", and one that
    presenter mode leaves out stops here in presenter mode (app.py does not list either; this
    guards a link that reaches one anyway).

    Pages call this themselves rather than app.py, so that a page is complete however Streamlit
    runs it (a fresh server's first deep link can run a file in pages/ without app.py).

    A page that reads no study rows through the filter (Import, Audit trail, Access) passes
    ``filtered=False``: it shows no filter that would not apply to it, and the filter chosen on
    the other pages is kept for them.
    """
    _leave_legacy_multipage_mode()
    st.session_state.pop(study.VERSION, None)  # this run asks the study's data version afresh
    keep_across_pages()
    me = signed_in()
    if me is None:
        sign_in_screen()
        st.stop()
    if not me.may_open(page):
        stop_with("Page not found.")
    info = open_study()
    demo_badge(info)
    mode = _presenter_controls(me)
    if mode.on:
        st.badge(mode.badge(), icon=":material/co_present:", color="blue", help=PRESENTER_HELP)
        if page not in PRESENTABLE:
            st.info(
                "This page is not part of presenter mode. Turn presenter mode off under Presenter settings in the "
                "sidebar to use it."
            )
            st.stop()
    flt = _sidebar_filter(info, me) if filtered else StudyFilter()
    account(me)  # last: the filter stays near the top of a sidebar that lists every page
    return flt


PRESENTABLE = frozenset(page for page, roles in access.PAGES.items() if "presenter" in roles)


def pages_open_to(me: access.Identity | None) -> dict[str, bool]:
    """The pages (file names under pages/) app.py registers for ``me``, each with whether the
    navigation lists it. A page the role may not open is not registered, so it answers "page not
    found"; in presenter mode the pages it leaves out stay registered but unlisted, so that a link
    to one says it is not part of presenter mode (shared_sidebar). Signed out: none."""
    if me is None:
        return {}
    on = presenting().on
    return {page: not on or page in PRESENTABLE for page in access.PAGES if me.may_open(page)}


def _presenter_controls(me: access.Identity) -> presenting_rules.Presenting:
    """Presenter mode's switch in the sidebar; once it is on, the switch, the threshold and the
    team letters move into a closed "Presenter settings" popover, so the room sees the badge, not
    the controls."""
    mode = presenting()
    if me.role == "coach":
        return mode
    with st.sidebar:
        if not mode.on:
            _presenter_toggle(me)
        else:
            with st.popover("Presenter settings", icon=":material/settings:", help=PRESENTER_SETTINGS_HELP):
                _presenter_toggle(me)
                st.number_input(
                    "Hide counts under", min_value=settings().presenter_minimum, max_value=100, step=1,
                    key="pm_threshold", help=THRESHOLD_HELP,
                )  # fmt: skip
                st.toggle("Teams as Team A, Team B…", key="pm_letters")
    mode = presenting()
    write_shared_params(presenting_rules.to_query_params(mode), presenting_rules.PARAMS)
    return mode


def _presenter_toggle(me: access.Identity) -> None:
    st.toggle("Presenter mode", key="pm_on", help=PRESENTER_HELP, disabled=me.role == "presenter")


PRESENTER_HELP = (
    "For showing findings to a room: editing and note pages are hidden; counts of people, attendances "
    "or coded segments below the threshold show as '<5'; a percentage that would reveal one is hidden; "
    "charts go by quarter; no note text, participant code or annotation wording is shown. The aggregate "
    "export is checked against what presenter mode shows: an audience holding both learns no small count."
)


PRESENTER_SETTINGS_HELP = "Presenter mode's switch, its threshold and team letters: kept off the slide."


THRESHOLD_HELP = (
    "5 hides 1–4; 8 gives NHS-style suppression of 1–7. The study's floor (OBSERVATION_PRESENTER_MINIMUM) is "
    "the lowest allowed."
)


def _leave_legacy_multipage_mode() -> None:
    """Streamlit 1.67 treats a pages/ folder beside app.py as its old multipage mode until
    st.navigation has run once in the process: a fresh server's first deep link runs the page
    without app.py, with the old navigation (the pages' file names) and without the app's page
    settings. Here that first run leaves the mode and goes through app.py in its place, as every
    later run does: app.py's navigation (sent after the old one, which the browser then replaces)
    runs this page again, and this run stops when it ends. Nothing was drawn before (every page
    starts here), and nothing runs twice that a person did: no rerun, no click lost. AppTest, which
    runs a page as its own main script, runs it alone as before. (PagesManager is Streamlit's own;
    if it moves, a fresh server's first deep link shows the old navigation again.)"""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # pragma: no cover - a future Streamlit without the legacy mode
        return
    if not PagesManager.uses_pages_directory:
        return
    PagesManager.uses_pages_directory = False
    ctx = get_script_run_ctx()
    main = getattr(getattr(ctx, "pages_manager", None), "main_script_path", None)
    if main is None or Path(main).resolve() != APP:  # a page run on its own (AppTest)
        return
    runpy.run_path(str(APP), run_name="__main__")
    st.stop()


APP = config.PROJECT_ROOT / "app.py"


def _sidebar_filter(info: queries.StudyInfo, me: access.Identity) -> StudyFilter:
    teams = team_names()
    first = info.first_meeting or dt.date.today()
    last = info.last_meeting or first
    if "flt_ready" not in st.session_state or history_navigation():  # Back shows the filter it left
        _filter_from_url(teams, first, last)
    _follow_the_study(first, last)
    with st.sidebar:
        st.subheader(
            "Filter",
            help="These filters apply to every page; the address bar keeps them, so a copied link shows the same view.",
        )
        for notice in st.session_state.pop("flt_notices", ()):
            st.warning(plain(notice), icon=":material/link_off:")
        for notice in st.session_state.pop(TYPED_NOTICES, ()):
            st.warning(plain(notice), icon=":material/edit_calendar:")
        # Presenter mode shows the whole study: two views of different teams or dates, each safe
        # on its own, could give a hidden figure away by difference.
        off = presenting().on
        if off:
            st.caption("Presenter mode shows the whole study: the filter is off until presenter mode is.")
        st.multiselect(
            "Teams",
            options=list(teams),
            format_func=teams.__getitem__,
            key="flt_teams",
            placeholder="All teams" if me.teams is None else "All your teams",
            disabled=off,
        )
        st.selectbox(
            "Setting",
            options=[ALL, *labels.SETTINGS],
            format_func=lambda s: labels.SETTINGS.get(s, "All settings"),
            key="flt_setting",
            disabled=off,
        )
        _date_inputs(first, last, disabled=off)
    if off:
        return StudyFilter()
    dates = tuple(st.session_state["flt_dates"] or ())
    start = dates[0] if dates and dates[0] != first else None
    end = dates[1] if len(dates) > 1 and dates[1] != last else None
    flt = StudyFilter(
        teams=tuple(sorted(st.session_state["flt_teams"])),
        setting=None if st.session_state["flt_setting"] == ALL else st.session_state["flt_setting"],
        start=start,
        end=end if start is None or end is None or end >= start else None,
    )
    write_shared_params(filters.to_query_params(flt), filters.FILTER_PARAMS)
    if me.teams is not None and not flt.teams:  # a coach's "all teams" is all of theirs
        return flt.model_copy(update={"teams": tuple(sorted(me.teams))})
    return flt


TYPED_NOTICES = "flt_typed_notices"
DATE_FORMAT = "%d/%m/%Y"
DATE_MAX_CHARS = 30


def _date_inputs(first: dt.date, last: dt.date, disabled: bool) -> None:
    """The meetings' dates as two boxes, From and To, each typed as day/month/year and applied on
    Enter (or on leaving the box). Streamlit 1.67's date picker applies a typed date only when its
    calendar closes, not on Enter, so the boxes are text. ``flt_dates``, the pair of dates the link
    and the study's bounds set, stays the filter's own; the boxes show it and change it."""
    start, end = st.session_state["flt_dates"]
    st.session_state["flt_from"] = f"{start:{DATE_FORMAT}}"  # the boxes say the dates applied
    st.session_state["flt_to"] = f"{end:{DATE_FORMAT}}"
    where = f"This study's meetings run from {first:{DATE_FORMAT}} to {last:{DATE_FORMAT}}."
    left, right = st.columns(2)
    for column, key, label, what in (
        (left, "flt_from", "From", "Meetings on or after this date"),
        (right, "flt_to", "To", "Meetings on or before this date"),
    ):
        column.text_input(
            label,
            key=key,
            placeholder="DD/MM/YYYY",
            max_chars=DATE_MAX_CHARS,  # room for spaces pasted around a date; they are stripped
            help=f"{what}: type it as day/month/year (31/12/2019) and press Enter. {where}",
            on_change=_typed_date,
            args=(key,),
            disabled=disabled,
        )


def _typed_date(key: str) -> None:
    """A date typed in From or To: applied, kept within the study's meetings, and never after (From)
    or before (To) the other one: the other one moves to the study's end instead, with a notice. A
    date that cannot be read changes nothing and says so. An empty box means the study's end."""
    first, last = st.session_state["flt_bounds"]
    start, end = st.session_state["flt_dates"]
    is_from = key == "flt_from"
    text = str(st.session_state.get(key) or "").strip()
    notices = st.session_state.setdefault(TYPED_NOTICES, [])
    typed = _read_date(text) if text else (first if is_from else last)
    if typed is None:
        notices.append(f"Could not read {text!r} as a date: type it as day/month/year, like 31/12/2019.")
        return
    kept = min(max(typed, first), last)
    if kept != typed:
        notices.append(
            f"{typed:{DATE_FORMAT}} is outside this study's meetings ({first:{DATE_FORMAT}} to {last:{DATE_FORMAT}}); "
            f"showing {kept:{DATE_FORMAT}}."
        )
    if is_from:
        start = kept
        if start > end:
            end = last
            notices.append(f"From is after To, so To is now the study's last meeting, {last:{DATE_FORMAT}}.")
    else:
        end = kept
        if end < start:
            start = first
            notices.append(f"To is before From, so From is now the study's first meeting, {first:{DATE_FORMAT}}.")
    st.session_state["flt_dates"] = (start, end)


def _read_date(text: str) -> dt.date | None:
    """A date typed as day/month/year (31/12/2019, 31-12-2019, 31.12.19) or as 2019-12-31."""
    parts = re.fullmatch(r"(\d{1,4})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{1,4})", text)
    if parts is None:
        return None
    first, month, last = parts.groups()
    if len(first) == 4:  # 2019-12-31
        year, day = int(first), int(last)
    elif len(first) <= 2 and len(last) in (2, 4):
        day, year = int(first), int(last) + (2000 if len(last) == 2 else 0)
    else:
        return None
    try:
        return dt.date(year, int(month), day)
    except ValueError:
        return None


def _follow_the_study(first: dt.date, last: dt.date) -> None:
    """When the study's first or last meeting moved (an import, a deleted meeting), a date range
    that reached the old ends reaches the new ones, and any other stays inside them."""
    old = st.session_state.get("flt_bounds", (first, last))
    st.session_state["flt_bounds"] = (first, last)
    if old == (first, last) or "flt_dates" not in st.session_state:
        return
    dates = tuple(st.session_state["flt_dates"] or ())
    start = first if len(dates) < 1 or dates[0] <= old[0] else min(max(dates[0], first), last)
    end = last if len(dates) < 2 or dates[1] >= old[1] else min(max(dates[1], start), last)
    st.session_state["flt_dates"] = (start, end)


def _filter_from_url(teams: dict[int, str], first: dt.date, last: dt.date) -> None:
    parsed = filters.from_query_params(query_params())
    notices = list(parsed.notices)
    unknown = [t for t in parsed.filter.teams if t not in teams]
    if unknown:
        notices.append(f"Ignored team {', '.join(map(str, unknown))} in the link: not one of the teams you can see.")
    start = min(max(parsed.filter.start or first, first), last)
    end = max(min(parsed.filter.end or last, last), start)
    asked = (parsed.filter.start or start, parsed.filter.end or end)
    if asked != (start, end):
        notices.append(
            f"The link's dates reach beyond this study's meetings ({first:%d/%m/%Y} to {last:%d/%m/%Y}); "
            f"showing {start:%d/%m/%Y} to {end:%d/%m/%Y}."
        )
    st.session_state["flt_teams"] = [t for t in parsed.filter.teams if t in teams]
    st.session_state["flt_setting"] = parsed.filter.setting or ALL
    st.session_state["flt_dates"] = (start, end)
    st.session_state.setdefault("flt_notices", []).extend(notices)
    st.session_state["flt_ready"] = True
