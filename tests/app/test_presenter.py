"""Presenter mode in AppTest: turned on from the link or the sidebar, it lists only the pages that
apply its rules, shows teams by letter, and shows no small count, participant code, note text or
annotation wording anywhere on the page — in text, tables or chart data."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from observation import db
from tests.app.test_presenter_disclosure import overview_seen, study_truth
from tests.disclosure_check import pinned

App = Callable[..., AppTest]


def everything_shown(at: AppTest) -> str:
    """Every element's content, chart specs and table data included, as one string."""

    def walk(node: Any) -> Iterator[str]:
        proto = getattr(node, "proto", None)
        if proto is not None:
            yield str(proto)
        value = getattr(node, "value", None)
        if callable(getattr(value, "to_csv", None)):  # a table (an unknown element answers None)
            yield value.to_csv()
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    return "\n".join(walk(at._tree))


def secrets(path: Path) -> dict[str, list[str]]:
    con = db.connect(path)
    try:
        return {
            "participant codes": [c for (c,) in con.execute("select code from participants").fetchall()],
            "team names": [n for (n,) in con.execute("select name from teams").fetchall()],
            "note text": [b[:40] for (b,) in con.execute("select body from field_notes").fetchall()],
            "annotation wording": [x for (x,) in con.execute("select label from annotations").fetchall()],
        }
    finally:
        con.close()


@pytest.fixture
def demo_copy(demo_path: Path, tmp_path: Path) -> Path:
    """The demo, with an annotation that names a participant, as a careless researcher might type."""
    path = tmp_path / "demo.duckdb"
    path.write_bytes(demo_path.read_bytes())
    con = db.connect(path)
    code = con.execute("select code from participants where role = 'service_user' limit 1").fetchone()[0]  # type: ignore[index]
    con.execute(
        "insert into annotations (team_id, event_date, label, category) "
        "select team_id, max(meeting_date), ?, 'home_meetings' from meetings group by team_id order by team_id limit 1",
        [f"First meeting at {code}'s home"],
    )
    con.close()
    return path


def test_the_overview_in_presenter_mode_shows_nothing_about_a_person(app: App, demo_copy: Path) -> None:
    at = app(demo_copy, mode="present")
    assert not at.exception
    shown = everything_shown(at)
    assert "Presenter mode · counts under 5 hidden" in shown
    for what, values in secrets(demo_copy).items():
        leaked = [v for v in values if v in shown]
        assert leaked == [], f"{what} shown in presenter mode: {leaked[:3]}"
    assert list(at.dataframe[0].value["team_name"]) == ["Team A", "Team B", "Team C"]
    assert "Meetings at home" in shown  # the annotation is marked by its kind


def test_small_shares_are_hidden_and_the_rest_cannot_be_worked_out(
    app: App, small_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Alpha has 3 meetings with attendance recorded, Beta 2: every team's share rests on fewer than
    # 5; overall, 3 of 5 meetings had someone with lived experience present — a small count.
    at = app(small_path, mode="present")
    assert not at.exception
    assert {m.label: m.value for m in at.metric} == {
        "Meetings held": "6",
        "Lived-experience presence": "hidden",
        # a mean over the 3 meetings (a small count) with anyone with lived experience: hidden
        "Mean representation": "hidden",
        "Meaningful involvement": "hidden",
    }
    table = at.dataframe[0].value
    assert (table["presence_share"] == "hidden").all()
    assert (table["mean_representation"] == "hidden").all()
    # At a threshold of 2 (a study whose floor allows it) only a count of 1 is small: Beta's presence
    # (1 of 2 meetings) is hidden, and so is one more presence figure — Alpha's 2 of 3 (with its
    # quarter's) or the overall 3 of 5 — else the other would give Beta's away by subtraction.
    monkeypatch.setenv("OBSERVATION_PRESENTER_MINIMUM", "2")
    at = app(small_path, mode="present", threshold="2")
    assert not at.warning
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Meaningful involvement"] == "hidden"  # 1 of 5: small
    table = at.dataframe[0].value.set_index("team_name")
    assert table.loc["Team B", "presence_share"] == "hidden"
    assert [metrics["Lived-experience presence"], table.loc["Team A", "presence_share"]].count("hidden") >= 1
    assert table.loc["Team A", "carer_share"] == "hidden"  # 1 of 3
    letters, atoms = study_truth(small_path)
    assert pinned(atoms, overview_seen(at, letters), 2) == []  # and nothing else gives a count of 1 away


def test_pages_outside_presenter_mode_are_not_listed_and_stop_if_reached(
    app: App, small_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(small_path, mode="present")
    # Registered but not listed (app.py), so a link to it says why it stops, not "page not found".
    at.switch_page("pages/record.py").run()
    assert not at.exception
    assert any("not part of presenter mode" in i.value for i in at.info)
    assert not at.button  # no save, no delete: nothing to edit
    # Reached without app.py (a fresh server's first deep link runs the file itself), it stops.
    monkeypatch.setenv("OBSERVATION_DB", str(small_path))
    page = AppTest.from_file(str(Path(__file__).parents[2] / "pages" / "record.py"), default_timeout=60)
    page.query_params["mode"] = "present"
    page.run()
    assert not page.exception
    assert any("not part of presenter mode" in i.value for i in page.info)
    assert not page.button  # no save, no delete: nothing to edit
    assert not page.dataframe


def test_presenter_mode_is_turned_on_in_the_sidebar_and_kept_in_the_link(app: App, small_path: Path) -> None:
    at = app(small_path)
    assert "mode" not in at.query_params
    assert presenter_settings(at) == []  # off: the switch is in the sidebar itself
    at.toggle(key="pm_on").set_value(True).run()
    assert at.query_params["mode"] == "present"
    # On: the switch, the threshold and the letters are in the closed "Presenter settings" popover,
    # off the slide; the room sees the badge.
    assert presenter_settings(at) == ["pm_on", "pm_threshold", "pm_letters"]
    at.number_input(key="pm_threshold").set_value(8).run()
    assert at.query_params["threshold"] == "8"
    assert "Presenter mode · counts under 8 hidden" in everything_shown(at)
    at.toggle(key="pm_on").set_value(False).run()
    assert "mode" not in at.query_params
    assert "threshold" not in at.query_params
    assert list(at.dataframe[0].value["team_name"]) == ["Alpha", "Beta"]


@pytest.mark.parametrize(
    ("params", "notice", "on"),
    [
        ({"mode": "party"}, "Ignored mode='party' in the link", False),
        ({"mode": "present", "threshold": "1"}, "Ignored threshold='1' in the link", True),
        ({"mode": "present", "threshold": "2"}, "Ignored threshold='2' in the link", True),  # under the floor
        ({"mode": "present", "threshold": "abc"}, "Ignored threshold='abc' in the link", True),
        # A presenter setting without presenter mode would change nothing on the screen: it says so.
        ({"labels": "<script>"}, "labels='<script>' in the link applies in presenter mode only", False),
    ],
)
def test_odd_presenter_links_are_ignored_with_a_notice(
    app: App, small_path: Path, params: dict[str, str], notice: str | None, on: bool
) -> None:
    at = app(small_path, **params)
    assert not at.exception
    notices = [w.value.replace("\\", "") for w in at.warning]
    if notice and "presenter mode only" in notice:
        assert len(notices) == 1
        assert notices[0].startswith(notice)
    else:
        assert notices == (
            [notice + (": the only mode is 'present'." if "mode" in notice else ": use a whole number from 5 to 100.")]
            if notice
            else []
        )
    assert at.toggle(key="pm_on").value is on
    assert ("Presenter mode · counts under 5 hidden" in everything_shown(at)) is on


def presenter_settings(at: AppTest) -> list[str]:
    """The keys of the widgets inside the sidebar's "Presenter settings" popover, in order."""

    def keys(node: Any, inside: bool) -> Iterator[str]:
        inside = inside or getattr(node, "type", None) == "popover"
        key = getattr(node, "key", None)
        if inside and isinstance(key, str):
            yield key
        for child in getattr(node, "children", {}).values():
            yield from keys(child, inside)

    return list(keys(at.sidebar, False))


def test_a_researcher_in_presenter_mode_cannot_go_under_the_floor(app: App, small_path: Path) -> None:
    at = app(small_path, mode="present")
    threshold = at.number_input(key="pm_threshold")
    assert threshold.min == 5  # OBSERVATION_PRESENTER_MINIMUM's default, for a researcher too
    threshold.set_value(3).run()  # as if the browser sent a value under the floor
    assert not at.exception
    assert at.number_input(key="pm_threshold").value == 5
    assert "Presenter mode · counts under 5 hidden" in everything_shown(at)
    assert "threshold" not in at.query_params


def test_a_link_under_the_floor_is_refused_with_a_notice(app: App, small_path: Path) -> None:
    at = app(small_path, mode="present", threshold="2")
    assert not at.exception
    assert [w.value.replace("\\", "") for w in at.warning] == [
        "Ignored threshold='2' in the link: use a whole number from 5 to 100."
    ]
    assert at.number_input(key="pm_threshold").value == 5
    assert "Presenter mode · counts under 5 hidden" in everything_shown(at)


def test_a_study_can_raise_the_floor(app: App, small_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATION_PRESENTER_MINIMUM", "8")
    at = app(small_path, mode="present")
    assert at.number_input(key="pm_threshold").min == 8
    assert "Presenter mode · counts under 8 hidden" in everything_shown(at)
    at = app(small_path, mode="present", threshold="6")
    assert [w.value.replace("\\", "") for w in at.warning] == [
        "Ignored threshold='6' in the link: use a whole number from 8 to 100."
    ]


def test_a_slide_deck_is_made_with_progress_and_offered_for_download(app: App, small_path: Path) -> None:
    from observation import figures

    if figures.chromium() is None:
        pytest.skip("no Chromium for kaleido")
    at = app(small_path)
    assert not [b for b in at.get("download_button") if b.proto.label == "Download the deck"]
    at.button(key="deck_make").click().run()
    assert not at.exception
    assert not at.error
    assert [b.proto.label for b in at.get("download_button")].count("Download the deck") == 1
    at.toggle(key="pm_on").set_value(True).run()
    at.number_input(key="pm_threshold").set_value(8).run()  # other rules: that deck is no longer offered
    assert "Download the deck" not in [b.proto.label for b in at.get("download_button")]


@pytest.mark.parametrize("team", [1, 2, 3])
def test_each_team_profile_in_presenter_mode_shows_nothing_about_a_person(app: App, demo_copy: Path, team: int) -> None:
    at = app(demo_copy, mode="present", profile=str(team)).switch_page("pages/team_profile.py").run()
    assert not at.exception
    shown = everything_shown(at)
    for what, values in secrets(demo_copy).items():
        leaked = [v for v in values if v in shown]
        assert leaked == [], f"{what} shown in presenter mode: {leaked[:3]}"
    assert f"Team {'ABC'[team - 1]}" in shown
    assert "Presenter mode leaves out what follows one person" in shown
    assert not at.get("plotly_chart") or all("Each meeting" not in c.proto.spec for c in at.get("plotly_chart"))
    # Small counts of coded notes show as "<5".
    notes_lines = [m.value.replace("\\", "") for m in at.markdown if " notes" in m.value]
    assert notes_lines  # every demo team has recruitment tensions in its notes
    assert all(re.search(r": (<5|[5-9]|\d\d+) notes", line) for text in notes_lines for line in text.splitlines())
