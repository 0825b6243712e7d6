"""Charts as files: the provenance goes on the chart, and kaleido really draws PNG and SVG in the
system's Chromium (skipped where there is none, unless OBSERVATION_REQUIRE_BROWSER=1, as in CI)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io
import plotly.tools
import pytest

from observation import charts, figures

PROVENANCE = figures.Provenance(
    "Meetings 2 Jul 2019 – 27 Feb 2020", rules="Anhøj rules", synthetic=True, presenter="counts under 5 hidden"
)


def a_chart() -> go.Figure:
    return go.Figure(go.Scatter(x=[1, 2, 3], y=[0.2, 0.5, 0.4]), layout={"title": {"text": "Presence by quarter"}})


def test_an_exported_chart_says_where_it_came_from_and_the_page_keeps_its_own() -> None:
    fig = a_chart()
    out = figures.for_export(fig, PROVENANCE)
    assert out.layout.title.text == "Presence by quarter"
    assert out.layout.title.subtitle.text.replace("<br>", " ") == (
        "Meetings 2 Jul 2019 – 27 Feb 2020 · Anhøj rules · counts under 5 hidden · Synthetic demo data"
    )
    assert (out.layout.width, out.layout.height) == (1280, 720)
    assert fig.layout.title.text == "Presence by quarter"  # the page's chart is untouched
    assert figures.Provenance("Meetings 2020").line() == "Meetings 2020"


@pytest.mark.usefixtures("chromium")
def test_kaleido_draws_png_and_svg_in_the_system_chromium() -> None:
    out = figures.for_export(a_chart(), PROVENANCE)
    png = figures.image(out, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(png[16:20], "big")
    assert width == 2 * 1280  # drawn at twice the size, for a sharp slide
    svg = figures.image(out, "svg").decode()
    assert svg.startswith("<svg")
    assert "Synthetic demo data" in svg
    assert "Presence by quarter" in svg
    assert "font-size: 22px" in svg  # the title, as drawn
    assert "font-size: 12.6px" not in svg  # no small print (a <sup> of 18 px text)


def test_a_chart_for_a_room_has_larger_text_and_the_page_keeps_its_own() -> None:
    fig = a_chart()
    assert figures.for_a_room(fig).layout.font.size == figures.ROOM_FONT
    assert fig.layout.font.size is None


# --- a projector screen: every text 18 px or more, titles 22, each readable on white ---------------

SMALLEST, TITLE, LEAST_CONTRAST = 18, 22, 4.5


def luminance(colour: str) -> float:
    """WCAG 2's relative luminance, worked out here independently of the module under test."""
    colour = {"white": "#ffffff", "black": "#000000"}.get(colour.lower(), colour)
    assert re.fullmatch(r"#[0-9A-Fa-f]{6}", colour), f"a colour this test reads: {colour!r}"
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    red, green, blue = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_helper_agrees_with_wcag() -> None:
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21)
    assert contrast("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)  # the lightest grey that passes
    assert figures.contrast("#7F7F7F", "#FFFFFF") == pytest.approx(contrast("#7F7F7F", "#FFFFFF"))
    assert figures.contrast("rgb(127, 127, 127)", "white") == pytest.approx(contrast("#7F7F7F", "#FFFFFF"))
    darker = figures.readable(charts.EVENT_COLOUR)  # Okabe-Ito green is 3.3:1 on white
    assert contrast(darker, "#FFFFFF") >= LEAST_CONTRAST > contrast(charts.EVENT_COLOUR, "#FFFFFF")
    assert figures.readable("#555555") == "#555555"  # readable already: kept


def texts(fig: go.Figure) -> Iterator[tuple[str, Any, float, str]]:
    """Every text of the figure: (where, its font, the least size it must have, its background)."""
    layout = fig.layout
    paper = layout.paper_bgcolor
    yield "layout font", layout.font, SMALLEST, paper
    yield "title", layout.title.font, TITLE, paper
    yield "subtitle", layout.title.subtitle.font, SMALLEST, paper
    yield "legend", layout.legend.font, SMALLEST, layout.legend.bgcolor or paper
    yield "hover label", layout.hoverlabel.font, SMALLEST, layout.hoverlabel.bgcolor
    for name in layout:
        if name.startswith(("xaxis", "yaxis")):
            yield f"{name} ticks", layout[name].tickfont, SMALLEST, paper
            yield f"{name} title", layout[name].title.font, SMALLEST, paper
    for i, note in enumerate(layout.annotations):
        # Event labels sit on the plot, subplot titles on the paper: both white in a room.
        yield f"annotation {i} ({note.text})", note.font, SMALLEST, note.bgcolor or layout.plot_bgcolor


def assert_for_a_room(fig: go.Figure) -> None:
    layout = fig.layout
    assert layout.paper_bgcolor, "a background of its own, not the theme's"
    assert layout.plot_bgcolor, "a background of its own, not the theme's"
    assert luminance(layout.paper_bgcolor) == luminance(layout.plot_bgcolor) == 1  # white
    for where, font, least, background in texts(fig):
        assert font.size is not None, f"{where}: no size of its own"
        assert font.size >= least, f"{where}: {font.size} px"
        assert font.color is not None, f"{where}: no colour of its own (the theme's grey would show)"
        assert contrast(font.color, background) >= LEAST_CONTRAST, f"{where}: {font.color} on {background}"
    template_font = layout.template.layout.font.color
    assert template_font is None or contrast(template_font, layout.paper_bgcolor) >= LEAST_CONTRAST
    for trace in fig.data:  # a trace's own text (bar labels) is no smaller
        size = getattr(getattr(trace, "textfont", None), "size", None)
        assert size is None or size >= SMALLEST, f"{trace.name}: text of {size} px"
        # Nothing beside the hover label: Plotly draws it in the trace's colour on the paper.
        assert not re.search(r"<extra>.+</extra>", trace.hovertemplate or ""), trace.hovertemplate
    for small in ("<sup>", "<sub>", "<small>"):  # no small print left in a title
        assert small not in f"{layout.title.text}{layout.title.subtitle.text}"


def quarterly(teams: int = 3) -> pd.DataFrame:
    rows = [
        {"team_id": t, "team_name": f"Team {'ABC'[t - 1]}", "month": dt.date(2020, 1 + 3 * q, 1), "meetings": 6,
         "presence_share": 0.5, "meaningful_share": 0.25}
        for t in range(1, teams + 1)
        for q in range(3)
    ]  # fmt: skip
    return pd.DataFrame(rows)


EVENTS = pd.DataFrame(
    {"team_id": [1, None], "event_date": [dt.date(2020, 2, 3), dt.date(2020, 5, 4)],
     "label": ["Meetings at home", "Service change"], "category": ["home_meetings", "service_change"]}
)  # fmt: skip


def test_the_quarterly_trend_in_a_room_is_legible_from_the_back() -> None:
    note = " · a quarter resting on a count under 5 is left out"
    fig = charts.involvement_trend(quarterly(), 0.8, "contributing", EVENTS, "quarter", note)
    room = figures.for_a_room(fig)
    assert_for_a_room(room)
    assert room.layout.title.text == "Service users and carers at held meetings, by quarter"
    assert "a quarter resting on a count under 5 is left out" in room.layout.title.subtitle.text
    labels = [a for a in room.layout.annotations if a.name == charts.EVENT_NOTE]
    shown = [(a.text, a.hovertext.rpartition(" (")[0]) for a in labels]
    assert [whole for _, whole in shown] == ["Meetings at home", "Service change", "Service change", "Service change"]
    assert all(whole.startswith(text.removesuffix("…")) for text, whole in shown)  # cut where crowded at 18 px
    # the rows of event labels keep clear of each other at the room's text size
    assert charts.EVENT_LANE >= figures.ROOM_FONT * figures.LINE
    assert {a.font.size for a in labels} == {figures.ROOM_FONT}
    # the top margin holds the title, its subtitle, the panel titles and, under them, the labels' rows
    raised = room.layout.annotations[0].yshift
    assert raised == charts.EVENT_RISE + len({a.yshift for a in labels}) * charts.EVENT_LANE > 0
    assert (
        room.layout.margin.t >= 12 + figures.ROOM_TITLE * figures.LINE + 3 * figures.ROOM_FONT * figures.LINE + raised
    )
    # The room's figure grew to hold its larger title and legend; the page's own is untouched.
    assert room.layout.margin.t > fig.layout.margin.t
    assert room.layout.height - fig.layout.height == (
        room.layout.margin.t - fig.layout.margin.t + room.layout.margin.b - fig.layout.margin.b
    )
    assert fig.layout.annotations[-1].font.size == charts.EVENT_FONT == 12
    # The series is named inside the hover label, in its text colour, not beside it in orange.
    assert room.data[1].hovertemplate == (
        "%{fullData.name}<br>%{x|%Y Q%q}: %{y:.0%} of %{customdata} held meetings<extra></extra>"
    )
    assert fig.layout.font.size is None


def test_an_exported_chart_gets_the_room_treatment_too() -> None:
    fig = charts.involvement_trend(quarterly(), 0.8, "contributing", EVENTS, "quarter")
    assert_for_a_room(figures.for_export(fig, PROVENANCE))
    teams = pd.DataFrame(
        {"team_name": ["Team A", "Team B"], "presence_share": [0.5, None], "meaningful_share": [0.25, None]}
    )
    assert_for_a_room(figures.for_export(charts.team_shares(teams, 0.8, "contributing"), PROVENANCE))


def test_any_chart_with_its_own_small_grey_text_is_made_legible() -> None:
    fig = go.Figure(
        go.Bar(x=[1, 2], y=["a", "b"], orientation="h", text=["1", "2"], textfont={"size": 10}),
        layout={
            "title": {"text": "A title<br><sup>small print</sup>", "font": {"size": 14, "color": "#9A9A9A"}},
            "annotations": [{"text": "a note", "font": {"size": 9, "color": "rgb(154, 154, 154)"}, "x": 1, "y": 1}],
            "xaxis": {"tickfont": {"size": 11, "color": "#AAAAAA"}, "title": {"text": "x"}},
            "legend": {"font": {"size": 10}},
            "hoverlabel": {"font": {"size": 12}},
        },
    )
    room = figures.for_a_room(fig)
    assert_for_a_room(room)
    assert room.layout.title.subtitle.text == "small print"


def test_a_long_subtitle_is_wrapped_between_its_parts() -> None:
    text = "Dotted line: target 80% · 3 quarterly points or fewer: read as a description, not a signal · more"
    assert figures.wrap_lines(text, 40) == (
        "Dotted line: target 80% ·<br>3 quarterly points or fewer: read as a<br>description, not a signal · more"
    )
    assert figures.wrap_lines("", 40) == ""


PRESENTED = pd.DataFrame(
    {
        "team_id": [1, None, 1, 3],
        "event_date": [dt.date(2020, 4, 1), dt.date(2020, 5, 1), dt.date(2020, 6, 1), dt.date(2020, 2, 1)],
        "label": ["Meetings at home", "Service change", "QI training", "Recruitment drive"],
        "category": ["home_meetings", "service_change", "qi_training", "recruitment"],
    }
)  # fmt: skip
"""Presenter mode's Overview of the demo: its events by their kind, three panels side by side."""


def label_boxes(fig: go.Figure, size: float) -> list[tuple[str, int, float, float, int]]:
    """Each event label's panel, left and right edges in px from the left of the plotting area
    (its width weighed at ``size`` px, as charts.place_events weighs it), and row."""
    boxes = []
    for note in (a for a in fig.layout.annotations if a.name == charts.EVENT_NOTE):
        panel = int(note.xref[1:] or 1) - 1
        first, last = (pd.Timestamp(d) for d in fig.layout[f"xaxis{note.xref[1:]}"].range)
        width = charts.panel_width(3)
        left = panel * (width + charts.PANEL_GAP * charts.PAGE_WIDTH)
        at = left + (pd.Timestamp(note.x) - first) / (last - first) * width
        wide = charts.label_width(note.text, size)
        start = {"left": 0.0, "center": 0.5, "right": 1.0}[note.xanchor]
        boxes.append((note.text, panel, at - start * wide, at + (1 - start) * wide, note.yshift))
    return boxes


def test_event_labels_in_a_room_keep_to_their_panel_and_apart_from_the_next() -> None:
    # At 18 px a label placed for 12 px reached half as far again: past its panel, into the next one's
    fig = charts.involvement_trend(quarterly(), 0.8, "contributing", PRESENTED, "quarter")
    room = figures.for_a_room(fig)
    boxes = label_boxes(room, figures.ROOM_FONT)
    assert len(boxes) == 6
    width = charts.panel_width(3)
    for text, panel, left, right, _ in boxes:
        edge = panel * (width + charts.PANEL_GAP * charts.PAGE_WIDTH)
        assert edge <= left, f"{text} leaves its panel"
        assert right <= edge + width, f"{text} leaves its panel"
    for i, (text, panel, left, right, row) in enumerate(boxes):
        for other, other_panel, other_left, other_right, other_row in boxes[i + 1 :]:
            if row == other_row and panel != other_panel:
                assert max(other_left - right, left - other_right) >= 16, (text, other)
            if row == other_row and panel == other_panel:
                assert right <= other_left or other_right <= left, (text, other)
    # in the rows the page's figure made room for: the room's margins are worked out from them
    labels = [a for a in room.layout.annotations if a.name == charts.EVENT_NOTE]
    assert {a.yshift for a in labels} <= {charts.EVENT_RISE + lane * charts.EVENT_LANE for lane in range(3)}
    # each label's stem moved with it, up to its new row: one stem a label, none left behind
    stems = [(s.xref, s.x0, s.y1) for s in room.layout.shapes if s.name == charts.EVENT_STEM]
    assert sorted(stems) == sorted((a.xref, a.x, a.yshift) for a in labels)
    assert {(a.xref, a.x, a.yshift) for a in labels} != {
        (a.xref, a.x, a.yshift) for a in fig.layout.annotations if a.name == charts.EVENT_NOTE
    }  # some did move: the check above is not of the page's own rows
    # the page's own figure keeps its labels where they were
    assert [a.to_plotly_json() for a in fig.layout.annotations] != [a.to_plotly_json() for a in room.layout.annotations]
    assert {a.font.size for a in fig.layout.annotations if a.name == charts.EVENT_NOTE} == {charts.EVENT_FONT}


def test_a_chart_for_the_page_carries_its_look_itself_so_the_browser_draws_it_once() -> None:
    """What made Plotly draw every chart twice is gone from the copy for the page: a template, typed
    arrays, an unset width; the look the page's theme gave stays, under what the figure says."""
    people = pd.Series([4.0, 2.0, 0.5])
    fig = go.Figure(
        go.Bar(x=["Identified", "Agreed", "Declined"], y=people, text=people, texttemplate="%{text}"),
        layout={"title": {"text": "Recruitment funnel"}, "yaxis": {"tickfont": {"color": "#123456"}}},
    )
    shown = figures.for_screen(fig)
    sent = json.loads(shown.to_json())
    assert "template" not in sent["layout"]
    assert "bdata" not in shown.to_json()  # plain lists, not typed arrays
    assert sent["data"][0]["y"] == [4, 2, 0.5]
    assert sent["data"][0]["text"] == [4, 2, 0.5]  # numbers, which Plotly.js writes "4", never Python's "4.0"
    assert sent["layout"]["title"]["text"] == "Recruitment funnel"
    assert sent["layout"]["title"]["font"]["weight"] == "bold"
    assert sent["layout"]["width"] == figures.SCREEN_WIDTH == charts.PAGE_WIDTH + 80
    assert sent["layout"]["font"]["family"] == figures.SCREEN_FONT
    assert sent["layout"]["yaxis"]["tickfont"] == {"color": "#123456", "size": 12}  # its own colour, the theme's size
    assert sent["layout"]["xaxis"]["showgrid"] is False
    assert "ticks" not in sent["layout"]["xaxis"]
    assert "tickcolor" not in sent["layout"]["xaxis"]
    assert "clickmode" not in sent["layout"]
    assert fig.layout.title.text == "Recruitment funnel"
    assert fig.layout.width is None
    again = figures.for_screen(go.Figure(fig))
    assert again.layout.datarevision == shown.layout.datarevision  # the same data: Plotly keeps its drawing
    fig.data[0].y = [5.0, 2.0, 0.5]
    assert figures.for_screen(fig).layout.datarevision != shown.layout.datarevision  # new data: drawn anew
    wide = go.Figure(fig).update_layout(width=1200)
    assert figures.for_screen(wide).layout.width == 1200
    clickable = figures.for_screen(fig, clickable=True).layout
    assert (clickable.clickmode, clickable.hovermode, clickable.dragmode) == ("event+select", "closest", "pan")


def test_a_title_too_wide_for_a_narrow_page_is_broken_over_lines_and_keeps_every_word() -> None:
    # At 1100 px with the sidebar open a chart is 640 px wide, and Plotly cut a longer line at its edge
    small = (
        "source: field notes (interviews: in the chart below), a note counted once · ● inpatient · ■ community"
        " · click a point to read the notes &lt;b&gt;"
    )
    fig = go.Figure(layout={"title": {"text": f"Recruitment tensions<br><sup>{small}</sup>"}, "height": 400,
                            "margin": {"t": 90}})  # fmt: skip
    shown = figures.for_screen(fig).layout
    title, rest = shown.title.text.split("<br>", 1)
    assert title == "Recruitment tensions"
    assert rest.startswith("<sup>")
    assert rest.endswith("</sup>")
    smalls = rest.removeprefix("<sup>").removesuffix("</sup>").split("<br>")
    assert smalls == [  # broken between the parts, the break in place of their " · "; the entity whole
        "source: field notes (interviews: in the chart below), a note counted once · ● inpatient · ■ community",
        "click a point to read the notes &lt;b&gt;",
    ]
    for line in smalls:  # each fits, weighed as Chromium draws the bold small print (about 4% over EM)
        assert charts.label_width(html.unescape(line), 16 * 0.7 * 1.04) - charts.LABEL_PAD <= charts.NARROWEST
    # Plotly puts the first line on the middle of the top margin: a line added takes two lines of it
    added = 2 * round(figures.LINE * 16)
    assert (shown.margin.t, shown.height) == (90 + added, 400 + added)  # the plot keeps its size
    at_the_top = go.Figure(layout={"title": {"text": f"Tensions<br><sup>{small}</sup>", "yanchor": "top"}})
    assert figures.for_screen(at_the_top).layout.margin.t == 100 + round(figures.LINE * 16)  # from Plotly's 100

    long = "Lived-experience presence: share of held meetings per month (n = held meetings in the month)"
    assert figures.for_screen(go.Figure(layout={"title": {"text": long}})).layout.title.text == long.replace(
        " (", "<br>("
    )  # before the bracket, not inside it
    words = "a coded transcript carries 3.4 codes on average, a coded note 1.3: the more codes, the more pairs " * 2
    spanning = f"Codes together<br><sup>source: notes<br>{words.strip()}</sup>"  # small print over lines
    lines = figures.for_screen(go.Figure(layout={"title": {"text": spanning}})).layout.title.text.split("<br>")
    assert lines[:2] == ["Codes together", "<sup>source: notes"]
    broken = [line.removesuffix("</sup>") for line in lines[2:]]
    assert " ".join(broken) == words.strip()  # every word, in order
    assert len(broken) == 2  # weighed as small print (as large text it took three lines)
    assert min(len(b) for b in broken) > len(words) / 3  # about equal lines: no word left alone on the last
    short = figures.for_screen(go.Figure(layout={"title": {"text": "Funnel<br><sup>people</sup>"}})).layout
    assert short.title.text == "Funnel<br><sup>people</sup>"
    assert (short.margin.t, short.height) == (None, None)  # nothing to break: nothing grows


def test_a_chart_for_the_page_makes_the_dict_streamlit_sends_once() -> None:
    # Streamlit asks a figure for its whole dict (a deep copy) on every run of a page that draws
    # it: 15 ms for a national study's twelve panels, on every click
    fig = go.Figure(go.Scatter(x=[1, 2, 3], y=[0.5, 0.25, 1.0]), layout={"title": {"text": "Presence"}})
    shown = figures.for_screen(fig)
    sent = plotly.tools.return_figure_from_figure_or_data(shown, validate_figure=True)  # as st.plotly_chart
    assert shown.to_dict() is sent
    assert sent == go.Figure.to_dict(shown)  # a fresh copy has the same content
    assert plotly.io.to_json(sent, validate=False) == plotly.io.to_json(go.Figure.to_dict(shown), validate=False)
    assert shown.to_dict() is sent  # serialised, and not changed by it


def test_dates_go_to_the_page_as_iso_text_each_exact() -> None:
    # plotly's encoder wrote each datetime in turn on every run: half of a panel chart's sending
    days = pd.Series(pd.to_datetime(["2020-01-31 00:00", None, "2020-02-03 14:30"]))
    fig = go.Figure(go.Scatter(x=days, y=[1, 2, 3]))
    sent = json.loads(figures.for_screen(fig).to_json())
    assert sent["data"][0]["x"] == ["2020-01-31", None, "2020-02-03T14:30"]  # each as short as says it exactly
    only_days = go.Figure(go.Bar(x=pd.Series(pd.to_datetime(["2020-01-31", "2020-03-02"])), y=[1, 2]))
    assert json.loads(figures.for_screen(only_days).to_json())["data"][0]["x"] == ["2020-01-31", "2020-03-02"]
