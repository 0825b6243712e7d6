"""The Team profile in AppTest, for every demo team: its story in plain sentences, the same numbers
as the Overview, its funnel and the notes behind its most frequent recruitment tension."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from observation import db

App = Callable[..., AppTest]


def shown(elements: object) -> list[str]:
    return [e.value.replace("\\", "") for e in elements]  # type: ignore[attr-defined]


def team_names(path: Path) -> dict[int, str]:
    con = db.connect(path)
    try:
        return dict(con.execute("select id, name from teams order by id").fetchall())
    finally:
        con.close()


@pytest.mark.parametrize("team", [1, 2, 3])
def test_each_demo_team_has_a_profile_that_tells_its_story(app: App, demo_path: Path, team: int) -> None:
    at = app(demo_path, profile=str(team)).switch_page("pages/team_profile.py").run()
    assert not at.exception
    assert at.selectbox(key="profile_team").value == team
    name = team_names(demo_path)[team]
    in_short, *_, under_the_chart = [m for m in shown(at.markdown) if m.startswith("- ")]
    assert f"of {name}'s" in in_short  # presence, in a sentence, against the other teams
    assert "across the other teams" in in_short
    # The summary leads with the QI chart's reading, in the very words under the chart.
    assert in_short.splitlines()[0] == under_the_chart.splitlines()[0]
    assert under_the_chart.startswith(f"- {name}: ")
    assert any("The other teams in the filter:" in c for c in shown(at.caption))
    assert {m.label for m in at.metric} >= {"Meetings held", "Lived-experience presence"}
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert len(charts) >= 3  # the QI chart, the funnel, who kept coming
    assert "notes" in " ".join(shown(at.markdown))  # the tensions, each with its notes


def test_the_profile_agrees_with_the_overview(app: App, demo_path: Path) -> None:
    overview = app(demo_path, team="3")
    profile = app(demo_path, team="3", profile="3").switch_page("pages/team_profile.py").run()
    assert {m.label: m.value for m in profile.metric} == {m.label: m.value for m in overview.metric}


def test_a_link_to_a_team_outside_the_filter_falls_back(app: App, demo_path: Path) -> None:
    at = app(demo_path, team="1", profile="3").switch_page("pages/team_profile.py").run()
    assert not at.exception
    assert at.selectbox(key="profile_team").value == 1


def test_the_sidebar_filter_stays_from_page_to_page(app: App, small_path: Path) -> None:
    at = app(small_path, setting="inpatient")
    for page in ("pages/presence.py", "pages/team_profile.py", "pages/overview.py"):
        at.switch_page(page).run()
        assert not at.exception
        assert at.selectbox(key="flt_setting").value == "inpatient", page
        assert at.query_params["setting"] == "inpatient", page


def test_how_the_meetings_ran_reads_by_month_for_one_team_and_the_quotes_say_how_many(
    app: App, demo_path: Path
) -> None:
    at = app(demo_path, profile="1").switch_page("pages/team_profile.py").run()
    assert not at.exception
    (ran,) = [d for d in at.dataframe if "roles_filled" in d.value.columns]
    config = json.loads(ran.proto.columns)
    assert config["period"]["label"] == "Month"
    assert config["period"]["type_config"]["format"] == "MMM YYYY"  # Jul 2019, not 01/07/2019
    assert "team_name" not in ran.value.columns  # one team's table: its name is not on every row
    captions = shown(at.caption)
    assert not [c for c in captions if "narrow the search" in c]  # the profile has no search
    cut = [c for c in captions if c.startswith("Showing ")]
    assert cut  # the demo's first team has more notes behind a tension than the three quoted
    assert all(re.fullmatch(r"Showing 3 of the \d+ notes and interview transcripts coded with it\.", c) for c in cut)
