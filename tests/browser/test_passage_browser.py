"""The passage widget in Chromium: tests/browser/passage_app.py under `streamlit run`, a passage chosen
by mouse (drag; double-click and Shift-click) and by keyboard alone, each checked against Python's own
offsets of the passage in the text (an emoji and a combining accent come before it); the highlights'
labels on hover and at the keyboard's caret; the text shown as text; a new text letting go."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import char_box, screenshot, start_server
from tests.browser.passage_app import FIRST, LABELS, LONG, OTHER, SECOND, TEXT, spans

APP = Path(__file__).with_name("passage_app.py")
WAIT = 20_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run passage_app.py`` on a free port, for this module's tests."""
    started = start_server(None, tmp_path_factory.mktemp("passage") / "streamlit.log", script=APP)
    yield started.url
    started.process.terminate()
    started.process.wait(timeout=30)


class Widget:
    """The app in one browser page, with the console's errors kept."""

    def __init__(self, browser: Browser, url: str, width: int, height: int) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.goto(url)
        self.text: Locator = self.page.locator(".obs-passage-text")
        expect(self.text).to_have_text(TEXT, timeout=60_000)
        self.shown = self.page.get_by_test_id("stCode")

    def box(self, needle: str, nth: int = 0) -> dict[str, float]:
        return char_box(self.page, needle, nth)

    def expect_passage(self, piece: str | None, text: str = TEXT, last: bool = False) -> None:
        """What the app printed is `piece` at Python's own offsets of its first (or last) place in `text`,
        or null."""
        if piece is None:
            expected: Any = None
        else:
            start = text.rindex(piece) if last else text.index(piece)
            end = start + len(piece)
            expected = {"start": start, "end": end, "text": piece}
        expect(self.shown).to_have_text(json.dumps(expected, ensure_ascii=False), timeout=WAIT)

    def chosen(self) -> str:
        return "".join(self.page.locator(".obs-chosen").all_text_contents())

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def widget(browser: Browser, server: str) -> Iterator[Widget]:
    w = Widget(browser, server, 1440, 900)
    yield w
    assert w.errors == []
    w.close()


def test_dragging_over_a_passage_chooses_it_in_code_points(widget: Widget) -> None:
    piece = "agreed to share the agenda"  # an emoji, é and a combining accent come before it
    first, last = widget.box(piece, 0), widget.box(piece, -1)
    page = widget.page
    widget.expect_passage(None)
    page.mouse.move(first["left"] + 1, first["y"])
    page.mouse.down()
    page.mouse.move((first["left"] + last["right"]) / 2, last["y"], steps=5)
    page.mouse.move(last["right"] - 1, last["y"], steps=5)
    page.mouse.up()  # no click needed: mouseup sends it
    widget.expect_passage(piece)
    assert widget.chosen() == piece
    assert page.evaluate("window.getSelection().toString()") == ""
    screenshot(page, "passage-dragged")


def test_a_drag_over_the_spaces_around_a_passage_is_trimmed(widget: Widget) -> None:
    before, after = widget.box("Staff", 0), widget.box("meetings.", -1)
    page = widget.page
    page.mouse.move(before["left"] - 10, before["y"])  # in the padding, before the line starts
    page.mouse.down()
    page.mouse.move(after["right"] + 120, after["y"], steps=6)  # past the end of the line
    page.mouse.up()
    widget.expect_passage("Staff agreed to share the agenda before meetings.")


def test_double_click_and_shift_click_choose_a_word_then_stretch_it(widget: Widget) -> None:
    page = widget.page
    word = widget.box("huddle", 2)
    page.mouse.dblclick(word["left"] + 1, word["y"])
    widget.expect_passage("huddle")
    end = widget.box("e\u0301lan", -1)
    page.keyboard.down("Shift")
    page.mouse.click(end["right"] - 1, end["y"])
    page.keyboard.up("Shift")
    widget.expect_passage("huddle today. She asked why the e\u0301lan")
    assert widget.chosen() == "huddle today. She asked why the e\u0301lan"


def test_the_keyboard_alone_chooses_a_passage_by_word_and_by_sentence(widget: Widget) -> None:
    page = widget.page
    text = widget.text
    assert text.get_attribute("tabindex") == "0"
    assert text.get_attribute("role") == "textbox"
    assert text.get_attribute("aria-label")
    page.get_by_label("Show a long text").focus()  # the control before the text
    page.keyboard.press("Tab")
    expect(text).to_be_focused()

    words = [m for m in re.finditer(r"\w+", TEXT)]  # Café, notes, first, The, service, user…
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # word start to word start: Café → notes → first → The
    for _ in range(3):
        page.keyboard.press("Shift+ArrowRight")  # The service user
    page.keyboard.press("Shift+ArrowLeft")  # back to the end of the word before: The service
    extending = page.locator(".obs-pending")
    assert "".join(extending.all_text_contents()).strip() == TEXT[words[3].start() : words[4].end()]
    widget.expect_passage(None)  # nothing is sent while extending
    screenshot(page, "passage-keyboard-extending")
    page.keyboard.press("Enter")
    widget.expect_passage("The service")
    expect(extending).to_have_count(0)

    # ↓ goes to the next sentence's start, Shift+↓ stretches to its end (a line ends one, too).
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Enter")
    sentence = TEXT[TEXT.index("She asked") : TEXT.index("faded.") + len("faded.")]
    widget.expect_passage(sentence)
    page.keyboard.press("Shift+ArrowDown")  # from the end of one sentence to the end of the next line
    page.keyboard.press("Enter")
    widget.expect_passage("Staff agreed to share the agenda before meetings.")

    page.keyboard.press("Shift+ArrowLeft")
    expect(extending).not_to_have_count(0)
    page.keyboard.press("Escape")  # lets go of the stretch, keeps the chosen passage
    expect(extending).to_have_count(0)
    assert widget.chosen() == "Staff agreed to share the agenda before meetings."
    page.keyboard.press("Enter")  # nothing to choose: nothing sent
    expect(page.locator(".obs-passage-status")).to_contain_text("Nothing to choose")

    page.keyboard.press("Tab")  # on to the page's next control
    expect(text).not_to_be_focused()
    assert page.evaluate("document.activeElement.closest('.obs-passage') === null")
    widget.expect_passage("Staff agreed to share the agenda before meetings.")


def test_highlights_show_overlaps_and_their_labels_on_hover_and_at_the_caret(widget: Widget) -> None:
    page = widget.page
    marked = page.locator(".obs-passage-text [data-hl]")
    first, second = spans(TEXT, FIRST), spans(TEXT, SECOND)
    expected = [
        (TEXT[first[0] : second[0]], "0"),
        (TEXT[second[0] : first[1]], "0 1"),
        (TEXT[first[1] : second[1]], "1"),
    ]
    assert [(m.text_content(), m.get_attribute("data-hl")) for m in marked.all()] == expected
    # Each code's tint is also a stripe under the text, one per code, and the passage has an outline.
    shadows = [m.evaluate("e => getComputedStyle(e).boxShadow") for m in marked.all()]
    assert [len(re.findall(r"rgb\(", s)) for s in shadows] == [1, 2, 1]
    assert marked.first.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"

    tip = page.locator(".obs-passage-tip")
    expect(tip).to_be_hidden()
    spot = widget.box("Zoë", 0)
    page.mouse.move(spot["left"] + 2, spot["y"])
    expect(tip).to_be_visible()
    expect(tip).to_have_text(LABELS[0])
    spot = widget.box("huddle", 0)
    page.mouse.move(spot["left"] + 2, spot["y"])
    expect(tip).to_have_text("".join(LABELS))
    screenshot(page, "passage-hover")
    page.mouse.move(5, 5)
    expect(tip).to_be_hidden()

    widget.text.focus()
    for _ in range(7):  # Café notes first The service user Zoë → led
        page.keyboard.press("ArrowRight")
    status = page.locator(".obs-passage-status")
    expect(status).to_contain_text("Coded here: " + " | ".join(LABELS))
    expect(tip).to_be_visible()
    expect(tip).to_have_text("".join(LABELS))
    screenshot(page, "passage-caret-labels")


def test_labels_show_above_a_highlight_near_the_bottom_of_the_window(browser: Browser, server: str) -> None:
    w = Widget(browser, server, 1024, 768)
    try:
        spot = w.box("Zoë", 0)
        w.page.set_viewport_size({"width": 1024, "height": int(spot["bottom"]) + 20})
        spot = w.box("Zoë", 0)
        w.page.mouse.move(spot["left"] + 2, spot["y"])
        tip = w.page.locator(".obs-passage-tip")
        expect(tip).to_have_text(LABELS[0])
        box = tip.bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= spot["top"]
        assert w.errors == []
    finally:
        w.close()


def test_the_text_is_shown_as_text(widget: Widget) -> None:
    assert widget.text.locator("b").count() == 0
    assert "<b>change</b>" in (widget.text.text_content() or "")


def test_a_new_text_lets_go_of_the_passage(widget: Widget) -> None:
    page = widget.page
    word = widget.box("huddle", 2)
    page.mouse.dblclick(word["left"] + 1, word["y"])
    widget.expect_passage("huddle")
    page.get_by_text("Show the other text").click()
    expect(widget.text).to_have_text(OTHER, timeout=WAIT)
    widget.expect_passage(None)
    assert page.locator(".obs-passage-text [data-hl], .obs-chosen").count() == 0
    page.get_by_text("Show the other text").click()
    expect(widget.text).to_have_text(TEXT, timeout=WAIT)
    widget.expect_passage(None)  # the first text back: its old passage is not
    assert widget.chosen() == ""


def test_a_long_text_scrolls_with_the_caret(widget: Widget) -> None:
    page = widget.page
    page.get_by_text("Show a long text").click()
    expect(widget.text).to_have_text(LONG, timeout=WAIT)
    scroll = page.locator(".obs-passage-scroll")
    assert scroll.evaluate("e => e.scrollHeight > e.clientHeight")
    assert scroll.evaluate("e => e.scrollTop") == 0
    widget.text.focus()
    page.keyboard.press("End")
    caret = page.locator(".obs-passage-caret")
    expect(caret).to_be_in_viewport()
    assert scroll.evaluate("e => e.scrollTop") > 0
    caret_box, scroll_box = caret.bounding_box(), scroll.bounding_box()
    assert caret_box is not None
    assert scroll_box is not None
    assert scroll_box["y"] <= caret_box["y"] <= scroll_box["y"] + scroll_box["height"]
    page.keyboard.press("Shift+ArrowUp")  # back from the end to the start of the last sentence
    page.keyboard.press("Enter")
    widget.expect_passage(TEXT.splitlines()[-1], LONG, last=True)
    screenshot(page, "passage-long-text")
    page.keyboard.press("Home")
    assert scroll.evaluate("e => e.scrollTop") == 0


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (1440, 900)])
def test_the_widget_fits_the_screen(browser: Browser, server: str, width: int, height: int) -> None:
    w = Widget(browser, server, width, height)
    try:
        scroll = w.page.locator(".obs-passage-scroll")
        box = scroll.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width
        assert box["height"] <= 240 + 2  # scrolls within the height asked for (and its border)
        assert scroll.evaluate("e => e.scrollWidth <= e.clientWidth")
        # A readable line: about 72 characters at most, in Streamlit's own font.
        line = w.text.evaluate("e => e.clientWidth / parseFloat(getComputedStyle(e).fontSize)")
        assert line < 45
        font = w.text.evaluate("e => getComputedStyle(e).fontFamily")
        assert font == w.page.evaluate(
            "getComputedStyle(document.querySelector('[data-testid=stMarkdownContainer], p, body')).fontFamily"
        )
        screenshot(w.page, f"passage-{width}x{height}")
        assert w.errors == []
    finally:
        w.close()
