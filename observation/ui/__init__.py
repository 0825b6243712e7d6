"""The Streamlit glue: the only part of the observation package that imports streamlit, and it
runs no SQL (tests/unit/test_boundaries.py checks both).

Modules by topic, each importing only those listed before it, so that no circle can form:

- state: the session's own state: settings, URL parameters, kept widget values, presenter mode;
- study: the connection and every cached read, keyed on the teams the acting person may read;
- charting: figures built once, drawn with their downloads; the slide deck;
- widgets: the headline numbers, the team table, lists of sentences;
- change_over_time: the QI chart section;
- signin, sidebar: who is signed in, and what every page starts with (shared_sidebar);
- choices, views, tables: the views' choices kept in the URL, notes shown, tables;
- edits, recording, curating, access_page, importing, file_reading, exporting, printing: the
  pages that change the study or take it in and out.

This module re-exports what most pages use, as ``ui.shared_sidebar(...)``, ``ui.chart(...)``…
"""

from observation.presenting import percent
from observation.ui.change_over_time import qi_section
from observation.ui.charting import chart, deck_download, figure
from observation.ui.sidebar import pages_open_to, shared_sidebar
from observation.ui.signin import sign_in_screen, signed_in
from observation.ui.state import plain, presenting, settings, stop_with
from observation.ui.study import overview, study_changed, study_info, team_names
from observation.ui.widgets import bullet_list, headline, others_line, team_table

__all__ = [
    "bullet_list",
    "chart",
    "deck_download",
    "figure",
    "headline",
    "others_line",
    "overview",
    "pages_open_to",
    "percent",
    "plain",
    "presenting",
    "qi_section",
    "settings",
    "shared_sidebar",
    "sign_in_screen",
    "signed_in",
    "stop_with",
    "study_changed",
    "study_info",
    "team_names",
    "team_table",
]
