"""The sidebar's dates typed in From and To, and the Team profile's link, in AppTest (the browser
tests in tests/browser/test_navigation_browser.py check Enter, Back and the navigation itself)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from observation import filters

App = Callable[..., AppTest]


def dates(at: AppTest) -> list[str]:
    return [at.text_input(key=key).value for key in ("flt_from", "flt_to")]


def notices(at: AppTest) -> str:
    return " | ".join(w.value.replace("\\", "") for w in at.warning)


def test_typed_dates_apply_and_go_into_the_link(app: App, small_path: Path) -> None:
    at = app(small_path)
    assert dates(at) == ["10/01/2020", "11/03/2020"]  # the study's first and last meetings
    at.text_input(key="flt_from").set_value("1/2/20").run()
    assert not at.exception
    assert dates(at) == ["01/02/2020", "11/03/2020"]  # read as day/month/year, and shown in full
    assert at.session_state["flt_dates"] == (dt.date(2020, 2, 1), dt.date(2020, 3, 11))
    assert at.query_params == {"from": "2020-02-01"}
    at.text_input(key="flt_to").set_value("2020-02-29").run()  # the link's own form is read too
    assert dates(at) == ["01/02/2020", "29/02/2020"]
    assert at.query_params == {"from": "2020-02-01", "to": "2020-02-29"}
    assert notices(at) == ""


def test_a_date_that_cannot_be_read_changes_nothing_and_says_why(app: App, small_path: Path) -> None:
    at = app(small_path)
    at.text_input(key="flt_to").set_value("31/02/2020").run()
    assert dates(at) == ["10/01/2020", "11/03/2020"]
    assert "Could not read '31/02/2020' as a date: type it as day/month/year" in notices(at)
    assert not set(at.query_params) & set(filters.FILTER_PARAMS)


def test_spaces_pasted_around_a_date_are_ignored(app: App, small_path: Path) -> None:
    at = app(small_path)
    at.text_input(key="flt_from").input(" 15/02/2020").run()  # input() refuses what max_chars would cut
    assert dates(at) == ["15/02/2020", "11/03/2020"]
    at.text_input(key="flt_to").input("01/03/2020 ").run()
    assert dates(at) == ["15/02/2020", "01/03/2020"]
    at.text_input(key="flt_to").input("  31/02/2020  ").run()
    assert dates(at) == ["15/02/2020", "01/03/2020"]
    assert "Could not read '31/02/2020' as a date" in notices(at)  # what was typed, whole, without its spaces


def test_a_date_outside_the_study_is_narrowed_with_a_notice(app: App, small_path: Path) -> None:
    at = app(small_path)
    at.text_input(key="flt_from").set_value("01/01/2019").run()
    assert dates(at) == ["10/01/2020", "11/03/2020"]
    assert "01/01/2019 is outside this study's meetings (10/01/2020 to 11/03/2020)" in notices(at)


def test_a_from_after_the_to_moves_the_to_to_the_last_meeting(app: App, small_path: Path) -> None:
    at = app(small_path, to="2020-01-31")
    at.text_input(key="flt_from").set_value("15/02/2020").run()
    assert dates(at) == ["15/02/2020", "11/03/2020"]
    assert "From is after To, so To is now the study's last meeting, 11/03/2020" in notices(at)
    at.text_input(key="flt_to").set_value("01/02/2020").run()
    assert dates(at) == ["10/01/2020", "01/02/2020"]
    assert "To is before From, so From is now the study's first meeting, 10/01/2020" in notices(at)


def test_an_emptied_box_means_the_studys_end(app: App, small_path: Path) -> None:
    at = app(small_path, **{"from": "2020-02-01"})
    at.text_input(key="flt_from").set_value("").run()
    assert dates(at) == ["10/01/2020", "11/03/2020"]
    assert "from" not in at.query_params


def test_a_link_to_the_first_teams_profile_keeps_naming_it(app: App, small_path: Path) -> None:
    at = app(small_path, profile="1").switch_page("pages/team_profile.py").run()
    assert not at.exception
    assert at.selectbox(key="profile_team").value == 1  # Alpha, the first team by name
    assert at.query_params["profile"] == "1"
    # Opened without one, the page shows the first team and does not add it to the address.
    plain = app(small_path).switch_page("pages/team_profile.py").run()
    assert plain.selectbox(key="profile_team").value == 1
    assert "profile" not in plain.query_params
