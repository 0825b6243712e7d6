"""A tiny app for the passage widget's browser test: a text with non-ASCII characters (é, a
combining accent, an emoji before the passages), two overlapping highlights, and what the widget
hands back, printed for the test to read."""

import json

import streamlit as st

from observation.ui.passage import Highlight, choose_passage

TEXT = (
    "Café notes 😀 first.\n"
    "The service user, Zoë, led the huddle today. She asked why the e\u0301lan of the team had faded.\n"
    "Staff agreed to share the agenda before meetings.\n"
    "Nobody 🎉 objected to the change."
)
OTHER = "A different note entirely.\nNothing is coded here."


def spans(text: str, piece: str) -> tuple[int, int]:
    start = text.index(piece)
    return start, start + len(piece)


other = st.toggle("Show the other text")
text = OTHER if other else TEXT
highlights = (
    []
    if other
    else [
        Highlight(*spans(TEXT, "Zoë, led the huddle today"), "Right service user — R01", 0),
        Highlight(*spans(TEXT, "led the huddle today. She asked"), "Power — R02; Voice — R03", 4),
    ]
)
passage = choose_passage(text, highlights, key="passage", height=240)
st.code(json.dumps(None if passage is None else passage.__dict__, ensure_ascii=False), language="json")
st.text_input("Next control")
