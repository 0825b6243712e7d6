"""Everything presenter mode puts on screen — the Overview's headline, its table and the data of its
quarterly chart, and every team's profile — read back as text and handed to a reader with a solver
(tests/disclosure_check.py): no count from 1 to threshold - 1 can be worked out from it all."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from observation import db
from tests.disclosure_check import Seen, chart_text, pinned, truth

App = Callable[..., AppTest]
METRICS = {"Lived-experience presence": "presence", "Mean representation": "representation",
           "Meaningful involvement": "meaningful"}  # fmt: skip
COLUMNS = {"presence_share": "presence", "service_user_share": "service_users", "carer_share": "carers",
           "meaningful_share": "meaningful", "mean_representation": "representation"}  # fmt: skip
TRACES = {"presence_share": "presence", "meaningful_share": "meaningful"}


def headline(at: AppTest, cell: tuple[Any, ...]) -> Iterator[Seen]:
    """The row of metrics: presence (with service users and carers beneath), representation and
    meaningful involvement."""
    for metric in at.metric:
        if metric.label in METRICS:
            yield Seen(cell, METRICS[metric.label], metric.value)
        if metric.label == "Lived-experience presence":
            found = re.fullmatch(r"service users (\S+) · carers (\S+)", metric.proto.delta)
            assert found, metric.proto.delta
            yield Seen(cell, "service_users", found.group(1))
            yield Seen(cell, "carers", found.group(2))


def numbers(data: Any) -> np.ndarray:
    """A chart's array as plotly sends it: a list, or typed bytes."""
    if isinstance(data, dict):
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=np.dtype(data["dtype"])).astype(float)
    return np.array(data, dtype=float)


def trend(at: AppTest, team_of_panel: Callable[[int], int]) -> Iterator[Seen]:
    """Every point of the quarterly chart, with every digit its data carries."""
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        for trace in spec["data"]:
            if trace.get("legendgroup") not in TRACES:
                continue
            axis = trace.get("xaxis", "x")
            team = team_of_panel(int(axis[1:] or 1) - 1)
            for x, y in zip(trace["x"], numbers(trace["y"]), strict=True):
                quarter = pd.Timestamp(x).to_period("Q").start_time
                yield Seen(("quarter", team, quarter), TRACES[trace["legendgroup"]], chart_text(y))


def overview_seen(at: AppTest, letters: dict[str, int]) -> list[Seen]:
    seen = list(headline(at, ("all",)))
    table = at.dataframe[0].value
    for _, row in table.iterrows():
        seen += [Seen(("team", letters[row["team_name"]]), m, str(row[c])) for c, m in COLUMNS.items()]
    ordered = sorted(letters.values())
    return seen + list(trend(at, lambda panel: ordered[panel]))


def profile_seen(at: AppTest, team_id: int) -> list[Seen]:
    seen = list(headline(at, ("team", team_id)))
    (caption,) = [c.value for c in at.caption if c.value.startswith("All teams:")]
    found = re.fullmatch(r"All teams: presence (\S+), meaningful involvement (\S+)\.", caption)
    assert found, caption
    seen += [Seen(("all",), "presence", found.group(1)), Seen(("all",), "meaningful", found.group(2))]
    return seen + list(trend(at, lambda _: team_id))


def study_truth(path: Path) -> tuple[dict[str, int], pd.DataFrame]:
    """The study's teams by the letters presenter mode gives them (by id), and its meeting kinds
    from the raw tables."""
    con = db.connect(path)
    try:
        ids = [i for (i,) in con.execute("select id from teams order by id").fetchall()]
        atoms = truth(con)
    finally:
        con.close()
    return {f"Team {chr(65 + i)}": team_id for i, team_id in enumerate(ids)}, atoms


@pytest.mark.parametrize("threshold", ["5", "8"])
def test_nothing_presenter_mode_shows_lets_a_small_count_be_worked_out(
    app: App, demo_path: Path, threshold: str
) -> None:
    at = app(demo_path, mode="present", threshold=threshold)
    assert not at.exception
    letters, atoms = study_truth(demo_path)
    seen = overview_seen(at, letters)
    assert any(s.cell[0] == "quarter" for s in seen)  # the chart was read
    at.switch_page("pages/team_profile.py").run()
    for name, team_id in letters.items():
        at.selectbox(key="profile_team").select(team_id).run()
        assert not at.exception
        assert any(s.cell == ("team", team_id) for s in profile_seen(at, team_id)), name
        seen += profile_seen(at, team_id)
    assert pinned(atoms, seen, int(threshold)) == []
