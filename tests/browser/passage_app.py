"""A tiny app for the passage widget's browser test (tests/browser/test_passage_browser.py): a text
with non-ASCII characters (é, a combining accent, emoji before the passages) and markup that must
show as typed, two overlapping highlights, what the widget hands back printed as JSON, and a control
after it for Tab to reach. Toggles swap in another text, or a long one that scrolls. The test imports
the texts from here."""

import json

TEXT = (
    "Café notes 😀 first.\n"
    "The service user, Zoë, led the huddle today. She asked why the e\u0301lan of the team had faded.\n"
    "Staff agreed to share the agenda before meetings.\n"
    "Nobody 🎉 objected to the <b>change</b>."
)
OTHER = "A different note entirely.\nNothing is coded here."
LONG = "\n\n".join(f"Part {n}. {TEXT}" for n in range(1, 9))
FIRST = "Zoë, led the huddle today"
SECOND = "led the huddle today. She asked"
LABELS = ("Right service user — R01", "Power — R02; Voice — R03")


def spans(text: str, piece: str) -> tuple[int, int]:
    start = text.index(piece)
    return start, start + len(piece)


if __name__ == "__main__":  # under `streamlit run`, not when the test imports the texts
    import streamlit as st

    from observation.ui.passage import Highlight, choose_passage

    other = st.toggle("Show the other text")
    long = st.toggle("Show a long text")
    text = OTHER if other else LONG if long else TEXT
    highlights = (
        [] if other else [Highlight(*spans(text, FIRST), LABELS[0], 0), Highlight(*spans(text, SECOND), LABELS[1], 4)]
    )
    passage = choose_passage(text, highlights, key="passage", height=240)
    st.code(json.dumps(None if passage is None else passage.__dict__, ensure_ascii=False), language="json")
    st.text_input("Next control")
