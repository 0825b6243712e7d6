"""What a page looks like printed from the browser: the print style sheet beside this file, given to
the page once per run (a style-only st.html draws nothing on the screen)."""

from pathlib import Path

import streamlit as st

PRINT_CSS = Path(__file__).with_name("print.css")


def printable() -> None:
    """Print the page whole: no sidebar or buttons, every block, charts fitted to the paper."""
    st.html(PRINT_CSS)
