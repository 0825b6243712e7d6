"""A slide deck (.pptx) to hand out: a title slide, then one chart per slide with a caption that
states the definition and the period, and speaker notes with the numbers behind the chart.
Presenter mode's rules always apply: teams by letter (unless asked otherwise), small counts
hidden, nothing typed about a person."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd
import plotly.graph_objects as go
from pptx import Presentation
from pptx.util import Emu, Pt

from observation import access, audit, charts, db, definitions, figures, presenting, queries
from observation.config import Settings
from observation.errors import ObservationError
from observation.filters import StudyFilter

Progress = Callable[[float, str], object]


@dataclass(frozen=True, slots=True)
class Slide:
    title: str
    figure: go.Figure
    caption: str
    notes: str


def overview_slides(
    con: duckdb.DuckDBPyConnection, flt: StudyFilter, settings: Settings, mode: presenting.Presenting
) -> tuple[str, list[Slide]]:
    """The Overview's story as slides, under presenter mode's rules; and the deck's subtitle."""
    mode = mode.model_copy(update={"on": True})
    # Figures are worked out and protected over the whole study, whatever the deck shows: decks of
    # different teams must not give a hidden figure away by difference. The filter's teams choose
    # which teams' rows the deck shows.
    shown = presenting.room_overview(con, settings.meaningful_level, mode)
    if flt.teams:
        shown = dataclasses.replace(
            shown,
            teams=tuple(t for t in shown.teams if t.team_id in flt.teams),
            trend=shown.trend[shown.trend["team_id"].isin(flt.teams)],
        )
    if not shown.teams:
        wanted = f"numbered {', '.join(map(str, flt.teams))} " if flt.teams else ""
        raise ObservationError(f"no team {wanted}with meetings in this study: there is nothing to put on slides")
    flt = StudyFilter()
    info = queries.study_info(con)
    if info is None:
        raise ObservationError("this file holds no study yet: there is nothing to put on slides")
    period = figures.period_text(flt, info)
    level = definitions.LEVEL_LABELS[settings.meaningful_level]
    target = settings.involvement_target
    provenance = figures.Provenance(period, synthetic=info.study.is_demo, presenter=mode.badge())
    teams = pd.DataFrame(
        [{"team_name": t.team_name, "presence_share": t.presence_share, "meaningful_share": t.meaningful_share}
         for t in shown.teams]
    )  # fmt: skip
    left_out = f" · a quarter resting on a count under {mode.threshold} is left out"
    trend = charts.involvement_trend(shown.trend, target, level, shown.events, "quarter", left_out)
    caption = f"{definitions.PRESENCE} {definitions.meaningful(settings.meaningful_level, target)} {period}."
    slides = [
        Slide(
            "Who was in the room, team by team",
            figures.for_export(charts.team_shares(teams, target, level), provenance),
            caption,
            _team_notes(shown, mode),
        ),
        Slide(
            "Quarter by quarter",
            figures.for_export(trend, provenance),
            caption + " Each point is a quarter's held meetings with attendance recorded.",
            _trend_notes(shown),
        ),
    ]
    return provenance.line(), slides


TITLE = "Service users and carers in improvement meetings"


@access.requires("researcher", "presenter")
def overview_deck(
    con: duckdb.DuckDBPyConnection,
    flt: StudyFilter,
    settings: Settings,
    mode: presenting.Presenting,
    progress: Progress | None = None,
) -> bytes:
    """The Overview as a deck under presenter mode's rules, recorded in the audit trail as an export.
    Not a coach's: presenter mode's figures cover the whole study, beyond a coach's teams."""
    subtitle, slides = overview_slides(con, flt, settings, mode)
    pptx = build(TITLE, subtitle, slides, progress)
    with db.transaction(con) as cur:
        chosen = {"threshold": mode.threshold, "letters": mode.letters, "filter": flt.model_dump(mode="json")}
        audit.record(cur, "export", "deck", "overview", after=chosen)
    return pptx


def build(title: str, subtitle: str, slides: Sequence[Slide], progress: Progress | None = None) -> bytes:
    """The deck as .pptx bytes; ``progress`` hears the share of slides drawn so far."""
    deck = Presentation()
    width, height = Emu(12192000), Emu(6858000)  # 16:9
    deck.slide_width, deck.slide_height = width, height
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = title
    first.placeholders[1].text = subtitle
    for i, slide in enumerate(slides):
        if progress:
            progress(i / len(slides), f"Drawing slide {i + 2} of {len(slides) + 1}: {slide.title}")
        page = deck.slides.add_slide(deck.slide_layouts[5])  # title only
        page.shapes.title.text = slide.title
        page.shapes.title.text_frame.paragraphs[0].font.size = Pt(28)
        png = figures.image(slide.figure, "png")
        pixels_wide, pixels_high = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        inner, room = width - 914400, height - 1250000 - 950000  # below the title, above the caption
        scale = min(inner / pixels_wide, room / pixels_high)
        page.shapes.add_picture(io.BytesIO(png), Emu(457200), Emu(1250000),
                                width=Emu(int(pixels_wide * scale)), height=Emu(int(pixels_high * scale)))  # fmt: skip
        box = page.shapes.add_textbox(Emu(457200), Emu(height - 900000), Emu(inner), Emu(700000))
        box.text_frame.word_wrap = True
        box.text_frame.text = slide.caption
        box.text_frame.paragraphs[0].font.size = Pt(11)
        page.notes_slide.notes_text_frame.text = slide.notes
    if progress:
        progress(1.0, "Deck ready")
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _team_notes(shown: queries.Overview, mode: presenting.Presenting) -> str:
    lines = [f"Shares hidden in presenter mode could reveal a count under {mode.threshold}."]
    rows = [("All teams", None, shown.overall), *((t.team_name, t.team_id, t) for t in shown.teams)]
    for name, team_id, m in rows:
        presence = presenting.percent(m.presence_share, (team_id, "presence_share") in shown.hidden)
        meaningful = presenting.percent(m.meaningful_share, (team_id, "meaningful_share") in shown.hidden)
        lines.append(
            f"{name}: {m.meetings_held} meetings held; presence {presence}, meaningful involvement {meaningful}."
        )
    return "\n".join(lines)


def _trend_notes(shown: queries.Overview) -> str:
    lines = []
    for team, month, meetings, presence, meaningful in shown.trend[
        ["team_name", "month", "meetings", "presence_share", "meaningful_share"]
    ].itertuples(index=False):
        quarter = pd.Timestamp(month)
        lines.append(
            f"{team}, {quarter.year} Q{quarter.quarter}: {meetings} meetings; presence {_percent(presence)}, "
            f"meaningful involvement {_percent(meaningful)}."
        )
    return "\n".join(lines) or "No quarter to show."


def _percent(value: float) -> str:
    """A trend point's share: blank where presenter mode hid it."""
    return presenting.percent(None, hidden=True) if pd.isna(value) else presenting.percent(value)
