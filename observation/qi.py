"""QI charts of a team's meetings: which measure, which chart and rule set, and what the charts say.

Pure functions between the per-meeting series (observation.queries) and the figure
(observation.charts): each team's series becomes an spc.Chart, rebased at its dated events
when asked, and every signal becomes a sentence a coach can read aloud.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from observation import spc

MeasureName = Literal["presence", "meaningful", "representation"]
ChartKind = Literal["p", "xmr", "run"]
IMPROVEMENT: spc.Direction = "increase"  # every measure here is better higher


@dataclass(frozen=True)
class MeasureSpec:
    label: str
    numerator: str
    denominator: str | None  # None: one per meeting
    has_target: bool


MEASURES: dict[MeasureName, MeasureSpec] = {
    "presence": MeasureSpec("Lived-experience presence", "lived_experience_present", None, False),
    "meaningful": MeasureSpec("Meaningful involvement", "meaningful", None, True),
    "representation": MeasureSpec("Representation", "present_lived_experience", "present_total", False),
}
CHART_KINDS: dict[ChartKind, str] = {"p": "p-chart", "xmr": "XmR chart", "run": "Run chart"}
ASSURANCE_WORDS: dict[spc.Assurance, str] = {
    "consistently_passes": "will consistently meet it",
    "consistently_fails": "will consistently miss it, unless the process changes",
    "inconsistent": "will meet it only some of the time",
}


class ChartChoice(BaseModel):
    """What the user asked to see; every field has a URL parameter of the same name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    measure: MeasureName = "presence"
    chart: ChartKind = "p"
    rules: spc.RuleSet = "making_data_count"
    rebase: bool = False


@dataclass(frozen=True)
class ParsedChoice:
    choice: ChartChoice
    notices: tuple[str, ...]


def choice_from_query_params(params: Mapping[str, str]) -> ParsedChoice:
    """Read a ChartChoice from query parameters; each bad one falls back with a notice."""
    values: dict[str, object] = {}
    notices = []
    accepted = {
        "measure": ", ".join(MEASURES),
        "chart": ", ".join(CHART_KINDS),
        "rules": ", ".join(spc.RULE_SET_NAMES),
        "rebase": "1 or 0",
    }
    for name, allowed in accepted.items():
        raw = params.get(name, "").strip()
        if not raw:
            continue
        try:
            ChartChoice.model_validate({name: raw})
            values[name] = raw
        except ValidationError:
            notices.append(f"Ignored {name}={raw!r} in the link: it is one of {allowed}.")
    return ParsedChoice(ChartChoice.model_validate(values), tuple(notices))


def choice_to_query_params(choice: ChartChoice) -> dict[str, str]:
    """The query parameters that reproduce ``choice``; defaults are left out."""
    default = ChartChoice()
    params = {}
    for name in ("measure", "chart", "rules"):
        if getattr(choice, name) != getattr(default, name):
            params[name] = str(getattr(choice, name))
    if choice.rebase:
        params["rebase"] = "1"
    return params


@dataclass(frozen=True)
class TeamPanel:
    """One team's chart: the meetings' dates, the analysed chart, and the team's dated events."""

    team_id: int
    team_name: str
    dates: tuple[dt.date, ...]
    chart: spc.Chart
    events: tuple[tuple[dt.date, str], ...]


def panels(series: pd.DataFrame, events: pd.DataFrame, choice: ChartChoice) -> tuple[TeamPanel, ...]:
    """Each team's chart, in the series' team order. ``series`` and ``events`` have the columns of
    observation.queries.Overview's fields of those names."""
    spec = MEASURES[choice.measure]
    result = []
    for team_id in series["team_id"].unique():
        rows = series[series["team_id"] == team_id]
        dates = tuple(pd.Timestamp(d).date() for d in rows["meeting_date"])
        mine = events[events["team_id"].isna() | (events["team_id"] == team_id)]
        team_events = tuple(
            (pd.Timestamp(d).date(), str(label)) for d, label in zip(mine["event_date"], mine["label"], strict=True)
        )
        # Rebasing follows the team's own events; a study-wide event is drawn but starts no phase.
        own = mine[mine["team_id"] == team_id]
        breaks = _breaks(dates, [pd.Timestamp(d).date() for d in own["event_date"]]) if choice.rebase else []
        numerators = [float(v) for v in rows[spec.numerator]]
        denominators = [float(v) for v in rows[spec.denominator]] if spec.denominator else [1.0] * len(rows)
        values = [n / d for n, d in zip(numerators, denominators, strict=True)]
        if choice.chart == "p":
            chart = spc.p_chart(numerators, denominators, rules=choice.rules, breaks=breaks)
        elif choice.chart == "xmr":
            # Making Data Count screens moving ranges for outliers, as NHSRplotthedots does by default
            chart = spc.xmr(values, choice.rules == "making_data_count", rules=choice.rules, breaks=breaks)
        else:
            chart = spc.run_chart(values, rules=choice.rules, breaks=breaks)
        result.append(TeamPanel(int(team_id), str(rows["team_name"].iloc[0]), dates, chart, team_events))
    return tuple(result)


def signal_sentences(team_panels: tuple[TeamPanel, ...], target: float | None) -> list[str]:
    """One plain sentence per team about its current phase: its latest signal and what it means,
    or that there is none; then the trial-limits caveat and the target's assurance, if any."""
    sentences = []
    for panel in team_panels:
        chart = panel.chart
        phase = chart.phases[-1]
        since = f" since {panel.dates[phase.start]:%d %b %Y}" if len(chart.phases) > 1 else ""
        flagged = [p for p in chart.points[phase.start : phase.end] if p.special_cause]
        if flagged:
            last = flagged[-1]
            sentence = (
                f"{panel.team_name}: {last.why} up to the meeting of {panel.dates[last.index]:%d %b %Y} — "
                f"{spc.reading(last, IMPROVEMENT)} ({chart.rule_set_name})."
            )
        elif not (chart.rules == "anhoej" and phase.crossings_signal):
            sentence = f"{panel.team_name}: no signal{since} — only common-cause variation ({chart.rule_set_name})."
        else:
            sentence = f"{panel.team_name}:"
        if chart.rules == "anhoej" and phase.crossings_signal:
            lead = " the" if sentence.endswith(":") else " The"
            sentence += (
                f"{lead} line crosses its centre {phase.crossings} times{since}, fewer than the "
                f"{phase.crossings_limit} expected by chance — a shift ({chart.rule_set_name})."
            )
        if phase.trial:
            short = "a short series" if chart.kind == "run" else "trial limits"
            sentence += f" Fewer than {spc.SHORT_PHASE} meetings: {short}."
        if target is not None and (assured := _assurance(chart, target)) is not None:
            sentence += f" Against the {target:.0%} target, the process {ASSURANCE_WORDS[assured]}."
        elif target is not None and chart.kind == "p":
            sentence += " A yes/no per meeting gives limits of 0-100%, so no target assurance: see the monthly chart."
        sentences.append(sentence)
    return sentences


def _assurance(chart: spc.Chart, target: float) -> spc.Assurance | None:
    """Making Data Count's assurance, when the limits say anything: limits spanning 0-100% (a p-chart
    of a yes/no per meeting) would always read as 'only some of the time'."""
    spans_everything = chart.lower is not None and chart.upper is not None and chart.lower <= 0 <= 1 <= chart.upper
    if chart.kind == "p" and spans_everything:
        return None
    return spc.assurance(chart, target, IMPROVEMENT)


def _breaks(dates: tuple[dt.date, ...], event_dates: list[dt.date]) -> list[int]:
    """The index of the first meeting on or after each event (a new phase starts there)."""
    breaks = set()
    for day in event_dates:
        after = [i for i, d in enumerate(dates) if d >= day]
        if after and after[0] > 0:
            breaks.add(after[0])
    return sorted(breaks)
