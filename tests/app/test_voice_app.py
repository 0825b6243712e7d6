"""Voice at the meetings observed live on the pages, in AppTest: the Overview's and the Team
profile's figures with their definitions as help, the QI chart of each new measure, a meeting's
timeline on Presence and absence, and presenter mode's "hidden" (tests/unit/test_voice.py works
the numbers out by hand)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from observation import db, definitions
from observation.ui.voice_widgets import NOT_OBSERVED, ONLY_OBSERVERS
from tests.unit.test_voice import add_contributions, add_observer_only_meeting

App = Callable[..., AppTest]
VOICE = ("Meetings observed live", "Voice share", "Items raised", "Actions owned")


@pytest.fixture
def heard_path(small_path: Path) -> Path:
    """The small study with tests/unit/test_voice.py's contributions."""
    con = db.connect(small_path)
    try:
        add_contributions(con)
    finally:
        con.close()
    return small_path


def voice_metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.proto.delta) for m in at.metric if m.label in VOICE}


def test_the_overview_shows_voice_beside_presence(app: App, heard_path: Path) -> None:
    at = app(heard_path)
    assert not at.exception
    assert voice_metrics(at) == {
        "Meetings observed live": ("4", "of 6 held"),
        "Voice share": ("50%", "mean of the meetings"),  # 121/240
        "Items raised": ("3", "0.8 a meeting observed live"),
        "Actions owned": ("2", "0.5 a meeting observed live"),
    }
    helps = {m.label: m.proto.help for m in at.metric}
    assert helps["Meetings observed live"] == definitions.OBSERVED_LIVE
    assert helps["Voice share"] == definitions.VOICE_SHARE
    assert helps["Items raised"] == definitions.ITEMS_RAISED
    assert helps["Actions owned"] == definitions.ACTIONS_OWNED
    assert any(definitions.VOICE_SHARE in m.value for m in at.markdown)  # "How these are measured"


def test_a_study_never_observed_live_says_so_in_one_line(app: App, small_path: Path) -> None:
    at = app(small_path)
    assert not voice_metrics(at)
    assert NOT_OBSERVED in [c.value for c in at.caption]


def test_the_team_profile_shows_the_teams_voice_against_the_others(app: App, heard_path: Path) -> None:
    at = app(heard_path, profile="1").switch_page("pages/team_profile.py").run()
    assert not at.exception
    assert voice_metrics(at)["Voice share"][0] == "45%"
    assert voice_metrics(at)["Meetings observed live"] == ("3", "of 3 held")
    assert voice_metrics(at)["Items raised"][0] == "1"
    captions = [c.value for c in at.caption]
    assert (
        "The other teams in the filter: 1 meeting observed live; voice share 67%, 2 items raised and 0 actions owned "
        "by service users and carers." in captions
    )
    summary = " ".join(m.value for m in at.markdown)
    assert "Service users and carers had a mean voice share of 45% over its 3 meetings observed live" in summary


@pytest.mark.parametrize(
    ("measure", "charts"),
    [("voice", ["p-chart", "XmR chart", "Run chart"]), ("items_raised", ["Run chart", "XmR chart"])],
)
def test_the_qi_chart_offers_the_new_measures_and_only_the_charts_that_fit(
    app: App, heard_path: Path, measure: str, charts: list[str]
) -> None:
    at = app(heard_path, measure=measure)
    assert not at.exception
    assert not at.warning  # the link's measure is taken as it is
    chosen = at.segmented_control(key="overview_qi_measure")
    assert {"Voice share", "Items raised", "Actions owned"} <= set(chosen.options)  # offered by their names
    assert chosen.value == measure
    assert at.segmented_control(key="overview_qi_chart").options == charts
    sentences = " ".join(m.value.replace("\\", "") for m in at.markdown)  # Markdown's escapes dropped
    assert "Alpha: only 3 meetings observed live — too few" in sentences  # the existing rule for too few points


def test_the_qi_chart_of_a_study_never_observed_live_says_why_there_is_none(app: App, small_path: Path) -> None:
    at = app(small_path, measure="actions_owned")
    assert not at.exception
    assert any("No held meeting of these teams and dates was observed live" in i.value for i in at.info)


def test_a_meetings_drill_down_shows_who_contributed_when(app: App, heard_path: Path) -> None:
    at = app(heard_path, meeting="1").switch_page("pages/presence.py").run()
    assert not at.exception
    (table,) = [d.value for d in at.dataframe if "contribution" in d.value]
    assert list(table["minute"]) == [2, 3, 5, 5, 7, 7]
    assert list(table["code"]) == ["A-SU1", "A-ST1", "A-SU1", "A-OB1", "A-ST2", "A-SU1"]
    assert list(table["lived_experience"]) == ["yes", "", "yes", "", "", "yes"]
    assert "Raised an agenda item" in set(table["contribution"])
    at.selectbox(key="presence_meeting").set_value(5).run()  # held, nothing recorded live
    assert "Not observed live: no contribution was recorded at this meeting." in [c.value for c in at.caption]


def test_a_meeting_with_only_an_observers_contributions_shows_them_and_says_it_is_not_counted(
    app: App, heard_path: Path
) -> None:
    con = db.connect(heard_path)
    try:
        add_observer_only_meeting(con)
    finally:
        con.close()
    at = app(heard_path, meeting="5").switch_page("pages/presence.py").run()
    assert not at.exception
    (table,) = [d.value for d in at.dataframe if "contribution" in d.value]
    assert list(table["code"]) == ["B-OB1"]
    assert ONLY_OBSERVERS in [c.value for c in at.caption]
    at.selectbox(key="presence_meeting").set_value(6).run()  # B-SU1's contributions: observed live
    assert ONLY_OBSERVERS not in [c.value for c in at.caption]


def test_presenter_mode_shows_voice_with_small_counts_hidden(app: App, heard_path: Path) -> None:
    at = app(heard_path, mode="present")
    assert not at.exception
    shown = voice_metrics(at)
    assert shown["Meetings observed live"][0] == "4"  # shown as it is
    # the note names what else is hidden, rather than read "hidden" twice
    assert shown["Items raised"] == ("hidden", "a meeting observed live: hidden")  # 3, under 5
    assert shown["Actions owned"] == ("hidden", "a meeting observed live: hidden")
    assert shown["Voice share"][0] == "hidden"  # over 4 meetings observed live
    # and what "hidden" means, a figure hidden to keep another small count from being worked out too
    assert any(c.value.startswith("“hidden”: a count from 1 to 4, or a figure that") for c in at.caption)
    outside = app(heard_path)
    assert not any(c.value.startswith("“hidden”") for c in outside.caption)
    at.switch_page("pages/team_profile.py").run()
    assert not at.exception
    assert voice_metrics(at)["Items raised"][0] == "hidden"
    assert "A-SU1" not in " ".join(str(e.value) for e in (*at.markdown, *at.caption))
