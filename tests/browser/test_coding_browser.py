"""The Coding page in Chromium: a note opened, a passage selected by mouse in the passage widget,
a code chosen and saved; the passage then highlighted, and the Notes page's count for that code
one more. Then the same by keyboard alone: Tab into the text, choose a passage with the arrows,
Tab to the codes, Tab on to Save."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Browser, Page, expect

from observation.demo import DemoSpec, build_demo
from observation.ui import coding_ui
from tests.browser.conftest import ARTIFACTS, Server, char_box, screenshot, start_server

WAIT = 30_000
README_SHOT = ARTIFACTS / "coding-readme.png"  # looked at, then copied to docs/coding.png by hand


@dataclass(frozen=True)
class Study:
    server: Server
    path: Path
    notes: list[tuple[int, str]]
    """Two notes of the study, (id, text), each with a few words."""
    code: tuple[int, str, str]
    """A code (id, name, its path as the page shows it) that no note carries yet."""


@pytest.fixture
def study(tmp_path: Path) -> Iterator[Study]:
    path = tmp_path / "study.duckdb"
    build_demo(path, DemoSpec(teams=1, months=2))
    with duckdb.connect(str(path), read_only=True) as con:
        notes = con.execute(
            "select id, body from field_notes where length(body) between 60 and 400 and body not like '%\n%' "
            "order by id limit 2"
        ).fetchall()
        code = con.execute(
            "select c.id, c.name, p.name || ' › ' || c.name from codes as c join codes as p on p.id = c.parent_id "
            "where c.id not in (select code_id from coded_segments) order by c.slug limit 1"
        ).fetchone()
    assert len(notes) == 2
    assert code is not None
    server = start_server(path, tmp_path / "streamlit.log")
    yield Study(server, path, [(int(i), str(b)) for i, b in notes], (int(code[0]), str(code[1]), str(code[2])))
    server.process.terminate()
    server.process.wait(timeout=30)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 1100})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    assert errors == []
    context.close()


def notes_found(page: Page, study: Study) -> int:
    """How many notes the Notes page finds coded with the study's code (its search's first line)."""
    page.goto(f"{study.server.url}/notes?codes={study.code[0]}&source=notes")
    heading = page.get_by_role("heading", name=re.compile(r"^\d+ notes?\b"))
    expect(heading).to_be_visible(timeout=60_000)
    return int(str(heading.text_content()).split()[0])


def open_note(page: Page, study: Study, note: int, text: str) -> None:
    page.goto(f"{study.server.url}/coding?note={note}")
    expect(page.locator(".obs-passage-text")).to_have_text(text, timeout=60_000)
    # the page's run ended and it is laid out: a passage's characters are measured where they stay
    # (under load, the rest of the page arriving after the text moved it, and a drag chose "Staff-only")
    settled(page)


def settled(page: Page) -> None:
    """The run a choice began has ended, so that a key pressed next reaches the page as drawn."""
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=WAIT)
    page.wait_for_timeout(300)


def codings_heading(page: Page) -> int:
    """How many of the coder's own codings the page lists under the text."""
    heading = page.get_by_role("heading", name=re.compile(r"^Your codings of this field note \(\d+\)"))
    expect(heading).to_be_visible(timeout=WAIT)
    return int(re.findall(r"\d+", str(heading.text_content()))[-1])


def choose_code(page: Page, path: str) -> None:
    codes = page.get_by_role("combobox", name="Codes")
    codes.click()
    page.get_by_role("option", name=path, exact=True).click(timeout=WAIT)
    page.keyboard.press("Escape")


def test_a_passage_selected_by_mouse_is_coded_highlighted_and_counted(page: Page, study: Study) -> None:
    before = notes_found(page, study)
    note, text = study.notes[0]
    open_note(page, study, note, text)
    listed = codings_heading(page)
    words = text.split()
    first, last = words[1], words[4]
    start, end = char_box(page, first), char_box(page, last, -1)
    page.mouse.move(start["left"] + 1, start["y"])
    page.mouse.down()
    page.mouse.move(end["right"] - 1, end["y"], steps=8)
    page.mouse.up()
    passage = text[text.index(first) : text.index(last, text.index(first)) + len(last)]
    # Said once: the widget quotes it, the page says only where it is.
    expect(page.locator(".obs-passage-status")).to_contain_text("Chosen: “" + passage, timeout=WAIT)
    expect(page.get_by_text(re.compile(r"^The chosen passage: characters \d+ to \d+ of"))).to_be_visible()
    expect(page.get_by_test_id("stMarkdownContainer").filter(has_text="“" + passage)).to_have_count(0)
    choose_code(page, study.code[2])
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Coded with 1 code.")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("heading", name=f"Your codings of this field note ({listed + 1})")).to_be_visible(
        timeout=WAIT
    )
    # Said beside Save, where the coder is, not at the top of the page.
    saved = page.get_by_test_id("stAlert").filter(has_text="Coded with 1 code.").bounding_box()
    button = page.get_by_role("button", name="Save", exact=True).bounding_box()
    assert saved is not None
    assert button is not None
    assert 0 < saved["y"] - button["y"] < 120, (saved, button)
    highlight = page.locator(".obs-passage-text .obs-hl")
    expect(highlight.first).to_be_visible(timeout=WAIT)
    lit = "".join(highlight.all_text_contents())  # the highlight's pieces (a space between two may be drawn apart)
    assert "".join(passage.split()) in "".join(lit.split())
    table = page.get_by_test_id("stDataFrame")
    expect(table).to_be_visible()
    # The codes start empty again for the next passage.
    expect(page.get_by_test_id("stMultiSelect").get_by_text(study.code[2])).to_have_count(0, timeout=WAIT)
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_disabled()
    screenshot(page, "coding-mouse-saved")
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.get_by_role("heading", name="Code notes and transcripts").scroll_into_view_if_needed()
    page.mouse.move(5, 5)  # the pointer off the text: no label box over it
    page.wait_for_timeout(300)
    page.screenshot(path=str(README_SHOT), full_page=True)
    assert notes_found(page, study) == before + 1


def test_the_keyboard_alone_chooses_a_passage_a_code_and_saves(page: Page, study: Study) -> None:
    before = notes_found(page, study)
    note, text = study.notes[1]
    open_note(page, study, note, text)
    listed = codings_heading(page)
    widget = page.locator(".obs-passage-text")
    widget.focus()
    expect(widget).to_be_focused()
    for _ in range(2):
        page.keyboard.press("Shift+ArrowRight")  # the first two words
    page.keyboard.press("Enter")
    words = re.findall(r"\w+", text)
    expect(page.locator(".obs-passage-status")).to_contain_text("Chosen: “" + words[0], timeout=WAIT)
    settled(page)
    page.keyboard.press("Tab")  # on to the codes
    codes = page.get_by_role("combobox", name="Codes")
    expect(codes).to_be_focused()
    page.keyboard.type(study.code[1])
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    expect(page.get_by_text(study.code[2]).first).to_be_visible(timeout=WAIT)
    settled(page)
    passed = []  # on from the codes: their Clear all, the whole-note switch (left off), then Save
    for _ in range(4):
        page.keyboard.press("Tab")
        passed.append(page.evaluate("(document.activeElement.innerText || document.activeElement.ariaLabel || '')"))
        if passed[-1].strip() == "Save":
            break
    assert len(passed) <= 3, passed
    save = page.get_by_role("button", name="Save", exact=True)
    expect(save).to_be_focused()
    screenshot(page, "coding-keyboard-before-save")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Coded with 1 code.")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("heading", name=f"Your codings of this field note ({listed + 1})")).to_be_visible(
        timeout=WAIT
    )
    expect(page.locator(".obs-passage-text .obs-hl").first).to_be_visible(timeout=WAIT)
    screenshot(page, "coding-keyboard-saved")
    assert notes_found(page, study) == before + 1


def test_the_codes_box_adds_one_code_on_enter_and_never_selects_all(page: Page, study: Study) -> None:
    note, text = study.notes[0]
    open_note(page, study, note, text)
    codes = page.get_by_role("combobox", name="Codes")
    codes.click()
    expect(page.get_by_role("option").first).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("option", name=re.compile(r"^Select (all|\d+ matches)"))).to_have_count(0)
    page.keyboard.type("service user")  # the words of several codes
    expect(page.get_by_role("option", name=re.compile(r"^Select (all|\d+ matches)"))).to_have_count(0)
    assert page.get_by_role("option").count() > 1
    screenshot(page, "coding-codes-typed")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    settled(page)
    chips = page.get_by_test_id("stMultiSelect").get_by_role("button", name=re.compile(r"^Remove "))
    expect(chips).to_have_count(1, timeout=WAIT)


def test_at_1024_pixels_the_codings_table_fits_and_a_removed_coding_leaves_nothing_chosen(
    browser: Browser, study: Study
) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    note, text = study.notes[0]
    open_note(page, study, note, text)
    page.get_by_text("Code the whole note").click()
    settled(page)
    for code in ("Service user absent", "Service user present"):  # two codes under one parent, both coded
        page.get_by_role("combobox", name="Codes").click()
        page.keyboard.type(code)  # the list is long: typed, so that the option is drawn
        page.get_by_role("option", name=f"Lived-experience presence › {code}", exact=True).click(timeout=WAIT)
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("Coded with 1 code.")).to_be_visible(timeout=WAIT)
        settled(page)
    table = page.get_by_test_id("stDataFrame").first
    table.scroll_into_view_if_needed()
    grid = table.bounding_box()
    assert grid is not None
    assert grid["x"] + grid["width"] <= 1024, grid
    # The grid draws its headers on a canvas: the widths the page asks for, measured against the
    # room the grid has here (its selection column takes about 35 pixels).
    asked = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=stDataFrame] th[role=columnheader]')].length"
    )
    assert asked == 4, asked  # Code, Under, Passage, Memos: no Coder column in the coder's own table
    own = ("code", "under", "passage", "memos")
    assert sum(coding_ui.COLUMNS[c].get("width") or 0 for c in own) + 35 <= grid["width"]
    screenshot(page, "coding-1024-table")
    # Choose the first coding, remove it: the next one is not opened in its place.
    table.click(position={"x": 14, "y": 55})
    remove = page.get_by_role("button", name="Remove this coding")
    expect(remove).to_be_visible(timeout=WAIT)
    remove.click()
    expect(page.get_by_text(re.compile(r"^Removed the coding"))).to_be_visible(timeout=WAIT)
    settled(page)
    expect(page.get_by_role("button", name="Remove this coding")).to_have_count(0)
    screenshot(page, "coding-1024-after-remove")
    context.close()
