"""Experience and impact in AppTest, on the small study with answers recorded (tests/small_study.py):
the Team profile's measures as observation.feedback computes them, a change logged from its form,
presenter mode's figures hidden where they rest on a small count, and the questionnaire reworded in
Study setup."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from observation import access, db, feedback, labels
from observation.ui.state import plain

App = Callable[..., AppTest]
SU1, CA1 = 3, 4


@pytest.fixture
def answered(small_path: Path) -> Path:
    """m1 A-SU1 answers 4 and 2 (score 3); m2 A-SU1 answers 5 (score 5); m2 A-CA1 does not answer."""
    con = db.connect(small_path)
    try:
        with access.acting_as(access.local_researcher()):
            feedback.record_answers(con, 1, SU1, {"listened": 4, "understood": 2}, "review")
            feedback.record_answers(con, 2, SU1, {"listened": 5}, "paper")
            feedback.record_impact(con, 1, dt.date(2020, 1, 24), "meeting_changed", "Met at A-SU1's home", "both", 2)
    finally:
        con.close()
    return small_path


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_team_profile_shows_the_teams_experience_and_impact(app: App, answered: Path) -> None:
    at = app(answered, profile="1").switch_page("pages/team_profile.py").run()
    assert not at.exception
    shown = metrics(at)
    assert shown["Experience score"] == "4.0 of 5"  # (3 + 5) / 2, each person's meeting weighing one
    assert shown["Response rate"] == "67%"  # 2 of the 3 times a service user or carer came
    assert shown["From lived experience"] == "100%"
    log = next(t.value for t in at.table if "What changed" in t.value.columns)
    assert log["What changed"].tolist() == [plain("Met at A-SU1's home")]  # Markdown cells: the text escaped
    assert log.drop(columns="What changed").iloc[0].tolist() == [
        "24 Jan 2020",
        "How meetings run changed",
        "Both",
        "24 Jan 2020",
    ]


def test_a_change_is_logged_from_the_team_profile(app: App, answered: Path) -> None:
    at = app(answered, profile="1").switch_page("pages/team_profile.py").run()
    at.date_input(key="impact_date_0").set_value(dt.date(2020, 2, 25))
    at.selectbox(key="impact_kind_0").select_index(list(labels.IMPACT_KINDS).index("measure_changed"))
    at.text_area(key="impact_what_0").set_value("Waiting times counted from the first call")
    at.button(key="FormSubmitter:impact_new_0-Log the change").click().run()
    # whom the idea came from is chosen, never assumed; what was typed stays for the second try
    assert any("Choose whom the idea came from" in e.value.replace("\\", "") for e in at.error)
    assert at.text_area(key="impact_what_0").value == "Waiting times counted from the first call"
    at.selectbox(key="impact_origin_0").select_index(list(labels.IMPACT_ORIGINS).index("staff"))
    at.button(key="FormSubmitter:impact_new_0-Log the change").click().run()
    assert not at.exception
    assert any("Change logged: a measure changed, 25 Feb 2020." in s.value.replace("\\", "") for s in at.success)
    assert metrics(at)["From lived experience"] == "50%"
    assert at.text_area(key="impact_what_1").value == ""  # a new, empty form after a save
    at.date_input(key="impact_date_1").set_value(dt.date.today() + dt.timedelta(days=30))
    at.selectbox(key="impact_origin_1").select_index(0)
    at.text_area(key="impact_what_1").set_value("Next month's plan")
    at.button(key="FormSubmitter:impact_new_1-Log the change").click().run()
    assert any("is in the future" in e.value.replace("\\", "") for e in at.error)


def test_presenter_mode_hides_what_rests_on_a_small_count(app: App, answered: Path) -> None:
    at = app(answered, profile="1", mode="present").switch_page("pages/team_profile.py").run()
    assert not at.exception
    shown = metrics(at)
    assert shown["Experience score"] == "hidden"  # 2 responses, under 5
    assert shown["Response rate"] == "hidden"
    assert shown["From lived experience"] == "hidden"
    assert not any("What changed" in t.value.columns for t in at.table)  # no change's words


def test_an_item_is_reworded_in_study_setup(app: App, answered: Path) -> None:
    at = app(answered).switch_page("pages/study_setup.py").run()
    box = next(t for t in at.text_input if t.value == "I felt listened to")
    box.set_value("I felt heard")
    at.button(key="FormSubmitter:questionnaire_listened-Reword").click().run()
    assert not at.exception
    assert any("Item reworded (version 2): I felt heard" in s.value.replace("\\", "") for s in at.success)
    con = db.connect(answered)
    try:
        assert feedback.items(con)[0].wording == "I felt heard"
    finally:
        con.close()


def test_an_item_removed_by_mistake_is_asked_again_as_the_page_says(app: App, answered: Path) -> None:
    def asked() -> list[tuple[str, int]]:
        con = db.connect(answered)
        try:
            return [(i.key, i.version) for i in feedback.items(con)]
        finally:
            con.close()

    before = asked()
    at = app(answered).switch_page("pages/study_setup.py").run()
    at.button(key="FormSubmitter:questionnaire_listened-Remove").click().run()
    assert not at.exception
    assert ("listened", 1) not in asked()
    (said,) = [s.value.replace("\\", "") for s in at.success if "No longer asked" in s.value.replace("\\", "")]
    assert said.endswith("To ask it again, add it in the same words.")
    next(t for t in at.text_input if t.label == "A new item").set_value("I felt listened to")
    at.button(key="FormSubmitter:questionnaire_new-Add the item").click().run()
    assert not at.exception
    assert sorted(asked()) == sorted(before)  # the same item, its answers with it, not a new one
    assert any(s.value.replace("\\", "").startswith("Asked again: I felt listened to") for s in at.success)
    assert next(t for t in at.text_input if t.label == "A new item").value == ""  # an empty box for the next


def test_the_overviews_qi_chart_names_a_team_it_has_no_panel_for(app: App, answered: Path) -> None:
    # Only Alpha's service users answered and only Alpha logged a change: Beta, with its meetings,
    # has no month to chart, and the page says so rather than leave it out without a word.
    for measure, why in (
        ("experience", "nobody answered the experience questionnaire on the scale in these dates"),
        ("impact", "no change was logged in these dates"),
    ):
        at = app(answered, measure=measure).switch_page("pages/overview.py").run()
        assert not at.exception
        assert f"No panel for Beta: {why}." in [c.value for c in at.caption], measure
    at = app(answered, measure="presence").switch_page("pages/overview.py").run()
    assert not any(c.value.startswith("No panel for") for c in at.caption)  # every team has a panel
