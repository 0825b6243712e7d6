"""Settings, each declared once with its default and help text.

Every setting can be given as an environment variable; docs/settings.md lists them all
(a test checks that it does).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from observation.errors import ObservationError
from observation.models import ParticipationLevel
from observation.store.location import location, shown

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class SettingSpec:
    env: str
    default: str
    help: str


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "OBSERVATION_DB",
        str(PROJECT_ROOT / "data" / "study.duckdb"),
        "The study the dashboard opens: a DuckDB file's path, or a PostgreSQL connection string "
        "(postgresql://USER@HOST:PORT/DATABASE) for several app servers sharing one study.",
    ),
    SettingSpec(
        "OBSERVATION_MEANINGFUL_LEVEL",
        "contributing",
        "Lowest participation level that counts as meaningful involvement (observing, contributing or co_leading).",
    ),
    SettingSpec(
        "OBSERVATION_INVOLVEMENT_TARGET",
        "0.8",
        "Target share of held meetings with meaningful involvement, between 0 and 1.",
    ),
    SettingSpec(
        "OBSERVATION_DB_KEY",
        "",
        "Key of an encrypted study file (or db_key in .streamlit/secrets.toml); unset: the file is not "
        "encrypted. A new file is created encrypted when a key is set.",
    ),
    SettingSpec(
        "OBSERVATION_SESSION_HOURS",
        "8",
        "With sign-in configured: hours after signing in at the identity provider before the dashboard asks "
        "again, however long the sign-in cookie lasts (up to 720).",
    ),
    SettingSpec(
        "OBSERVATION_PRESENTER_MINIMUM",
        "5",
        "Presenter mode's floor: the lowest 'Hide counts under' threshold anyone may choose in the sidebar or "
        "ask for in a link, a whole number from 2 to 100.",
    ),
    SettingSpec(
        "OBSERVATION_EARLIEST_DATE",
        "1990-01-01",
        "The earliest date an import takes (a meeting, note or step dated before it is refused as a typing "
        "mistake), written 2020-01-31.",
    ),
    SettingSpec(
        "OBSERVATION_DAYS_AHEAD",
        "366",
        "How many days after today an imported date may be (a planned meeting); later dates are refused as "
        "typing mistakes.",
    ),
)


class Settings(BaseModel):
    """The settings in force; each field reads the environment variable named by its alias."""

    model_config = ConfigDict(frozen=True)

    db_path: Annotated[Path | str, BeforeValidator(location)] = Field(alias="OBSERVATION_DB")
    meaningful_level: ParticipationLevel = Field(alias="OBSERVATION_MEANINGFUL_LEVEL")
    involvement_target: float = Field(alias="OBSERVATION_INVOLVEMENT_TARGET", ge=0, le=1)
    session_hours: float = Field(alias="OBSERVATION_SESSION_HOURS", gt=0, le=720)
    presenter_minimum: int = Field(alias="OBSERVATION_PRESENTER_MINIMUM", ge=2, le=100)
    earliest_date: dt.date = Field(alias="OBSERVATION_EARLIEST_DATE", ge=dt.date(1900, 1, 1))
    days_ahead: int = Field(alias="OBSERVATION_DAYS_AHEAD", ge=0, le=3660)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read every setting from the environment, falling back to its default."""
    env = os.environ if environ is None else environ
    return _settings(tuple(env.get(s.env) or s.default for s in SETTINGS))


@functools.lru_cache(maxsize=8)
def _settings(given: tuple[str, ...]) -> Settings:
    """The settings these values give, checked once (each page run reads them several times)."""
    values = {s.env: value for s, value in zip(SETTINGS, given, strict=True)}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0])
        raise ObservationError(f"setting {name}={shown(values[name])!r}: {shown(first['msg'])}") from None
