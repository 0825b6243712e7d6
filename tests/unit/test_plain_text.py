"""Study text is shown as text: a team, code, annotation or role named like markup reaches every
figure as Plotly draws it literally (no link, no styled text, no new line, no hover variable), and
Streamlit's Markdown shows notes and names as typed, with no address made a live link."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go
import pytest

from observation import (
    charts,
    config,
    db,
    deck,
    figures,
    meetings,
    notes,
    qi,
    queries,
    recruitment,
    story,
    theme_charts,
    view_charts,
    voice,
)
from observation.demo import DemoSpec, build_demo
from observation.filters import StudyFilter
from observation.plain import MARKDOWN_MARKS, markdown_text, plotly_text
from observation.presenting import Presenting

LINK = '<a href="https://example.org">click</a>'
STYLED = '<span style="color:red">r</span>'
HOSTILE = (LINK, STYLED, "x<br>y", "%{meta} 100%", "Q&amp;A", "$x^2$", "<b>bold</b> & <i>it</i>")
"""Study text written as Plotly markup, a hover variable, an entity, TeX."""
ALL = StudyFilter()
LEVEL = "contributing"


# --- the two functions ------------------------------------------------------------------------------


def shown_by_plotly(text: str) -> str:
    """What Plotly draws for a text without tags: its entities read (svg_text_utils' convertEntities)."""
    return html.unescape(text)


@pytest.mark.parametrize("text", [*HOSTILE, "Oak team", "", "&#37;", "&lt;"])
def test_plotly_text_has_no_markup_and_is_drawn_as_typed(text: str) -> None:
    made = plotly_text(text)
    assert not set("<>%$") & set(made)  # no tag, hover variable or TeX delimiter left
    assert re.fullmatch(r"([^&]|&(amp|lt|gt|#37|#36);)*", made)  # every & starts an entity Plotly reads
    assert shown_by_plotly(made) == text


def test_plotly_text_of_the_same_name_is_the_same_category() -> None:
    assert plotly_text(LINK) == plotly_text(LINK) != plotly_text(STYLED)
    assert plotly_text(42) == "42"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://example.org/a", "https:\u200b//example.org/a"),
        ("see www.example.org", "see www\u200b.example.org"),
        ("WWW.EXAMPLE.ORG", "WWW\u200b.EXAMPLE.ORG"),
        ("mail me@example.org", "mail me@\u200bexample.org"),
        ("[link](https://example.org)", "[link](https:\u200b//example.org)"),
        ("not a www link: awww.x", "not a www link: awww.x"),
        ("@SUM(1) at @ward, a@b", "@SUM(1) at @ward, a@b"),  # no address: nothing hidden added
        ("mailto:me@host.org", "mailto:me@\u200bhost.org"),
    ],
)
def test_markdown_text_breaks_every_autolink_and_keeps_the_words(text: str, shown: str) -> None:
    made = markdown_text(text)
    unescaped = re.sub(r"\\(.)", r"\1", made)
    assert unescaped == shown
    assert unescaped.replace("\u200b", "") == text  # only invisible spaces added


@pytest.mark.parametrize(
    "text",
    [*HOSTILE, "**bold** _it_ `code` # h", ":red[x] :material/home: :smile:", "a\\b", "A\n===\n  = 1 = 1", "B\r=\r\n="],
)
def test_markdown_text_escapes_every_mark_of_markup(text: str) -> None:
    made, read = markdown_text(text), []
    chars = iter(made)
    for ch in chars:
        if ch == "\\":
            escaped = next(chars)
            assert escaped in MARKDOWN_MARKS | {"="}
            read.append(escaped)
        else:
            assert ch not in MARKDOWN_MARKS, f"{ch!r} unescaped in {made!r}"
            read.append(ch)
    assert "".join(read).replace("\u200b", "") == text
    for line in re.split(r"[\r\n]", made):
        assert not line.lstrip().startswith("="), f"a heading's underline in {made!r}"


def test_markdown_text_leaves_an_equals_sign_inside_a_line_alone() -> None:
    assert markdown_text("codes=1") == "codes=1"
    assert markdown_text("==") == "\\=="


# --- every figure, from a study whose text is all markup ---------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The demo study with every team, code, annotation and role category named in markup."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    build_demo(path, DemoSpec())
    con = db.connect(path)
    with db.transaction(con) as cur:
        for i, (team_id,) in enumerate(cur.execute("select id from teams order by id").fetchall()):
            cur.execute("update teams set name = ? where id = ?", [f"{HOSTILE[i % len(HOSTILE)]} {team_id}", team_id])
        for i, (code_id,) in enumerate(cur.execute("select id from codes order by id").fetchall()):
            cur.execute("update codes set name = ? where id = ?", [f"{HOSTILE[i % len(HOSTILE)]} c{code_id}", code_id])
        for i, (note_id,) in enumerate(cur.execute("select id from annotations order by id").fetchall()):
            cur.execute("update annotations set label = ? where id = ?", [f"{HOSTILE[i % len(HOSTILE)]} e", note_id])
        roles = [code for (code,) in cur.execute("select code from role_categories order by sort_order").fetchall()]
        for i, code in enumerate(roles):
            cur.execute(
                "update role_categories set label = ? where code = ?", [f"{HOSTILE[i % len(HOSTILE)]} {i}", code]
            )
    yield con
    con.close()


def qi_figures(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[str, go.Figure]]:
    found = queries.overview(con, ALL, LEVEL)
    teams = tuple(int(t) for t in found.series["team_id"].unique())
    for choice in (
        qi.ChartChoice(),
        qi.ChartChoice(subgroup="quarter", rebase=True),
        qi.ChartChoice(measure="representation"),
        qi.ChartChoice(measure="meaningful", chart="g"),
    ):
        subgroups = (
            queries.qi_subgroups(con, ALL, LEVEL, teams, choice.subgroup, choice.block)
            if choice.subgrouped
            else pd.DataFrame({"team_id": []})
        )
        panels = qi.panels(found.series, found.events, choice, subgroups)
        yield f"qi_chart {choice.measure} {choice.chart}", charts.qi_chart(panels, choice, 0.5)


def every_figure(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[str, go.Figure]]:
    """Every figure the app and the deck draw, from ``con``'s data as the pages read it."""
    found = queries.overview(con, ALL, LEVEL)
    yield "involvement_trend", charts.involvement_trend(found.trend, 0.5, "Contributing", found.events)
    by_quarter = queries.overview(con, ALL, LEVEL, period="quarter")
    yield (
        "involvement_trend quarter",
        charts.involvement_trend(by_quarter.trend, 0.5, "C", by_quarter.events, "quarter"),
    )
    yield from qi_figures(con)
    shares = pd.DataFrame([t.model_dump() for t in found.teams])
    yield "team_shares", charts.team_shares(shares, 0.5, "Contributing")
    yield "presence_by_meeting", view_charts.presence_by_meeting(meetings.meetings(con, ALL, LEVEL))
    team_id = found.teams[0].team_id
    for rows in ("person", "role"):
        yield (
            f"attendance_matrix {rows}",
            view_charts.attendance_matrix(meetings.attendance_matrix(con, ALL, team_id, rows)),
        )
    yield "swimlane", view_charts.swimlane(meetings.attendance_matrix(con, ALL, team_id, "person"))
    yield "attendance_by_role", view_charts.attendance_by_role(meetings.attendance_by_role(con, ALL, "meeting"))
    yield "funnel", theme_charts.funnel(recruitment.funnel(con, ALL))
    yield "tension_over_time", theme_charts.tension_over_time(recruitment.tension_by_month(con, ALL, "both"), "both")
    yield "tension_in_interviews", theme_charts.tension_in_interviews(recruitment.tension_by_month(con, ALL, "both"))
    for source in ("notes", "interviews", "both"):
        yield (
            f"code_team_heatmap {source}",
            theme_charts.code_team_heatmap(notes.code_team_matrix(con, ALL, source), source),
        )
        pairs, carried = notes.cooccurrence(con, ALL, source), notes.codes_per_document(con, ALL, source)
        yield f"cooccurrence_heatmap {source}", theme_charts.cooccurrence_heatmap(pairs, source, carried)
        yield (
            f"code_frequency {source}",
            theme_charts.code_frequency(notes.code_frequency(con, ALL, source=source), source),
        )
    yield "informant_group_heatmap", theme_charts.informant_group_heatmap(notes.code_group_matrix(con, ALL))
    yield "story.funnel_chart", story.funnel_chart(story.funnel(con, Presenting().rule, None))
    _, slides = deck.overview_slides(con, ALL, config.load_settings(), Presenting(letters=False))
    yield from ((f"deck: {s.title}", s.figure) for s in slides if s.figure is not None)


SHOWS_NO_STUDY_TEXT = {"story.funnel_chart", "deck: Recruitment funnel, all teams"}
"""Figures of fixed words only (the stages of recruitment)."""


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a figure's JSON: titles, ticks, names, hover, customdata, annotations."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from strings(key)
            yield from strings(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from strings(inner)
    elif hasattr(value, "tolist"):  # numpy arrays of labels
        yield from strings(value.tolist())


def assert_drawn_as_typed(name: str, fig: go.Figure, shows_study_text: bool = True) -> None:
    every = list(strings(fig.to_plotly_json()))
    for text in every:
        assert "<a" not in text, f"{name}: a link from study text in {text!r}"
        assert "<span" not in text, f"{name}: styled text from study text in {text!r}"
        leaked = [h for h in HOSTILE if h in text]
        assert not leaked, f"{name}: study text {leaked} reaches Plotly unescaped in {text!r}"
    if shows_study_text:
        drawn = "\n".join(shown_by_plotly(t) for t in every)
        assert [h for h in HOSTILE if h in drawn], f"{name} shows no study text: the test proves nothing"


def test_every_figure_draws_study_text_as_typed(hostile: duckdb.DuckDBPyConnection) -> None:
    made = dict(every_figure(hostile))
    assert len(made) >= 25
    for name, fig in made.items():
        shows = name not in SHOWS_NO_STUDY_TEXT
        assert_drawn_as_typed(name, fig, shows)
        assert_drawn_as_typed(f"{name}, for a room", figures.for_a_room(fig), shows)
        exported = figures.for_export(fig, figures.Provenance("Meetings 2020"))
        assert_drawn_as_typed(f"{name}, exported", exported, shows)


def test_every_figure_a_page_draws_is_sent_as_plotlys_checks_would_make_it(
    hostile: duckdb.DuckDBPyConnection,
) -> None:
    # figures.for_screen makes a page's copy of a figure without Plotly's checks (40-60 ms for a
    # panel chart on a page's first visit): what it sends must be what a checked copy would send
    (meeting,) = hostile.execute("select min(meeting_id) from contributions").fetchone() or (None,)
    assert meeting is not None  # the demo observes meetings live
    drawn = [
        *every_figure(hostile),
        ("contribution_timeline", view_charts.contribution_timeline(voice.timeline(hostile, meeting))),
    ]
    for name, fig in drawn:
        for shown in (figures.for_screen(fig), figures.for_screen(figures.for_a_room(fig), clickable=True)):
            sent, checked = (json.loads(f.to_json()) for f in (shown, go.Figure(shown.to_plotly_json())))
            checked["layout"].pop("template"), sent["layout"].pop("template", None)
            assert checked == sent, name


def test_an_event_label_is_drawn_as_typed_on_its_line(hostile: duckdb.DuckDBPyConnection) -> None:
    found = queries.overview(hostile, ALL, LEVEL)
    fig = charts.involvement_trend(found.trend, 0.5, "Contributing", found.events)
    notes = [a for a in fig.layout.annotations if a.name == charts.EVENT_NOTE]
    labels = [a.hovertext.rpartition(" (")[0] for a in notes]  # whole in its hover; a long one is cut on the chart
    assert labels
    assert all(shown_by_plotly(text).endswith(" e") for text in labels)
    assert shown_by_plotly(plotly_text(LINK) + " e") in {shown_by_plotly(t) for t in labels}


def test_escaped_team_names_still_match_across_a_heatmap_and_its_clickable_cells(
    hostile: duckdb.DuckDBPyConnection,
) -> None:
    fig = theme_charts.code_team_heatmap(notes.code_team_matrix(hostile, ALL))
    heat, cells = fig.data
    assert set(cells.x) == set(heat.x)
    assert set(cells.y) == set(heat.y)
    assert {shown_by_plotly(x) for x in heat.x} >= {f"{LINK} 1", f"{STYLED} 2"}


def test_a_hover_template_never_holds_study_text_as_a_variable(hostile: duckdb.DuckDBPyConnection) -> None:
    for name, fig in every_figure(hostile):
        for trace in fig.data:
            template = trace.hovertemplate if isinstance(trace.hovertemplate, str) else ""
            assert "%{meta}" not in template, name
            assert "$x^2$" not in template, name


# --- drawn by Plotly itself ------------------------------------------------------------------------


@pytest.mark.usefixtures("chromium")
def test_plotly_draws_the_markup_as_text_and_makes_no_link(hostile: duckdb.DuckDBPyConnection) -> None:
    found = queries.overview(hostile, ALL, LEVEL)
    fig = charts.involvement_trend(found.trend, 0.5, "Contributing", found.events)
    svg = figures.image(figures.for_export(fig, figures.Provenance("Meetings 2020")), "svg").decode()
    tree = ET.fromstring(svg)
    tags = {element.tag.rpartition("}")[2] for element in tree.iter()}
    assert "a" not in tags  # Plotly draws a link as an <a> element
    drawn = ["".join(element.itertext()) for element in tree.iter() if element.tag.endswith("}text")]
    # the team's panel title, as typed (over two lines: the lines' <tspan>s join without a space)
    assert f"{LINK} 1".replace(" ", "") in [text.replace(" ", "") for text in drawn]
    assert any(text.startswith(f"{STYLED} e") for text in drawn)  # an event's label
    styled = [e for e in tree.iter() if "fill: rgb(255, 0, 0)" in (e.get("style") or "")]
    assert styled == []  # no <span style="color:red"> took effect
    # no title was split at a <br> of the study's text
    assert not any(text in ("x", "y 3") for text in drawn)


def test_the_fixture_names_each_team_in_markup(hostile: duckdb.DuckDBPyConnection) -> None:
    names = [n for (n,) in hostile.execute("select name from teams order by id").fetchall()]
    assert names[:2] == [f"{LINK} 1", f"{STYLED} 2"]
