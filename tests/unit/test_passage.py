"""The passage widget's Python side: highlights checked and clipped, offsets converted between code
points (Python) and UTF-16 units (the browser) and back, a selection trimmed, and a selection made on
another text never handed back. UTF-16 offsets are computed here by encoding, not by the code under
test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from observation.ui import passage as widget
from observation.ui.passage import Highlight, Passage, Seen

TEXT = "Café 😀 notes: e\u0301lan of Zoë 🎉\nsecond line  "


def utf16(text: str, index: int) -> int:
    """Where code point ``index`` falls in UTF-16 units, by encoding the text before it."""
    return len(text[:index].encode("utf-16-le")) // 2


def js_slice(text: str, start16: int, end16: int) -> str:
    """What JavaScript's ``text.slice(start16, end16)`` gives (surrogatepass keeps a split pair)."""
    units = text.encode("utf-16-le", "surrogatepass")
    return units[2 * start16 : 2 * end16].decode("utf-16-le", "surrogatepass")


def sent(text: str, start: int, end: int, **extra: object) -> dict[str, object]:
    """A selection as the script sends it, for code points start..end of ``text``."""
    return {"start": utf16(text, start), "end": utf16(text, end), "digest": widget.text_digest(text), **extra}


# -- Highlight ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((-1, 3, "x"), ValueError),
        ((4, 3, "x"), ValueError),
        ((0, 3, "x", 6), ValueError),
        ((0, 3, "x", -1), ValueError),
        ((True, 3, "x"), TypeError),
        ((0, 3.0, "x"), TypeError),
        ((0, 3, None), TypeError),
    ],
)
def test_a_highlight_that_cannot_be_is_refused(args: tuple[object, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        Highlight(*args)  # type: ignore[arg-type]


def test_highlights_are_clipped_to_the_text_and_empty_ones_dropped() -> None:
    text = "short text"
    kept = widget.clip_highlights(
        text,
        [
            Highlight(0, 5, "in"),
            Highlight(6, 40, "past the end", 2),
            Highlight(10, 12, "after"),
            Highlight(3, 3, "empty"),
        ],
    )
    assert kept == [Highlight(0, 5, "in"), Highlight(6, 10, "past the end", 2)]


def test_anything_but_a_highlight_is_refused() -> None:
    with pytest.raises(TypeError):
        widget.clip_highlights("text", [(0, 2, "a tuple")])  # type: ignore[list-item]


# -- offsets -----------------------------------------------------------------------------------


def test_utf16_offsets_count_an_emoji_twice() -> None:
    assert widget.utf16_offsets(TEXT) == [utf16(TEXT, i) for i in range(len(TEXT) + 1)]
    assert list(widget.utf16_offsets("")) == [0]
    plain = "Zoë said: e\u0301 — no character outside the first plane"  # the quick way, counted the same
    assert list(widget.utf16_offsets(plain)) == [utf16(plain, i) for i in range(len(plain) + 1)]


def test_the_script_is_given_highlights_and_the_chosen_passage_in_utf16_units() -> None:
    zoe, second = TEXT.index("Zoë 🎉"), TEXT.index("second")
    highlights = [Highlight(zoe, zoe + len("Zoë 🎉"), "Right service user — R01", 1), Highlight(second, 99, "cut", 5)]
    chosen = Passage(TEXT.index("notes"), TEXT.index("notes") + 5, "notes")
    data = widget.component_data(TEXT, highlights, chosen, 300)
    assert data["text"] == TEXT
    assert data["digest"] == widget.text_digest(TEXT)
    assert data["height"] == 300
    assert [js_slice(TEXT, h["start"], h["end"]) for h in data["highlights"]] == ["Zoë 🎉", "second line  "]
    assert [(h["label"], h["tone"]) for h in data["highlights"]] == [("Right service user — R01", 1), ("cut", 5)]
    assert js_slice(TEXT, data["chosen"]["start"], data["chosen"]["end"]) == "notes"
    assert widget.component_data(TEXT, [], None, 420)["chosen"] is None


def test_a_selection_after_an_emoji_comes_back_in_code_points() -> None:
    start = TEXT.index("e\u0301lan")
    passage = widget.passage_from_state(TEXT, sent(TEXT, start, start + 5))
    assert passage == Passage(start, start + 5, "e\u0301lan")
    assert TEXT[passage.start : passage.end] == passage.text


def test_a_selection_is_trimmed_of_the_whitespace_around_it() -> None:
    start = TEXT.index("🎉") + 1  # "\nsecond line  " and the space before it
    passage = widget.passage_from_state(TEXT, sent(TEXT, start - 2, len(TEXT)))
    assert passage is not None
    assert passage.text == "🎉\nsecond line"
    assert widget.passage_from_state(TEXT, sent(TEXT, len(TEXT) - 2, len(TEXT))) is None  # only spaces


def test_a_selection_backwards_or_past_the_ends_is_put_in_order_and_clipped() -> None:
    raw = {"start": 10_000, "end": -5, "digest": widget.text_digest(TEXT)}
    passage = widget.passage_from_state(TEXT, raw)
    assert passage == widget.trimmed(TEXT, 0, len(TEXT))
    assert passage is not None
    assert passage.text == TEXT.strip()


def test_an_offset_inside_an_emoji_leaves_the_emoji_out() -> None:
    emoji = TEXT.index("😀")
    inside = utf16(TEXT, emoji) + 1  # between the two halves of the surrogate pair
    digest = widget.text_digest(TEXT)
    starting_inside = widget.passage_from_state(
        TEXT, {"start": inside, "end": utf16(TEXT, emoji + 7), "digest": digest}
    )
    assert starting_inside == Passage(emoji + 2, emoji + 7, "notes")
    ending_inside = widget.passage_from_state(TEXT, {"start": 0, "end": inside, "digest": digest})
    assert ending_inside == Passage(0, 4, "Café")


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "0-4",
        {"start": 0, "end": 4},  # no digest
        {"start": 0, "end": 4, "digest": "another text"},
        {"start": "0", "end": 4, "digest": None},
        {"start": 0, "end": None, "digest": None},
        {"start": False, "end": 4, "digest": None},
        {"start": 3, "end": 3, "digest": None},
    ],
)
def test_a_malformed_selection_or_one_made_on_another_text_gives_nothing(raw: object) -> None:
    if isinstance(raw, dict) and "digest" in raw and raw["digest"] is None:
        raw = {**raw, "digest": widget.text_digest(TEXT)}
    assert widget.passage_from_state(TEXT, raw) is None


@given(st.text(alphabet=st.sampled_from("ab é\u0301😀🎉\n\t,."), max_size=30), st.data())
def test_any_selection_gives_the_text_between_its_offsets(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    passage = widget.passage_from_state(text, sent(text, start, end))
    expected = text[start:end].strip()
    if not expected:
        assert passage is None
    else:
        assert passage is not None
        assert passage.text == expected
        assert text[passage.start : passage.end] == passage.text
        assert start <= passage.start < passage.end <= end


# -- a new text lets go of the selection -----------------------------------------------------


def test_a_new_text_lets_go_of_the_selection_even_when_the_old_text_comes_back() -> None:
    first, other = "First note, with a passage.", "Another note."
    raw = sent(first, 0, 5, seq=7)
    passage, seen = widget.current_passage(first, raw, None)
    assert passage == Passage(0, 5, "First")
    assert seen == Seen(widget.text_digest(first))
    passage, seen = widget.current_passage(other, raw, seen)  # the text changed: raw is stale
    assert passage is None
    assert seen == Seen(widget.text_digest(other), 7)
    passage, seen = widget.current_passage(first, raw, seen)  # back to the first text: still let go of
    assert passage is None
    passage, seen = widget.current_passage(first, sent(first, 12, 18, seq=8), seen)  # a new selection
    assert passage == Passage(12, 18, "with a")


def test_choose_passage_hands_back_what_the_browser_sent_until_the_text_changes() -> None:
    def script() -> None:
        import streamlit as st

        from observation.ui.passage import Highlight, choose_passage

        text = st.session_state.get("text", "Café 😀 notes here")
        st.write(repr(choose_passage(text, [Highlight(0, 4, "Power — R02")], key="passage")))

    at = AppTest.from_function(script)
    at.run()
    assert [m.value for m in at.markdown] == ["None"]
    text = "Café 😀 notes here"
    at.session_state["passage"] = {"selection": sent(text, text.index("notes"), text.index("notes") + 5, seq=1)}
    at.run()
    assert not at.exception
    assert [m.value for m in at.markdown] == [repr(Passage(7, 12, "notes"))]
    at.session_state["text"] = "Another text"
    at.run()
    assert [m.value for m in at.markdown] == ["None"]


@pytest.mark.parametrize("height", [0, 79, 200.5, True])
def test_a_box_too_low_to_read_is_refused(height: object) -> None:
    with pytest.raises(ValueError, match="pixels high"):
        widget.choose_passage("text", [], key="passage", height=height)  # type: ignore[arg-type]


# -- the script --------------------------------------------------------------------------------

SCRIPT = (Path(widget.__file__).with_name("passage") / "passage.js").read_text(encoding="utf-8")


def test_the_script_writes_no_markup() -> None:
    # The study text and labels go in as text nodes only: no way of parsing a string as HTML.
    for way in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "DOMParser",
        "createContextualFragment",
    ):
        assert way not in SCRIPT
    assert not re.search(r"\beval\b|new Function", SCRIPT)


def test_the_component_is_given_no_html() -> None:
    source = Path(widget.__file__).read_text(encoding="utf-8")
    call = re.search(r"components\.v2\.component\(([^)]*)\)", source)
    assert call is not None
    assert "html=" not in call.group(1)
    assert "js=JS" in call.group(1)


def test_the_help_names_every_key_the_script_handles() -> None:
    handled = set(re.findall(r'case "(\w+)"', SCRIPT))
    assert handled == {"ArrowRight", "ArrowLeft", "ArrowDown", "ArrowUp", "Home", "End", "Enter", "Escape"}
    named = {"ArrowRight": "→", "ArrowLeft": "←", "ArrowDown": "↓", "ArrowUp": "↑", "Escape": "Esc"}
    for key in handled | {"Shift", "Tab"}:
        assert named.get(key, key) in widget.HELP
