"""QI charts of a team's meetings: which measure, which chart and rule set, and what the charts say.

Pure functions between the series (observation.queries) and the figure (observation.charts).
Only the charts that fit the data are made: a yes/no per meeting (presence, meaningful
involvement) is charted as the share of held meetings per subgroup (month, quarter or a block
of meetings) — a p-chart with n = held meetings, a run chart or an XmR chart of those shares —
or as a g-chart of the held meetings between meetings with a yes; representation, a share of
the people present, is charted meeting by meeting, and so are the measures of the meetings
observed live (observation.voice): voice share, a share of the contributions, and items raised
and actions owned, counts with no n (a run or XmR chart, never a p-chart). Each team's series becomes an spc.Chart,
rebased at its dated events when asked, and every signal becomes a sentence a coach can read
aloud; where the subgroups are too few or too small for limits, the sentence says so instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from observation import spc

MeasureName = Literal[
    "presence", "meaningful", "representation", "voice", "items_raised", "actions_owned", "experience", "impact"
]
MeasureKind = Literal["yes_no", "share", "count", "mean"]
ChartKind = Literal["p", "xmr", "run", "g"]
Subgroup = Literal["month", "quarter", "block"]
IMPROVEMENT: spc.Direction = "increase"  # every measure here is better higher
FEWEST_SUBGROUPS = 12
"""Limits and signals on subgroup shares need at least this many subgroups in a phase…"""
FEWEST_MEETINGS = 3
"""…and most subgroups holding at least this many meetings: a share of one or two meetings is
0%, 50% or 100%, and its limits span nearly everything."""
SHORT_RUNS = 10
"""A run chart's rules need this many points off the median, and at least half of its points:
Anhøj's critical values start at 10 useful points, and a median at 0% or 100% sees one side only."""
UNEVEN = 0.25
"""An XmR chart of shares assumes subgroups of about one size: when one is more than this far
from the mean size, the p-chart (limits from each subgroup's own size) is the better choice."""


@dataclass(frozen=True)
class MeasureSpec:
    label: str
    numerator: str
    denominator: str | None  # a yes/no measure's or a count's: None
    has_target: bool
    charts: tuple[ChartKind, ...]
    """The charts that fit the measure's data, the default first."""
    having: str
    """What a meeting with it had, for sentences: "a service user or carer present"."""
    kind: MeasureKind = "yes_no"
    """A yes or no per held meeting (charted per subgroup or as gaps), a share of something counted
    at each meeting (``counted``, its n), or a count at each meeting (no n: no p-chart)."""
    counted: str = ""
    """What a share's n or a count counts, for hover and sentences: "people present", "items raised"."""
    meetings: str = "held meeting"
    """Which meetings are charted, one point each (a share or a count): "meeting observed live"."""
    none: str = ""
    """What a meeting at 0 had, for the sentence that says most were: "had nobody with lived experience present"."""

    @property
    def yes_no(self) -> bool:
        return self.kind == "yes_no"

    @property
    def observed_live(self) -> bool:
        """Read from the contributions recorded live (observation.voice), not from attendance."""
        return self.meetings == LIVE

    @property
    def monthly(self) -> bool:
        """Charted month by month (observation.feedback): the experience score, the changes logged."""
        return self.meetings.startswith("month")


LIVE = "meeting observed live"
MEASURES: dict[MeasureName, MeasureSpec] = {
    "presence": MeasureSpec(
        "Lived-experience presence", "lived_experience_present", None, False, ("p", "run", "xmr", "g"),
        "a service user or carer present",
    ),
    "meaningful": MeasureSpec(
        "Meaningful involvement", "meaningful", None, True, ("p", "run", "xmr", "g"), "meaningful involvement"
    ),
    "representation": MeasureSpec(
        "Representation", "present_lived_experience", "present_total", False, ("p", "xmr", "run"),
        "service users and carers present", kind="share", counted="people present",
        none="had nobody with lived experience present",
    ),
    "voice": MeasureSpec(
        "Voice share", "contributions_lived_experience", "contributions", False, ("p", "xmr", "run"),
        "contributions by service users and carers", kind="share", counted="contributions", meetings=LIVE,
        none="had no contribution by a service user or carer",
    ),
    "items_raised": MeasureSpec(
        "Items raised", "items_raised", None, False, ("run", "xmr"),
        "agenda items raised by service users and carers", kind="count", counted="items raised", meetings=LIVE,
        none="had no agenda item raised by a service user or carer",
    ),
    "actions_owned": MeasureSpec(
        "Actions owned", "actions_owned", None, False, ("run", "xmr"),
        "actions taken on by service users and carers", kind="count", counted="actions owned", meetings=LIVE,
        none="had no action taken on by a service user or carer",
    ),
    "experience": MeasureSpec(
        "Experience score", "score", "scored", False, ("xmr", "run"),
        "answers to the experience questionnaire", kind="mean", counted="responses", meetings="month with answers",
    ),
    "impact": MeasureSpec(
        "Changes from lived experience", "with_lived_experience", "changes", False, ("p", "xmr", "run"),
        "changes from lived experience", kind="share", counted="changes logged",
        meetings="month with a change logged", none="had no change from lived experience",
    ),
}  # fmt: skip
CHART_KINDS: dict[ChartKind, str] = {"p": "p-chart", "xmr": "XmR chart", "run": "Run chart", "g": "g-chart"}
SUBGROUPS: dict[Subgroup, str] = {"month": "Month", "quarter": "Quarter", "block": "Blocks of meetings"}
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
    subgroup: Subgroup = "month"
    block: int = Field(4, ge=FEWEST_MEETINGS, le=12)
    """Held meetings per subgroup when ``subgroup`` is "block"."""

    @property
    def spec(self) -> MeasureSpec:
        return MEASURES[self.measure]

    @property
    def subgrouped(self) -> bool:
        """A yes/no measure on any chart but the g-chart is charted as a share per subgroup."""
        return self.spec.yes_no and self.chart != "g"

    @property
    def direction(self) -> spc.Direction:
        """Which way is better on the chart: fewer meetings between meetings with presence."""
        return "decrease" if self.chart == "g" else IMPROVEMENT

    def unit(self, count: int = 1) -> str:
        """What one point of the chart is: "month", "quarter", "block of 4 meetings", "meeting"…"""
        if self.chart == "g":
            return "gap" if count == 1 else "gaps"
        if not self.subgrouped:
            if self.spec.observed_live:
                return LIVE if count == 1 else LIVE.replace("meeting", "meetings", 1)
            if self.spec.monthly:
                return "month" if count == 1 else "months"
            return "meeting" if count == 1 else "meetings"
        if self.subgroup == "block":
            return f"block of {self.block} meetings" if count == 1 else f"blocks of {self.block} meetings"
        return self.subgroup if count == 1 else f"{self.subgroup}s"


def fitted(choice: ChartChoice) -> tuple[ChartChoice, str | None]:
    """``choice`` with a chart that fits its measure, and a one-line notice when it had to change."""
    spec = choice.spec
    if choice.chart in spec.charts:
        return choice, None
    default, label = spec.charts[0], spec.label.lower()
    if spec.kind == "count":
        what = f"a count at each {spec.meetings}, with no n"
    elif spec.kind == "mean":
        what = "a mean score each month, not a share of an n"
    else:
        what = f"a share of the {spec.counted} at each {spec.meetings}"
    why = (
        "a g-chart counts the held meetings between meetings with a yes"
        if choice.chart == "g"
        else "a p-chart plots a share against its n"
    )
    notice = (
        f"A {CHART_KINDS[choice.chart]} does not fit {label}: {why}, and {label} is {what}. "
        f"Showing the {CHART_KINDS[default]}."
    )
    return choice.model_copy(update={"chart": default}), notice


@dataclass(frozen=True)
class ParsedChoice:
    choice: ChartChoice
    notices: tuple[str, ...]


def choice_from_query_params(params: Mapping[str, str]) -> ParsedChoice:
    """Read a ChartChoice from query parameters; each bad one falls back with a notice, and so
    does a chart that does not fit the measure."""
    values: dict[str, object] = {}
    notices = []
    accepted = {
        "measure": ", ".join(MEASURES),
        "chart": ", ".join(CHART_KINDS),
        "rules": ", ".join(spc.RULE_SET_NAMES),
        "rebase": "1 or 0",
        "subgroup": ", ".join(SUBGROUPS),
        "block": f"a whole number of meetings from {FEWEST_MEETINGS} to 12",
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
    asked = ChartChoice.model_validate(values)
    if "chart" not in values:  # no chart asked for: the measure's own default, without a notice
        asked = asked.model_copy(update={"chart": asked.spec.charts[0]})
    choice, notice = fitted(asked)
    return ParsedChoice(choice, (*notices, *([notice] if notice else [])))


def choice_to_query_params(choice: ChartChoice) -> dict[str, str]:
    """The query parameters that reproduce ``choice``; defaults are left out."""
    default = ChartChoice()
    params = {}
    for name in ("measure", "chart", "rules", "subgroup", "block"):
        if getattr(choice, name) != getattr(default, name):
            params[name] = str(getattr(choice, name))
    if choice.rebase:
        params["rebase"] = "1"
    return params


@dataclass(frozen=True)
class TeamPanel:
    """One team's chart: where each point sits on the time axis and what it is, the analysed
    chart (None when there is nothing to chart), the team's dated events, and what the chart
    cannot tell."""

    team_id: int
    team_name: str
    dates: tuple[dt.date, ...]
    chart: spc.Chart | None
    events: tuple[tuple[dt.date, str], ...]
    labels: tuple[str, ...] = ()
    """Each point in words for hover: "Jul 2019", "Q3 2019", "meetings 5-8 (10 Sep - 5 Nov 2019)"."""
    counts: tuple[tuple[int, int], ...] = ()
    """Each point's numerator and n: meetings with a yes of those held, or people with lived
    experience of those present (none on a g-chart, whose point is itself a count)."""
    withheld: str | None = None
    """Why limits and signals are not drawn (too few or too small subgroups), or None."""
    total: tuple[int, int] = (0, 0)
    """Over the whole period: meetings with a yes and held meetings (or people, for representation)."""
    open_gap: int = 0
    """g-chart: held meetings since the last meeting with presence (not yet a completed gap)."""
    sizes: tuple[int, int] = (0, 0)
    """The smallest and largest subgroup (meetings)."""
    pending: int = 0
    """Meetings after the last full block, not charted until the block is complete."""
    mean: float | None = None
    """A mean score's (the experience score's) over the whole period, its responses weighing alike."""
    span: tuple[dt.date, dt.date] | None = None
    """The team's first and last held meeting charted: a g-chart's points stop at the last meeting
    with presence, but its time axis runs on to the last meeting."""


def panels(
    series: pd.DataFrame, events: pd.DataFrame, choice: ChartChoice, subgroups: pd.DataFrame | None = None
) -> tuple[TeamPanel, ...]:
    """Each team's chart, in the series' team order. ``series`` (one row per held meeting with
    attendance recorded) and ``events`` have the columns of observation.queries.Overview's fields
    of those names; ``subgroups`` those of observation.queries.qi_subgroups for ``choice``'s
    subgrouping, needed when the chart is subgrouped (choice.subgrouped)."""
    if choice.subgrouped and subgroups is None:
        raise ValueError(f"a {CHART_KINDS[choice.chart]} of {choice.spec.label.lower()} needs the subgroups")
    result = []
    for team_id in series["team_id"].unique():
        rows = series[series["team_id"] == team_id]
        team_events, own = _team_events(events, team_id)
        name = str(rows["team_name"].iloc[0])
        if choice.chart == "g":
            panel = _gap_panel(int(team_id), name, rows, choice, own)
        elif choice.subgrouped:
            assert subgroups is not None
            panel = _subgroup_panel(int(team_id), name, subgroups[subgroups["team_id"] == team_id], choice, own)
        else:
            panel = _meeting_panel(int(team_id), name, rows, choice, own)
        days = rows["meeting_date"]
        result.append(
            replace(panel, events=team_events, span=(pd.Timestamp(days.min()).date(), pd.Timestamp(days.max()).date()))
        )
    return tuple(result)


def _team_events(events: pd.DataFrame, team_id: object) -> tuple[tuple[tuple[dt.date, str], ...], list[dt.date]]:
    """The events drawn on a team's panel (its own and the study's), and the dates of its own:
    rebasing follows the team's own events; a study-wide event is drawn but starts no phase."""
    mine = events[events["team_id"].isna() | (events["team_id"] == team_id)]
    drawn = tuple(
        (pd.Timestamp(d).date(), str(label)) for d, label in zip(mine["event_date"], mine["label"], strict=True)
    )
    return drawn, [pd.Timestamp(d).date() for d in mine[mine["team_id"] == team_id]["event_date"]]


def subgroup_panels(subgroups: pd.DataFrame, events: pd.DataFrame, choice: ChartChoice) -> tuple[TeamPanel, ...]:
    """Each team's subgrouped chart from its subgroups alone, without the meeting-by-meeting series
    (presenter mode shows quarters only), in the subgroups' team order. ``subgroups`` has the
    columns of observation.queries.qi_subgroups (the measure's own count column is enough)."""
    if not choice.subgrouped:
        raise ValueError(f"a {CHART_KINDS[choice.chart]} of {choice.spec.label.lower()} is not read from subgroups")
    result = []
    for team_id in subgroups["team_id"].unique():
        rows = subgroups[subgroups["team_id"] == team_id]
        team_events, own = _team_events(events, team_id)
        panel = _subgroup_panel(int(team_id), str(rows["team_name"].iloc[0]), rows, choice, own)
        span = (pd.Timestamp(rows["first_day"].min()).date(), pd.Timestamp(rows["last_day"].max()).date())
        result.append(replace(panel, events=team_events, span=span))
    return tuple(result)


def _meeting_panel(team_id: int, name: str, rows: pd.DataFrame, choice: ChartChoice, own: list[dt.date]) -> TeamPanel:
    """A share (representation: n is the people present; voice share: the contributions) or a
    count (items raised, actions owned: n is 1), meeting by meeting."""
    spec = choice.spec
    dates = tuple(pd.Timestamp(d).date() for d in rows["meeting_date"])
    if spec.kind == "mean":
        return _mean_panel(team_id, name, rows, choice, own)
    numerators = [int(v) for v in rows[spec.numerator]]
    counted = spec.kind == "count"  # a count has no n: each meeting's is 1
    denominators = [1] * len(numerators) if counted else [int(v) for v in rows[str(spec.denominator)]]
    breaks = _breaks(dates, own) if choice.rebase else []
    chart = _chart(choice, numerators, denominators, breaks)
    withheld = _too_few_live(choice, len(numerators)) or _mostly_none(choice, numerators) or _runs_unread(chart)
    return TeamPanel(
        team_id, name, dates, chart if withheld is None else _without_limits(chart), (),
        labels=tuple(f"{d:%b %Y}" if spec.monthly else f"{d:%d %b %Y}" for d in dates),
        withheld=withheld,
        counts=tuple(zip(numerators, denominators, strict=True)),
        total=(sum(numerators), sum(denominators)),
        sizes=(min(denominators), max(denominators)),
    )  # fmt: skip


def _mean_panel(team_id: int, name: str, rows: pd.DataFrame, choice: ChartChoice, own: list[dt.date]) -> TeamPanel:
    """A mean score (the experience score) month by month: each point the month's score, its n the
    responses it rests on; an XmR or run chart of the scores (a mean has no p-chart)."""
    spec = choice.spec
    dates = tuple(pd.Timestamp(d).date() for d in rows["meeting_date"])
    values = [float(v) for v in rows[spec.numerator]]
    sizes = [int(v) for v in rows[str(spec.denominator)]]
    breaks = _breaks(dates, own) if choice.rebase else []
    if choice.chart == "xmr":
        chart = spc.xmr(values, choice.rules == "making_data_count", rules=choice.rules, breaks=breaks)
    else:
        chart = spc.run_chart(values, rules=choice.rules, breaks=breaks)
    withheld = _too_few_live(choice, len(values)) or _runs_unread(chart)
    return TeamPanel(
        team_id, name, dates, chart if withheld is None else _without_limits(chart), (),
        labels=tuple(f"{d:%b %Y}" for d in dates),
        withheld=withheld,
        counts=tuple((n, n) for n in sizes),
        total=(sum(sizes), sum(sizes)),
        sizes=(min(sizes), max(sizes)),
        mean=sum(v * n for v, n in zip(values, sizes, strict=True)) / sum(sizes),
    )  # fmt: skip


def _subgroup_panel(team_id: int, name: str, rows: pd.DataFrame, choice: ChartChoice, own: list[dt.date]) -> TeamPanel:
    """A yes/no measure as the share of held meetings in each subgroup (n = held meetings)."""
    column = "presence" if choice.measure == "presence" else "meaningful"
    total = (int(rows[column].sum()), int(rows["meetings"].sum()))
    pending = 0
    if choice.subgroup == "block" and len(rows) > 1 and int(rows["meetings"].iloc[-1]) < choice.block:
        # A last block short of k meetings is not charted yet: its wider limits would decide the
        # latest reading and the target's on one or two meetings.
        pending = int(rows["meetings"].iloc[-1])
        rows = rows.iloc[:-1]
    dates = tuple(pd.Timestamp(d).date() for d in rows["subgroup_start"])
    numerators = [int(v) for v in rows[column]]
    sizes = [int(v) for v in rows["meetings"]]
    labels = tuple(
        _subgroup_label(choice, pd.Timestamp(first).date(), pd.Timestamp(last).date(), int(a), int(b))
        for first, last, a, b in zip(
            rows["first_day"], rows["last_day"], rows["first_nth"], rows["last_nth"], strict=True
        )
    )
    breaks = _breaks(dates, own) if choice.rebase else []
    chart = _chart(choice, numerators, sizes, breaks)
    withheld = _too_few(choice, sizes, breaks) or _limits_span_everything(choice, chart, sizes) or _runs_unread(chart)
    if withheld is not None:
        chart = _without_limits(chart)
    return TeamPanel(
        team_id, name, dates, chart, (),
        labels=labels,
        counts=tuple(zip(numerators, sizes, strict=True)),
        withheld=withheld,
        total=total,
        sizes=(min(sizes), max(sizes)),
        pending=pending,
    )  # fmt: skip


def _gap_panel(team_id: int, name: str, rows: pd.DataFrame, choice: ChartChoice, own: list[dt.date]) -> TeamPanel:
    """The held meetings without a yes between consecutive meetings with one (a g-chart's points,
    each at the meeting that closes its gap). The meetings before the first yes are no gap: the
    period, not a meeting with a yes, opened them."""
    yes = [int(v) for v in rows[choice.spec.numerator]]
    days = [pd.Timestamp(d).date() for d in rows["meeting_date"]]
    gaps: list[int] = []
    dates: list[dt.date] = []
    since: int | None = None  # None until the first meeting with a yes
    for day, value in zip(days, yes, strict=True):
        if value:
            if since is not None:
                gaps.append(since)
                dates.append(day)
            since = 0
        elif since is not None:
            since += 1
    breaks = _breaks(tuple(dates), own) if choice.rebase else []
    chart = spc.g_chart(gaps, rules=choice.rules, breaks=breaks) if gaps else None
    withheld = None
    if chart is not None and len(gaps) < FEWEST_SUBGROUPS:
        withheld = (
            f"only {len(gaps)} gap{'s' if len(gaps) != 1 else ''} between meetings with {choice.spec.having} — too few "
            f"to set limits or test for signals (that needs {FEWEST_SUBGROUPS} or more gaps)"
        )
        chart = _without_limits(chart)
    return TeamPanel(
        team_id, name, tuple(dates), chart, (),
        labels=tuple(f"{d:%d %b %Y}" for d in dates),
        withheld=withheld,
        total=(sum(yes), len(yes)),
        open_gap=since or 0,
    )  # fmt: skip


def _chart(choice: ChartChoice, numerators: list[int], sizes: list[int], breaks: list[int]) -> spc.Chart:
    values = [n / d for n, d in zip(numerators, sizes, strict=True)]
    if choice.chart == "p":
        return spc.p_chart(numerators, sizes, rules=choice.rules, breaks=breaks)
    if choice.chart == "xmr":
        # Making Data Count screens moving ranges for outliers, as NHSRplotthedots does by default
        return spc.xmr(values, choice.rules == "making_data_count", rules=choice.rules, breaks=breaks)
    return spc.run_chart(values, rules=choice.rules, breaks=breaks)


def _too_few(choice: ChartChoice, sizes: list[int], breaks: list[int]) -> str | None:
    """Why a subgrouped chart can draw no limits and test for no signal, or None when it can."""
    bounds = list(pairwise([0, *sorted(b for b in breaks if 0 < b < len(sizes)), len(sizes)]))
    shortest = min(end - start for start, end in bounds)
    small = sum(1 for n in sizes if n < FEWEST_MEETINGS)
    few, most_small = shortest < FEWEST_SUBGROUPS, 2 * small > len(sizes)
    if not (few or most_small):
        return None
    if few:
        where = " in its shortest phase" if len(bounds) > 1 else ""
        what = f"{shortest} {choice.unit(shortest)}{where}"
        if most_small:
            what += f", {small} of {len(sizes)} with fewer than {FEWEST_MEETINGS} meetings"
    else:
        what = f"{small} of {len(sizes)} {choice.unit(2)} with fewer than {FEWEST_MEETINGS} meetings"
    longer = "" if few else "; choose quarters or longer blocks"
    task = (
        "to test for signals" if choice.chart == "run" else "to set limits or test for signals"
    )  # a run chart has none
    return (
        f"{what} — too few {task} (that needs {FEWEST_SUBGROUPS} or more "
        f"{choice.unit(2)}, most of {FEWEST_MEETINGS} meetings or more{longer})"
    )


def _limits_span_everything(choice: ChartChoice, chart: spc.Chart, sizes: list[int]) -> str | None:
    """Why a p-chart whose limits are 0% and 100% at every point tells nothing, or None."""
    if chart.kind != "p" or not all(p.lower == 0 and p.upper == 1 for p in chart.points):
        return None
    held = f"{min(sizes)}" if min(sizes) == max(sizes) else f"{min(sizes)} to {max(sizes)}"
    what = f"blocks of {held} meetings" if choice.subgroup == "block" else f"{choice.unit(2)} of {held} meetings"
    return (
        f"{what} give limits of 0% to 100% at every point — too few meetings in each to test for signals "
        "(choose longer subgroups)"
    )


def _mostly_none(choice: ChartChoice, numerators: list[int]) -> str | None:
    """Why a measure cannot be charted meeting by meeting when most meetings are at 0 (nobody with
    lived experience present, no contribution or item by one): every 0 sits under a centre line
    just above it, and the runs rules flag meeting after meeting. Presence is rare there, which the
    g-chart reads. None otherwise."""
    zeros = sum(1 for n in numerators if n == 0)
    if 2 * zeros <= len(numerators):
        return None
    spec = choice.spec
    if choice.measure == "representation":
        return (
            f"{zeros} of {len(numerators)} meetings had nobody with lived experience present — too many at 0% for "
            "limits or runs rules to tell a signal (presence is rare here: the g-chart of presence reads it)"
        )
    at = "0" if spec.kind == "count" else "0%"
    return (
        f"{zeros} of {len(numerators)} {choice.unit(2)} {spec.none} — too many at {at} for limits or runs rules to "
        "tell a signal"
    )


def _too_few_live(choice: ChartChoice, meetings: int) -> str | None:
    """Why a measure of the meetings observed live, or a monthly one, draws no limits and tests no
    signal when there are fewer than FEWEST_SUBGROUPS points (as a subgrouped chart with fewer
    subgroups), or None."""
    if not (choice.spec.observed_live or choice.spec.monthly) or meetings >= FEWEST_SUBGROUPS:
        return None
    task = "to test for signals" if choice.chart == "run" else "to set limits or test for signals"
    return (
        f"only {meetings} {choice.unit(meetings)} — too few {task} (that needs {FEWEST_SUBGROUPS} or more "
        f"{choice.unit(2)})"
    )


def _runs_unread(chart: spc.Chart) -> str | None:
    """Why a run chart's rules cannot read a phase whose points mostly sit on its median (a ward
    where most months had nobody: median 0%, and every point off it is "above"), or None."""
    if chart.kind != "run":
        return None
    for phase in chart.phases:
        points = phase.end - phase.start
        if phase.n_useful < max(SHORT_RUNS, points / 2):
            return (
                f"only {phase.n_useful} of {points} points {'lies' if phase.n_useful == 1 else 'lie'} off the median"
                f"{' in a phase' if len(chart.phases) > 1 else ''} — too few for the run-chart rules to tell a signal "
                "from chance"
            )
    return None


def _without_limits(chart: spc.Chart) -> spc.Chart:
    """``chart``'s values and centre line alone: no limits, no special cause, no runs signal."""
    points = tuple(replace(p, lower=None, upper=None, special_cause=None, why=None) for p in chart.points)
    phases = tuple(replace(p, longest_run_limit=None, crossings_limit=None) for p in chart.phases)
    return replace(chart, points=points, phases=phases)


def _subgroup_label(choice: ChartChoice, first: dt.date, last: dt.date, first_nth: int, last_nth: int) -> str:
    if choice.subgroup == "month":
        return f"{first:%b %Y}"
    if choice.subgroup == "quarter":
        return quarter_label(first)
    span = f"{first:%d %b %Y}" if first == last else f"{first:%d %b} – {last:%d %b %Y}"
    return f"meetings {first_nth}–{last_nth} ({span})"


def teams_without_panel(meetings: pd.DataFrame, shown: Sequence[int], room: int) -> tuple[str, ...]:
    """The names of the teams with held meetings (``meetings``: a series as ``panels`` reads it) that a
    chart of ``shown`` teams has no panel for, while it has ``room`` for more panels."""
    if len(shown) >= room:
        return ()
    teams = meetings.drop_duplicates("team_id")
    return tuple(teams.loc[~teams["team_id"].isin(shown), "team_name"].astype(str))


def one_of(counted: str) -> str:
    """What a share's n or a count counts, for one: "responses" → "response", "changes logged" → "change logged"."""
    first, _, rest = counted.partition(" ")
    return " ".join(w for w in (first.removesuffix("s"), rest) if w)


def quarter_label(day: dt.date) -> str:
    return f"Q{(day.month - 1) // 3 + 1} {day.year}"


def signal_sentences(
    team_panels: tuple[TeamPanel, ...],
    choice: ChartChoice,
    target: float | None,
    overall: Mapping[int, str] | None = None,
) -> list[str]:
    """One plain sentence per team about its current phase: its latest signal and what it means,
    or that there is none, or what the chart cannot tell; then the caveats and the target's
    assurance, if any. The same words lead the Team profile's summary. ``overall``, by team id,
    words the period's figure in place of its counts ("56% of held meetings had …": presenter
    mode states only the shares it shows)."""
    return [_sentence(panel, choice, target, (overall or {}).get(panel.team_id)) for panel in team_panels]


def _sentence(panel: TeamPanel, choice: ChartChoice, target: float | None, worded: str | None = None) -> str:
    spec = choice.spec
    yes, n = panel.total
    if worded is not None:
        overall = worded
    elif choice.measure == "representation":
        overall = f"{yes} of the {n} attendances were by service users or carers ({_share(yes, n)})"
    elif choice.measure == "impact":
        overall = (
            f"the one change logged {'came' if yes else 'did not come'} from people with lived experience, alone or "
            "with staff"
            if n == 1
            else f"{yes} of the {n} changes logged came from people with lived experience, alone or with staff "
            f"({_share(yes, n)})"
        )
    elif spec.kind == "mean":
        overall = (
            f"the experience score was {panel.mean:.1f} of 5 over {n} {one_of('responses') if n == 1 else 'responses'} "
            "(the chart's centre line weighs each month alike)"
        )
    elif spec.kind == "share":
        # Pooled: not the mean voice share the tables and the Team profile give (definitions.VOICE_SHARE)
        overall = (
            f"{yes} of the {n} contributions, pooled over the charted {choice.unit(2)}, were by service users or "
            f"carers ({_share(yes, n)})"
        )
    elif spec.kind == "count":
        counted = spec.counted.replace("s ", " ", 1) if yes == 1 else spec.counted  # "1 item raised"
        overall = f"{yes} {counted} by service users and carers at {n} {choice.unit(n)} ({yes / n:.1f} a meeting)"
    else:
        overall = f"{yes} of {n} held meetings had {spec.having} ({_share(yes, n)})"
    chart = panel.chart
    if chart is None:
        return f"{panel.team_name}: {_no_gaps(panel, choice)}"
    if panel.withheld is not None:
        sentence = f"{panel.team_name}: {panel.withheld}. Over the period, {overall}.{_pending_words(panel, choice)}"
        if chart.kind == "g":
            sentence += f" {_gap_words(panel, choice)}"
        elif target is not None:
            sentence += f" Against the {target:.0%} target, too few subgroups to say whether the process will meet it."
        return sentence
    phase = chart.phases[-1]
    since = f" since {panel.dates[phase.start]:%d %b %Y}" if len(chart.phases) > 1 else ""
    flagged = [p for p in chart.points[phase.start : phase.end] if p.special_cause]
    where = _where(panel, choice)
    latest = chart.points[-1]
    # What the chart says now is read from its latest point, as Making Data Count's icons read it;
    # an earlier signal is history, told without a reading (a step up flags the low points before
    # it as well as the high ones after, and charts with other centres flag different ends of it).
    if latest.special_cause:
        sentence = (
            f"{panel.team_name}: {_lower_first(latest.why)} {_up_to(latest)} {where(latest.index)} — "
            f"{spc.reading(latest, choice.direction)} ({chart.rule_set_name})."
        )
    elif flagged:
        sentence = (
            f"{panel.team_name}: no signal at the latest {choice.unit()} — common-cause variation now; earlier, "
            f"{_lower_first(flagged[-1].why)} {_up_to(flagged[-1])} {where(flagged[-1].index)} ({chart.rule_set_name})."
        )
    elif not (chart.rules == "anhoej" and phase.crossings_signal):
        sentence = f"{panel.team_name}: no signal{since} — only common-cause variation ({chart.rule_set_name})."
    else:
        sentence = f"{panel.team_name}:"
    if chart.rules == "anhoej" and phase.crossings_signal:
        lead = " the" if sentence.endswith(":") else " The"
        sentence += (
            f"{lead} line crosses its centre {_times(phase.crossings)}{since}, fewer than the "
            f"{phase.crossings_limit} expected by chance — a shift ({chart.rule_set_name})."
        )
    if phase.trial:
        points = phase.end - phase.start
        short = "a short series" if chart.kind == "run" else "trial limits"
        sentence += f" {points} {choice.unit(points)}{since}: {short}."
    if chart.kind == "g":
        sentence += f" {_gap_words(panel, choice)}"
    elif chart.kind == "xmr" and choice.subgrouped and _uneven(panel.counts):
        low, high = panel.sizes
        sentence += (
            f" Its {choice.unit(2)} hold {low} to {high} meetings: with sizes that uneven, the p-chart, "
            "whose limits follow each subgroup's size, reads it better."
        )
    if target is not None and chart.kind != "g" and (assured := _assurance(chart, target)) is not None:
        sentence += f" Against the {target:.0%} target, the process {ASSURANCE_WORDS[assured]}."
    return sentence + _pending_words(panel, choice)


def _pending_words(panel: TeamPanel, choice: ChartChoice) -> str:
    if not panel.pending:
        return ""
    which = (
        "held meeting, short of a block of {k}, is"
        if panel.pending == 1
        else "{n} held meetings, short of a block of {k}, are"
    )
    return f" The last {which.format(n=panel.pending, k=choice.block)} not charted yet."


def _where(panel: TeamPanel, choice: ChartChoice) -> Callable[[int], str]:
    def at(index: int) -> str:
        if choice.spec.monthly:
            return f"{panel.dates[index]:%B %Y}"
        if choice.chart == "g" or not choice.subgrouped:
            return f"the meeting of {panel.dates[index]:%d %b %Y}"
        return (
            f"{panel.labels[index]}"
            if choice.subgroup == "block"
            else f"the {choice.subgroup} of {panel.labels[index]}"
        )

    return at


def _no_gaps(panel: TeamPanel, choice: ChartChoice) -> str:
    """What a team with fewer than two meetings with a yes can be told instead of a g-chart."""
    yes, held = panel.total
    having = choice.spec.having
    if yes == 0:
        return (
            f"no held meeting had {having}, so there is no gap between such meetings to chart; "
            f"{held} held meetings without."
        )
    return (
        f"only one held meeting had {having}, so there is no gap between such meetings yet; "
        f"{panel.open_gap} held meeting{'s' if panel.open_gap != 1 else ''} without it since."
    )


def _gap_words(panel: TeamPanel, choice: ChartChoice) -> str:
    """What a g-chart's reader needs besides its points: how the gaps are counted, the longest, and
    the gap still open at the end of the period (a concern when it is already beyond the limit)."""
    chart = panel.chart
    assert chart is not None
    having = choice.spec.having
    words = f"Each point counts the held meetings without {having} between two meetings with it; a longer gap is worse"
    words += f" (longest: {max(p.value for p in chart.points):.0f})."
    yes, held = panel.total
    if 2 * yes > held:
        words += (
            f" {yes} of {held} held meetings had it: it is not rare here, and the p-chart of the share per subgroup "
            "reads it better than gaps of a meeting or two."
        )
    if panel.open_gap:
        words += f" {panel.open_gap} held meeting{'s' if panel.open_gap != 1 else ''} without it since the last"
        upper = chart.upper
        words += (
            f", already more than the upper limit of {upper:.1f}: a concern."
            if upper is not None and panel.open_gap > upper
            else "."
        )
    return words


def _up_to(point: spc.Point) -> str:
    """ "at" for a single point's signal, "up to" for a run's or a trend's, which ends there."""
    return "at" if point.special_cause in ("outside_limits", "two_in_three") else "up to"


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _lower_first(text: str | None) -> str:
    return (text or "")[:1].lower() + (text or "")[1:]


def _uneven(counts: tuple[tuple[int, int], ...]) -> bool:
    sizes = [n for _, n in counts]
    mean = sum(sizes) / len(sizes)
    return any(abs(n - mean) > UNEVEN * mean for n in sizes)


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "no meetings"


def _assurance(chart: spc.Chart, target: float) -> spc.Assurance | None:
    """Making Data Count's assurance, when the limits say anything: limits spanning 0-100% would
    always read as 'only some of the time'."""
    if chart.lower is not None and chart.upper is not None and chart.lower <= 0 <= 1 <= chart.upper:
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
