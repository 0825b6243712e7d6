"""The study filter every page shares, and its round trip through the URL's query parameters.

A copied link reproduces the view: ``?team=1,3&setting=community&from=2019-09-01&to=2020-01-31``.
A parameter that does not validate falls back to its default and says why in a notice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, model_validator

from observation.models import Setting

PARAM_TEAMS = "team"
PARAM_SETTING = "setting"
PARAM_FROM = "from"
PARAM_TO = "to"
FILTER_PARAMS = (PARAM_TEAMS, PARAM_SETTING, PARAM_FROM, PARAM_TO)


class StudyFilter(BaseModel):
    """Which meetings a page looks at. Empty ``teams`` and ``None`` mean "no restriction"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    teams: tuple[int, ...] = ()
    setting: Setting | None = None
    start: dt.date | None = None
    end: dt.date | None = None

    @model_validator(mode="after")
    def _start_before_end(self) -> Self:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(f"the start {self.start} is after the end {self.end}")
        return self

    def sql_params(self) -> dict[str, object]:
        """The named parameters of the filtered_meetings macro (macros.sql); None: no restriction."""
        return {"teams": list(self.teams) or None, "setting": self.setting, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class ParsedFilter:
    filter: StudyFilter
    notices: tuple[str, ...]


_TEAM_IDS = TypeAdapter(tuple[int, ...])
_SETTING = TypeAdapter(Setting)
_DATE = TypeAdapter(dt.date)


def from_query_params(params: Mapping[str, str]) -> ParsedFilter:
    """Read the filter from query parameters; each bad one is dropped with a notice."""
    notices: list[str] = []
    values: dict[str, object] = {}

    def take(name: str, field: str, adapter: TypeAdapter[object], raw: object, what: str) -> None:
        try:
            values[field] = adapter.validate_python(raw)
        except ValidationError:
            notices.append(f"Ignored {name}={params[name]!r} in the link: {what}.")

    if raw := params.get(PARAM_TEAMS, "").strip():
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        take(PARAM_TEAMS, "teams", _TEAM_IDS, parts, "teams are given by number, e.g. team=1,3")  # type: ignore[arg-type]
    if raw := params.get(PARAM_SETTING, "").strip():
        take(PARAM_SETTING, "setting", _SETTING, raw, "the setting is community, inpatient or other")  # type: ignore[arg-type]
    for name, field in ((PARAM_FROM, "start"), (PARAM_TO, "end")):
        if raw := params.get(name, "").strip():
            take(name, field, _DATE, raw, "dates are written YYYY-MM-DD")  # type: ignore[arg-type]
    try:
        flt = StudyFilter.model_validate(values)
    except ValidationError:
        notices.append(f"Ignored the dates in the link: {values['start']} is after {values['end']}.")
        values.pop("start"), values.pop("end")
        flt = StudyFilter.model_validate(values)
    return ParsedFilter(flt, tuple(notices))


def to_query_params(flt: StudyFilter) -> dict[str, str]:
    """The query parameters that reproduce ``flt``; defaults are left out to keep links short."""
    params: dict[str, str] = {}
    if flt.teams:
        params[PARAM_TEAMS] = ",".join(str(t) for t in flt.teams)
    if flt.setting:
        params[PARAM_SETTING] = flt.setting
    if flt.start:
        params[PARAM_FROM] = flt.start.isoformat()
    if flt.end:
        params[PARAM_TO] = flt.end.isoformat()
    return params
