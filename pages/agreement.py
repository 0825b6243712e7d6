"""Coder agreement: where two coders coded the same notes, how far they agree, and where not; and
where they coded the same notes and transcripts, how far the passages they coded agree."""

import streamlit as st

from observation import definitions, ui
from observation.ui import choices, study, tables

flt = ui.shared_sidebar("agreement")
st.title(
    "Coder agreement",
    help="Counted per note, over the notes both coders coded: for every code either used, each note is a "
    "yes/no decision by each coder. Percent agreement and Cohen's kappa, per code and pooled. Below, span "
    "agreement compares the passages they coded, character by character.",
)
coders = study.coders()
if len(coders) < 2:
    st.info("Agreement needs two coders who coded the same notes; this study has fewer.")
    st.stop()
left, right = st.columns(2)
with left:
    choices.url_choice("agreement_a", "coder_a", list(coders), coders[0])
    coder_a = st.selectbox("Coder A", list(coders), key="agreement_a")
    choices.keep_in_url("coder_a", coder_a, coders[0])
with right:
    choices.url_choice("agreement_b", "coder_b", list(coders), coders[1])
    coder_b = st.selectbox("Coder B", list(coders), key="agreement_b")
    choices.keep_in_url("coder_b", coder_b, coders[1])
if coder_a == coder_b:
    st.info("Choose two different coders.")
    st.stop()
result = study.coder_agreement(flt, coder_a, coder_b)
spans = study.span_agreement(flt, coder_a, coder_b)
if not result.notes and not spans.documents:
    st.info("These two coders have no notes or transcripts in common within the filters.")
    st.stop()
if result.notes:
    tables.agreement_summary(result)
    st.subheader("Where they disagree")
    tables.disagreements_table(result)
else:
    st.info("These two coders have no notes in common within the filters: per-note agreement needs some.")
st.subheader("Coded passages", help=definitions.SPAN_AGREEMENT)
tables.span_summary(spans)
st.subheader("Passages where they differ")
tables.differing_passages(spans)
