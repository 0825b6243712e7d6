"""Coder agreement: where two coders coded the same notes, how far they agree, and where not; and
where they coded the same notes and transcripts, how far the passages they coded agree."""

import streamlit as st

from observation import definitions, ui
from observation.ui import choices, study, tables

flt = ui.shared_sidebar("agreement")
st.title(
    "Coder agreement",
    help="Counted per note, over the field notes both coders coded: for every code either used, each note is a "
    "yes/no decision by each coder. Percent agreement and Cohen's kappa, per code and pooled. The Coded "
    "passages tab compares the passages they coded, character by character (span agreement), in the field notes "
    "and the interview transcripts both coded.",
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
with right:  # by default the first coder who is not A (a link naming A alone compares A with another)
    other = next(c for c in coders if c != coder_a)
    choices.url_choice("agreement_b", "coder_b", list(coders), other)
    coder_b = st.selectbox("Coder B", list(coders), key="agreement_b")
    choices.keep_in_url("coder_b", coder_b, other)
if coder_a == coder_b:
    st.info("Choose two different coders.")
    st.stop()
per_note_tab, passages_tab = choices.open_tab_only(["Codes per note", "Coded passages"], "agreement_tab")
if per_note_tab.open:
    with per_note_tab:
        result = study.coder_agreement(flt, coder_a, coder_b)
        if result.notes:
            tables.agreement_summary(result)
            st.subheader("Where they disagree")
            tables.disagreements_table(result)
        else:
            st.info("These two coders have no notes in common within the filters: per-note agreement needs some.")
if passages_tab.open:
    with passages_tab:
        spans = study.span_agreement(flt, coder_a, coder_b)
        st.subheader("Span agreement", help=definitions.SPAN_AGREEMENT)
        tables.span_summary(spans)
        if spans.codes:
            st.subheader("Passages where they differ")
            tables.differing_passages(spans)
