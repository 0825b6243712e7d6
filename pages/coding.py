"""Coding: choose a field note or an interview transcript, select a passage of its text (or take
the whole of it), give it codes of the codebook, and see, change or remove its codings and their
memos; a memo on a code."""

import streamlit as st

from observation import ui
from observation.ui import coding_ui

flt = ui.shared_sidebar("coding")
st.title(
    "Code notes and transcripts",
    help="Select a passage with the mouse or the keyboard, choose codes, and press Save. A coding is saved "
    "under your coder code (or your email when you signed in), and every page's counts include it at once.",
)
coder = coding_ui.choose_coder()
doc = coding_ui.stop_unless_ready(coding_ui.choose_document(flt))
found = coding_ui.codings_of(doc)
mine, others = coding_ui.shown_codings(found, coder)
passage = coding_ui.choose_text_passage(doc, (*mine, *others))
coding_ui.code_form(doc, passage, coder)
coding_ui.codings_list(doc, found, coder)
coding_ui.code_memo(coder)
