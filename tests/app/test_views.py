"""The four views in AppTest: each renders on a small and on the demo study, keeps its choices
in the URL, and shows the rows behind a choice."""

from __future__ import annotations

import json
import pickle
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from observation import charts, ui
from observation import db as study_db
from observation.demo import DemoSpec, build_demo
from observation.ui import tables
from tests.app.conftest import choose_row, each_tab, matching, open_tab, table

App = Callable[..., AppTest]
PAGES = ["pages/presence.py", "pages/attendance.py", "pages/recruitment.py", "pages/notes.py", "pages/agreement.py"]


def on_page(app: App, db: Path, page: str, **params: str) -> AppTest:
    at = app(db, **params)
    return at.switch_page(page).run()


def quotes(at: AppTest) -> list[str]:
    """The notes and transcripts shown: plain text, as typed (never Markdown)."""
    return [t.value for t in at.text]


@pytest.mark.parametrize("page", PAGES)
def test_every_view_renders_on_both_studies(app: App, small_path: Path, demo_path: Path, page: str) -> None:
    for db in (small_path, demo_path):
        for at in each_tab(on_page(app, db, page)):  # every tab of a page that draws only the open one
            assert not at.exception, f"{page} on {db.name}"
            assert not at.error, f"{page} on {db.name}: {[e.value for e in at.error]}"


def test_presence_reads_a_meeting_from_the_link(app: App, small_path: Path) -> None:
    at = on_page(app, small_path, "pages/presence.py", meeting="2", rows="person")
    assert at.selectbox(key="presence_meeting").value == 2
    assert at.segmented_control(key="presence_rows").value == "person"
    assert any("Home meeting" in m.proto.body for m in at.markdown)
    assert quotes(at) == []  # m2 has no notes
    at.selectbox(key="presence_meeting").set_value(1).run()
    assert quotes(at) == [
        "A-SU1 asked why the transport item keeps coming back.",
        "Who should we invite next? Someone who sees the bigger picture.",
    ]
    assert at.query_params["meeting"] == "1"


def test_a_meetings_drill_down_reads_in_words(app: App, small_path: Path) -> None:
    # The walk-through saw "co_leading" and "None" under "Took part": stored values, not words.
    con = study_db.connect(small_path)
    con.execute("insert into meeting_roles values (2, 'recorder', null)")  # filled, by nobody recorded
    con.close()
    at = on_page(app, small_path, "pages/presence.py", meeting="2")
    tables = [d.value for d in at.dataframe if {"took_part"} <= set(d.value) or {"filled_by"} <= set(d.value)]
    assert len(tables) == 2  # who came, and the roles
    assert not any(table.isna().any().any() for table in tables)  # no blank, no None
    cells = {str(cell) for table in tables for cell in table.to_numpy().ravel()}
    text = " | ".join([*cells, *(c.value for c in at.caption), *(m.value for m in at.markdown)])
    for stored in ("co_leading", "None", "service_user"):
        assert stored not in text
    assert {"co-leading", "Service user", "apologies", "\u2014", "Leader", "not recorded"} <= cells
    assert "held at the service user's home · length not recorded · 1 action item · not evaluated" in [
        c.value.replace("\\", "") for c in at.caption
    ]


def test_a_note_is_shown_as_typed_with_no_character_added(app: App, small_path: Path) -> None:
    """A note with addresses, Markdown and two lines: shown by st.text, every character as typed (the
    zero-width spaces that stopped Markdown's autolinks were copied with a quote)."""
    body = "See https://example.org, [link](https://example.org) or www.example.org, ask me@example.org\n**not bold**"
    con = study_db.connect(small_path)
    con.execute("update field_notes set body = ? where meeting_id = 1 and position = 1", [body])
    con.close()
    at = on_page(app, small_path, "pages/presence.py", meeting="1")
    assert body in quotes(at)
    assert not any("example" in m.value for m in at.markdown)  # not Markdown, anywhere


def test_presence_choosing_another_team_changes_the_matrix_and_the_link(app: App, small_path: Path) -> None:
    at = open_tab(on_page(app, small_path, "pages/presence.py"), "presence_tab", "Who came to each meeting")
    at.selectbox(key="presence_team").set_value(2).run()
    assert at.query_params["team_view"] == "2"
    assert not at.exception


def test_presence_keeps_its_open_tab_in_the_link_and_not_another_tabs_choices(app: App, small_path: Path) -> None:
    # a copied link opened the tab whose choice was left in it, not the one on the screen
    at = on_page(app, small_path, "pages/presence.py", rows="person")
    assert at.session_state["presence_tab"] == "Who came to each meeting"
    assert at.query_params["tab"] == "who-came-to-each-meeting"
    at = open_tab(at, "presence_tab", "Meeting by meeting")
    assert "rows" not in at.query_params
    assert "tab" not in at.query_params
    at = open_tab(at, "presence_tab", "Who came to each meeting")
    assert at.query_params["rows"] == "person"  # kept for the session, and in the link again


def test_attendance_offers_count_per_only_where_it_counts(app: App, small_path: Path) -> None:
    at = on_page(app, small_path, "pages/attendance.py", period="month")
    for tab, offered in (("By role", True), ("How the meetings ran", True), ("Continuity", False), (ui.QI_TAB, False)):
        at = open_tab(at, "attendance_tab", tab)
        assert any(w.key == "attendance_period" for w in at.get("button_group")) is offered, tab
    at = open_tab(at, "attendance_tab", "How the meetings ran")
    assert at.segmented_control(key="attendance_period").value == "month"  # the choice kept across the tabs


def test_how_the_meetings_ran_says_yes_or_no_for_a_meeting_and_a_share_for_a_month(app: App, small_path: Path) -> None:
    at = open_tab(on_page(app, small_path, "pages/attendance.py"), "attendance_tab", "How the meetings ran")
    (per_meeting,) = (d.value for d in at.dataframe)
    # a meeting was evaluated or it was not: "0%" and "100%" bars read as shares of something
    assert set(per_meeting["evaluated"].dropna()) == {"yes", "no"}
    assert per_meeting.loc[per_meeting["held"] == 0, "evaluated"].isna().all()  # not held: nothing to evaluate
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["evaluated"]["type_config"]["type"] == "text"
    at = open_tab(
        on_page(app, small_path, "pages/attendance.py", period="month"), "attendance_tab", "How the meetings ran"
    )
    (per_month,) = (d.value for d in at.dataframe)
    assert set(per_month["evaluated"].dropna()) <= set(range(101))  # whole percentages, drawn as bars
    assert json.loads(at.dataframe[0].proto.columns)["evaluated"]["type_config"]["type"] == "progress"


def test_attendance_counts_per_month_from_the_link(app: App, small_path: Path) -> None:
    at = on_page(app, small_path, "pages/attendance.py", period="month")
    assert at.segmented_control(key="attendance_period").value == "month"
    (continuity,) = (d.value for d in open_tab(at, "attendance_tab", "Continuity").dataframe)
    assert list(continuity["code"]) == ["A-SU1", "A-CA1", "B-SU1"]
    (effectiveness,) = (d.value for d in open_tab(at, "attendance_tab", "How the meetings ran").dataframe)
    assert len(effectiveness) == 5  # team-months
    config = json.loads(at.dataframe[0].proto.columns)
    (period,) = [c for c in config.values() if c.get("label") in {"Meeting", "Month"}]
    assert (period["label"], period["type_config"]["format"]) == ("Month", "MMM YYYY")  # Jul 2019, not 01/07/2019


def test_recruitment_shows_times_reasons_and_settings_side_by_side(app: App, small_path: Path) -> None:
    at = on_page(app, small_path, "pages/recruitment.py")
    times = at.dataframe[0].value
    assert len(times) == 8
    reasons = at.dataframe[1].value
    assert list(reasons["reason"]) == ["Complexity of mental illness", "Complexity of mental illness"]
    assert any("inpatient: 0.3 tension notes per held meeting (1 in 3)" in c.value for c in at.caption)


def test_the_declined_table_shows_the_longest_team_name_whole(app: App, demo_path: Path) -> None:
    # A newcomer at 1440 px read "Willow mental-health inpatient wa" while "Coded reason" had room
    # to spare: the Team column is as wide as its longest name at 7 px a character (the 14 px font
    # averages about 6 px), and the reason gives up its "large" width.
    at = on_page(app, demo_path, "pages/recruitment.py")
    (declined,) = [d for d in at.dataframe if "reason" in d.value.columns and "event_date" in d.value.columns]
    config = json.loads(declined.proto.columns)
    longest = max(declined.value["team_name"].str.len())
    assert longest >= len("Willow mental-health inpatient ward")
    assert config["team_name"]["width"] >= 7 * longest + 16
    assert config["reason"]["width"] != "large"
    (times,) = [d for d in at.dataframe if "median_days" in d.value.columns]  # the table above it, too
    assert json.loads(times.proto.columns)["team_name"]["width"] >= 7 * max(times.value["team_name"].str.len()) + 16


def in_order(node: Any) -> list[Any]:
    """The elements of the page (or a block of it) in the order they are shown; a tab's container
    stands for its tabs."""
    children = getattr(node, "children", None)
    if children is None or node.type == "tab_container":
        return [node]
    return [leaf for child in children.values() for leaf in in_order(child)]


def search_results(at: AppTest) -> tuple[str, list[str]]:
    """What follows the search controls (the choice of source last), before the tabs: the count's
    heading and the matches (as Markdown, the searched words marked). Fails when something else
    comes first."""
    shown = in_order(at.main)
    after = next(i for i, e in enumerate(shown) if e.key == "notes_source") + 1
    heading = shown[after]
    assert heading.type == "subheader", f"a search's matches should come first, not {heading.type}"
    tabs = next(i for i, e in enumerate(shown) if e.type == "tab_container")
    return heading.value.replace("\\", ""), [e.value for e in shown[after:tabs] if e.type == "markdown"]


def test_notes_search_and_filters_come_from_the_link_and_find_the_notes(app: App, small_path: Path) -> None:
    at = on_page(app, small_path, "pages/notes.py", q="unwell", codes="1", room="any")
    assert at.text_input(key="notes_text").value == "unwell"
    assert at.multiselect(key="notes_codes").value == [1]
    # field notes and interviews are searched by default (the small study has no interview)
    heading, matches = search_results(at)
    assert heading == "1 note or transcript matches \u201cunwell\u201d, coded Recruitment tension"
    assert matches == ["Patients are too :orange[**unwell**] to join, said the ward manager\\."]
    at.selectbox(key="notes_presence").set_value("service_user").run()
    heading, matches = search_results(at)
    assert heading == (
        "0 notes match \u201cunwell\u201d, coded Recruitment tension, from meetings where a service user was present"
    )
    assert matches == []
    assert at.query_params["room"] == "service_user"


def test_a_search_lands_on_its_matches_counted_with_the_words_highlighted(app: App, small_path: Path) -> None:
    # The walk-through searched, stayed on the heatmap's tab, and found the matches in the sixth tab
    # ("Matching notes (4)"), the words not highlighted.
    con = study_db.connect(small_path)
    con.execute(
        "insert into field_notes (id, meeting_id, position, minute, author, body) values (?, 1, 3, 30, 'OB-01', ?)",
        [7, "The ward round ran late; the WARD's own meeting came second, after the wards' *handover*."],
    )
    con.close()
    at = on_page(app, small_path, "pages/notes.py")
    assert matching(at) == "7 notes and transcripts"  # no search: every note, in a tab
    at.text_input(key="notes_text").set_value("the WARD").run()
    heading, matches = search_results(at)  # first, before the tabs: nothing to open
    assert heading == "2 notes and transcripts match \u201cthe WARD\u201d"
    mark = ":orange[**{}**]".format
    assert matches == [  # every whole word, in any case, wherever it occurs; the note's own Markdown escaped
        f"{mark('The')} {mark('ward')} round ran late; {mark('the')} {mark('WARD')}'s own meeting came second, "
        f"after {mark('the')} wards' \\*handover\\*\\.",
        f"Patients are too unwell to join, said {mark('the')} {mark('ward')} manager\\.",
    ]
    at.session_state["notes_tab"] = "Matching excerpts"  # not a second time, in a tab
    assert "The search's matches are listed above, first on the page." in [c.value for c in at.run().caption]
    assert at.query_params["q"] == "the WARD"
    at.text_input(key="notes_text").set_value("").run()
    assert not [s for s in at.subheader if "match" in s.value]
    assert matching(at) == "7 notes and transcripts"


def test_a_search_pasted_too_long_keeps_its_first_200_characters_and_says_so(app: App, small_path: Path) -> None:
    at = on_page(app, small_path, "pages/notes.py")
    pasted = "unwell " + "x" * 300
    at.text_input(key="notes_text").input(pasted).run()  # input() refuses what max_chars would refuse
    assert not at.exception
    kept = at.text_input(key="notes_text").value
    assert kept == pasted[:200]
    assert at.query_params["q"] == kept
    assert any("A search takes up to 200 characters" in w.value for w in at.warning)
    at.text_input(key="notes_text").input("unwell").run()  # a short search: no notice
    assert not any("200 characters" in w.value for w in at.warning)


def test_the_notes_download_counts_its_excerpts_in_words_and_says_what_it_does_to_formulas(
    app: App, small_path: Path
) -> None:
    at = on_page(app, small_path, "pages/notes.py", q="unwell")
    (button,) = [b for b in at.get("download_button") if "excerpt" in b.proto.label]
    assert button.proto.label == "Download this excerpt (CSV, one 0/1 column per code)"  # not "these 1 excerpts"
    assert "Text a spreadsheet would run as a formula (=, +, -, @) starts with ' in the file." in [
        c.value for c in at.caption
    ]
    at = on_page(app, small_path, "pages/notes.py")
    (button,) = [b for b in at.get("download_button") if "excerpt" in b.proto.label]
    assert re.fullmatch(r"Download these [2-9]\d* excerpts \(CSV, one 0/1 column per code\)", button.proto.label)
    at = on_page(app, small_path, "pages/notes.py", q="no note says this")
    (button,) = [b for b in at.get("download_button") if "excerpt" in b.proto.label]
    assert button.proto.label == "Download these 0 excerpts (CSV, one 0/1 column per code)"
    assert button.proto.disabled


def test_notes_unknown_codes_in_the_link_are_dropped_with_a_notice(app: App, small_path: Path) -> None:
    at = on_page(app, small_path, "pages/notes.py", codes="1,999,x")
    assert at.multiselect(key="notes_codes").value == [1]
    assert any("Ignored codes=" in w.value for w in at.warning)


def test_codes_over_time_with_nothing_coded_say_so_instead_of_an_empty_chart(app: App, small_path: Path) -> None:
    at = open_tab(on_page(app, small_path, "pages/notes.py", source="interviews"), "notes_tab", "Over time")
    assert "No coded interview transcripts in these teams and dates." in [i.value for i in at.info]
    assert not at.get("plotly_chart")  # never "The 0 most used codes" over an empty axis
    at = open_tab(on_page(app, small_path, "pages/notes.py", source="both"), "notes_tab", "Over time")
    (chart,) = at.get("plotly_chart")
    assert (
        "no coded interview transcripts in these teams and dates"
        in json.loads(chart.proto.spec)["layout"]["title"]["text"]
    )


def test_agreement_metrics_and_disagreements(app: App, small_path: Path) -> None:
    at = on_page(app, small_path, "pages/agreement.py")
    assert [m.value for m in at.metric] == ["4", "88%", "0.71"]
    assert len(at.dataframe[1].value) == 2
    # the Coded passages tab, closed, is neither worked out nor drawn; opened, it is
    assert not any("Pooled over the codes" in m.value for m in at.markdown)
    assert at.query_params.get("tab") is None
    at = open_tab(at, "agreement_tab", "Coded passages")
    assert any("Pooled over the codes" in m.value for m in at.markdown)
    assert not at.metric  # and the per-note tab is no longer drawn
    assert at.query_params["tab"] == "coded-passages"


def test_a_chosen_disagreement_never_becomes_another_when_the_rows_change(app: App, small_path: Path) -> None:
    # Streamlit keeps a chosen row by its position: with Beta alone in the filter, n4 took the row
    # where n2 had been chosen, and opened as if someone had chosen it
    at = on_page(app, small_path, "pages/agreement.py")
    n2, n4 = table(at, "agreement_disagreements").value["body"]
    at = choose_row(at, "agreement_disagreements", 0)
    assert quotes(at) == [n2]
    at.multiselect(key="flt_teams").set_value([2]).run()
    assert list(table(at, "agreement_disagreements").value["body"]) == [n4]  # where n2 was
    assert quotes(at) == []  # nothing opened that nobody chose
    assert quotes(choose_row(at, "agreement_disagreements", 0)) == [n4]  # chosen, it opens


def test_a_link_naming_coder_a_alone_compares_them_with_another_coder(app: App, small_path: Path) -> None:
    at = on_page(app, small_path, "pages/agreement.py", coder_a="R02")
    assert (at.selectbox(key="agreement_a").value, at.selectbox(key="agreement_b").value) == ("R02", "R01")
    assert [m.value for m in at.metric] == ["4", "88%", "0.71"]  # agreement is symmetric


def test_agreement_with_the_same_coder_twice_says_so(app: App, small_path: Path) -> None:
    at = on_page(app, small_path, "pages/agreement.py", coder_b="R01")
    assert [i.value for i in at.info] == ["Choose two different coders."]


@pytest.fixture(scope="module")
def many_teams(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A study of 16 teams over three years: more teams than a chart draws, more meetings than a table page."""
    path = tmp_path_factory.mktemp("many") / "many.duckdb"
    build_demo(path, DemoSpec(teams=16, months=36))
    return path


@pytest.mark.parametrize("page", PAGES)
def test_every_view_renders_for_more_teams_than_a_chart_draws(app: App, many_teams: Path, page: str) -> None:
    for at in each_tab(on_page(app, many_teams, page)):
        assert not at.exception, page
        assert not at.error, f"{page}: {[e.value for e in at.error]}"


def test_a_long_table_is_shown_a_page_at_a_time(app: App, many_teams: Path) -> None:
    at = open_tab(on_page(app, many_teams, "pages/attendance.py"), "attendance_tab", "How the meetings ran")

    def meetings_table() -> pd.DataFrame:  # how the meetings ran, one row per meeting
        return next(t.value for t in at.dataframe if "roles_filled" in t.value.columns)

    picker = at.number_input(key="effectiveness_table_page")
    pages = int(picker.label.removeprefix("Page (of ").removesuffix(")").replace(",", ""))
    first = meetings_table()
    assert pages > 1
    assert len(first) == tables.PAGE_ROWS
    picker.set_value(pages).run()
    last = meetings_table()
    total = (pages - 1) * tables.PAGE_ROWS + len(last)
    assert 0 < len(last) <= tables.PAGE_ROWS
    assert any(c.value.startswith(f"Rows {total - len(last) + 1:,} to {total:,} of {total:,}.") for c in at.caption)
    assert not set(zip(first["team_name"], first["period"], strict=True)) & set(
        zip(last["team_name"], last["period"], strict=True)
    )


def test_attendance_counts_per_month_when_per_meeting_would_be_too_many_bars(
    app: App, small_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    per_meeting = on_page(app, small_path, "pages/attendance.py")
    assert not any(c.value.startswith("Counted per month") for c in per_meeting.caption)
    monkeypatch.setattr(charts, "MOST_BARS", 5)
    at = on_page(app, small_path, "pages/attendance.py")
    assert any(
        c.value.startswith("Counted per month, as the mean a meeting: per meeting there would be") for c in at.caption
    )
    # the control says what the chart counts, and cannot be set to what it would not draw
    (shown,) = [b for b in at.get("button_group") if b.proto.label == "Count per"]
    assert shown.value == "month"
    assert shown.proto.disabled
    (by_role, *_) = [c.proto.spec for c in at.get("plotly_chart")]
    assert by_role == next(
        c.proto.spec for c in on_page(app, small_path, "pages/attendance.py", period="month").get("plotly_chart")
    )
    # only the chart is counted per month: how the meetings ran stays per meeting, as chosen
    ran = next(t.value for t in open_tab(at, "attendance_tab", "How the meetings ran").dataframe)
    assert pd.Timestamp("2020-01-10") in set(pd.to_datetime(ran["period"]))
    assert at.segmented_control(key="attendance_period").value == "meeting"
    assert not at.segmented_control(key="attendance_period").proto.disabled


def test_a_figure_is_built_once_for_the_same_data_and_again_for_new_data() -> None:
    built: list[str] = []

    def draw(frame: pd.DataFrame, title: str) -> go.Figure:
        built.append(title)
        return go.Figure(go.Bar(x=frame["x"]), layout={"title": {"text": title}})

    first = ui.figure(draw, pd.DataFrame({"x": [1, 2]}), "Held")
    assert ui.figure(draw, pd.DataFrame({"x": [1, 2]}), "Held") is first  # equal data: the same figure
    assert list(ui.figure(draw, pd.DataFrame({"x": [1, 3]}), "Held").data[0].x) == [1, 3]  # new data: drawn anew
    assert ui.figure(draw, pd.DataFrame({"x": [1, 2]}), "Not held").layout.title.text == "Not held"
    assert built == ["Held", "Held", "Not held"]


def test_a_large_frame_changed_in_one_cell_is_a_new_figure() -> None:
    # Streamlit hashes a frame of 50,000 rows or more by a sample of its rows.
    counts = pd.DataFrame({"team": range(60_000), "notes": [1] * 60_000})
    changed = counts.copy()
    changed.loc[31_337, "notes"] = 2
    first = ui.figure(lambda frame: go.Figure(go.Bar(y=frame["notes"])), counts)
    assert ui.figure(lambda frame: go.Figure(go.Bar(y=frame["notes"])), changed) is not first


def test_a_figure_from_a_cached_read_is_built_once_though_each_run_gets_a_copy() -> None:
    # A cached read gives each run an unpickled copy of its frame; the copy's own pickle differs
    # from the first's (strings and dates shared or not), so a digest of the pickle missed the
    # figure on a page's second visit and drew it again.
    built: list[int] = []
    read = pd.DataFrame({
        "team_name": ["Team A", "Team A", "Team B"],
        "meeting_date": pd.to_datetime(["2024-01-05", "2024-02-02", "2024-01-12"]),
        "status": ["held", "held", "not held"],
    })  # fmt: skip
    copy = pickle.loads(pickle.dumps(read))
    assert pickle.dumps(copy) != pickle.dumps(read)  # what the old digest compared

    def draw(frame: pd.DataFrame) -> go.Figure:
        built.append(len(frame))
        return go.Figure(go.Bar(x=frame["meeting_date"]))

    assert ui.figure(draw, copy) is ui.figure(draw, read)
    assert built == [3]
    listed = pd.DataFrame({"ids": [[1, 2], [3]]})  # cells no hash takes: the pickle still tells them apart

    def ids(frame: pd.DataFrame) -> go.Figure:
        return go.Figure(go.Bar(y=[len(i) for i in frame["ids"]]))

    assert ui.figure(ids, listed) is not ui.figure(ids, pd.DataFrame({"ids": [[1, 2], [4]]}))


def test_the_notes_page_works_out_only_its_open_tab_and_keeps_it_open_across_filters(
    app: App, small_path: Path
) -> None:
    at = on_page(app, small_path, "pages/notes.py")
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert len(titles) == 1  # the first tab's chart, not one per tab
    everything = matching(at)  # opens the tab of every note
    assert not at.get("plotly_chart")
    at.multiselect(key="flt_teams").set_value([1]).run()  # the count in it changes, the tab stays open
    assert at.session_state["notes_tab"] == "Matching excerpts"
    assert matching(at) != everything
    at.session_state["notes_tab"] = "Over time"
    over_time = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.run().get("plotly_chart")]
    assert len(over_time) == 1
    assert over_time != titles
    at.segmented_control(key="notes_source").set_value("notes").run()  # a label with the source in it would
    at.text_input(key="notes_text").set_value("unwell").run()  # have reset the tab, as would a tab that goes
    assert at.session_state["notes_tab"] == "Over time"
    assert len(at.get("plotly_chart")) == 1
    linked = on_page(app, small_path, "pages/notes.py", meeting="1")  # a link to one meeting opens its tab
    assert linked.session_state["notes_tab"] == "One meeting"
    assert linked.selectbox(key="notes_meeting").value == 1
