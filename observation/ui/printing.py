"""What a page looks like printed from the browser: the print style sheet beside this file, given to
the page as a style-only component (Streamlit's components v2, no HTML and no script: its styles
reach the whole page, and on screen it draws nothing)."""

from pathlib import Path

import streamlit as st

PRINT_CSS = Path(__file__).with_name("print.css")
_STYLE = st.components.v2.component(
    "observation_print_style", css=PRINT_CSS.read_text(encoding="utf-8"), isolate_styles=False
)


def printable() -> None:
    """Print the page whole: no sidebar or buttons, every block, charts fitted to the paper."""
    _STYLE(key="print_style")
