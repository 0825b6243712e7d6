"""Notes and themes: search the field notes, see codes by team and over time, read the codebook."""

import streamlit as st

from observation import notes, theme_charts, ui
from observation.ui import views

flt = ui.shared_sidebar("notes")
st.title(
    "Notes and themes",
    help="Codes are counted per note: a note counts once for a code, however many coders applied it. "
    "Choosing a theme also finds the codes under it.",
)

book = views.codebook()
search, codes, presence = st.columns([3, 3, 2])
with search:
    text = views.url_text("notes_text", "q", "Words in the note", "e.g. unwell")
with codes:
    chosen = views.url_codes("notes_codes", "codes", book)
with presence:
    views.url_choice("notes_presence", "room", list(notes.PRESENCE_LABELS), "any")
    room = st.selectbox(
        "Who was in the room", list(notes.PRESENCE_LABELS), format_func=notes.PRESENCE_LABELS.get, key="notes_presence"
    )
    views.keep_in_url("room", room, "any")
found = views.excerpts(flt, views.excerpt_query(text=text, codes=chosen, presence=room))
everything = views.excerpt_query(text=text, codes=chosen, presence=room, limit=notes.EXPORT_LIMIT)
views.excerpts_download(flt, everything, found.total, book)

matrix_tab, together_tab, time_tab, book_tab, meeting_tab, results_tab = st.tabs(
    ["Codes by team", "Codes together", "Over time", "Codebook", "One meeting", f"Matching notes ({found.total:,})"]
)
with matrix_tab:
    views.chart_with_notes(
        flt,
        ui.figure(theme_charts.code_team_heatmap, views.code_team_matrix(flt)),
        "notes_code_team",
        lambda cell: views.excerpt_query(codes=(cell[0],), exact=True, notes_only=True, team_id=cell[1]),
        "Click a cell to read its notes.",
    )
with together_tab:
    views.chart_with_notes(
        flt,
        ui.figure(theme_charts.cooccurrence_heatmap, views.cooccurrence(flt)),
        "notes_cooccurrence",
        lambda cell: views.excerpt_query(all_codes=(cell[0], cell[1]), notes_only=True),
        "Click a cell to read the notes that carry both codes.",
    )
with time_tab:
    views.chart_with_notes(
        flt,
        ui.figure(theme_charts.code_frequency, views.code_frequency(flt)),
        "notes_frequency",
        lambda point: views.excerpt_query(
            codes=(point[0],), exact=True, notes_only=True, month=views.month_of(point[1])
        ),
        "Click a point to read its notes.",
    )
with book_tab:
    views.codebook_tree(book)
with meeting_tab:
    rows = views.meeting_rows(flt, ui.settings().meaningful_level)
    if (meeting_id := views.choose_meeting("notes_meeting", "meeting", rows, [])) is not None:
        views.show_excerpts(views.meeting_notes(meeting_id), "No field notes for this meeting.")
with results_tab:
    views.show_excerpts(found, "No notes match. Try fewer words, other codes, or anyone in the room.")
