"""Charts made ready for where they are shown: for the page (for_screen, which the browser draws
once), for a room (presenter mode's larger text), and as files for slides and papers: PNG and SVG
through plotly's kaleido, which drives the system's Chromium (or Chrome). A chart taken away says
where it came from: its period, its rule set, "synthetic demo data" and presenter mode's threshold
where they apply."""

from __future__ import annotations

import copy
import functools
import hashlib
import html
import json
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import plotly.graph_objects as go

from observation import charts
from observation.errors import ObservationError
from observation.filters import StudyFilter
from observation.plain import plotly_text
from observation.queries import StudyInfo

ImageFormat = Literal["png", "svg"]
WIDTH, HEIGHT = 1280, 720  # a 16:9 slide
MIME: dict[ImageFormat, str] = {"png": "image/png", "svg": "image/svg+xml"}


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a chart's numbers come from, said on the chart itself."""

    period: str
    """e.g. "Meetings 2 Jul 2019 – 27 Feb 2020"."""
    rules: str | None = None
    synthetic: bool = False
    presenter: str | None = None
    """Presenter mode's badge ("counts under 5 hidden"), when it applies."""

    def line(self) -> str:
        parts = [self.period, self.rules, self.presenter, "Synthetic demo data" if self.synthetic else None]
        return " · ".join(p for p in parts if p)


def period_text(flt: StudyFilter, info: StudyInfo | None) -> str:
    """The period a page's figures cover, as a chart's caption says it."""
    first = flt.start or (info.first_meeting if info else None)
    last = flt.end or (info.last_meeting if info else None)
    if first is None or last is None:
        return "No meetings"
    return f"Meetings {first:%-d %b %Y} – {last:%-d %b %Y}"


ROOM_FONT = 18
"""Chart text in presenter mode and on slides, in px: tick labels, legend, hover, annotations."""
ROOM_TITLE = 22
PAPER = "#FFFFFF"
INK = "#1F2933"  # the app theme's text colour: 14.7:1 on white
LEAST_CONTRAST = 4.5  # WCAG 2 AA for text
LINE = 1.3  # a line of text is about 1.3 times its font size high
SUBTITLE_WIDTH = 70  # characters of ROOM_FONT text on one subtitle line of a chart about 900 px wide
CHARACTER = 10  # px: the mean width of a character at ROOM_FONT, with room to spare
ROOM_BOTTOM = 120  # px under the plot: tick labels, an axis title and a legend of two rows


def for_a_room(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` to read across a room (presenter mode) or on a slide: every text at least
    ROOM_FONT px and the title ROOM_TITLE px, on white, each text colour darkened where it would be
    under 4.5:1 against white; a title's small print becomes a subtitle of full size, wrapped, and
    the margins grow (and the figure with them) to hold it and a legend below the plot. Dated
    events' labels are placed again for their larger text, each over its own panel."""
    layout = fig.layout.to_plotly_json()
    before = _margins(layout)
    layout.update(paper_bgcolor=PAPER, plot_bgcolor=PAPER)
    layout["font"] = {**layout.get("font", {}), "size": ROOM_FONT, "color": INK}
    layout["hoverlabel"] = {**layout.get("hoverlabel", {}), "bgcolor": PAPER, "bordercolor": INK,
                            "font": {"size": ROOM_FONT, "color": INK}}  # fmt: skip
    width = int(layout["width"]) // CHARACTER - 4 if layout.get("width") else SUBTITLE_WIDTH
    layout["title"] = _room_title(layout.get("title", {}), width)
    layout["annotations"] = [_room_annotation(a) for a in layout.get("annotations", ())]
    layout["legend"] = _room_legend(layout.get("legend", {}))
    data = [_room_trace(trace.to_plotly_json()) for trace in fig.data]
    for name in _axes(layout, data):
        layout[name] = _room_axis(layout.get(name, {}))
    layout["margin"] = _room_margins(layout, before)
    margin = layout["margin"]
    page = int(layout["width"]) - margin["l"] - margin["r"] if layout.get("width") else charts.PAGE_WIDTH
    charts.place_labels_again(layout, ROOM_FONT, page)  # half as wide again: they met the next panel's
    if layout.get("height"):
        grown = layout["margin"]["t"] - before["t"] + layout["margin"]["b"] - before["b"]
        layout["height"] = int(layout["height"]) + grown
    return go.Figure(data=data, layout=layout)


SCREEN_WIDTH = charts.SCREEN_WIDTH
"""px a chart is drawn on a page (charts.SCREEN_WIDTH)."""
SCREEN_FONT = '"Source Sans", sans-serif'
"""The app's typeface, which Streamlit loads in the page (charts.EM's widths were measured in it)."""
MUTED, RULE = "#808495", "#e6eaf1"
SCREEN = {
    "font": {"color": MUTED, "family": SCREEN_FONT, "size": 12},
    "title": {"font": {"family": SCREEN_FONT, "size": 16, "color": INK}, "pad": {"l": 4}, "xanchor": "left", "x": 0},
    "legend": {"title": {"font": {"size": 12, "color": MUTED}, "side": "top"}, "valign": "top",
               "bordercolor": "rgba(0,0,0,0)", "borderwidth": 0, "font": {"size": 12, "color": "#262730"}},
    "paper_bgcolor": PAPER, "plot_bgcolor": PAPER,
    "margin": {"pad": 8, "r": 0, "l": 0},
    "hoverlabel": {"bgcolor": PAPER, "bordercolor": "rgba(31, 41, 51, 0.2)",
                   "font": {"color": MUTED, "family": SCREEN_FONT, "size": 12}},
    "colorway": ["#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1", "#ff8700", "#ffd16a",
                 "#6d3fc0", "#d5dae5"],
}  # fmt: skip
"""A chart's look on a page where the figure says nothing else: the look Streamlit's own chart
theme gave every chart (its values for this app's light theme, read in the browser), written out
in the figure itself (for_screen says why)."""
SCREEN_AXES = {
    "x": {"zerolinecolor": RULE, "gridcolor": RULE, "showgrid": False, "zeroline": False,
          "tickfont": {"color": MUTED, "size": 12}, "title": {"font": {"color": MUTED, "size": 14}, "standoff": 20},
          "automargin": True},
    "y": {"zerolinecolor": RULE, "gridcolor": RULE, "ticklabelposition": "outside",
          "tickfont": {"color": MUTED, "size": 12}, "title": {"font": {"color": MUTED, "size": 14}, "standoff": 24},
          "automargin": True},
}  # fmt: skip
"""Each x and y axis's look on a page, where the figure says nothing else (as SCREEN). Not the
theme's colours for ticks and minor grid lines: given in a figure rather than a template, they
draw them."""


def for_screen(fig: go.Figure, clickable: bool = False) -> go.Figure:
    """A copy of ``fig`` to draw on a page, which the browser draws once rather than twice.

    Plotly draws a figure again in full when it is handed an equal copy that holds a template or a
    typed array (how plotly sends a numeric column), when its width changes, or when its title does;
    as a chart appeared, Streamlit handed it over twice: drawn at a width of Plotly's choosing, then
    at the page's, and with its chart theme applied twice (which bolds the title twice). So the
    copy carries that theme's look written into the figure (``SCREEN`` and ``SCREEN_AXES``, under
    what the figure says itself), no template, plain lists, a ``datarevision`` (its content's digest:
    Plotly's cue that the data changed) and a fixed width (``SCREEN_WIDTH`` unless it sets its own;
    a narrower page draws it narrower, once more); it is drawn with ``theme=None``. A ``clickable``
    chart says how a click selects, which Streamlit would otherwise set after the first drawing."""
    layout = _under(SCREEN, fig.layout.to_plotly_json())
    layout.pop("template", None)
    layout["title"]["font"].setdefault("weight", "bold")  # as the theme drew every title
    _title_fits(layout, charts.NARROWEST)
    data = [_lists(trace.to_plotly_json()) for trace in fig.data]
    for name in _axes(layout, data):
        layout[name] = _under(SCREEN_AXES[name[0]], layout.get(name, {}))
    layout["width"] = layout.get("width") or SCREEN_WIDTH
    if clickable:
        layout.update(clickmode="event+select", hovermode=layout.get("hovermode") or "closest",
                      dragmode=layout.get("dragmode") or "pan")  # fmt: skip
    content = json.dumps([data, layout], sort_keys=True, default=str).encode()
    layout["datarevision"] = hashlib.sha256(content).hexdigest()[:16]
    # Not checked again: it is a checked figure's own JSON and this module's constants (a test
    # checks every figure the app draws), and Plotly's checks of a twelve-panel figure took 40-60 ms
    # on a page's first visit. A new Figure takes the default template: dropped again (an unchecked
    # figure keeps a template of None as null, which the page would be sent).
    out = ScreenFigure(data=data, layout=layout, _validate=False)
    out._layout.pop("template", None)
    return out


SUP = 0.7
"""The size of a title's small print (``<sup>``) as a share of the title's, as Plotly draws it."""
BOLD = 1.06
"""How much wider the title's bold text is than charts.EM's widths (measured in the regular weight)."""


def _title_fits(layout: dict[str, Any], width: float) -> None:
    """Each line of the title (and of its small print) that would be wider than ``width`` px broken
    over as many lines as it needs rather than cut at the chart's edge (_broken says where); the top
    margin (and the figure's height, where it sets one) grows to hold the lines added, so the plot
    keeps its size and nothing runs into the title. Presenter mode's title, whose small print is a
    subtitle wrapped for the room (for_a_room), is left as it is."""
    title = layout["title"]
    text = str(title.get("text") or "")
    if not text or "subtitle" in title:
        return
    size = float(title["font"]["size"])
    small = False  # in the small print (``<sup>``, which may span lines)
    fitted: list[str] = []
    added = 0
    for line in text.split("<br>"):
        opens, closes = line.startswith("<sup>"), line.endswith("</sup>")
        inner = line.removeprefix("<sup>").removesuffix("</sup>")
        if "<" in inner:  # marked up within the line: left whole
            fitted.append(line)
        else:
            pieces = _broken(inner, width, size * BOLD * (SUP if small or opens else 1.0))
            added += len(pieces) - 1
            fitted.append("<sup>" * opens + "<br>".join(pieces) + "</sup>" * closes)
        if "sup>" in line:
            small = line.rfind("<sup>") > line.rfind("</sup>")
    if not added:
        return
    title["text"] = "<br>".join(fitted)
    # Plotly puts a title's first line on the middle of the top margin unless it is anchored at the
    # top: there each line added takes a line's height more of the margin, here two (half of the
    # margin's growth goes above the first line)
    grown = round(added * LINE * size * (1 if title.get("yanchor") == "top" else 2))
    layout["margin"]["t"] = _margins(layout)["t"] + grown
    if layout.get("height"):
        layout["height"] = int(layout["height"]) + grown


def _broken(text: str, width: float, size: float) -> list[str]:
    """``text`` (Plotly's, its entities escaped) over lines of at most ``width`` px at ``size`` px:
    its parts (between " · ") together on a line where they fit, a line broken between them (the
    break in place of the " · "); a part too long for a line broken before its bracket where that
    does, else between words into lines of about equal length (no word left alone on the last)."""

    def wide(piece: str) -> float:
        return charts.label_width(html.unescape(piece), size) - charts.LABEL_PAD

    lines: list[str] = []
    for part in text.split(" · "):
        asides = re.split(r" (?=\()", part)
        if lines and wide(f"{lines[-1]} · {part}") <= width:
            lines[-1] += f" · {part}"
        elif wide(part) <= width:
            lines.append(part)
        elif len(asides) > 1 and all(wide(aside) <= width for aside in asides):
            lines += _packed(asides, width, wide)
        else:
            lines += _evenly(part.split(" "), width, wide)
    return lines


def _packed(words: list[str], width: float, wide: Callable[[str], float]) -> list[str]:
    """``words`` joined by spaces into lines of at most ``width`` px, each as full as it will go."""
    lines: list[str] = []
    for word in words:
        if lines and wide(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def _evenly(words: list[str], width: float, wide: Callable[[str], float]) -> list[str]:
    """``words`` over as few lines of at most ``width`` px as _packed makes, of about equal length."""
    fewest = _packed(words, width, wide)
    even = wide(" ".join(words)) / len(fewest)
    for limit in (even, even + 40, even + 80):
        lines = _packed(words, min(limit, width), wide)
        if len(lines) == len(fewest):
            return lines
    return fewest


class ScreenFigure(go.Figure):  # type: ignore[misc]  # plotly is untyped
    """A figure made to be drawn on a page, never changed once made (for_screen): its dict is made
    once. Streamlit asks a figure for its dict — a deep copy of the whole figure — on every run of a
    page that draws it, 15 ms for a national study's twelve panels; each asker is handed the same
    dict, which none changes (Streamlit serialises it)."""

    def to_dict(self) -> dict[str, Any]:
        made: dict[str, Any] | None = self.__dict__.get("_made_dict")
        if made is None:
            made = self.__dict__["_made_dict"] = super().to_dict()
        return made


def _lists(value: Any) -> Any:
    """``value`` (a trace as Plotly's JSON) with every array in it a list, a whole number in it
    written as one (4, as Plotly writes it, not 4.0: plotly writes a number in a list of texts as
    Python does), and dates as ISO text ("2020-01-31", as short as says each exactly: plotly's
    encoder wrote each datetime in turn, on every run of the page, half of a panel chart's)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "M":
            return [None if text == "NaT" else text for text in np.datetime_as_string(value, unit="auto").tolist()]
        return _whole(value.tolist()) if value.dtype.kind == "f" else value.tolist()
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(item) for item in value]
    return value


def _whole(items: Any) -> Any:
    if isinstance(items, list):
        return [_whole(item) for item in items]
    return int(items) if isinstance(items, float) and items.is_integer() else items


def _under(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``given`` with ``defaults`` filled in wherever it says nothing (nested objects merged)."""
    merged = copy.deepcopy(defaults)
    for key, value in given.items():
        before = merged.get(key)
        merged[key] = _under(before, value) if isinstance(before, dict) and isinstance(value, dict) else value
    return merged


def _axes(layout: dict[str, Any], data: list[dict[str, Any]]) -> set[str]:
    """Every x and y axis of a figure (as Plotly's JSON): those its layout names and those only a
    trace names ("x2": Plotly makes the axis)."""
    drawn_on = {trace.get(f"{axis}axis", axis) for trace in data for axis in "xy"}
    return {"xaxis", "yaxis", *(k for k in layout if _is_axis(k)), *(f"{a[0]}axis{a[1:]}" for a in drawn_on)}


def _is_axis(name: str) -> bool:
    return name[:5] in ("xaxis", "yaxis") and (name[5:] == "" or name[5:].isdigit())


def _margins(layout: dict[str, Any]) -> dict[str, int]:
    """The figure's margins, Plotly's defaults where it sets none."""
    given = layout.get("margin", {})
    return {side: int(given.get(side, default)) for side, default in (("t", 100), ("b", 80), ("l", 80), ("r", 80))}


def _room_title(title: dict[str, Any], width: int) -> dict[str, Any]:
    """The title at ROOM_TITLE px, top left of the figure; what it said in small print under a
    ``<br>`` (a subtitle, the teams left out, a chart's provenance) as a subtitle of ROOM_FONT px,
    wrapped at ``width`` characters."""
    main, _, rest = str(title.get("text") or "").partition("<br>")
    small = " · ".join(part.strip() for part in re.split(r"</?sup>|<br>", rest) if part.strip())
    subtitle = title.get("subtitle", {})
    small = " · ".join(part for part in (str(subtitle.get("text") or ""), small) if part)
    return {
        **title, "text": main, "x": 0.01, "xanchor": "left", "xref": "container", "y": 1, "yanchor": "top",
        "yref": "container", "pad": {"t": 12}, "font": {**title.get("font", {}), "size": ROOM_TITLE, "color": INK},
        "subtitle": {"text": wrap_lines(small, width), "font": {"size": ROOM_FONT, "color": INK}},
    }  # fmt: skip


def wrap_lines(text: str, width: int) -> str:
    """``text`` over lines of at most about ``width`` characters, joined by ``<br>``, broken after
    a " · " where it can and at a space where it must."""
    lines: list[str] = []
    for word in re.split(r"(?<= ·) ", text) if text else ():
        for piece in [word] if len(word) <= width else textwrap.wrap(word, width):
            if lines and len(lines[-1]) + 1 + len(piece) <= width:
                lines[-1] += " " + piece
            else:
                lines.append(piece)
    return "<br>".join(lines)


def _room_annotation(note: dict[str, Any]) -> dict[str, Any]:
    """An annotation (a subplot title, an event's label, a panel's note) at ROOM_FONT px at least,
    its colour readable against its own background or the paper."""
    font = note.get("font", {})
    background = note.get("bgcolor") or PAPER
    size = max(float(font.get("size") or 0), ROOM_FONT)
    return {**note, "font": {**font, "size": size, "color": readable(font.get("color") or INK, background)}}


def _room_legend(legend: dict[str, Any]) -> dict[str, Any]:
    """The legend at ROOM_FONT px; a horizontal one below the plot moves to the figure's bottom
    edge, so tick labels of full size never run into it."""
    room = {**legend, "font": {**legend.get("font", {}), "size": ROOM_FONT, "color": INK}, "bgcolor": PAPER}
    if legend.get("orientation") == "h" and float(legend.get("y", 1)) < 0:
        room.update(yref="container", y=0, yanchor="bottom")
    return room


def _room_axis(axis: dict[str, Any]) -> dict[str, Any]:
    title = axis.get("title", {})
    return {
        **axis, "automargin": True, "tickfont": {**axis.get("tickfont", {}), "size": ROOM_FONT, "color": INK},
        "title": {**title, "font": {**title.get("font", {}), "size": ROOM_FONT, "color": INK}},
    }  # fmt: skip


def _room_margins(layout: dict[str, Any], before: dict[str, int]) -> dict[str, int]:
    """Room at the top for the title, its subtitle and the top row's panel titles (raised over the
    rows of its events' labels, if any); at the bottom for a legend moved to the edge."""
    title = layout["title"]
    subtitle_lines = str(title["subtitle"]["text"]).count("<br>") + 1 if title["subtitle"]["text"] else 0
    above = [a for a in layout["annotations"] if a.get("yref") == "paper" and float(a.get("y", 0)) >= 1]
    panel_lines = max((str(a.get("text", "")).count("<br>") + 1 for a in above), default=0)
    raised = max((float(a.get("yshift") or 0) for a in above), default=0.0)
    top = 12 + ROOM_TITLE * LINE + (subtitle_lines + panel_lines) * ROOM_FONT * LINE + 16 + raised
    bottom = ROOM_BOTTOM if layout["legend"].get("yref") == "container" else before["b"]
    return {**before, "t": max(before["t"], round(top)), "b": max(before["b"], bottom)}


def _room_trace(trace: dict[str, Any]) -> dict[str, Any]:
    """A trace whose own text (bar labels, a hover label of its own) is ROOM_FONT px at least; its
    colours stay, as they are drawn on the trace's marks rather than on the paper. The series'
    name a hover shows beside its label (in the trace's colour, on the paper) goes inside it."""
    if isinstance(trace.get("hovertemplate"), str):
        trace["hovertemplate"] = _name_inside(trace["hovertemplate"])
    for part in ("textfont", "hoverlabel"):
        if part not in trace:
            continue
        font = trace[part] if part == "textfont" else trace[part].get("font", {})
        if font.get("size") is not None and not isinstance(font["size"], list):
            font["size"] = max(float(font["size"]), ROOM_FONT)
    return trace


def _name_inside(template: str) -> str:
    """A hover template whose ``<extra>`` part (shown beside the label) leads the label instead."""
    found = re.search(r"<extra>(.*?)</extra>", template)
    if found is None or not found.group(1):
        return template
    return f"{found.group(1)}<br>{template[: found.start()]}{template[found.end() :]}<extra></extra>"


def rgb(colour: str) -> tuple[float, float, float]:
    """A CSS colour as Plotly writes them ("#abc", "#aabbcc", "rgb(…)", "rgba(…)", white, black)
    as red, green and blue from 0 to 255."""
    text = colour.strip().lower()
    named = {"white": "#ffffff", "black": "#000000"}
    text = named.get(text, text)
    if text.startswith("#") and len(text) in (4, 7):
        digits = text[1:] if len(text) == 7 else "".join(c * 2 for c in text[1:])
        channels = [float(int(digits[i : i + 2], 16)) for i in (0, 2, 4)]
    elif found := re.fullmatch(r"rgba?\(([^)]*)\)", text):
        channels = [float(v) for v in found.group(1).split(",")[:3]]
    else:
        channels = []
    if len(channels) == 3:
        return channels[0], channels[1], channels[2]
    raise ValueError(f"not a colour this module reads: {colour!r}")


def luminance(colour: str) -> float:
    """WCAG 2's relative luminance of a colour, 0 (black) to 1 (white)."""

    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(a: str, b: str) -> float:
    """WCAG 2's contrast ratio of two colours, 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def readable(colour: str, background: str = PAPER) -> str:
    """``colour`` if text in it reads against ``background`` (4.5:1 or more), else the same hue
    darkened (towards black) until it does; INK for a colour this module cannot read."""
    try:
        red, green, blue = rgb(colour)
    except ValueError:
        return INK
    for step in range(21):
        keep = 1 - step / 20
        darker = "#{:02X}{:02X}{:02X}".format(*(round(c * keep) for c in (red, green, blue)))
        if contrast(darker, background) >= LEAST_CONTRAST:
            return colour if step == 0 else darker
    return "#000000"


def for_export(fig: go.Figure, provenance: Provenance) -> go.Figure:
    """A copy of ``fig`` sized for a slide, on white, with its provenance under the title, its text
    as large as presenter mode's (``for_a_room``)."""
    out = go.Figure(copy.deepcopy(fig.to_dict()))
    title = out.layout.title.text or ""
    out.update_layout(
        title={"text": f"{title}<br><sup>{plotly_text(provenance.line())}</sup>"},
        template="plotly_white",
        width=WIDTH,
    )
    room = for_a_room(out)
    room.update_layout(height=max(HEIGHT, int(room.layout.height or 0)))
    return room


@functools.cache
def chromium() -> str | None:
    """The browser kaleido will drive, if this machine has one it can find. Looked for once per
    process: the search walks PATH (about 50 ms), and each chart on a page asks, on every run."""
    from choreographer.browsers.chromium import Chromium  # kaleido's own search, so we agree with it

    try:
        found = Chromium.find_browser(skip_local=True)
    except Exception:  # any failure to look means "none found"
        return None
    return str(found) if found else None


def image(fig: go.Figure, fmt: ImageFormat) -> bytes:
    """The figure as PNG or SVG bytes, or an ObservationError saying what is missing."""
    try:
        drawn: bytes = fig.to_image(format=fmt, scale=2 if fmt == "png" else 1)
    except Exception as exc:  # kaleido's errors (no Chromium, a timeout) share no base class
        raise ObservationError(
            f"the chart could not be drawn as {fmt.upper()} ({type(exc).__name__}): PNG and SVG need Chromium "
            "or Chrome on this machine (on Debian: apt-get install chromium)"
        ) from None
    return drawn
