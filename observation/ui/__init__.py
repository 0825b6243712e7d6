"""The Streamlit glue: the only part of the observation package that imports streamlit, and it
runs no SQL (tests/unit/test_boundaries.py checks both).

Modules by topic, each importing only the ones above it in this list, so that no circle forms:

- state: the session's own state, without the study: settings, the URL's parameters, widget
  values kept across pages, presenter mode as chosen;
- study: the one connection and every cached read, each keyed on the study, its data version,
  and the reader's role and teams;
- charting: figures built once for the same data, drawn with their downloads; the slide deck;
- widgets: the headline numbers, the team table, a list of sentences, the demo badge;
- change_over_time: the QI chart section;
- signin, then sidebar: who is signed in, and what every page starts with (shared_sidebar);
- choices, then views, and tables: the views' choices kept in the URL, notes and meetings
  shown, the views' tables;
- edits, then recording, curating and access_page: the pages that change the study; then
  capturing, the meeting captured as it happens, and reviewing, its review at the end (after
  capturing and recording, which it imports: a saved capture opens on the Record page);
- experience: the experience questionnaire at a captured meeting's review and on a phone, its
  editor, and a team's experience and impact (after edits, which it writes through);
- upload, then importing; exporting; printing: data in and out, and the print style.

This module re-exports what most pages use, as ``ui.shared_sidebar(...)``, ``ui.chart(...)``…
"""

from observation.ui.change_over_time import QI_LINKS, QI_TAB, qi_section
from observation.ui.charting import chart, deck_download, figure, load_scripts_early
from observation.ui.experience import answer_screen, answering
from observation.ui.sidebar import pages_open_to, shared_sidebar
from observation.ui.signin import sign_in_screen, signed_in
from observation.ui.state import carry_shared_params, plain, presenting, settings
from observation.ui.study import overview, study_changed, study_info, team_names
from observation.ui.widgets import bullet_list, headline, others_line, team_table

__all__ = [
    "QI_LINKS",
    "QI_TAB",
    "answer_screen",
    "answering",
    "bullet_list",
    "carry_shared_params",
    "chart",
    "deck_download",
    "figure",
    "headline",
    "load_scripts_early",
    "others_line",
    "overview",
    "pages_open_to",
    "plain",
    "presenting",
    "qi_section",
    "settings",
    "shared_sidebar",
    "sign_in_screen",
    "signed_in",
    "study_changed",
    "study_info",
    "team_names",
    "team_table",
]
