"""A slide deck (.pptx) to hand out that tells the study's story: the title; the headline measures
of all teams; their experience score, response rate and changes from lived experience;
presence and meaningful involvement team by team; what each team's QI chart of
presence by quarter says; the quarters themselves; the recruitment funnel of the whole study; the
recruitment tensions by name; and how every number is measured and what presenter mode hides.
A chart's slide has a caption with its definition and the period; every slide has speaker notes
with its numbers, one regular line each. Presenter mode's rules always apply: teams by letter
(unless asked otherwise), small counts hidden, nothing typed about a person (observation.story)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import io
import math
import threading
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import duckdb
import kaleido  # type: ignore[import-untyped]
import pandas as pd
import plotly.graph_objects as go
from pptx import Presentation
from pptx.enum.text import PP_ALIGN
from pptx.slide import Slide as PptxSlide
from pptx.text.text import TextFrame
from pptx.util import Emu, Pt

from observation import (
    access,
    audit,
    charts,
    db,
    definitions,
    disclosure,
    feedback,
    figures,
    presenting,
    qi,
    queries,
    spc,
    story,
)
from observation.config import Settings
from observation.errors import ObservationError
from observation.filters import StudyFilter

Progress = Callable[[float, str], object]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Slide:
    """One slide after the title: a chart with its caption, or text (``body``, a paragraph each), or
    a table (``table``, its first row the header); and the speaker notes."""

    title: str
    figure: go.Figure | None = None
    caption: str = ""
    notes: str = ""
    body: tuple[str, ...] = ()
    table: tuple[tuple[str, ...], ...] = ()


TITLE = "Service users and carers in improvement meetings"
HEADLINE = "Headline measures, all teams"
EXPERIENCE = "Experience and impact, all teams"
TEAMS = "Who was in the room, team by team"
READINGS = "What the QI charts say, team by team"
QUARTERS = "Quarter by quarter"
FUNNEL = "Recruitment funnel, all teams"
TENSIONS = "Recruitment tensions, all teams"
MEASURES = "Method: the measures"
COUNTED = "Method: recruitment and recruitment tensions"
HIDES = "Method: what presenter mode hides, and why"
SLIDE_TITLES = (TITLE, HEADLINE, EXPERIENCE, TEAMS, READINGS, QUARTERS, FUNNEL, TENSIONS, MEASURES, COUNTED, HIDES)
"""Every slide's title, in order."""
HEADLINE_ROWS = (
    ("Lived-experience presence", "presence_share"),
    ("Service users present", "service_user_share"),
    ("Carers present", "carer_share"),
    ("Meaningful involvement", "meaningful_share"),
    ("Mean representation", "mean_representation"),
)
"""The headline table's rows after meetings held, as the table labels them."""


@access.requires("researcher", "presenter")  # as overview_deck: figures over the whole study
def overview_slides(
    con: duckdb.DuckDBPyConnection, flt: StudyFilter, settings: Settings, mode: presenting.Presenting
) -> tuple[str, list[Slide]]:
    """The study's story as slides, under presenter mode's rules; and the deck's subtitle."""
    mode = mode.model_copy(update={"on": True})
    # Figures are worked out and protected over the whole study, whatever the deck shows: decks of
    # different teams must not give a hidden figure away by difference. The filter's teams choose
    # which teams' rows the team slides show; the headline, funnel and tensions are the study's.
    everything = presenting.room_overview(con, settings.meaningful_level, mode)
    shown = everything
    if flt.teams:
        shown = dataclasses.replace(
            everything,
            teams=tuple(t for t in everything.teams if t.team_id in flt.teams),
            trend=everything.trend[everything.trend["team_id"].isin(flt.teams)],
        )
    if not shown.teams:
        wanted = f"numbered {', '.join(map(str, flt.teams))} " if flt.teams else ""
        raise ObservationError(f"no team {wanted}with meetings in this study: there is nothing to put on slides")
    info = queries.study_info(con)
    if info is None:
        raise ObservationError("this file holds no study yet: there is nothing to put on slides")
    period = figures.period_text(StudyFilter(), info)
    level = definitions.LEVEL_LABELS[settings.meaningful_level]
    target = settings.involvement_target
    provenance = figures.Provenance(period, synthetic=info.study.is_demo, presenter=mode.badge())
    teams = pd.DataFrame(
        [{"team_name": t.team_name, "presence_share": t.presence_share, "meaningful_share": t.meaningful_share}
         for t in shown.teams]
    )  # fmt: skip
    left_out = f" · a quarter resting on a count under {mode.threshold} is left out"
    trend = charts.involvement_trend(shown.trend, target, level, shown.events, "quarter", left_out)
    measured = f"{definitions.PRESENCE} {definitions.meaningful(settings.meaningful_level, target)} {period}."
    stages = story.funnel(con, mode.rule, mode.floor_rule)
    whole = StudyFilter()
    found = feedback.totals(feedback.experience_by_month(con, whole), feedback.impact_by_month(con, whole))
    slides = [
        _headline(everything, settings, mode, period),
        _experience(found, mode, period),
        Slide(
            TEAMS,
            figures.for_export(charts.team_shares(teams, target, level), provenance),
            measured,
            _team_notes(shown, mode),
        ),
        _readings(shown, mode, period),
        Slide(
            QUARTERS,
            figures.for_export(trend, provenance),
            measured + " Each point is a quarter's held meetings with attendance recorded.",
            "\n".join(story.quarter_lines(shown.trend)) or "No quarter to show.",
        ),
        Slide(
            FUNNEL,
            figures.for_export(story.funnel_chart(stages), provenance),
            "People with lived experience at each stage, all teams together: identified → approached → agreed → "
            "first attended → still attending. A later stage implies the earlier ones; first attended and still "
            "attending come from the attendance records. Those who declined or withdrew are not shown. The full "
            f"definition is on the method slides. {period}.",
            _funnel_notes(stages, mode),
        ),
        _tensions(story.tensions(con, mode.rule, mode.floor_rule), mode, period),
        *_method(settings, mode, period),
    ]
    study = f"{info.study.name} · " if info.study.name else ""
    return study + provenance.line(), slides


def _headline(shown: queries.Overview, settings: Settings, mode: presenting.Presenting, period: str) -> Slide:
    """All teams' headline measures as the Overview shows them in presenter mode."""
    overall, target = shown.overall, settings.involvement_target
    held = f"{overall.meetings_held:,}"
    not_held = [f"{overall.meetings_cancelled:,} cancelled", f"{overall.meetings_postponed:,} postponed"]
    if overall.meetings_unrecorded:
        not_held.append(f"{overall.meetings_unrecorded:,} without attendance recorded")
    rows: list[tuple[str, str]] = [("Meetings held", f"{held} ({', '.join(not_held)})")]
    for label, share in HEADLINE_ROWS:
        value = story.shown_share(overall, None, share, shown.hidden)
        if share == "meaningful_share":
            label += f" ({definitions.LEVEL_LABELS[settings.meaningful_level]} or above)"
            value += f" (target {target:.0%}{_gap(value, target)})"
        rows.append((label, value))
    notes = [
        story.measures_line("All teams", overall, None, shown.hidden),
        f"Meetings not held: {', '.join(not_held)}.",
        f"Meaningful-involvement target: {target:.0%}.",
        f"Shares hidden in presenter mode could reveal a count under {mode.threshold}.",
    ]
    return Slide(
        HEADLINE,
        caption="Every share is of the held meetings with attendance recorded. 'hidden': the share could reveal "
        f"a count under {mode.threshold}, alone or beside the other figures (the last slide says why). {period}.",
        notes="\n".join(notes),
        table=(("Measure", "All teams"), *rows),
    )


def _experience(found: feedback.Totals, mode: presenting.Presenting, period: str) -> Slide:
    """The study's experience score, response rate and share of changes from lived experience, as the
    Overview shows them in presenter mode: no count, each "hidden" where a count it rests on is small."""
    shown = presenting.experience_shown(found, mode.rule)
    rows = (
        ("Experience score (out of 5)", shown.score),
        ("Response rate", shown.response_rate),
        ("Changes from lived experience", shown.impact_share),
    )
    notes = [f"{label}: {value}." for label, value in rows]
    if not (found.responded or found.changes):
        notes.append("Nobody has answered the experience questionnaire and no change is logged yet.")
    return Slide(
        EXPERIENCE,
        caption="How the service users and carers who came found the meetings, from their answers to the experience "
        "questionnaire, and the share of the changes the teams logged whose idea came from people with lived "
        f"experience, alone or with staff (the method slide defines each). 'hidden': it rests on a count under "
        f"{mode.threshold}; '—': there is nothing to measure yet. {period}.",
        notes="\n".join(notes),
        table=(("Measure", "All teams"), *rows),
    )


def _gap(value: str, target: float) -> str:
    """How far a shown share is from the target, between the whole percentages shown."""
    if not value.endswith("%"):
        return ""
    gap = int(value[:-1]) - round(target * 100)
    return ": met" if gap >= 0 else f": {-gap} points under"


def _readings(shown: queries.Overview, mode: presenting.Presenting, period: str) -> Slide:
    found = story.readings(shown, mode.threshold)
    sentences = tuple(r.sentence for r in found) or ("No team has a held meeting with attendance recorded.",)
    if shown.teams_with_recorded_meetings > len(found):
        sentences += (
            f"Only the first {len(found)} teams are charted, as on the Overview; the others are not read here.",
        )
    return Slide(
        READINGS,
        caption="Each team's lived-experience presence by quarter, read as the Change over time p-chart reads it "
        f"({spc.RULE_SET_NAMES[story.READING.rules]}): limits and signals need {qi.FEWEST_SUBGROUPS} or more quarters, "
        f"most of {qi.FEWEST_MEETINGS} or more meetings. Only the quarters presenter mode shows are read, and no count "
        "is stated. "
        f"The next slide charts them. {period}.",
        notes="\n".join(sentences),
        body=sentences,
    )


def _team_notes(shown: queries.Overview, mode: presenting.Presenting) -> str:
    lines = [f"Shares hidden in presenter mode could reveal a count under {mode.threshold}."]
    lines += [story.measures_line(t.team_name, t, t.team_id, shown.hidden) for t in shown.teams]
    return "\n".join(lines)


def _funnel_notes(stages: Sequence[story.Stage], mode: presenting.Presenting) -> str:
    lines = [f"{s.label}: {s.shown}{'' if s.people is None else ' people'}." for s in stages]
    lines.append(
        f"A stage is hidden where it is a count under {mode.threshold}, or where it and a later stage would show "
        f"how many stopped in between when that is under {mode.threshold}."
    )
    return "\n".join(lines)


def _tensions(found: Sequence[story.TensionCount], mode: presenting.Presenting, period: str) -> Slide:
    caption = (
        "The codes under the recruitment-tension theme, with the field notes and the interview transcripts coded "
        "with each over the whole study, each counted once however many coders or segments; notes and transcripts "
        f"are never added. {mode.rule.small}: fewer than {mode.threshold}. 'hidden': it would let a count under "
        f"{mode.threshold} on a team's profile be worked out. {period}."
    )
    if not found:
        empty = "No field note or interview transcript is coded with a recruitment tension."
        return Slide(TENSIONS, caption=caption, notes=empty, body=(empty,))
    notes = [f"{t.name}: {t.notes} field notes; {t.interviews} interview transcripts." for t in found]
    rows = tuple((t.name, t.notes, t.interviews) for t in found)
    return Slide(
        TENSIONS,
        caption=caption,
        notes="\n".join(notes),
        table=(("Recruitment tension", "Field notes", "Interview transcripts"), *rows),
    )


def _method(settings: Settings, mode: presenting.Presenting, period: str) -> list[Slide]:
    level, target, t = settings.meaningful_level, settings.involvement_target, mode.threshold
    measures = (
        f"The period: {period}, every team over the whole study.",
        definitions.LIVED_EXPERIENCE,
        definitions.PRESENCE,
        definitions.REPRESENTATION,
        definitions.meaningful(level, target),
        definitions.HELD_AND_CANCELLED,
        definitions.EXPERIENCE_SCORE,
        definitions.RESPONSE_RATE,
        definitions.IMPACT_SHARE,
        f"The QI chart reading: {definitions.RULE_SETS}",
    )
    counted = (definitions.FUNNEL, definitions.CODE_COUNTS)
    teams = (
        "Teams are Team A, Team B… by the order they were added"
        if mode.letters
        else "Teams keep their names (asked for when the deck was made)"
    )
    hides = (
        f"Presenter mode hides every count of people, of meetings with someone with lived experience, and of notes "
        f"or transcripts from 1 to {t - 1}, and every share resting on one: a share of fewer than {t} meetings, or "
        f"of meetings of which fewer than {t} had it. Meetings held, cancelled and postponed are shown as they are: "
        f"they say nothing of anyone's attendance. A hidden share reads 'hidden'; a count of notes or transcripts "
        f"under {t} reads '{mode.rule.small}'. What the study's lowest threshold hides stays hidden at a higher one.",
        "The measures are linked, so one more figure is hidden wherever a hidden or small count could be worked out "
        "from the others: presence is the meetings with service users plus those with carers only; the study is the "
        "sum of its teams, and a team the sum of its quarters; a shown percentage stands for the few counts that "
        "round to it. Everything presenter mode shows of the meetings — on its screens and in this deck, which "
        "gives the same figures — is checked at once, as integer programming.",
        f"The recruitment funnel is protected the same way: a stage minus any later one is the people who stopped "
        f"in between, and none of those under {t} can be worked out. Each recruitment tension's count is checked "
        "against the counts the teams' profiles show: the study's count minus the teams' is the rest.",
        f"The experience score, the response rate and the share of changes from lived experience are hidden where a "
        f"count they rest on is from 1 to {t - 1} (the responses on the scale; the responses or the attendances; the "
        "changes from lived experience or all changes logged); no count, item or change's words is shown.",
        f"The QI reading reads only the quarters whose share is shown and states no count. {teams}; nothing typed "
        "about a person — notes, participants' codes, the wording of chart annotations — appears.",
        disclosure.ACROSS_OUTPUTS,
    )
    return [
        Slide(MEASURES, notes="\n".join(measures), body=measures),
        Slide(COUNTED, notes="\n".join(counted), body=counted),
        Slide(HIDES, notes="\n".join(hides), body=hides),
    ]


@access.requires("researcher", "presenter")
def overview_deck(
    con: duckdb.DuckDBPyConnection,
    flt: StudyFilter,
    settings: Settings,
    mode: presenting.Presenting,
    progress: Progress | None = None,
) -> bytes:
    """The study's story as a deck under presenter mode's rules, recorded in the audit trail as an
    export. Not a coach's: presenter mode's figures cover the whole study, beyond a coach's teams."""
    subtitle, slides = overview_slides(con, flt, settings, mode)
    pptx = build(TITLE, subtitle, slides, progress)
    with db.transaction(con, meetings=()) as cur:
        chosen = {"threshold": mode.threshold, "letters": mode.letters, "filter": flt.model_dump(mode="json")}
        audit.record(cur, "export", "deck", "overview", after=chosen)
    return pptx


# --- drawing the deck ------------------------------------------------------------------------------

WIDTH, HEIGHT = Emu(12192000), Emu(6858000)  # 16:9, 13.33 × 7.5 in
MARGIN = Emu(457200)  # half an inch
TITLE_TOP, TITLE_HIGH = Emu(182880), Emu(640080)
CONTENT_TOP = Emu(914400)
CAPTION_HIGH = Emu(800000)
CAPTION_GAP = Emu(100000)
BODY_SIZES = (20, 18, 16, 14, 13, 12, 11, 10)
"""Text sizes (pt) a text slide tries, the largest that fits first."""
EM = 0.5
"""A character's mean width, as a share of its size (Calibri's is a little under)."""
LINE = 1.2
AFTER = 6  # pt after each paragraph


def build(title: str, subtitle: str, slides: Sequence[Slide], progress: Progress | None = None) -> bytes:
    """The deck as .pptx bytes; ``progress`` hears the share of slides made so far. Every chart is
    drawn in one Chromium (kaleido starts one per chart otherwise, about five seconds each)."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = WIDTH, HEIGHT
    # python-pptx's template says it was written by its author in 2013: say what this file is instead.
    properties = deck.core_properties
    properties.author = properties.last_modified_by = ""
    properties.title, properties.subject = title, subtitle
    properties.created = properties.modified = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    properties.revision = 1
    first = deck.slides.add_slide(deck.slide_layouts[0])
    _place(first.shapes.title, MARGIN, Emu(1800000), WIDTH - 2 * MARGIN, Emu(1400000))
    first.shapes.title.text = title
    subtitle_box = first.placeholders[1]
    _place(subtitle_box, MARGIN, Emu(3400000), WIDTH - 2 * MARGIN, Emu(1600000))
    subtitle_box.text = subtitle
    for paragraph in subtitle_box.text_frame.paragraphs:
        paragraph.font.size = Pt(20)
    first.notes_slide.notes_text_frame.text = subtitle.replace(" · ", "\n")
    with _Chromium() as chromium:
        for i, slide in enumerate(slides):
            if progress:
                progress(i / len(slides), f"Making slide {i + 2} of {len(slides) + 1}: {slide.title}")
            page = deck.slides.add_slide(deck.slide_layouts[5])  # title only
            _place(page.shapes.title, MARGIN, TITLE_TOP, WIDTH - 2 * MARGIN, TITLE_HIGH)
            page.shapes.title.text = slide.title
            page.shapes.title.text_frame.paragraphs[0].font.size = Pt(28)
            page.shapes.title.text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
            bottom = HEIGHT - MARGIN // 2 - (CAPTION_HIGH + CAPTION_GAP if slide.caption else 0)
            if slide.figure is not None:
                _picture(page, chromium.draw(slide.figure), bottom)
            elif slide.table:
                _table(page, slide.table, bottom)
            else:
                _body(page, slide.body, bottom)
            if slide.caption:
                box = page.shapes.add_textbox(MARGIN, HEIGHT - MARGIN // 2 - CAPTION_HIGH, WIDTH - 2 * MARGIN,
                                              CAPTION_HIGH)  # fmt: skip
                box.text_frame.word_wrap = True
                box.text_frame.text = slide.caption
                box.text_frame.paragraphs[0].font.size = Pt(_fitting([slide.caption], WIDTH - 2 * MARGIN,
                                                                     CAPTION_HIGH, (12, 11, 10, 9)))  # fmt: skip
            page.notes_slide.notes_text_frame.text = slide.notes
    if progress:
        progress(1.0, "Deck ready")
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _place(shape: Any, left: int, top: int, width: int, height: int) -> None:
    shape.left, shape.top, shape.width, shape.height = Emu(left), Emu(top), Emu(width), Emu(height)


def _picture(page: PptxSlide, png: bytes, bottom: int) -> None:
    """The chart as large as fits between the title and ``bottom``, centred."""
    pixels_wide, pixels_high = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    inner, room = WIDTH - 2 * MARGIN, bottom - CONTENT_TOP
    scale = min(inner / pixels_wide, room / pixels_high)
    wide, high = int(pixels_wide * scale), int(pixels_high * scale)
    page.shapes.add_picture(io.BytesIO(png), Emu((WIDTH - wide) // 2), CONTENT_TOP, width=Emu(wide), height=Emu(high))


def _body(page: PptxSlide, paragraphs: Sequence[str], bottom: int) -> None:
    """Paragraphs of text, as large as they fit between the title and ``bottom``."""
    width, height = WIDTH - 2 * MARGIN, bottom - CONTENT_TOP
    size = _fitting(paragraphs, width, height, BODY_SIZES)
    box = page.shapes.add_textbox(MARGIN, CONTENT_TOP, Emu(width), Emu(height))
    frame = box.text_frame
    frame.word_wrap = True
    for i, text in enumerate(paragraphs):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = text
        paragraph.font.size = Pt(size)
        paragraph.space_after = Pt(AFTER)


def _table(page: PptxSlide, rows: Sequence[tuple[str, ...]], bottom: int) -> None:
    """A table, its header in bold, its first column the widest, its text as large as fits."""
    columns = len(rows[0])
    width = WIDTH - 2 * MARGIN
    first = width // 2 if columns > 2 else width * 11 // 20
    widths = [first, *[(width - first) // (columns - 1)] * (columns - 1)]
    size = next((s for s in (20, 18, 16, 14, 12) if _table_height(rows, widths, s) <= bottom - CONTENT_TOP), 12)
    shape = page.shapes.add_table(len(rows), columns, MARGIN, CONTENT_TOP, Emu(width),
                                  Emu(_table_height(rows, widths, size)))  # fmt: skip
    table = shape.table
    for j, w in enumerate(widths):
        table.columns[j].width = Emu(w)
    for i, row in enumerate(rows):
        table.rows[i].height = Emu(_row_height(row, widths, size))
        for j, text in enumerate(row):
            cell = table.cell(i, j)
            cell.text = text
            _size(cell.text_frame, size, bold=i == 0)


def _size(frame: TextFrame, size: int, bold: bool = False) -> None:
    for paragraph in frame.paragraphs:
        paragraph.font.size = Pt(size)
        paragraph.font.bold = bold


CELL_MARGIN = 91440 * 2  # a table cell's left and right margins together (0.1 in each)
ROW_MARGIN = 45720 * 2  # its top and bottom margins


def _row_height(row: Sequence[str], widths: Sequence[int], size: int) -> int:
    lines = max(_lines(text, w - CELL_MARGIN, size) for text, w in zip(row, widths, strict=True))
    return int(lines * size * LINE * 12700) + ROW_MARGIN


def _table_height(rows: Sequence[tuple[str, ...]], widths: Sequence[int], size: int) -> int:
    return sum(_row_height(row, widths, size) for row in rows)


def _lines(text: str, width: int, size: int) -> int:
    """About how many lines ``text`` takes at ``size`` pt in a box ``width`` EMU wide."""
    per_line = max(1, int(width / 12700 / (size * EM)))
    return max(1, math.ceil(len(text) / per_line))


def _fitting(paragraphs: Sequence[str], width: int, height: int, sizes: Sequence[int]) -> int:
    """The largest of ``sizes`` at which the paragraphs fit the box (the smallest if none does)."""
    for size in sizes:
        high = sum(_lines(p, width - CELL_MARGIN, size) * size * LINE + AFTER for p in paragraphs) * 12700
        if high <= height:
            return size
    return sizes[-1]


class _Chromium:
    """One Chromium, through kaleido, for every chart of a deck, in an event loop of its own thread:
    kaleido's own ``to_image`` starts a browser per chart, and its shared server is one per process
    (two sessions drawing at once could be handed each other's pictures)."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="deck-charts", daemon=True)
        self._kaleido: Any = None

    def __enter__(self) -> _Chromium:
        self._thread.start()
        return self

    def draw(self, fig: go.Figure) -> bytes:
        """``fig`` as PNG at twice its size (as figures.image draws it), or an ObservationError."""
        opts = {"format": "png", "width": fig.layout.width or figures.WIDTH,
                "height": fig.layout.height or figures.HEIGHT, "scale": 2}  # fmt: skip
        try:
            if self._kaleido is None:
                self._kaleido = self._run(self._open())
            drawn: bytes = self._run(self._kaleido.calc_fig(fig.to_dict(), opts=opts))
        except Exception as exc:  # kaleido's errors (no Chromium, a timeout) share no base class
            raise ObservationError(
                f"the chart could not be drawn as PNG ({type(exc).__name__}): PNG and SVG need Chromium or Chrome "
                "on this machine (on Debian: apt-get install chromium)"
            ) from None
        return drawn

    @staticmethod
    async def _open() -> Any:
        browser = kaleido.Kaleido(n=1)
        await browser.__aenter__()
        return browser

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=180)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            if self._kaleido is not None:
                self._run(self._kaleido.__aexit__(None, None, None))
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()
