"""Choosing a passage of a text to code: the text shown as text, its coded passages highlighted,
and the stretch the researcher last selected (by mouse or keyboard) handed back to Python.

A small component of our own on Streamlit's components v2: its script and style sheet are the two
files in the folder beside this one (passage/), given to Streamlit inline, with no build step and no
HTML. The script builds its whole view with ``createElement`` and ``textContent``: nothing of the
study text, and no label, ever reaches the page as HTML.

Offsets are Python's: code points of ``text``. The browser counts UTF-16 units (an emoji is two), so
the offsets are converted here on the way in and on the way back; the script itself only ever counts
in UTF-16.

What the script sends is kept as the component's state (it survives reruns) together with a digest
of the text it was made on, so a selection made on another text is never handed back; and a new
text lets go of the selection even when an earlier text comes back.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

import streamlit as st

TONES = 6
"""How many tints a highlight can take (Okabe–Ito colours, told apart with colour-blindness)."""
MIN_HEIGHT = 80
"""The least height of the text's scrolling box, in pixels: about three lines."""

HELP = (
    "Drag over a passage, or double-click a word and Shift-click where the passage ends. "
    "Keys: Tab into the text; ← → by word, ↑ ↓ by sentence or line, Home End to either end; "
    "hold Shift to extend; Enter chooses; Esc lets go; Tab moves on."
)
"""The keys, as the widget shows them above the text (and the tests read them)."""


@dataclass(frozen=True)
class Highlight:
    """A coded passage shown in the text: ``text[start:end]``, with the label shown on hover and at
    the keyboard's caret, in one of ``TONES`` tints."""

    start: int  # character offsets into text, Python str indices (Unicode code points)
    end: int
    label: str  # e.g. "Right service user — R01; Power — R02" shown on hover/focus
    tone: int = 0  # 0..5: which of a few colour-blind-safe tints (the Coding page gives one per code)

    def __post_init__(self) -> None:
        for name in ("start", "end", "tone"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"Highlight.{name} must be an int, not {value!r}")
        if not isinstance(self.label, str):
            raise TypeError(f"Highlight.label must be a str, not {self.label!r}")
        if not 0 <= self.start <= self.end:
            raise ValueError(f"a highlight runs from start to end, 0 ≤ start ≤ end: got {self.start}–{self.end}")
        if not 0 <= self.tone < TONES:
            raise ValueError(f"Highlight.tone is one of 0..{TONES - 1}: got {self.tone}")


@dataclass(frozen=True)
class Passage:
    """The passage chosen: ``text[start:end]``, in code points, its surrounding whitespace left out."""

    start: int
    end: int
    text: str  # text[start:end]


@dataclass(frozen=True)
class Seen:
    """What one widget last saw: the digest of its text, and the selection that a change of text
    let go of (its ``seq``), which is never handed back again."""

    digest: str
    void: int | None = None


def text_digest(text: str) -> str:
    """A short fingerprint of ``text``: a selection carries the one of the text it was made on."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def utf16_offsets(text: str) -> Sequence[int]:
    """For each code-point offset 0..len(text), where it falls in UTF-16 units (as JavaScript counts).
    A text with no character outside the Basic Multilingual Plane (most) counts the same both ways:
    told apart by its UTF-16 length, in C, rather than by a Python loop over every character (0.1 s
    a run for a 100,000-character transcript)."""
    if len(text.encode("utf-16-le")) == 2 * len(text):
        return range(len(text) + 1)
    return list(accumulate((2 if ord(c) > 0xFFFF else 1 for c in text), initial=0))


def clip_highlights(text: str, highlights: Sequence[Highlight]) -> list[Highlight]:
    """The highlights as far as they fall within ``text``: one running past its end is cut at the end
    (its text was shortened since it was coded), and one left empty is dropped."""
    n = len(text)
    kept = []
    for h in highlights:
        if not isinstance(h, Highlight):
            raise TypeError(f"highlights hold Highlight values, not {h!r}")
        start, end = min(h.start, n), min(h.end, n)
        if start < end:
            kept.append(h if (start, end) == (h.start, h.end) else Highlight(start, end, h.label, h.tone))
    return kept


def trimmed(text: str, start: int, end: int) -> Passage | None:
    """``text[start:end]`` without the whitespace around it; None when nothing is left."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Passage(start, end, text[start:end]) if start < end else None


def _as_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def passage_from_state(text: str, raw: object) -> Passage | None:
    """The passage a selection sent by the browser stands for in ``text``: None unless it is a well-formed
    selection made on this very text (its digest) with at least one character that is not a space.
    Its offsets are UTF-16 units; one that falls inside a surrogate pair moves to leave the pair out."""
    if not isinstance(raw, Mapping) or raw.get("digest") != text_digest(text):
        return None
    start16, end16 = _as_int(raw.get("start")), _as_int(raw.get("end"))
    if start16 is None or end16 is None:
        return None
    units = utf16_offsets(text)
    start16, end16 = sorted((max(0, min(start16, units[-1])), max(0, min(end16, units[-1]))))
    start = bisect_left(units, start16)  # the first code point at or after the start
    end = bisect_right(units, end16) - 1  # the last boundary at or before the end
    return trimmed(text, start, end) if start < end else None


def current_passage(text: str, raw: object, seen: Seen | None) -> tuple[Passage | None, Seen]:
    """The passage to hand back this run, and what to remember for the next. When the text differs
    from the one seen last run, the selection held then is let go of for good (even if that text
    comes back later)."""
    digest = text_digest(text)
    seq = _as_int(raw.get("seq")) if isinstance(raw, Mapping) else None
    if seen is None:
        now = Seen(digest)
    elif seen.digest != digest:
        now = Seen(digest, seq)
    else:
        now = seen
    if seq is not None and seq == now.void:
        return None, now
    return passage_from_state(text, raw), now


def component_data(text: str, highlights: Sequence[Highlight], chosen: Passage | None, height: int) -> dict[str, Any]:
    """What the script is given: the text, its digest, the highlights and the chosen passage in UTF-16
    offsets, and the height of the scrolling box in pixels."""
    units = utf16_offsets(text)
    return {
        "text": text,
        "digest": text_digest(text),
        "highlights": [
            {"start": units[h.start], "end": units[h.end], "label": h.label, "tone": h.tone}
            for h in clip_highlights(text, highlights)
        ],
        "chosen": None if chosen is None else {"start": units[chosen.start], "end": units[chosen.end]},
        "height": height,
        "help": HELP,
    }


HERE = Path(__file__).with_name("passage")
CSS = (HERE / "passage.css").read_text(encoding="utf-8")
JS = (HERE / "passage.js").read_text(encoding="utf-8")
"""The script counts in UTF-16 units only (this side converts), keeps one view per mount point across
reruns, and touches the page only through createElement, textContent, classes and styles."""

_COMPONENT = st.components.v2.component("observation_passage", css=CSS, js=JS, isolate_styles=False)


def choose_passage(text: str, highlights: Sequence[Highlight], *, key: str, height: int = 420) -> Passage | None:
    """Show `text` (as text: never as HTML; escape everything; keep line breaks) with its coded passages
    highlighted (overlaps shown, e.g. stacked tints or underlines), and return the passage the user last
    selected (None before any, and after the text changes). Scrolls within `height` px."""
    if not isinstance(text, str):
        raise TypeError(f"choose_passage shows a str, not {type(text).__name__}")
    if not isinstance(height, int) or isinstance(height, bool) or height < MIN_HEIGHT:
        raise ValueError(f"the text's box is at least {MIN_HEIGHT} pixels high: got {height!r}")
    memory = f"observation_passage_seen:{key}"
    seen = st.session_state.get(memory)
    raw = st.session_state.get(key)
    selection = raw.get("selection") if isinstance(raw, Mapping) else None
    passage, now = current_passage(text, selection, seen if isinstance(seen, Seen) else None)
    st.session_state[memory] = now
    _COMPONENT(key=key, data=component_data(text, highlights, passage, height), height="content")
    return passage
