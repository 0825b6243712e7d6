"""The Streamlit glue: the cached connection, cached query wrappers and shared widgets.

The only part of the observation package that imports streamlit (a test checks): this module
holds the connection, the cached reads and the shared widgets; ui/views.py the four views' glue.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar, get_args

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from pydantic import ValidationError

from observation import access, charts, config, db, deck, definitions, figures, filters, qi, queries, spc
from observation import presenting as presenting_rules
from observation.errors import ObservationError
from observation.filters import StudyFilter
from observation.models import ParticipationLevel
from observation.plain import markdown_text
from observation.presenting import percent as percent  # shared with the deck's notes

ALL = "all"
SETTING_LABELS = {"community": "Community", "inpatient": "Inpatient", "other": "Other"}
T = TypeVar("T")
DEMO_NOTICE = "Synthetic demo data: invented people, teams and notes. Nothing here is real."


# --- data -------------------------------------------------------------------------------------


def settings() -> config.Settings:
    try:
        return config.load_settings()
    except ObservationError as exc:
        stop_with(str(exc))


@st.cache_resource(show_spinner=False)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    if st.secrets.load_if_toml_exists() and "db_key" in st.secrets:  # an encrypted study's key, kept secret
        return db.connect(path, key=str(st.secrets["db_key"]))
    return db.connect(path)  # OBSERVATION_DB_KEY's, if set


def open_study() -> queries.StudyInfo:
    """Open the configured study or stop the page with a one-line explanation."""
    where = _location()
    info = study_info()
    if info is None:
        stop_with(f"{db.shown(where)} holds no study yet.")
    return info


def _location() -> str:
    """The configured study (a file's path or a PostgreSQL connection string); the page stops with
    a one-line explanation when a study file is not there (the connection would create an empty one)."""
    where = settings().db_path
    if db.missing_file(where):
        stop_with(
            f"There is no study file at {where}. Create the synthetic demo study with "
            f"`python -m observation demo --db {where}`, or set OBSERVATION_DB to your study."
        )
    return str(where)


def _version(where: str) -> int:
    """The study's data version (db.data_version), part of every cached read's key; 0 for a study
    file without asking (this process alone writes it, and clears the caches when it does). On
    PostgreSQL it is asked once per run (shared_sidebar forgets the last run's), not once per
    cached read: a page of nine reads spent 20 ms a rerun on the same round trip. A run reads the
    study as it was when the run began; an edit made meanwhile on another server shows on the next
    rerun, and this process's own writes call study_changed."""
    if not db.is_postgres(where):
        return 0
    asked = st.session_state.get(_VERSION)
    if asked is None or asked[0] != where:
        asked = (where, _guarded(lambda: db.data_version(_connection(where))))
        st.session_state[_VERSION] = asked
    return int(asked[1])


_VERSION = "data_version_this_run"


def study_changed() -> None:
    """After this process wrote to the study: every read from here on, in this run too, reads the
    study afresh (the cached results dropped, and on PostgreSQL the data version asked again)."""
    st.cache_data.clear()
    st.session_state.pop(_VERSION, None)


# Cached results are keyed on the study and its data version (never name that parameter with a
# leading underscore: Streamlit leaves such parameters out of the key), so two studies in one
# process never mix, and an edit another app server made to a shared study is read on the next
# rerun. Each keeps its latest CACHED results: an edit elsewhere leaves the older ones unused.
CACHED = 64
FIGURES = 32  # figures kept (ui.figure): a national study's twelve-panel chart is about a megabyte


def study_info() -> queries.StudyInfo | None:
    mine = access.current().teams
    where = _location()
    return _guarded(lambda: _study_info(where, _version(where), None if mine is None else tuple(sorted(mine))))


def team_names() -> dict[int, str]:
    """The study's teams, id -> name, by name; in presenter mode with letters on, Team A, Team B…
    in letter order. A plain dict: the sidebar reads it from the cache on every rerun, which must be
    cheap for a thousand teams."""
    names = _cached_team_names()
    mine = access.current().teams
    if mine is not None:  # a coach: their teams, and no other team's name
        names = {i: name for i, name in names.items() if i in mine}
    labels = _team_labels()
    return {i: labels[i] for i in sorted(names)} if labels else names


def overview(flt: StudyFilter) -> queries.Overview:
    """The Overview's measures. In presenter mode: by quarter, teams relabelled, every share that
    could reveal a small count taken out, annotations shown by their kind rather than their
    wording (which may name someone), and no per-meeting series."""
    s = settings()
    mode = presenting()
    where = _location()
    if mode.on:
        return _guarded(lambda: _room_overview(where, _version(where), s.meaningful_level, mode))
    return _guarded(lambda: _overview(where, _version(where), flt, s.meaningful_level))


def _team_labels() -> dict[int, str]:
    """Team id -> "Team A"… when presenter mode shows teams by letter, else empty."""
    p = presenting()
    if not (p.on and p.letters):
        return {}
    return presenting_rules.team_letters(_cached_team_names())


def _cached_team_names() -> dict[int, str]:
    where = _location()
    return _guarded(lambda: _team_names(where, _version(where)))


def _guarded(read: Callable[[], T]) -> T:
    """Run a read; any failure stops the page with one line instead of a traceback."""
    try:
        return read()
    except ObservationError as exc:
        stop_with(str(exc))
    except (duckdb.Error, ValidationError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        stop_with(f"The study could not be read: {db.shown(first_line)}")


@st.cache_data(show_spinner=False, max_entries=CACHED)
def _study_info(path: str, version: int, teams: tuple[int, ...] | None) -> queries.StudyInfo | None:
    return queries.study_info(_connection(path), teams)


@st.cache_data(show_spinner=False, max_entries=CACHED)
def _team_names(path: str, version: int) -> dict[int, str]:
    return {t.id: t.name for t in queries.teams(_connection(path))}


@st.cache_data(show_spinner="Counting meetings…", max_entries=CACHED)
def _overview(path: str, version: int, flt: StudyFilter, level: ParticipationLevel) -> queries.Overview:
    return queries.overview(_connection(path), flt, level, trend_teams=charts.MAX_SMALL_MULTIPLES)


@st.cache_data(show_spinner="Working out what can be shown without revealing a small count…", max_entries=CACHED)
def _room_overview(
    path: str, version: int, level: ParticipationLevel, mode: presenting_rules.Presenting
) -> queries.Overview:
    return presenting_rules.room_overview(_connection(path), level, mode)


def stop_with(message: str) -> NoReturn:
    st.error(message, icon=":material/error:")
    st.stop()


# --- shared widgets ---------------------------------------------------------------------------


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
    st.session_state.pop(_VERSION, None)  # this run asks the study's data version afresh
    _keep_across_pages()
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
    _account(me)
    return _sidebar_filter(info, me) if filtered else StudyFilter()


PRESENTABLE = frozenset(page for page, roles in access.PAGES.items() if "presenter" in roles)


def pages_open_to(me: access.Identity | None) -> list[str]:
    """The pages (file names under pages/) app.py registers for ``me`` in the mode chosen: the
    rest answer "page not found". Signed out: none."""
    if me is None:
        return []
    shown = [page for page in access.PAGES if me.may_open(page)]
    return [page for page in shown if page in PRESENTABLE] if presenting().on else shown


# --- who is signed in -------------------------------------------------------------------------


def sign_in_configured() -> bool:
    """An identity provider is configured: ``[auth]`` in .streamlit/secrets.toml."""
    return st.secrets.load_if_toml_exists() and "auth" in st.secrets


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def signed_in() -> access.Identity | None:
    """The person this session acts for, made the one every write and export of this run checks;
    None when sign-in is configured and nobody (or nobody with a role in this study) is signed in.

    Without an identity provider the dashboard is one researcher's, on their own computer: it
    refuses to serve any address but this computer's."""
    if not sign_in_configured():
        if str(st.get_option("server.address")) not in LOOPBACK:
            stop_with(
                "No sign-in is configured, so this dashboard serves only this computer: set server.address "
                "to 127.0.0.1, or configure sign-in (README: Sign-in and roles)."
            )
        me = access.local_researcher()
        access.act_as(me)
        return me
    if not st.user.get("is_logged_in"):
        return None
    email = _vouched_email()
    if _session_expired():
        st.session_state.pop("signed_in_as", None)
        st.logout()
        return None
    where = _location()
    con = _guarded(lambda: _connection(where))
    found = _guarded(lambda: access.identity_of(con, email)) if email else None
    if st.session_state.get("signed_in_as") != email:  # once per session: audit who came, and with what
        _guarded(lambda: access.record_sign_in(con, found, email or "(no verified email from the identity provider)"))
        st.session_state["signed_in_as"] = email
    if found is None:
        return None
    access.act_as(found)
    return found


def _vouched_email() -> str:
    """The address the identity provider vouches for: its email claim when it marks it verified;
    otherwise (Microsoft Entra ID sends no email_verified, and lets users edit their email) the
    account's user principal name, preferred_username, which the organisation assigns."""
    if st.user.get("email_verified") is True and st.user.get("email"):
        return str(st.user.get("email"))
    return str(st.user.get("preferred_username") or "")


def _session_expired() -> bool:
    """Sign-in lasts ``OBSERVATION_SESSION_HOURS`` from the identity provider's sign-in time (the
    ID token's ``iat``), however long Streamlit's cookie would last."""
    issued = st.user.get("iat")
    try:
        signed_in_at = dt.datetime.fromtimestamp(float(str(issued)), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return True  # every ID token carries iat: without one, sign in again
    return dt.datetime.now(tz=dt.UTC) - signed_in_at > dt.timedelta(hours=settings().session_hours)


def sign_in_screen() -> None:
    """Signed out, or signed in without a role in this study: say which, and offer the way on."""
    st.title("Microsystem involvement")
    if st.user.get("is_logged_in"):
        email = _vouched_email() or "an account without a verified email address"
        st.warning(
            f"You are signed in as {_escape_markdown(email)}, but this study has not given you access. "
            "Ask one of its researchers to add you on the Access page.",
            icon=":material/lock:",
        )
        st.button("Sign out", on_click=st.logout, icon=":material/logout:")
        return
    st.write("Observations of service-user and carer involvement in improvement meetings. Sign in to continue.")
    st.button("Sign in", on_click=st.login, type="primary", icon=":material/login:")


def _account(me: access.Identity) -> None:
    """Who is signed in, in the sidebar, with the way out."""
    with st.sidebar:
        if sign_in_configured():
            st.caption(f"Signed in as {_escape_markdown(me.email)} · {me.role}")
            st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="sign_out")
        else:
            st.caption(
                f"Local mode: no sign-in is configured, so you are the one researcher ({_escape_markdown(me.email)}) "
                "and the dashboard answers only on this computer."
            )


SHARED_WIDGETS = ("flt_teams", "flt_setting", "flt_dates", "pm_on", "pm_threshold", "pm_letters")


def _keep_across_pages() -> None:
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
        chosen, notices = presenting_rules.from_query_params(_query_params(), minimum=floor)
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
    _write_query_params(presenting_rules.to_query_params(mode), presenting_rules.PARAMS)
    return mode


def _presenter_toggle(me: access.Identity) -> None:
    st.toggle("Presenter mode", key="pm_on", help=PRESENTER_HELP, disabled=me.role == "presenter")


PRESENTER_SETTINGS_HELP = "Presenter mode's switch, its threshold and team letters: kept off the slide."
THRESHOLD_HELP = (
    "5 hides 1–4; 8 gives NHS-style suppression of 1–7. The study's floor (OBSERVATION_PRESENTER_MINIMUM) is "
    "the lowest allowed."
)


def _leave_legacy_multipage_mode() -> None:
    """Streamlit 1.67 treats a pages/ folder beside app.py as its old multipage mode until
    st.navigation has run once in the process: a fresh server's first deep link (and every AppTest
    run) then runs this page without app.py, with the old file-name navigation. The page is whole
    anyway (it draws its own sidebar); turning the mode off here makes every later run go through
    app.py. No rerun: a rerun would drop a button's click. (PagesManager is Streamlit's own; if it
    moves, only a fresh server's first deep link shows the old navigation.)"""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # pragma: no cover - a future Streamlit without the legacy mode
        return
    PagesManager.uses_pages_directory = False


def _sidebar_filter(info: queries.StudyInfo, me: access.Identity) -> StudyFilter:
    teams = team_names()
    first = info.first_meeting or dt.date.today()
    last = info.last_meeting or first
    if "flt_ready" not in st.session_state:
        _filter_from_url(teams, first, last)
    _follow_the_study(first, last)
    with st.sidebar:
        st.subheader(
            "Filter",
            help="These filters apply to every page; the address bar keeps them, so a copied link shows the same view.",
        )
        for notice in st.session_state.pop("flt_notices", ()):
            st.warning(_escape_markdown(notice), icon=":material/link_off:")
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
            options=[ALL, *SETTING_LABELS],
            format_func=lambda s: SETTING_LABELS.get(s, "All settings"),
            key="flt_setting",
            disabled=off,
        )
        st.date_input(
            "Meetings between", min_value=first, max_value=last, key="flt_dates", format="DD/MM/YYYY", disabled=off
        )
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
    _write_query_params(filters.to_query_params(flt), filters.FILTER_PARAMS)
    if me.teams is not None and not flt.teams:  # a coach's "all teams" is all of theirs
        return flt.model_copy(update={"teams": tuple(sorted(me.teams))})
    return flt


def _write_query_params(wanted: dict[str, str], names: tuple[str, ...]) -> None:
    """Make the URL's parameters ``names`` say exactly ``wanted`` (absent: the default)."""
    for name in names:
        if name in wanted:
            if st.query_params.get(name) != wanted[name]:
                st.query_params[name] = wanted[name]
        elif name in st.query_params:
            del st.query_params[name]


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


def _query_params() -> dict[str, str]:
    return {name: st.query_params[name] for name in st.query_params}


def _filter_from_url(teams: dict[int, str], first: dt.date, last: dt.date) -> None:
    parsed = filters.from_query_params(_query_params())
    notices = list(parsed.notices)
    unknown = [t for t in parsed.filter.teams if t not in teams]
    if unknown:
        notices.append(f"Ignored team {', '.join(map(str, unknown))} in the link: no such team in this study.")
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


QI_PARAMS = ("measure", "chart", "rules", "rebase", "subgroup", "block")


def qi_controls(prefix: str) -> qi.ChartChoice:
    """The measure, chart type, subgroup, rule set and rebasing of a page's QI chart, kept in the
    URL. Only the charts that fit the measure are offered."""
    keys = {name: f"{prefix}_qi_{name}" for name in QI_PARAMS}
    ready = f"{prefix}_qi_ready"
    # From the URL on the page's first run, and again on a return to the page: Streamlit forgets
    # a widget's value when another page runs.
    for key in keys.values():
        keep(key)
    if any(key not in st.session_state for key in keys.values()):
        parsed = qi.choice_from_query_params(_query_params())
        for name, key in keys.items():
            st.session_state[key] = getattr(parsed.choice, name)
        if ready not in st.session_state:
            for notice in parsed.notices:
                st.warning(_escape_markdown(notice), icon=":material/link_off:")
        st.session_state[ready] = True
    st.segmented_control(
        "Measure",
        options=list(qi.MEASURES),
        format_func=lambda m: qi.MEASURES[m].label,
        key=keys["measure"],
        required=True,
    )
    spec = qi.MEASURES[st.session_state[keys["measure"]]]
    if st.session_state[keys["chart"]] not in spec.charts:  # the measure changed under a chart that does not fit
        asked = qi.ChartChoice(measure=st.session_state[keys["measure"]]).model_copy(
            update={"chart": st.session_state[keys["chart"]]}
        )
        fitted, why = qi.fitted(asked)
        st.session_state[keys["chart"]] = fitted.chart
        if why:
            st.info(why, icon=":material/info:")
    st.segmented_control(
        "Chart",
        options=list(spec.charts),
        format_func=lambda c: qi.CHART_KINDS[c],
        key=keys["chart"],
        required=True,
        help=definitions.CHART_KINDS,
    )
    if spec.yes_no and st.session_state[keys["chart"]] != "g":  # shares per subgroup
        subgroup, size, rules, rebase = st.columns([3, 2, 3, 2], vertical_alignment="bottom")
        subgroup.selectbox(
            "Subgroups",
            options=list(qi.SUBGROUPS),
            format_func=lambda g: qi.SUBGROUPS[g],
            key=keys["subgroup"],
            help=definitions.SUBGROUPS,
        )
        if st.session_state[keys["subgroup"]] == "block":
            size.number_input(
                "Meetings per block", min_value=qi.FEWEST_MEETINGS, max_value=12, step=1, key=keys["block"]
            )
    else:
        rules, rebase, _ = st.columns([3, 2, 5], vertical_alignment="bottom")
    rules.selectbox(
        "Rules",
        options=list(spc.RULE_SET_NAMES),
        format_func=lambda r: spc.RULE_SET_NAMES[r],
        key=keys["rules"],
        help=definitions.RULE_SETS,
    )
    rebase.toggle("Rebase at events", key=keys["rebase"], help=definitions.REBASE)
    choice = qi.ChartChoice.model_validate({name: st.session_state[key] for name, key in keys.items()})
    _write_query_params(qi.choice_to_query_params(choice), QI_PARAMS)
    return choice


def qi_section(flt: StudyFilter, prefix: str, found: queries.Overview | None = None) -> tuple[str, ...]:
    """The "Change over time" section: the QI chart controls, one run or SPC chart per team, and a
    sentence per team saying what its chart shows (returned too: the Team profile's summary leads
    with it). Used by the Overview, Presence, Attendance and Team profile; ``found`` is
    ``overview(flt)`` when the page has it already (each read copies it from the cache)."""
    st.subheader(
        "Change over time",
        help="Run and SPC charts of the held meetings with attendance recorded, one panel per team. A yes/no per "
        "meeting is charted as the share of held meetings per subgroup, or as the gaps between meetings with a yes.",
    )
    if presenting().on:
        st.caption(
            "Presenter mode leaves out the meeting-by-meeting charts: each point there is one meeting's "
            "attendance. The quarterly chart above shows the same measures with small counts hidden."
        )
        return ()
    choice = qi_controls(prefix)
    found = found or overview(flt)
    target = settings().involvement_target if choice.spec.has_target else None
    shown = tuple(int(t) for t in found.series["team_id"].unique())
    where, level = _location(), settings().meaningful_level
    subgroups = (
        _guarded(lambda: _qi_subgroups(where, _version(where), flt, level, shown, choice.subgroup, choice.block))
        if choice.subgrouped
        else _NO_SUBGROUPS
    )
    fig, sentences = figure(_qi_chart_and_sentences, found.series, subgroups, found.events, choice, target)
    chart(fig, f"{prefix}_qi_figure", f"{prefix}-qi-chart", flt, rules=spc.RULE_SET_NAMES[choice.rules])
    bullet_list(sentences)
    return sentences


_NO_SUBGROUPS = pd.DataFrame({"team_id": []})


@st.cache_data(show_spinner=False, max_entries=CACHED)
def _qi_subgroups(
    path: str,
    version: int,
    flt: StudyFilter,
    level: ParticipationLevel,
    teams: tuple[int, ...],
    by: queries.SubgroupKind,
    block: int,
) -> pd.DataFrame:
    return queries.qi_subgroups(_connection(path), flt, level, teams, by, block)


def _qi_chart_and_sentences(
    series: pd.DataFrame, subgroups: pd.DataFrame, events: pd.DataFrame, choice: qi.ChartChoice, target: float | None
) -> tuple[go.Figure, tuple[str, ...]]:
    team_panels = qi.panels(series, events, choice, subgroups)
    return charts.qi_chart(team_panels, choice, target), tuple(qi.signal_sentences(team_panels, choice, target))


def figure(build: Callable[..., T], *args: Any) -> T:
    """``build(*args)`` (a figure, from a pure function of its arguments), built once for the same
    arguments and kept for the process: Plotly took a tenth of a second to build a twelve-panel
    figure, on every rerun of the page. The arguments are compared by content (every cell of a data
    frame), so new data is a new figure. Other sessions are shown the very same object: never change
    a figure this returns (figures.for_a_room and for_export copy)."""
    key = tuple(_content(a) if isinstance(a, pd.DataFrame) else a for a in args)
    return _figure(f"{build.__module__}.{build.__qualname__}", key, args, build)


@st.cache_resource(show_spinner=False, max_entries=FIGURES)
def _figure(name: str, key: tuple[Any, ...], _args: tuple[Any, ...], _build: Callable[..., T]) -> T:
    return _build(*_args)


def _content(frame: pd.DataFrame) -> str:
    """A digest of every cell of ``frame``: Streamlit's own hash of a data frame of 50,000 rows or
    more looks at a sample of its rows, and a changed count elsewhere would show the old figure."""
    return hashlib.sha256(pickle.dumps(frame, protocol=5)).hexdigest()


def chart(
    fig: go.Figure, key: str, name: str, flt: StudyFilter, rules: str | None = None, clickable: bool = False
) -> Any:
    """A chart on the page, and beneath it PNG and SVG downloads that say where it came from. The
    files are drawn only when a button is pressed (a few seconds each, in Chromium). A
    ``clickable`` chart returns its selection event (see views.picked)."""
    if presenting().on:
        fig = figures.for_a_room(fig)
    event = (
        st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points")
        if clickable
        else st.plotly_chart(fig, key=key)
    )
    if figures.chromium() is None:
        st.caption("PNG and SVG downloads need Chromium or Chrome on the server (on Debian: apt-get install chromium).")
        return event
    info = study_info()
    mode = presenting()
    provenance = figures.Provenance(
        period=figures.period_text(flt, info),
        rules=rules,
        synthetic=bool(info and info.study.is_demo),
        presenter=mode.badge() if mode.on else None,
    )
    row = st.container(horizontal=True)
    for fmt in get_args(figures.ImageFormat):
        row.download_button(
            fmt.upper(), data=_drawn(fig, provenance, fmt), file_name=f"{name}.{fmt}", mime=figures.MIME[fmt],
            key=f"{key}_{fmt}", on_click="ignore", icon=":material/download:", help=f"The chart as {fmt.upper()}",
        )  # fmt: skip
    return event


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
                _connection(_location()), flt, settings(), mode,
                progress=lambda share, what: bar.progress(share, text=_escape_markdown(what)),
            )  # fmt: skip
        except ObservationError as exc:
            st.error(_escape_markdown(str(exc)), icon=":material/error:")
            return
        finally:
            bar.empty()
        st.session_state["deck"] = (made_for, made)
    kept = st.session_state.get("deck")
    if kept is not None and kept[0] == made_for:
        st.download_button("Download the deck", data=kept[1], file_name="involvement-overview.pptx", mime=PPTX,
                           key="deck_download", on_click="ignore", icon=":material/download:")  # fmt: skip


def _drawn(fig: go.Figure, provenance: figures.Provenance, fmt: figures.ImageFormat) -> Callable[[], bytes]:
    """The file, prepared and drawn only when its button is pressed."""
    return lambda: figures.image(figures.for_export(fig, provenance), fmt)


def others_line(others: queries.Measures) -> str:
    """The other teams' figures, for comparison under one team's headline."""
    if others.meetings_held == 0:
        return "No other team in the filter to compare with."
    return (
        f"The other teams in the filter: {others.meetings_held} meetings held; lived-experience presence "
        f"{percent(others.presence_share)}, mean representation {percent(others.mean_representation)}, meaningful "
        f"involvement {percent(others.meaningful_share)}."
    )


def plain(text: str) -> str:
    """User text (team and code names) as Markdown that shows it as typed."""
    return _escape_markdown(text)


def bullet_list(lines: Sequence[str]) -> None:
    """Sentences as a Markdown list, with Markdown in them shown as typed (team names are user text)."""
    st.markdown("\n".join(f"- {_escape_markdown(line)}" for line in lines))


def _escape_markdown(text: str) -> str:
    """Study text (a note, a name, an annotation's label, an error that quotes one) as Markdown
    that shows it as typed: every mark of markup escaped and no address a live link (see
    observation.plain.markdown_text, the one place this is done)."""
    return markdown_text(text)


PRESENTER_HELP = (
    "For showing findings to a room: editing and note pages are hidden; counts of people, attendances "
    "or coded segments below the threshold show as '<5'; a percentage that would reveal one is hidden; "
    "charts go by quarter; no note text, participant code or annotation wording is shown."
)


def demo_badge(info: queries.StudyInfo) -> None:
    if info.study.is_demo:
        st.badge("Synthetic demo data", icon=":material/science:", color="orange", help=DEMO_NOTICE)


# --- output helpers ---------------------------------------------------------------------------


def headline(measures: queries.Measures, hidden: frozenset[tuple[Any, str]] = frozenset()) -> None:
    """The row of headline numbers for a set of meetings ("hidden" where presenter mode took a
    share out)."""
    s = settings()

    def shown(name: str) -> str:
        return percent(getattr(measures, name), (None, name) in hidden)

    held, presence, representation, meaningful = st.columns(4)
    not_held = f"{measures.meetings_cancelled} cancelled · {measures.meetings_postponed} postponed"
    unrecorded = f" · {measures.meetings_unrecorded} without attendance" if measures.meetings_unrecorded else ""
    service_users, carers = shown("service_user_share"), shown("carer_share")
    for column, label, value, explained, note in (
        (held, "Meetings held", measures.meetings_held, definitions.HELD_AND_CANCELLED, not_held + unrecorded),
        (presence, "Lived-experience presence", shown("presence_share"), definitions.PRESENCE,
         f"service users {service_users} · carers {carers}"),
        (representation, "Mean representation", shown("mean_representation"), definitions.REPRESENTATION,
         "of everyone present"),
    ):  # fmt: skip
        # The delta line carries a plain note under the figure: no colour, no arrow.
        column.metric(label, value, help=explained, border=True, delta=note, delta_color="off", delta_arrow="off")
    # The gap is taken between the rounded figures shown, so 79.5% reads "80%" and "+0", never "-0".
    share, target = measures.meaningful_share, s.involvement_target
    gap = None if share is None else round(share * 100) - round(target * 100)
    meaningful.metric(
        "Meaningful involvement",
        shown("meaningful_share"),
        help=definitions.meaningful(s.meaningful_level, s.involvement_target),
        border=True,
        delta=None if gap is None else f"{gap:+d} points vs {target:.0%} target",
        delta_color="normal",
    )


def team_table(teams: tuple[queries.TeamMeasures, ...], hidden: frozenset[tuple[Any, str]] = frozenset()) -> None:
    """One row per team with its measures, as a sortable table."""
    s = settings()
    frame = pd.DataFrame([t.model_dump() for t in teams]).drop(columns=["team_id"])
    frame["setting"] = frame["setting"].map(SETTING_LABELS)
    shares = ["presence_share", "service_user_share", "carer_share", "mean_representation", "meaningful_share"]
    frame[shares] = frame[shares].astype(float) * 100
    if hidden:  # presenter mode: a hidden share says so, rather than looking like missing data
        for name in shares:
            frame[name] = [
                percent(None if pd.isna(v) else v / 100, (t.team_id, name) in hidden)
                for t, v in zip(teams, frame[name], strict=True)
            ]
        st.caption(f"'hidden': the share could reveal a count under {presenting().threshold}.")

    def share(label: str, explained: str | None = None) -> Any:
        if hidden:
            return st.column_config.TextColumn(label, help=explained)
        return st.column_config.NumberColumn(label, format="%.0f%%", help=explained)

    st.dataframe(
        frame,
        hide_index=True,
        key="overview_team_table",
        column_order=[
            "team_name",
            "setting",
            "meetings_held",
            "meetings_cancelled",
            "presence_share",
            "meaningful_share",
            "mean_representation",
            "service_user_share",
            "carer_share",
        ],
        column_config={
            "team_name": st.column_config.TextColumn("Team", width="large"),
            "setting": st.column_config.TextColumn("Setting"),
            "meetings_held": st.column_config.NumberColumn("Held"),
            "meetings_cancelled": st.column_config.NumberColumn("Cancelled"),
            "presence_share": share("Presence", definitions.PRESENCE),
            "service_user_share": share("Service users"),
            "carer_share": share("Carers"),
            "mean_representation": share("Representation", definitions.REPRESENTATION),
            "meaningful_share": share(
                "Meaningful involvement", definitions.meaningful(s.meaningful_level, s.involvement_target)
            ),
        },
    )
