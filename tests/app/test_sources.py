"""Counting field notes, interviews or both, in AppTest, on the small study with its five interviews
(tests/small_study.py): the choice comes from the link (a bad value is ignored with a notice),
reaches the link when changed, is named on every chart, and changes the counts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from observation import notes
from tests.app.conftest import each_tab, matching

App = Callable[..., AppTest]


def on_page(app: App, path: Path, page: str, **params: str) -> AppTest:
    return app(path, **params).switch_page(page).run()


def figures(at: AppTest) -> dict[str, dict[str, Any]]:
    """The page's charts by the first line of their title, in each of its tabs."""
    specs = [json.loads(c.proto.spec) for opened in each_tab(at) for c in opened.get("plotly_chart")]
    return {spec["layout"]["title"]["text"].split("<br>")[0]: spec for spec in specs}


def test_the_notes_page_counts_both_sources_unless_the_link_says_otherwise(app: App, interviewed_path: Path) -> None:
    at = on_page(app, interviewed_path, "pages/notes.py")
    assert at.segmented_control(key="notes_source").value == "both"
    assert "source" not in at.query_params  # the default is left out of the link
    assert matching(at) == "11 notes and transcripts"  # 6 notes, 5 transcripts
    shown = figures(at)
    matrix = shown["Notes and interview transcripts per code and team"]
    assert "source: field notes and interviews" in matrix["layout"]["title"]["text"]
    assert matrix["data"][0]["x"] == ["Alpha", "Beta", notes.NO_TEAM]
    assert sum(map(sum, matrix["data"][0]["z"])) == 13  # 7 note-code pairs, 6 transcript-code pairs
    assert "Interview transcripts per code and informant group" in shown


def test_both_sources_draw_notes_and_transcripts_apart_over_time(app: App, interviewed_path: Path) -> None:
    # in "both" a point counts one source (customdata: code, month, source), so a click reads just those
    at = on_page(app, interviewed_path, "pages/notes.py")
    shown = figures(at)
    over_time = next(spec for title, spec in shown.items() if title.endswith("per month"))
    assert {trace["customdata"][0][2] for trace in over_time["data"]} == {"notes", "interviews"}
    assert "never added" in over_time["layout"]["title"]["text"]
    together = shown["Codes that occur on the same note or interview transcript"]
    assert "a coded transcript carries 1.5 codes on average, a coded note 1.4" in together["layout"]["title"]["text"]
    hints = [c.value for opened in each_tab(at) for c in opened.caption]
    assert "Click a point to read the notes or the interview transcripts it counts." in hints
    at.segmented_control(key="notes_source").set_value("interviews").run()
    over_time = next(spec for title, spec in figures(at).items() if title.endswith("per month"))
    assert {trace["customdata"][0][2] for trace in over_time["data"]} == {"interviews"}


def test_the_source_comes_from_the_link_and_changes_the_counts(app: App, interviewed_path: Path) -> None:
    at = on_page(app, interviewed_path, "pages/notes.py", source="interviews")
    assert at.segmented_control(key="notes_source").value == "interviews"
    assert matching(at) == "5 transcripts"
    matrix = figures(at)["Interview transcripts per code and team"]
    assert sum(map(sum, matrix["data"][0]["z"])) == 6  # i1's three segments of code 2 count once
    assert "source: interviews" in matrix["layout"]["title"]["text"]
    at.segmented_control(key="notes_source").set_value("notes").run()
    assert at.query_params["source"] == "notes"
    assert matching(at) == "6 notes"
    matrix = figures(at)["Notes per code and team"]
    assert matrix["data"][0]["x"] == ["Alpha", "Beta"]  # no column for interviews with no team
    assert sum(map(sum, matrix["data"][0]["z"])) == 7
    assert "Codes that occur on the same note" in figures(at)


def test_a_source_the_page_does_not_offer_is_ignored_with_a_notice(app: App, interviewed_path: Path) -> None:
    at = on_page(app, interviewed_path, "pages/notes.py", source="transcripts")
    assert not at.exception
    assert at.segmented_control(key="notes_source").value == "both"
    assert [w.value.replace("\\", "") for w in at.warning if "source=" in w.value] == [
        "Ignored source='transcripts' in the link: not one of the choices here."
    ]


@pytest.mark.parametrize(
    ("source", "captions", "charts"),
    [
        # notes per held meeting only; no line about interviews
        ("notes", ["community: 0.3 tension notes", "inpatient: 0.3 tension notes"], 1),
        # transcripts with a tension out of all, by setting (i2 of i2, i4; i3 of i3, i5); the one with no
        # team has no setting
        (
            "interviews",
            ["community: 1 of 2 interview transcripts", "inpatient: 1 of 2 interview transcripts"],
            1,
        ),
        ("both", ["community: 0.3 tension notes", "community: 1 of 2 interview transcripts"], 2),
    ],
)
def test_the_recruitment_tensions_follow_the_source_in_the_link(
    app: App, interviewed_path: Path, source: str, captions: list[str], charts: int
) -> None:
    at = on_page(app, interviewed_path, "pages/recruitment.py", source=source)
    assert at.segmented_control(key="recruitment_source").value == source
    shown = " | ".join(c.value for c in at.caption)
    for words in captions:
        assert words in shown
    assert ("tension notes" in shown) == (source != "interviews")
    assert ("interview transcripts with a tension" in shown) == (source != "notes")
    tension_charts = [title for title in figures(at) if title.startswith("Recruitment tensions in the")]
    assert len(tension_charts) == charts


def test_the_team_profile_says_which_source_its_tensions_count(app: App, interviewed_path: Path) -> None:
    at = app(interviewed_path, profile="1").switch_page("pages/team_profile.py").run()
    assert not at.exception
    lines = [m.value.replace("\\", "") for m in at.markdown]
    # Alpha: code 3 in n2 and i2, code 2 in n2 alone
    assert "**Complexity of mental illness** — 1 note, 1 interview transcript" in lines
    assert '**Finding the "right" service user** — 1 note' in lines
    # the transcript it counts, as plain text
    assert "Some weeks I am too unwell to come, and nobody asks why." in [t.value for t in at.text]
    helps = [h.proto.help for h in at.subheader if h.value.startswith("Recruitment tensions")]
    assert len(helps) == 1
    assert "field notes first" in helps[0]  # how they are ranked (profile.TENSION_RANKING)
