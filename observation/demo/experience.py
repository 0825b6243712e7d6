"""The demo's experience feedback and impact log (observation/feedback.py), drawn once the rest of
the study is: from its meetings and attendance, with seeded streams of their own, so that they
never change who came or what the notes say. Vectorised: a national study has a million rows of
attendance.

Feedback begins half-way through the study (the months before are its "before"): a service user
or carer present at a held meeting answers about it or not (a response rate of its team's, 40 to
60%, rising by 20 points to the end of the study); one who answers gives every item an answer, 1
to 5, now and then "prefer not to say". The answers follow how they took part, as the notes tell
it: higher when they contributed or co-led than when they observed, and "I could influence what
was decided" lower than "I felt listened to". One item is reworded part-way (content.REWORDED_ITEM).

The impact log: up to two changes a quarter per team, more in a team where people with lived
experience come more often, each dated on or after the held meeting of the team where it arose;
a change whose idea came from people with lived experience arose at a meeting with one of them
present, or at none.
"""

from __future__ import annotations

import random
from typing import Final

import numpy as np
import pandas as pd

from observation.demo.content import IMPACT_FROM_LIVED_EXPERIENCE, IMPACT_FROM_STAFF, REWORDED_ITEM
from observation.demo.spec import DemoSpec
from observation.feedback import DEFAULT_ITEMS, KINDS
from observation.models import FeedbackVia, ImpactKind, ParticipationLevel, RoleCategory

LIVED_ROLES: Final[tuple[RoleCategory, ...]] = ("service_user", "carer")
"""The demo's roles with lived experience (role_categories.lived_experience)."""
VIA: Final[tuple[FeedbackVia, ...]] = ("review", "phone", "paper")
VIA_SHARE: Final = (0.75, 0.2, 0.05)
RESPONSE_RATE: Final = (0.4, 0.6)
"""A team's response rate when feedback begins, drawn in this range; it rises by RATE_RISE to the end."""
RATE_RISE: Final = 0.2
LEVEL_SCORE: Final[dict[ParticipationLevel, float]] = {"observing": 2.7, "contributing": 3.9, "co_leading": 4.4}
"""The mean answer of someone who took part at a level, before the item's shift."""
ITEM_SHIFT: Final[dict[str, float]] = {"listened": 0.3, "understood": 0.1, "influence": -0.6, "come_again": 0.2}
PREFER_NOT_TO_SAY: Final = 0.05
KIND_SHARE: Final[dict[ImpactKind, float]] = {
    "change_idea": 0.3,
    "measure_changed": 0.2,
    "meeting_changed": 0.25,
    "document_rewritten": 0.15,
    "other": 0.1,
}
CHANGES_A_QUARTER: Final = (0.5, 1.5)
"""A team's mean changes a quarter: the first, plus the second times the share of its held
meetings with someone with lived experience present (at most two in any quarter)."""
AWAY: Final = 0.15
"""The share of changes that arose outside any meeting."""


def _rng(spec: DemoSpec, stream: str) -> np.random.Generator:
    return np.random.default_rng(random.Random(f"{spec.seed}-{stream}").getrandbits(128))


def _month_index(spec: DemoSpec, days: pd.Series) -> np.ndarray:
    """Each day's month of the study, 0 for the first."""
    index: np.ndarray = ((days.dt.year - spec.start.year) * 12 + days.dt.month - spec.start.month).to_numpy()
    return index


def _month_start(spec: DemoSpec, index: int) -> pd.Timestamp:
    year, month = divmod(spec.start.month - 1 + index, 12)
    return pd.Timestamp(spec.start.year + year, month + 1, 1)


def feedback_begins(spec: DemoSpec) -> int:
    """The month of the study (0 for the first) from which people are asked about meetings."""
    return spec.months // 2


def reworded_from(spec: DemoSpec) -> int:
    """The month from which REWORDED_ITEM is asked in its new words."""
    begins = feedback_begins(spec)
    return begins + (spec.months - begins) // 2


def experience_and_impact(spec: DemoSpec, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """feedback_items, feedback_responses and impact_entries, from the study's other ``tables``."""
    held = tables["meetings"].loc[
        tables["meetings"]["status"] == "held", ["id", "team_id", "meeting_date", "duration_minutes"]
    ]
    held = held.assign(meeting_date=pd.to_datetime(held["meeting_date"]))
    people = tables["participants"]
    lived = people.loc[people["role"].isin(LIVED_ROLES), ["id", "role"]].rename(columns={"id": "participant_id"})
    attendance = tables["attendance"]
    present = attendance.loc[attendance["status"] == "present", ["meeting_id", "participant_id", "participation"]]
    present = present.merge(lived, on="participant_id").merge(held, left_on="meeting_id", right_on="id")
    items = feedback_items()
    return {
        "feedback_items": items,
        "feedback_responses": feedback_responses(spec, present, items),
        "impact_entries": impact_entries(spec, held, present),
    }


def feedback_items() -> pd.DataFrame:
    """DEFAULT_ITEMS, ids 1 to 4, and REWORDED_ITEM's second version, id 5, the first retired."""
    key, wording = REWORDED_ITEM
    rows = [(n, k, 1, w, n, k != key) for n, (k, w) in enumerate(DEFAULT_ITEMS, start=1)]
    order = next(n for n, k, *_ in rows if k == key)
    rows.append((len(rows) + 1, key, 2, wording, order, True))
    return pd.DataFrame(rows, columns=["id", "item_key", "version", "wording", "sort_order", "active"])


def feedback_responses(spec: DemoSpec, present: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """The answers of the service users and carers ``present`` at held meetings who answered about them."""
    rng = _rng(spec, "feedback")
    base = rng.uniform(*RESPONSE_RATE, size=spec.teams)  # by team id - 1
    begins = _month_start(spec, feedback_begins(spec))
    asked = present[present["meeting_date"] >= begins].sort_values(["meeting_id", "participant_id"])
    span = max((pd.Timestamp(spec.end) - begins).days, 1)
    progress = (asked["meeting_date"] - begins).dt.days.to_numpy() / span
    rate = base[asked["team_id"].to_numpy() - 1] + RATE_RISE * progress
    who = asked[rng.random(len(asked)) < rate]
    n = len(who)
    via = np.array(VIA)[rng.choice(len(VIA), size=n, p=VIA_SHARE)]
    after = rng.integers(5, 101, size=n) * 60 + rng.integers(0, 60, size=n)  # seconds after the meeting ends
    recorded_at = (
        who["meeting_date"]
        + pd.Timedelta(hours=10)
        + pd.to_timedelta(who["duration_minutes"].to_numpy() * 60 + after, unit="s")
    )
    mean = who["participation"].map(LEVEL_SCORE).to_numpy() + rng.normal(0, 0.4, size=n)
    keys = [k for k, _ in DEFAULT_ITEMS]
    shift = np.array([ITEM_SHIFT[k] for k in keys])
    scores = np.rint(mean[:, None] + shift[None, :] + rng.normal(0, 0.6, size=(n, len(keys))))
    answers = pd.array(np.clip(scores, 1, 5).astype(np.int64).ravel(), dtype="Int64")
    answers[rng.random(answers.size) < PREFER_NOT_TO_SAY] = pd.NA
    first = items[items["version"] == 1].set_index("item_key")["id"]
    item_ids = np.tile(first.loc[keys].to_numpy(), (n, 1))
    key, _ = REWORDED_ITEM
    later = (who["meeting_date"] >= _month_start(spec, reworded_from(spec))).to_numpy()
    second = int(items.loc[(items["item_key"] == key) & (items["version"] == 2), "id"].iloc[0])
    item_ids[later, keys.index(key)] = second
    rows = len(keys) * n
    return pd.DataFrame(
        {
            "id": np.arange(1, rows + 1),
            "meeting_id": np.repeat(who["meeting_id"].to_numpy(), len(keys)),
            "participant_id": np.repeat(who["participant_id"].to_numpy(), len(keys)),
            "item_id": item_ids.ravel(),
            "answer": answers,
            "via": np.repeat(via, len(keys)),
            "recorded_at": np.repeat(recorded_at.to_numpy(), len(keys)),
        }
    )


def impact_entries(spec: DemoSpec, held: pd.DataFrame, present: pd.DataFrame) -> pd.DataFrame:
    """Each team's changes, quarter by quarter, from its ``held`` meetings and who was ``present``."""
    rng = _rng(spec, "impact")
    meetings = held.sort_values(["team_id", "meeting_date"]).reset_index(drop=True)
    su, carer = (
        meetings["id"].isin(present.loc[present["role"] == role, "meeting_id"]).to_numpy() for role in LIVED_ROLES
    )
    lived = su | carer
    quarter = _month_index(spec, meetings["meeting_date"]) // 3
    share = pd.Series(lived).groupby(meetings["team_id"]).mean()
    groups = pd.DataFrame({"team_id": meetings["team_id"], "quarter": quarter}).groupby(
        ["team_id", "quarter"], sort=True
    )
    sizes = groups.size()
    starts = np.concatenate(([0], np.cumsum(sizes.to_numpy())[:-1]))
    mean = CHANGES_A_QUARTER[0] + CHANGES_A_QUARTER[1] * share.loc[sizes.index.get_level_values("team_id")]
    count = np.minimum(rng.poisson(mean.to_numpy()), 2)
    group = np.repeat(np.arange(len(sizes)), count)
    pick = starts[group] + (rng.random(len(group)) * sizes.to_numpy()[group]).astype(np.int64)
    m = len(pick)
    there = lived[pick]
    roll = rng.random(m)
    origin = np.where(
        there,
        np.select([roll < 0.45, roll < 0.8], ["lived_experience", "both"], "staff"),
        np.select([roll < 0.1, roll < 0.2], ["lived_experience", "both"], "staff"),
    )
    kind = np.array(KINDS)[rng.choice(len(KINDS), size=m, p=[KIND_SHARE[k] for k in KINDS])]
    # Away from any meeting: now and then, and always when its idea came from people with lived
    # experience who were not at the meeting.
    away = (rng.random(m) < AWAY) | ((origin != "staff") & ~there)
    chosen = meetings.iloc[pick]
    meeting_id = pd.array(chosen["id"].to_numpy(), dtype="Int64")
    meeting_id[away] = pd.NA
    later = pd.to_timedelta(rng.integers(0, 15, size=m), unit="D")
    entry_date = np.minimum(chosen["meeting_date"].to_numpy() + later.to_numpy(), np.datetime64(spec.end))
    named = np.select(
        [away, su[pick] & carer[pick], su[pick]],
        ["service users", "a service user and a carer", "a service user"],
        "a carer",
    )
    wording = rng.random(m)
    description = []
    for o, k, w, who in zip(origin, kind, wording, named, strict=True):
        texts = (IMPACT_FROM_STAFF if o == "staff" else IMPACT_FROM_LIVED_EXPERIENCE)[k]
        description.append(texts[int(w * len(texts))].format(who=who))
    entries = pd.DataFrame(
        {
            "team_id": chosen["team_id"].to_numpy(),
            "entry_date": pd.to_datetime(entry_date),
            "meeting_id": meeting_id,
            "kind": kind,
            "description": description,
            "origin": origin,
        }
    ).sort_values(["team_id", "entry_date"], kind="stable", ignore_index=True)
    entries["entry_date"] = entries["entry_date"].dt.date
    entries.insert(0, "id", np.arange(1, len(entries) + 1))
    return entries
