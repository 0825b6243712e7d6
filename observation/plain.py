"""Study text (team and code names, notes, annotation labels, participant codes, roles) shown as
text, never as markup: one function for Plotly's text, one for Streamlit's Markdown.

Plotly reads a subset of HTML in every text of a figure (titles, tick labels, legend names, hover
labels, annotations): ``<a href>`` becomes a live link, ``<span style>`` styled text, ``<br>`` a
new line. It reads HTML entities after the tags, so ``&lt;`` is drawn as a literal ``<``. A hover
template reads ``%{...}`` as a variable, and a text between two ``$`` can be typeset as TeX.

Streamlit's Markdown turns a bare ``http://…``, ``www.…`` or e-mail address into a live link even
when every character of it is backslash-escaped (or written as an HTML entity): GitHub-flavoured
Markdown finds them in the text after the escapes are read, and ``st.markdown`` has no option to
stop it. A zero-width space after the scheme's colon, after ``www`` and after an e-mail address's
``@`` leaves the text as it reads but no longer a link; it is invisible, but it is copied with the
text. So text that stands alone — a note's or a transcript's body — is shown with ``st.text``
instead, which reads no Markdown and makes no link, with nothing added; ``markdown_text`` is for
study text inside Markdown of ours (a caption that joins a team, an author and code names, a code's
name in bold before its definition, a heading, a message that quotes a value)."""

from __future__ import annotations

import re

PLOTLY_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "%": "&#37;", "$": "&#36;"}
"""Each character Plotly could read as markup, a variable or TeX, as the entity it draws literally."""
_PLOTLY = re.compile("[&<>%$]")

ZERO_WIDTH = "\u200b"
"""A zero-width space: invisible, and not part of a web or e-mail address."""
_LINK_STARTS = re.compile(r"(?<=:)(?=//)|(?<=\bwww)(?=\.)|(?<=[-.\w+]@)(?=[-\w]+\.[-\w])", re.IGNORECASE)
"""Where a Markdown autolink could start: ``http://`` (any scheme), ``www.``, ``name@host.domain``
(an ``@`` with no name before it or no dotted host after it, as in ``@SUM(1)``, is never one)."""
MARKDOWN_MARKS = frozenset("\\`*_{}[]()#+-.!|<>~$:&")
"""The characters Streamlit's Markdown could read as markup: emphasis, code, links and images,
headings, lists, tables, HTML and entities, strikethrough, maths, and ``:colour[…]``, ``:icon:``
and emoji codes. CommonMark lets a backslash escape each of them."""
_UNDERLINE = re.compile(r"(^|[\r\n])([ \t]*)=")
"""A line of ``=`` under a line of text makes it a heading; an ``=`` elsewhere is only a sign."""


def plotly_text(text: object) -> str:
    """``text`` as Plotly draws it literally: for a title, a tick label or category, a legend or
    hover name, an annotation, a trace's text or a hover template's own words. The same text
    always gives the same string, so escaped categories still match across traces."""
    return _PLOTLY.sub(lambda found: PLOTLY_ENTITIES[found.group()], str(text))


def markdown_text(text: object) -> str:
    """``text`` as Streamlit's Markdown shows it as typed: no emphasis, heading, list, link, image,
    HTML, colour or icon directive, maths or emoji code, and no address made a live link."""
    broken = _LINK_STARTS.sub(ZERO_WIDTH, str(text))
    escaped = "".join(f"\\{ch}" if ch in MARKDOWN_MARKS else ch for ch in broken)
    return _UNDERLINE.sub(r"\1\2\\=", escaped)
