"""Meeting series and their subgroups, built by hand for the QI tests.

``subgroups`` groups a series in pandas, the other way from observation.queries.qi_subgroups (which
groups in DuckDB): tests/unit/test_queries.py checks that the two agree.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

START = dt.date(2020, 1, 6)


def series(
    team_presence: dict[str, list[int]], every: int = 14, start: dt.date = START, present_total: int = 5
) -> pd.DataFrame:
    """One held meeting every ``every`` days per team, with lived-experience presence (and
    meaningful involvement, and two of ``present_total`` people with lived experience) where the
    list says 1."""
    rows = []
    for team_id, (name, presence) in enumerate(team_presence.items(), start=1):
        for i, present in enumerate(presence):
            rows.append(
                {
                    "team_id": team_id,
                    "team_name": name,
                    "meeting_date": pd.Timestamp(start + dt.timedelta(days=every * i)),
                    "present_total": present_total,
                    "present_lived_experience": 2 * present,
                    "lived_experience_present": present,
                    "meaningful": present,
                }
            )
    return pd.DataFrame(rows)


def subgroups(frame: pd.DataFrame, by: str = "month", block: int = 4) -> pd.DataFrame:
    """The columns of observation.queries.qi_subgroups, computed in pandas."""
    out = []
    for team_id, rows in frame.sort_values(["team_id", "meeting_date"]).groupby("team_id", sort=False):
        rows = rows.reset_index(drop=True)
        rows["nth"] = rows.index + 1
        if by == "block":
            keys = (rows["nth"] - 1) // block
        else:
            keys = rows["meeting_date"].dt.to_period("M" if by == "month" else "Q").dt.start_time
        for key, part in rows.groupby(keys, sort=True):
            out.append(
                {
                    "team_id": team_id,
                    "team_name": part["team_name"].iloc[0],
                    "subgroup_start": part["meeting_date"].min() if by == "block" else key,
                    "first_day": part["meeting_date"].min(),
                    "last_day": part["meeting_date"].max(),
                    "first_nth": int(part["nth"].min()),
                    "last_nth": int(part["nth"].max()),
                    "meetings": len(part),
                    "presence": int(part["lived_experience_present"].sum()),
                    "meaningful": int(part["meaningful"].sum()),
                }
            )
    result = pd.DataFrame(out)
    return result.sort_values(["team_name", "team_id", "subgroup_start"]).reset_index(drop=True) if out else result


NO_EVENTS = pd.DataFrame({"team_id": [], "event_date": [], "label": [], "category": []})
