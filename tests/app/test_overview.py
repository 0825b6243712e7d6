"""The Overview page in AppTest: measures, filters, query parameters and failure states."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.proto.Metric_pb2 import Metric
from streamlit.testing.v1 import AppTest

from observation import ui
from tests.app.conftest import open_tab

App = Callable[..., AppTest]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def shows_text(at: AppTest, text: str) -> bool:
    return any(text in e.proto.body for e in at.markdown)


def test_overview_shows_the_hand_computed_measures(app: App, small_path: Path) -> None:
    at = app(small_path)
    assert not at.exception
    assert metrics(at) == {
        "Meetings held": "6",
        "Lived-experience presence": "60%",
        "Mean representation": "30%",
        "Meaningful involvement": "20%",
    }
    held, presence, _, meaningful = at.metric
    # The note under "Meetings held" fits its card; the meetings without attendance are said below the row.
    assert held.proto.delta == "1 cancelled · 1 postponed"
    assert "1 held meeting has no attendance recorded: counted as held, and left out of every share." in [
        c.value for c in at.caption
    ]
    assert presence.proto.delta == "service users 60% · carers 20%"
    # in words, under a down arrow in red: "-60 points" under a down arrow read as a double negative
    assert meaningful.proto.delta == "60 points below the 80% target"
    assert (meaningful.proto.direction, meaningful.proto.color) == (Metric.MetricDirection.DOWN, Metric.MetricColor.RED)
    table = at.dataframe[0]
    assert list(table.value["team_name"]) == ["Alpha", "Beta"]
    # Whole percentages, as every other share on the page ("67%", not 66.67): a share with no
    # meetings to count is shown as a dash, never "None".
    assert list(table.value["presence_share"]) == [67, 50]
    config = json.loads(table.proto.columns)
    assert config["presence_share"]["type_config"]["format"] == "%d%%"
    assert table.proto.placeholder == "—"


def test_definitions_are_in_the_help_and_on_the_page(app: App, small_path: Path) -> None:
    at = app(small_path)
    helps = {m.label: m.proto.help for m in at.metric}
    assert "at least one service user or carer was present" in helps["Lived-experience presence"]
    assert "÷ everyone present" in helps["Mean representation"]
    assert "'contributing' or above" in helps["Meaningful involvement"]
    assert shows_text(at, "target of 80%")


def test_a_real_study_has_no_demo_badge_and_the_demo_has_one(app: App, small_path: Path, demo_path: Path) -> None:
    assert not shows_text(app(small_path), "Synthetic demo data")
    assert shows_text(app(demo_path), "Synthetic demo data")


def test_the_link_sets_the_filter(app: App, small_path: Path) -> None:
    at = app(small_path, setting="inpatient", **{"from": "2020-02-01"})
    assert at.selectbox(key="flt_setting").value == "inpatient"
    assert [at.text_input(key=k).value for k in ("flt_from", "flt_to")] == ["01/02/2020", "11/03/2020"]
    assert metrics(at)["Meetings held"] == "2"  # m6 and m8
    assert at.query_params == {"setting": "inpatient", "from": "2020-02-01"}


def test_bad_link_parameters_fall_back_with_a_notice(app: App, small_path: Path) -> None:
    at = app(small_path, team="1,99", setting="Mars", to="soon")
    assert not at.exception
    notices = [w.value for w in at.warning]
    assert len(notices) == 3
    assert any("setting='Mars'" in n for n in notices)
    assert any("to='soon'" in n for n in notices)
    assert any("team 99" in n for n in notices)
    assert at.multiselect(key="flt_teams").value == [1]
    assert metrics(at)["Meetings held"] == "3"
    assert at.query_params == {"team": "1"}  # the link now says only what is applied


def test_changing_the_filter_updates_the_numbers_and_the_link(app: App, small_path: Path) -> None:
    at = app(small_path)
    at.selectbox(key="flt_setting").set_value("inpatient").run()
    assert metrics(at)["Lived-experience presence"] == "50%"
    assert at.query_params == {"setting": "inpatient"}
    at.selectbox(key="flt_setting").set_value("all").run()
    at.multiselect(key="flt_teams").set_value([1]).run()
    at.text_input(key="flt_to").set_value("31/01/2020").run()  # typed, as day/month/year
    assert metrics(at)["Meetings held"] == "2"
    assert metrics(at)["Meaningful involvement"] == "50%"
    assert at.query_params == {"team": "1", "to": "2020-01-31"}  # 2020-01-10 is the first meeting: the default start


def test_no_matching_meetings_explains_itself(app: App, small_path: Path) -> None:
    at = app(small_path, team="1", setting="inpatient")
    assert [i.value for i in at.info] == [
        "No meetings match these filters. Widen the dates or choose other teams in the sidebar."
    ]
    assert not at.metric
    assert not at.exception


def test_a_missing_study_file_says_how_to_make_one(app: App, tmp_path: Path) -> None:
    at = app(tmp_path / "nowhere.duckdb")
    assert not at.exception
    (error,) = at.error
    assert "There is no study file at" in error.value
    assert "python -m observation demo --db" in error.value
    assert not (tmp_path / "nowhere.duckdb").exists()  # nothing was created behind the user's back


def test_a_study_open_in_another_program_gets_one_line(app: App, small_path: Path) -> None:
    hold = "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('holding', flush=True); sys.stdin.read()"
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(small_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        at = app(small_path)
    finally:
        holder.communicate("", timeout=30)
    assert not at.exception
    (error,) = at.error
    assert "is already open in another program" in error.value


def test_a_bad_setting_is_reported_not_raised(app: App, small_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OBSERVATION_INVOLVEMENT_TARGET", "lots")
    at = app(small_path)
    assert not at.exception
    assert "OBSERVATION_INVOLVEMENT_TARGET='lots'" in at.error[0].value


def test_link_dates_beyond_the_study_are_narrowed_with_a_notice(app: App, small_path: Path) -> None:
    at = app(small_path, **{"from": "2019-01-01", "to": "2020-01-31"})
    assert [at.text_input(key=k).value for k in ("flt_from", "flt_to")] == ["10/01/2020", "31/01/2020"]
    assert any(
        "beyond this study's meetings (10/01/2020 to 11/03/2020)" in w.value.replace("\\", "") for w in at.warning
    )


def test_a_file_that_cannot_be_read_as_a_study_stops_with_one_line(app: App, tmp_path: Path) -> None:
    import duckdb

    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("create table measurements (x integer)")
    con.close()
    at = app(other)
    assert not at.exception
    (error,) = at.error
    assert "not a study" in error.value


def test_the_qi_chart_choice_comes_from_the_link_and_goes_back_to_it(app: App, small_path: Path) -> None:
    at = app(small_path, measure="meaningful", chart="run", rules="classic", rebase="1")
    assert not at.exception
    assert at.segmented_control(key="overview_qi_measure").value == "meaningful"
    assert at.segmented_control(key="overview_qi_chart").value == "run"
    assert at.selectbox(key="overview_qi_rules").value == "classic"
    assert at.toggle(key="overview_qi_rebase").value is True
    at.segmented_control(key="overview_qi_chart").set_value("xmr").run()
    at.toggle(key="overview_qi_rebase").set_value(False).run()
    assert at.query_params == {"measure": "meaningful", "chart": "xmr", "rules": "classic", "tab": "run-and-spc-charts"}


def test_the_run_and_spc_charts_are_worked_out_and_sent_only_when_their_tab_opens(app: App, small_path: Path) -> None:
    at = app(small_path)
    assert [t.label for t in at.tabs] == ["Month by month", ui.QI_TAB]
    (trend,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert trend["layout"]["title"]["text"].startswith("Service users and carers at held meetings, by month")
    assert "overview_qi_measure" not in at.session_state
    at = open_tab(at, "overview_tab", ui.QI_TAB)
    (qi_chart,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert qi_chart["layout"]["title"]["text"].startswith("Lived-experience presence")
    at.segmented_control(key="overview_qi_chart").set_value("run").run()
    at.segmented_control(key="overview_qi_chart").set_value("p").run()  # back to the default: the link forgets it
    assert "chart" not in at.query_params
    assert at.segmented_control(key="overview_qi_chart").value == "p"  # and the tab stays open


def test_the_open_tab_is_in_the_link_and_another_tabs_choices_leave_it(app: App, small_path: Path) -> None:
    # a copied link opened the first tab again, or the tab whose choice was left in it
    at = app(small_path, tab="run-and-spc-charts")
    assert at.session_state["overview_tab"] == ui.QI_TAB
    at.segmented_control(key="overview_qi_measure").set_value("meaningful").run()
    assert at.query_params == {"tab": "run-and-spc-charts", "measure": "meaningful"}
    at = open_tab(at, "overview_tab", "Month by month")
    assert at.query_params == {}  # the first tab, with nothing of the QI chart's
    at = open_tab(at, "overview_tab", ui.QI_TAB)
    assert at.query_params == {"tab": "run-and-spc-charts", "measure": "meaningful"}  # its choice kept
    stray = app(small_path, tab="pie")
    assert stray.session_state["overview_tab"] == "Month by month"
    assert any("Ignored tab='pie'" in w.value for w in stray.warning)
    assert "tab" not in stray.query_params


def test_each_team_gets_a_sentence_about_its_chart(app: App, small_path: Path) -> None:
    at = open_tab(app(small_path), "overview_tab", ui.QI_TAB)
    text = "\n".join(m.proto.body for m in at.markdown).replace("\\", "")
    # Markdown is escaped in the sentences (team names are user text), so look for the words. Two
    # months of meetings are far too few for limits: each sentence says what it can tell instead.
    assert "Alpha: 2 months, 2 of 2 with fewer than 3 meetings — too few to set limits" in text
    assert "Beta: " in text
    assert "too few to set limits or test for signals" in text


def test_the_subgroup_comes_from_the_link_and_goes_back_to_it(app: App, small_path: Path) -> None:
    at = app(small_path, subgroup="block", block="3")
    assert not at.exception
    assert at.selectbox(key="overview_qi_subgroup").value == "block"
    assert at.number_input(key="overview_qi_block").value == 3
    text = "\n".join(m.proto.body for m in at.markdown).replace("\\", "")
    assert "blocks of 3 meetings" in text
    at.selectbox(key="overview_qi_subgroup").set_value("quarter").run()
    assert at.query_params == {"subgroup": "quarter", "block": "3", "tab": "run-and-spc-charts"}


def test_a_chart_that_does_not_fit_the_measure_is_not_offered_and_a_link_to_it_falls_back(
    app: App, small_path: Path
) -> None:
    at = app(small_path, measure="representation", chart="g")
    assert not at.exception
    assert at.segmented_control(key="overview_qi_chart").value == "p"
    assert any("A g-chart does not fit representation" in w.value.replace("\\", "") for w in at.warning)
    at.segmented_control(key="overview_qi_measure").set_value("presence").run()
    at.segmented_control(key="overview_qi_chart").set_value("g").run()
    assert not [w for w in at.selectbox if w.key == "overview_qi_subgroup"]  # a g-chart has no subgroups
    at.segmented_control(key="overview_qi_measure").set_value("representation").run()
    assert not at.exception
    assert at.segmented_control(key="overview_qi_chart").value == "p"
    assert any("A g-chart does not fit representation" in i.value for i in at.info)


def test_a_bad_chart_choice_in_the_link_falls_back_with_a_notice(app: App, small_path: Path) -> None:
    at = app(small_path, chart="pie")
    assert not at.exception
    assert at.segmented_control(key="overview_qi_chart").value == "p"
    assert any("Ignored chart='pie'" in w.value for w in at.warning)
    assert "chart" not in at.query_params


@pytest.mark.parametrize("page", ["data_import", "audit", "access"])
def test_pages_the_filter_does_not_apply_to_show_none_and_keep_it(app: App, small_path: Path, page: str) -> None:
    at = app(small_path)
    at.multiselect(key="flt_teams").set_value([1]).run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception
    assert not [w for w in at.sidebar.multiselect if w.key == "flt_teams"]  # no filter that would not apply
    at.switch_page("pages/overview.py").run()
    assert at.multiselect(key="flt_teams").value == [1]  # the filter chosen before is still there
    assert metrics(at)["Meetings held"] == "3"


def _headline_of_a_national_study() -> None:
    from observation import queries
    from observation.ui import widgets

    widgets.headline(queries.Measures(meetings_held=110_852, meetings_cancelled=16_297, meetings_postponed=3_851))


def test_the_headline_counts_carry_thousands_separators() -> None:
    # A national study's "110852" and "16297 cancelled" read as ids, not counts, beside "68,023"
    at = AppTest.from_function(_headline_of_a_national_study).run()
    held = next(m for m in at.metric if m.label == "Meetings held")
    assert (held.value, held.proto.delta) == ("110,852", "16,297 cancelled · 3,851 postponed")
