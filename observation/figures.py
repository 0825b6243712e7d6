"""Charts as files for slides and papers: PNG and SVG through plotly's kaleido, which drives the
system's Chromium (or Chrome). A chart taken away says where it came from: its period, its rule
set, "synthetic demo data" and presenter mode's threshold where they apply."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Literal

import plotly.graph_objects as go

from observation.errors import ObservationError
from observation.filters import StudyFilter
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


def for_a_room(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` with text large enough to read across a room (presenter mode)."""
    out = go.Figure(fig)
    out.update_layout(font={"size": ROOM_FONT})
    return out


def for_export(fig: go.Figure, provenance: Provenance) -> go.Figure:
    """A copy of ``fig`` sized for a slide, on white, with its provenance under the title."""
    out = go.Figure(copy.deepcopy(fig.to_dict()))
    title = out.layout.title.text or ""
    out.update_layout(
        title={"text": f"{title}<br><sup>{provenance.line()}</sup>"},
        template="plotly_white",
        width=WIDTH,
        height=max(HEIGHT, int(out.layout.height or 0)),
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"t": int(out.layout.margin.t or 100) + 40},  # room for the provenance line
    )
    return out


def chromium() -> str | None:
    """The browser kaleido will drive, if this machine has one it can find."""
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
