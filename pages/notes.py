"""Notes and themes: search the field notes and interviews, see codes by team, together, over time
and by informant group, read the codebook."""

import streamlit as st

from observation import definitions, notes, theme_charts, ui
from observation.ui import choices, study, views

flt = ui.shared_sidebar("notes")
st.title("Notes and themes", help=definitions.CODE_COUNTS + " Choosing a theme also finds the codes under it.")

book = study.codebook()
search, codes, presence = st.columns([3, 3, 2])
with search:
    text = choices.url_text("notes_text", "q", "Words in the note", "e.g. unwell")
with codes:
    chosen = choices.url_codes("notes_codes", "codes", book)
with presence:
    choices.url_choice("notes_presence", "room", list(notes.PRESENCE_LABELS), "any")
    room = st.selectbox(
        "Who was in the room", list(notes.PRESENCE_LABELS), format_func=notes.PRESENCE_LABELS.get, key="notes_presence"
    )
    choices.keep_in_url("room", room, "any")
source = choices.choose_source("notes_source")
query = views.excerpt_query(text=text, codes=chosen, presence=room, source=source)
found = study.excerpts(flt, query)
searched = notes.searched(query)
if searched:  # a search lands on its matches: first, counted, the words highlighted
    views.search_results(found, query, book)
everything = views.excerpt_query(text=text, codes=chosen, presence=room, source=source, limit=notes.EXPORT_LIMIT)
views.excerpts_download(flt, everything, found.total, book)

tabs = choices.open_tab_only(
    [
        "Codes by team",
        "Codes together",
        "Over time",
        "By informant group",
        "Codebook",
        "One meeting",
        "Matching excerpts",
    ],
    "notes_tab",
    linked={"meeting": "One meeting"},  # a link to one meeting opens its tab
)
matrix_tab, together_tab, time_tab, groups_tab, book_tab, meeting_tab, matching_tab = tabs
if matrix_tab.open:
    with matrix_tab:
        views.chart_with_notes(
            flt,
            ui.figure(theme_charts.code_team_heatmap, study.code_team_matrix(flt, source), source),
            "notes_code_team",
            lambda cell: views.excerpt_query(
                codes=(cell[0],), exact=True, source=source, team_id=cell[1], no_team=cell[1] is None
            ),
            choices.read_hint("cell", source),
        )
if together_tab.open:
    with together_tab:
        views.chart_with_notes(
            flt,
            ui.figure(
                theme_charts.cooccurrence_heatmap,
                study.cooccurrence(flt, source),
                source,
                study.codes_per_document(flt, source),
            ),
            "notes_cooccurrence",
            lambda cell: views.excerpt_query(all_codes=(cell[0], cell[1]), source=source),
            f"Click a cell to read the {notes.source_units(source)} that carry both codes.",
        )
if time_tab.open:
    with time_tab:
        freq = study.code_frequency(flt, source=source)
        if not theme_charts.counted(freq, source):
            st.info(f"No coded {notes.source_units(source)} in these teams and dates.", icon=":material/search_off:")
        else:
            views.chart_with_notes(
                flt,
                ui.figure(theme_charts.code_frequency, freq, source),
                "notes_frequency",
                # a point counts one source, even when both are drawn: its own (point[2]) is read
                lambda point: views.excerpt_query(
                    codes=(point[0],), exact=True, source=point[2], month=views.month_of(point[1])
                ),
                choices.read_hint("point", source, apart=True),
            )
if groups_tab.open:
    with groups_tab:
        by_group = study.code_group_matrix(flt)
        if by_group.empty:
            st.info("No coded interview transcripts in these teams and dates.", icon=":material/search_off:")
        else:
            views.chart_with_notes(
                flt,
                ui.figure(theme_charts.informant_group_heatmap, by_group),
                "notes_groups",
                lambda cell: views.excerpt_query(
                    codes=(cell[0],), exact=True, source="interviews", informant_group=cell[1]
                ),
                choices.read_hint("cell", "interviews"),
            )
if book_tab.open:
    with book_tab:
        views.codebook_tree(book)
if meeting_tab.open:
    with meeting_tab:
        rows = study.meeting_rows(flt, ui.settings().meaningful_level)
        if (meeting_id := choices.choose_meeting("notes_meeting", "meeting", rows, [])) is not None:
            views.show_excerpts(views.meeting_notes(meeting_id), "No field notes for this meeting.")
if matching_tab.open:  # every note and transcript the choices above match
    with matching_tab:
        if searched:
            st.caption("The search's matches are listed above, first on the page.")
        else:
            st.caption(f"{notes.counted(found.total, source)} in these teams and dates")
            views.show_excerpts(
                found, f"No {notes.SHORT_UNITS[source]} in these teams and dates.", more=views.NARROW_THE_SEARCH
            )
