"""Streamlit glue for the four views: cached reads, choices kept in the URL, the rows behind a
clicked mark, and notes shown as quotes. Pages call these; nothing here holds SQL."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import duckdb
import pandas as pd
import streamlit as st

from observation import access, agreement, charts, definitions, meetings, notes, profile, recruitment
from observation.filters import StudyFilter
from observation.ui import (
    CACHED,
    _connection,
    _escape_markdown,
    _guarded,
    _location,
    _query_params,
    _version,
    chart,
    deck_download,
    figure,
    headline,
    keep,
    overview,
    percent,
    presenting,
    settings,
)

P = ParamSpec("P")
T = TypeVar("T")


def cached(query: Callable[Concatenate[duckdb.DuckDBPyConnection, P], T]) -> Callable[P, T]:
    """A query, cached on the study, its data version and the arguments; a failure stops the page in one line."""
    name = f"{query.__module__}.{query.__qualname__}"

    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        where = _location()
        return cast(
            T, _guarded(lambda: _run_cached(where, _version(where), name, query, args, tuple(sorted(kwargs.items()))))
        )

    return call


@st.cache_data(show_spinner="Reading the study…", max_entries=CACHED * 16)  # one cache for every query
def _run_cached(
    path: str, version: int, name: str, _query: Callable[..., Any], args: tuple[Any, ...], kwargs: tuple[Any, ...]
) -> Any:
    # ``name`` keys the cache (``_query`` is left out of the key, as its underscore tells Streamlit);
    # ``version``, the study's data version, only keys it.
    return _query(_connection(path), *args, **dict(kwargs))


meeting_rows = cached(meetings.meetings)
attendance_matrix = cached(meetings.attendance_matrix)
meeting_detail = cached(meetings.meeting_detail)
attendance_by_role = cached(meetings.attendance_by_role)
meeting_effectiveness = cached(meetings.meeting_effectiveness)
continuity = cached(meetings.continuity)
funnel = cached(recruitment.funnel)
stage_times = cached(recruitment.stage_times)
recruitment_events = cached(recruitment.events)
tension_by_month = cached(recruitment.tension_by_month)
excerpts = cached(notes.excerpts)
code_team_matrix = cached(notes.code_team_matrix)
cooccurrence = cached(notes.cooccurrence)
codes_per_document = cached(notes.codes_per_document)
code_frequency = cached(notes.code_frequency)
code_group_matrix = cached(notes.code_group_matrix)
codebook = cached(notes.codebook)
coders = cached(agreement.coders)
coder_agreement = cached(agreement.agreement)
team_profile = cached(profile.team_profile)


# --- choices kept in the URL --------------------------------------------------------------------


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
    raw = _query_params().get(param)
    chosen = next((o for o in options if str(o) == raw), None)
    if first and raw is not None and chosen is None:
        st.warning(
            _escape_markdown(f"Ignored {param}={raw!r} in the link: not one of the choices here."),
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


SOURCE_PARAM = "source"
SOURCE_CHOICES: dict[notes.Source, str] = {"notes": "Field notes", "interviews": "Interviews", "both": "Both"}


def choose_source(key: str) -> notes.Source:
    """Field notes, interviews or both, for every count of codes on the page: a widget keyed
    ``key``, kept in the link as ``source=notes|interviews|both`` (a bad value is ignored with a
    notice, as url_choice does)."""
    url_choice(key, SOURCE_PARAM, list(SOURCE_CHOICES), notes.DEFAULT_SOURCE)
    source: notes.Source = (
        st.segmented_control(
            "Count codes in",
            list(SOURCE_CHOICES),
            format_func=SOURCE_CHOICES.__getitem__,
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


# --- reading notes ------------------------------------------------------------------------------


INFORMANT = {
    "leader_manager": "leader or manager",
    "frontline_staff": "front-line staff",
    "service_user": "service user",
    "carer": "carer",
}
"""One informant of a group, as a quote's caption names them."""


def show_excerpts(found: notes.Excerpts, empty: str) -> None:
    """Notes and transcripts, each under its team, date and codes, as plain text (st.text: no
    Markdown, no live link, line breaks kept), so that a quote copied from the page is exactly
    the text as typed, with no character added to stop an address becoming a link."""
    if found.rows.empty:
        st.info(empty, icon=":material/search_off:")
        return
    if found.truncated:
        st.caption(f"Showing the first {len(found.rows)} of {found.total} — narrow the search to see the rest.")
    for row in found.rows.to_dict("records"):
        day = pd.Timestamp(row["day"]).strftime("%d %b %Y")
        group = INFORMANT.get(str(row.get("informant_group")), "informant")
        source = f"Interview, {group}" if row["source"] == "interview" else f"Note {row['position']}"
        if row["source"] == "note" and pd.notna(row["minute"]):
            source += f", minute {int(row['minute'])}"
        codes = ", ".join(str(c) for c in row["code_names"]) or "not coded"
        with st.container(border=True):
            meta = f"{row['team_name'] or 'No team'} · {day} · {source} · {row['author']} · codes: {codes}"
            st.caption(_escape_markdown(meta))
            st.text(str(row["body"]))


SPREADSHEET_SAFE = "Text a spreadsheet would run as a formula (=, +, -, @) starts with ' in the file."
"""What the notes download does to text (notes.excerpts_csv, observation.cells), said by its button."""


def excerpts_download(
    flt: StudyFilter, query: notes.ExcerptQuery, total: int, book: tuple[notes.CodeNode, ...]
) -> None:
    """A button for the matching excerpts as CSV, read and written only when it is pressed, and
    what the file does to text a spreadsheet would run."""
    if total > query.limit:
        which = f"the first {query.limit:,} of these {total:,} excerpts"
    else:
        which = "this excerpt" if total == 1 else f"these {total:,} excerpts"
    st.download_button(
        f"Download {which} (CSV, one 0/1 column per code)",
        excerpts_file(_connection(_location()), flt, query, book),
        file_name="excerpts.csv",
        mime="text/csv",
        key="notes_download",
        on_click="ignore",
        disabled=total == 0,
    )
    st.caption(SPREADSHEET_SAFE)


def excerpts_file(
    con: duckdb.DuckDBPyConnection, flt: StudyFilter, query: notes.ExcerptQuery, book: tuple[notes.CodeNode, ...]
) -> Callable[[], bytes]:
    """The CSV, made when called: Streamlit calls it outside the page's run, where a page's ways of
    stopping with a message do nothing, so it reads the study directly (a failure shows as a failed
    download, and the server's log says why)."""
    who = access.current()

    def made() -> bytes:
        with access.acting_as(who):  # Streamlit may call this in another thread
            return notes.excerpts_download(con, flt, query, book)

    return made


def show_meeting(detail: meetings.MeetingDetail, found: notes.Excerpts) -> None:
    """One meeting in full: when and where, who came, the roles, and its notes in order."""
    where = {"home": "the service user's home", "service_base": "the service base", "ward": "the ward"}
    place = where.get(detail.format, detail.format)
    title = f"{detail.team_name} — {detail.meeting_date:%d %b %Y}"
    st.markdown(f"#### {_escape_markdown(title)}")
    if detail.format == "home":
        st.badge("Home meeting", icon=":material/home:", color="green")
    facts = [f"status: {detail.status}", f"held at {place}"]
    if detail.duration_minutes:
        facts.append(f"{detail.duration_minutes} minutes")
    if detail.action_items is not None:
        facts.append(f"{detail.action_items} action items")
    if detail.evaluated is not None:
        facts.append("evaluated" if detail.evaluated else "not evaluated")
    st.caption(" · ".join(facts))
    people, roles = st.columns([3, 2])
    people.dataframe(
        detail.attendance,
        hide_index=True,
        key=f"meeting_{detail.meeting_id}_people",
        column_config={"code": "Participant", "role": "Role", "status": "Attendance", "participation": "Took part"},
    )
    roles.dataframe(
        detail.roles,
        hide_index=True,
        key=f"meeting_{detail.meeting_id}_roles",
        column_config={"role": "Meeting role", "filled_by": "Filled by"},
    )
    show_excerpts(found, "No field notes for this meeting.")


def month_of(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso).replace(day=1)


def excerpt_query(**fields: Any) -> notes.ExcerptQuery:
    return notes.ExcerptQuery.model_validate(fields)


# --- choosing a team or a meeting -----------------------------------------------------------------


def choose_team(key: str, param: str, flt: StudyFilter, label: str = "Team") -> int | None:
    """One of the teams in the filter, kept in the URL; None when the filter has no team."""
    teams = {t.team_id: t.team_name for t in overview(flt).teams}
    if not teams:
        return None
    first = next(iter(teams))
    url_choice(key, param, list(teams), first)
    if st.session_state.get(key) not in teams:
        st.session_state[key] = first
    team_id: int = st.selectbox(label, list(teams), format_func=lambda t: teams[t], key=key)
    keep_in_url(param, team_id, first)
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


def meeting_notes(meeting_id: int) -> notes.Excerpts:
    return excerpts(StudyFilter(), notes.ExcerptQuery(meeting_id=meeting_id))


def drop_outs(flt: StudyFilter) -> pd.DataFrame:
    found = [recruitment_events(flt, stage=stage) for stage in recruitment.DROP_OUTS]
    return pd.concat(found).sort_values("event_date") if any(not f.empty for f in found) else found[0]


def any_transcripts(by_month: pd.DataFrame) -> bool:
    """Whether a tension_by_month frame counted any interview transcript."""
    return bool(by_month["transcripts"].notna().any())


def setting_comparison(by_month: pd.DataFrame, source: notes.Source) -> None:
    """By setting, over the whole period, in one line each: tension notes per held meeting, and the
    share of interview transcripts with a tension (interviews with no team have no setting)."""
    totals = by_month.groupby("setting")[["notes", "held", "interviews", "transcripts"]].sum()
    lines = []
    if notes.counts_notes(source):
        lines.append(
            [
                f"{setting}: {row.notes / row.held:.1f} tension notes per held meeting ({int(row.notes)} in "
                f"{int(row.held)})"
                for setting, row in totals.iterrows()
                if row.held
            ]
        )
    if notes.counts_interviews(source):
        lines.append(
            [
                f"{setting}: {int(row.interviews)} of {int(row.transcripts)} interview transcripts with a tension"
                for setting, row in totals.iterrows()
                if row.transcripts
            ]
        )
    for parts in lines:
        if parts:
            st.caption(" · ".join(parts))


def theme_codes() -> tuple[int, ...]:
    """The recruitment-tension theme's root code (its children are found with it)."""
    return tuple(n.code.id for n in codebook() if n.code.slug == recruitment.TENSION_THEME)


def url_text(key: str, param: str, label: str, placeholder: str) -> str:
    """A search box whose words are kept in the URL."""
    if f"{key}__from_url" not in st.session_state:
        st.session_state[f"{key}__from_url"] = True
        st.session_state[key] = _query_params().get(param, "")[:200]
    text: str = st.text_input(label, key=key, placeholder=placeholder, max_chars=200)
    keep_in_url(param, text.strip(), "")
    return text.strip()


def url_codes(key: str, param: str, book: tuple[notes.CodeNode, ...]) -> tuple[int, ...]:
    """Codes to search for, kept in the URL as ``codes=2,5``; unknown ones are dropped with a notice."""
    names = {n.code.id: ("  " * n.depth) + n.code.name for n in book}
    if f"{key}__from_url" not in st.session_state:
        st.session_state[f"{key}__from_url"] = True
        raw = [part.strip() for part in _query_params().get(param, "").split(",") if part.strip()]
        wanted = [int(p) for p in raw if re.fullmatch("[0-9]{1,9}", p) and int(p) in names]
        if len(wanted) < len(raw):
            notice = f"Ignored codes={','.join(raw)!r} in part: not codes of this study."
            st.warning(_escape_markdown(notice), icon=":material/link_off:")
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


def codebook_tree(book: tuple[notes.CodeNode, ...]) -> None:
    """The codebook as an indented tree with definitions and framework tags."""
    for node in book:
        code = node.code
        tags = [
            t
            for t in (code.com_b and f"COM-B: {code.com_b}", code.valence, code.four_pi and f"4Pi: {code.four_pi}")
            if t
        ]
        indent = "\u2003" * 2 * node.depth
        st.markdown(
            f"{indent}**{_escape_markdown(code.name)}** — {_escape_markdown(code.definition or 'no definition')}"
        )
        if tags:
            st.caption(f"{indent}{_escape_markdown(' · '.join(str(t) for t in tags))} · `{code.slug}`")


def chart_with_notes(
    flt: StudyFilter, figure: Any, key: str, query_for: Callable[[list[Any]], notes.ExcerptQuery], hint: str
) -> None:
    """A chart whose clicked mark opens the notes behind it: ``query_for`` turns the mark's
    customdata into the query for those notes; before any click, ``hint`` says what to do."""
    marks = picked(chart(figure, key, key.replace("_", "-"), flt, clickable=True))
    if not marks:
        st.caption(hint)
        return
    show_excerpts(excerpts(flt, query_for(list(marks[-1]))), "No notes behind this mark.")


def quotes(flt: StudyFilter, tension: profile.Tension, most: int = 3) -> None:
    """A recruitment tension with its counts by source and a few of the notes and interview
    transcripts coded with it (the documents it counts)."""
    st.markdown(f"**{_escape_markdown(tension.name)}** — {tension.counted()}")
    found = excerpts(flt, notes.ExcerptQuery(codes=(tension.code_id,), exact=True, source="both", limit=most))
    show_excerpts(found, "No note or interview transcript is coded with it in this period.")


def present_team(flt: StudyFilter, team_id: int) -> None:
    """The Team profile in presenter mode: the team's guarded measures beside all teams', its
    quarters, and its recruitment tensions by name with small counts hidden.
    Nothing that follows one person (the funnel, who kept coming, quotes) is shown."""
    mode = presenting()
    shown = overview(flt)
    team = next((t for t in shown.teams if t.team_id == team_id), None)
    if team is None:
        st.info("This team has no meetings in these dates.")
        return
    hidden = frozenset((None, name) for key, name in shown.hidden if key == team_id)
    st.subheader(_escape_markdown(team.team_name))
    headline(team, hidden)
    deck_download(profile.team_filter(flt, team_id))
    st.caption(
        "All teams: presence "
        + percent(shown.overall.presence_share, (None, "presence_share") in shown.hidden)
        + ", meaningful involvement "
        + percent(shown.overall.meaningful_share, (None, "meaningful_share") in shown.hidden)
        + "."
    )
    settings_now = settings()
    level = definitions.LEVEL_LABELS[settings_now.meaningful_level]
    mine = shown.trend[shown.trend["team_id"] == team_id]
    left_out = f" · a quarter resting on a count under {mode.threshold} is left out"
    events = shown.events[shown.events["team_id"].isna() | (shown.events["team_id"] == team_id)]
    trend = figure(charts.involvement_trend, mine, settings_now.involvement_target, level, events, "quarter", left_out)
    chart(trend, "profile_trend", "team-by-quarter", flt)
    st.subheader(
        "Recruitment tensions in the notes and interviews",
        help=f"{profile.TENSION_RANKING} {definitions.CODE_COUNTS}",
    )
    found = team_profile(flt, team_id, settings_now.meaningful_level)
    tensions = found.tensions if found else ()
    if not tensions:
        st.markdown("No note or interview transcript of this team is coded with a recruitment tension.")
    by_source = (  # each source's counts apart, each small one hidden on its own; a source with none left out
        ("In the field notes", "notes", [(t.name, t.notes) for t in tensions if t.notes]),
        ("In the interviews", "interview transcripts", [(t.name, t.interviews) for t in tensions if t.interviews]),
    )
    for heading, unit, counts in by_source:
        if counts:
            st.caption(heading)
            st.markdown(
                "\n".join(f"- {_escape_markdown(f'{name}: {mode.rule.count(n)} {unit}')}" for name, n in counts)
            )
    st.caption(
        "Presenter mode leaves out what follows one person — the recruitment funnel, who kept coming, the notes "
        "themselves — and how the meetings ran month by month: a month's meetings beside a quarter's share of "
        "100% would say how many of them had someone with lived experience."
    )
