"""What a demo study is asked for, and the team profiles that give it the setting's patterns (docs/MEASURES.md)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from observation.models import RoleCategory, Setting

DEMO_START = dt.date(2019, 7, 1)
LIVE_MONTHS = 4
"""The demo's last months are observed live: each held meeting from then on has its contributions
(observation/capture.py), tapped as they happened."""


class DemoSpec(BaseModel):
    """What ``python -m observation demo`` was asked for."""

    model_config = ConfigDict(frozen=True)

    # A seed whose draws tell the setting's story with the default teams (tests/unit/test_demo.py
    # checks it): any seed gives the same kind of study, but a short one can stray by chance.
    seed: int = 1460
    teams: int = Field(default=3, ge=1, le=5000)
    months: int = Field(default=8, ge=1, le=120)
    start: dt.date = DEMO_START

    @property
    def end(self) -> dt.date:
        """The last day of the observation period."""
        year, month = divmod(self.start.month - 1 + self.months, 12)
        return dt.date(self.start.year + year, month + 1, 1) - dt.timedelta(days=1)


@dataclass(frozen=True)
class TeamProfile:
    name: str
    service: str
    setting: Setting
    su_rate: float  # chance a held meeting has a service user, before any change
    su_rate_after: float  # ... and after the team's change (home meetings), if any
    change_month: int | None  # month index when home meetings began
    training_month: int | None  # month index of QI training for service users
    carer_rate: float
    cancel_rate: float
    tension_rate: float  # chance a held meeting's notes discuss recruitment tensions
    su_candidates: int
    su_agree_rate: float


DEFAULT_PROFILES = (
    TeamProfile(
        "Oak community brain-injury team",
        "Community brain-injury service",
        "community",
        su_rate=0.08,
        su_rate_after=0.85,
        change_month=4,
        training_month=6,
        carer_rate=0.05,
        cancel_rate=0.08,
        tension_rate=0.3,
        su_candidates=4,
        su_agree_rate=0.75,
    ),
    TeamProfile(
        "Birch community brain-injury team",
        "Community brain-injury service",
        "community",
        su_rate=0.22,
        su_rate_after=0.22,
        change_month=None,
        training_month=None,
        carer_rate=0.05,
        cancel_rate=0.1,
        tension_rate=0.35,
        su_candidates=3,
        su_agree_rate=0.67,
    ),
    TeamProfile(
        "Willow mental-health inpatient ward",
        "Mental-health inpatient service",
        "inpatient",
        su_rate=0.25,
        su_rate_after=0.25,
        change_month=None,
        training_month=None,
        carer_rate=0.04,
        cancel_rate=0.16,
        tension_rate=0.85,
        su_candidates=5,
        su_agree_rate=0.3,
    ),
)

STAFF_ROLES: dict[Setting, tuple[RoleCategory, ...]] = {
    "community": (
        "therapist",
        "therapist",
        "nurse",
        "psychologist",
        "support_worker",
        "manager",
        "administrator",
        "doctor",
        "therapist",
    ),
    "inpatient": (
        "nurse",
        "nurse",
        "nurse",
        "support_worker",
        "doctor",
        "psychologist",
        "manager",
        "therapist",
        "nurse",
    ),
    "other": ("nurse", "therapist", "psychologist", "manager", "administrator", "support_worker", "doctor"),
}
SERVICES: dict[Setting, str] = {
    "community": "Community brain-injury service",
    "inpatient": "Mental-health inpatient service",
    "other": "Community mental-health service",
}


def team_profile(seed: int, months: int, index: int) -> TeamProfile:
    """The three study teams first; then invented teams with the same range of patterns."""
    if index < len(DEFAULT_PROFILES):
        return DEFAULT_PROFILES[index]
    rng = random.Random(f"{seed}-profile-{index}")
    setting: Setting = rng.choices(("community", "inpatient", "other"), weights=(6, 3, 1))[0]
    low = 0.05 if setting == "inpatient" else 0.2
    change = rng.randrange(2, max(3, months)) if rng.random() < 0.3 else None
    return TeamProfile(
        f"Team {index + 1:04d}",
        SERVICES[setting],
        setting,
        su_rate=rng.uniform(0.0, low * 2),
        su_rate_after=rng.uniform(0.5, 0.9),
        change_month=change,
        training_month=change + 2 if change is not None and rng.random() < 0.5 else None,
        carer_rate=rng.uniform(0.0, 0.2),
        cancel_rate=rng.uniform(0.05, 0.2),
        tension_rate=rng.uniform(0.5, 0.9) if setting == "inpatient" else rng.uniform(0.1, 0.4),
        su_candidates=rng.randint(2, 5),
        su_agree_rate=rng.uniform(0.2, 0.8),
    )
