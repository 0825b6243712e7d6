"""The views' notes and meetings shown: notes and transcripts as quotes, one meeting in full, the
codebook, a chart whose clicked mark opens the notes behind it, and the views' small summaries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from observation import access, labels, meetings, notes, profile, recruitment
from observation.filters import StudyFilter
from observation.ui.charting import chart
from observation.ui.choices import picked
from observation.ui.state import plain
from observation.ui.study import codebook, connection, excerpts
from observation.ui.voice_widgets import show_contributions

SHOWING_FIRST = "Showing the first {shown} of {total:,}."
"""What a list of notes cut short says, where nothing on the page narrows it."""
NARROW_THE_SEARCH = "Showing the first {shown} of {total:,} — narrow the search to see the rest."
"""What a list cut short says on a page with a search (Notes and themes)."""


def show_excerpts(found: notes.Excerpts, empty: str, words: Sequence[str] = (), more: str = SHOWING_FIRST) -> None:
    """Notes and transcripts, each under its team, date and codes, as plain text (st.text: no
    Markdown, no live link, line breaks kept), so that a quote copied from the page is exactly
    the text as typed, with no character added to stop an address becoming a link. With ``words``
    (a search's), each is shown as Markdown with those words highlighted where they occur
    (notes.highlighted: the text escaped, so still shown as typed; an address in it carries the
    invisible space that stops it becoming a link). ``more`` says how many are shown of how many,
    when the list is cut short, in the caller's words ({shown}, {total})."""
    if found.rows.empty:
        st.info(empty, icon=":material/search_off:")
        return
    if found.truncated:
        st.caption(more.format(shown=len(found.rows), total=found.total))
    for row in found.rows.to_dict("records"):
        day = pd.Timestamp(row["day"]).strftime("%d %b %Y")
        group = labels.INFORMANT.get(str(row.get("informant_group")), "informant")
        source = f"Interview, {group}" if row["source"] == "interview" else f"Note {row['position']}"
        if row["source"] == "note" and pd.notna(row["minute"]):
            source += f", minute {int(row['minute'])}"
        codes = ", ".join(str(c) for c in row["code_names"]) or "not coded"
        with st.container(border=True):
            meta = f"{row['team_name'] or 'No team'} · {day} · {source} · {row['author']} · codes: {codes}"
            st.caption(plain(meta))
            if words:
                st.markdown(notes.highlighted(str(row["body"]), words))
            else:
                st.text(str(row["body"]))


RESULTS_HEIGHT = 560
"""The height in pixels of a search's list of matches when it is longer than RESULTS_SCROLL (it
scrolls), so the charts below stay near."""
RESULTS_SCROLL = 5
"""How many matches are shown at their own height: six one-line notes are taller than RESULTS_HEIGHT,
five may not be (a scrolling box taller than its matches would end in blank space)."""


def search_results(found: notes.Excerpts, query: notes.ExcerptQuery, book: tuple[notes.CodeNode, ...]) -> None:
    """A search's matches, first on the page: how many, and each with the searched words highlighted."""
    names = {node.code.id: node.code.name for node in book}
    st.subheader(plain(notes.search_summary(found.total, query, names)), anchor=False)
    if query.words:
        st.caption(notes.search_rule(query))
    units = notes.SHORT_UNITS[notes.searched_source(query)]
    with st.container(height=RESULTS_HEIGHT if len(found.rows) > RESULTS_SCROLL else "content", key="notes_results"):
        show_excerpts(
            found,
            f"No {units} match. Try fewer words, other codes, or anyone in the room.",
            query.words,
            NARROW_THE_SEARCH,
        )


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
        excerpts_file(connection(), flt, query, book),
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


def show_meeting(detail: meetings.MeetingDetail, found: notes.Excerpts, timeline: pd.DataFrame | None = None) -> None:
    """One meeting in full, in the core's words: when and where, who came, the roles, who
    contributed when (``timeline``, voice.timeline's, when it was observed live), and its notes in order."""
    title = f"{detail.team_name} — {detail.meeting_date:%d %b %Y}"
    st.markdown(f"#### {plain(title)}")
    if detail.at_home:
        st.badge("Home meeting", icon=":material/home:", color="green")
    st.caption(plain(" · ".join(detail.facts)))
    people, roles = st.columns([3, 2])
    people.dataframe(
        pd.DataFrame(detail.people, columns=["code", "role", "attendance", "took_part"]),
        hide_index=True,
        key=f"meeting_{detail.meeting_id}_people",
        column_config={"code": "Participant", "role": "Role", "attendance": "Attendance", "took_part": "Took part"},
    )
    roles.dataframe(
        pd.DataFrame(detail.roles, columns=["role", "filled_by"]),
        hide_index=True,
        key=f"meeting_{detail.meeting_id}_roles",
        column_config={"role": "Meeting role", "filled_by": "Filled by"},
    )
    if timeline is not None:
        show_contributions(timeline, detail.meeting_id)
    show_excerpts(found, "No field notes for this meeting.")


def month_of(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso).replace(day=1)


def excerpt_query(**fields: Any) -> notes.ExcerptQuery:
    return notes.ExcerptQuery.model_validate(fields)


def meeting_notes(meeting_id: int) -> notes.Excerpts:
    return excerpts(StudyFilter(), notes.ExcerptQuery(meeting_id=meeting_id))


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
                f"{setting}: {row.notes / row.held:.1f} tension notes per held meeting ({int(row.notes):,} in "
                f"{int(row.held):,})"
                for setting, row in totals.iterrows()
                if row.held
            ]
        )
    if notes.counts_interviews(source):
        lines.append(
            [
                f"{setting}: {int(row.interviews):,} of {int(row.transcripts):,} interview transcripts with a tension"
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
        st.markdown(f"{indent}**{plain(code.name)}** — {plain(code.definition or 'no definition')}")
        if tags:
            st.caption(f"{indent}{plain(' · '.join(str(t) for t in tags))} · `{code.slug}`")


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
    st.markdown(f"**{plain(tension.name)}** — {tension.counted()}")
    found = excerpts(flt, notes.ExcerptQuery(codes=(tension.code_id,), exact=True, source="both", limit=most))
    show_excerpts(
        found,
        "No note or interview transcript is coded with it in this period.",
        more="Showing {shown} of the {total:,} notes and interview transcripts coded with it.",
    )
