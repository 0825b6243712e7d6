"""Notes, interviews and themes on the small study (answers in tests/small_study.py, its interviews
at the end of it), and the code × team counts of the demo read a second way."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import pydantic
import pytest

from observation import db, definitions, notes, profile, theme_charts
from observation.filters import StudyFilter
from observation.plain import markdown_text
from tests.small_study import add_interviews

pytestmark = pytest.mark.both_backends  # every measure read the same from PostgreSQL

ALL = StudyFilter()


def ids(con: duckdb.DuckDBPyConnection, **query: object) -> list[int]:
    found = notes.excerpts(con, ALL, notes.ExcerptQuery.model_validate(query))
    return [int(i) for i in found.rows["note_id"]]


def documents(con: duckdb.DuckDBPyConnection, flt: StudyFilter = ALL, **query: object) -> list[str]:
    """The excerpts found, as n1 (note 1) and i1 (interview 1), in the order shown."""
    found = notes.excerpts(con, flt, notes.ExcerptQuery.model_validate(query))
    return [f"{s[0]}{i}" for s, i in zip(found.rows["source"], found.rows["note_id"], strict=True)]


@pytest.fixture
def interviewed(small: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The small study with its five interviews (tests/small_study.py, INTERVIEWS_SQL)."""
    add_interviews(small)
    return small


def test_every_note_in_date_order_with_its_codes_from_any_coder(small: duckdb.DuckDBPyConnection) -> None:
    found = notes.excerpts(small, ALL, notes.ExcerptQuery())
    assert found.total == 6
    assert list(found.rows["note_id"]) == [1, 2, 4, 6, 5, 3]
    codes = {int(r["note_id"]): list(r["code_ids"]) for r in found.rows.to_dict("records")}
    assert codes == {1: [6], 2: [2, 3], 3: [5], 4: [2, 3], 5: [6], 6: []}  # n2's code 3 is R02's alone


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"text": "UNWELL ward"}, [4]),  # every word, in any case
        ({"text": "unwell nurse"}, []),
        ({"text": "well"}, []),  # whole words: "well" is not found inside "unwell"
        ({"text": "A-SU1"}, [1]),  # a code is found by its parts
        ({"codes": (1,)}, [2, 4]),  # a theme finds the codes under it
        ({"codes": (3,)}, [2, 4]),
        ({"codes": (5, 6)}, [1, 5, 3]),
        ({"presence": "service_user"}, [1, 2, 5]),  # m1 and m6 had a service user present
        ({"presence": "lived_experience"}, [1, 2, 5]),
        ({"presence": "none"}, [4, 3]),  # held, recorded, nobody with lived experience
        ({"team_id": 2}, [4, 5]),
        ({"month": dt.date(2020, 2, 1)}, [6, 5, 3]),
        ({"meeting_id": 1}, [1, 2]),
        ({"all_codes": (2, 3)}, [2, 4]),  # the notes behind a co-occurrence cell
        ({"all_codes": (3, 6)}, []),
        ({"all_codes": (1,)}, []),  # every code as applied: a theme's own code was applied to nothing
    ],
)
def test_each_narrowing_of_the_excerpts(
    small: duckdb.DuckDBPyConnection, query: dict[str, object], expected: list[int]
) -> None:
    assert ids(small, **query) == expected


def test_interviews_are_searched_too_but_not_by_who_was_in_the_room(interviewed: duckdb.DuckDBPyConnection) -> None:
    found = notes.excerpts(interviewed, ALL, notes.ExcerptQuery(text="unwell"))
    assert documents(interviewed, text="unwell") == ["n4", "i2"]
    assert list(found.rows["code_ids"].iloc[1]) == [3, 5]
    assert found.rows["informant_group"].iloc[1] == "service_user"  # shown with the quote
    # nobody is "in the room" of an interview: choosing who was leaves interviews out
    assert documents(interviewed, text="unwell", presence="none") == ["n4"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # every drill-down asks for the source its count counted: a notes-only cell shows no transcript
        ({"source": "notes"}, ["n1", "n2", "n4", "n6", "n5", "n3"]),
        ({"source": "interviews"}, ["i2", "i1", "i4", "i5", "i3"]),  # by date; i1 has no team
        # the Alpha cell of code 3 counts n2 and i2 under "both", n2 alone under "notes"
        ({"codes": (3,), "exact": True, "team_id": 1, "source": "both"}, ["n2", "i2"]),
        ({"codes": (3,), "exact": True, "team_id": 1, "source": "notes"}, ["n2"]),
        # the "No team (interviews)" cell: only documents with no team, whatever the source
        ({"codes": (2,), "exact": True, "no_team": True, "source": "both"}, ["i1"]),
        ({"no_team": True, "source": "notes"}, []),
        # a cell of the informant-group matrix: one group's transcripts, never a note
        ({"informant_group": "service_user"}, ["i2", "i5"]),
        ({"informant_group": "carer", "codes": (3,), "exact": True, "source": "interviews"}, ["i3"]),
        # codes together on one transcript (i2: 3 and 5); never a note and a transcript as a pair
        ({"all_codes": (3, 5), "source": "both"}, ["i2"]),
        ({"all_codes": (2, 3), "source": "interviews"}, []),
        ({"all_codes": (2, 3), "source": "both"}, ["n2", "n4"]),
        # a month is the meeting's for a note, the interview's for a transcript
        ({"month": dt.date(2020, 2, 1), "source": "interviews"}, ["i1", "i4", "i5"]),
        ({"month": dt.date(2020, 3, 1)}, ["i3"]),
        ({"meeting_id": 1}, ["n1", "n2"]),  # a meeting has notes, never a transcript
    ],
)
def test_each_narrowing_of_notes_and_interviews(
    interviewed: duckdb.DuckDBPyConnection, query: dict[str, object], expected: list[str]
) -> None:
    assert documents(interviewed, **query) == expected


def test_the_filter_applies_to_interviews_by_their_team_and_date(interviewed: duckdb.DuckDBPyConnection) -> None:
    # choosing teams or a setting leaves out the interview with no team: it belongs to none of them
    assert documents(interviewed, StudyFilter(teams=(1,)), source="interviews") == ["i2", "i4"]
    assert documents(interviewed, StudyFilter(setting="inpatient"), source="interviews") == ["i5", "i3"]
    assert documents(interviewed, StudyFilter(end=dt.date(2020, 2, 3)), source="interviews") == ["i2", "i1"]


def test_a_query_is_for_one_team_or_no_team() -> None:
    # both at once would silently find nothing: refused instead
    with pytest.raises(pydantic.ValidationError):
        notes.ExcerptQuery(team_id=1, no_team=True)


def test_a_limit_says_how_many_there_were(small: duckdb.DuckDBPyConnection) -> None:
    found = notes.excerpts(small, ALL, notes.ExcerptQuery(limit=2))
    assert (len(found.rows), found.total, found.truncated) == (2, 6, True)


# --- a search's matches, highlighted -------------------------------------------------------------

MARKED = re.compile(r":orange\[\*\*([^\W_]+)\*\*\]")
"""A word notes.highlighted marked (notes.HIGHLIGHT)."""


def marked(shown: str) -> list[str]:
    return MARKED.findall(shown)


def unmarked(shown: str) -> str:
    """The highlighted Markdown with the marks taken off again."""
    return MARKED.sub(r"\1", shown)


def test_every_occurrence_of_every_searched_word_is_highlighted_in_any_case() -> None:
    assert notes.HIGHLIGHT.format("x") == ":orange[**x**]"  # what MARKED reads
    shown = notes.highlighted(
        "Right, the RIGHT service user; rights and upright are not right? USERS", ["right", "USER"]
    )
    assert marked(shown) == ["Right", "RIGHT", "user", "right"]  # whole words, as the search finds them
    assert unmarked(shown) == markdown_text("Right, the RIGHT service user; rights and upright are not right? USERS")


def test_a_highlighted_note_shows_its_own_markdown_as_typed() -> None:
    body = "**right** _right_ [right](https://example.org) <b>right</b> :red[right] `right` # right $x$ www.right.org"
    shown = notes.highlighted(body, ["right"])
    assert len(marked(shown)) == 8
    # everything but the marks is the note escaped as every other study text is (tests/unit/test_plain_text.py)
    assert unmarked(shown) == markdown_text(body)
    assert "\\(https\\:\u200b//example" in shown  # the address is no live link


@pytest.mark.parametrize(
    "typed", ["**right**", "right](javascript:alert(1))", ":red[right]", "<b>right</b>", "`right`"]
)
def test_a_searched_word_cannot_add_markup(typed: str) -> None:
    body = "Finding the right service user."
    words = notes.ExcerptQuery(text=typed).words
    shown = notes.highlighted(body, words)
    assert marked(shown) == ["right"]
    assert unmarked(shown) == markdown_text(body)


def test_a_word_with_markup_in_it_matches_nothing() -> None:
    # highlighted is given the search's words (letters and digits); anything else never matches
    body = "Finding the [right] service user."
    assert notes.highlighted(body, ["[right]", "**", "](x)", ":red[", ""]) == markdown_text(body)


def test_a_highlighted_note_keeps_its_lines_and_starts_no_block() -> None:
    body = "    indented right\n\n- right\r\n1. right\r==="
    shown = notes.highlighted(body, ["RIGHT"])
    lines = shown.split("\n")
    assert len(lines) == 5
    assert all(line.endswith("\\") for line in lines[:-1])  # a hard break each: one paragraph, no blank line
    assert not lines[0].startswith(" ")  # four spaces would start a code block
    assert unmarked(shown).replace("\\\n", "\n") == markdown_text("indented right\n\n- right\n1. right\n===")


def test_the_highlighted_words_are_the_words_the_search_matched(small: duckdb.DuckDBPyConnection) -> None:
    bodies = [
        "Well-being, WELLBEING and well.",
        "Nobody was well_enough to come",
        "Straße ÉTÉ été 2nd",
        "x1 and X1y",
    ]
    with db.transaction(small) as cur:
        for i, body in enumerate(bodies):
            cur.execute(
                "insert into field_notes (id, meeting_id, position, author, body) values (?, 4, ?, 'OB-02', ?)",
                [100 + i, 10 + i, body],
            )
    everything = [str(b) for b in notes.excerpts(small, ALL, notes.ExcerptQuery()).rows["body"]]
    for text in ("well", "WELL being", "enough", "été", "STRASSE", "straße", "x1", "2nd", "nd", "well, x1"):
        query = notes.ExcerptQuery(text=text)
        found = set(notes.excerpts(small, ALL, query).rows["body"])
        for body in everything:
            every_word_marked = {w.lower() for w in query.words} <= {
                w.lower() for w in marked(notes.highlighted(body, query.words))
            }
            assert (body in found) == every_word_marked, (text, body)


@pytest.mark.parametrize(
    ("total", "query", "said"),
    [
        (4, {"text": "right, service-user"}, "4 notes and transcripts match \u201cright service user\u201d"),
        (1, {"text": "unwell", "source": "notes"}, "1 note matches \u201cunwell\u201d"),
        (0, {"text": "unwell", "source": "interviews"}, "0 transcripts match \u201cunwell\u201d"),
        (1, {"text": "x"}, "1 note or transcript matches \u201cx\u201d"),
        (2, {"codes": (2, 3)}, '2 notes and transcripts coded Finding the "right" service user or Complexity'),
        (
            3,
            {"text": "ward", "presence": "none"},  # who was in the room: notes alone (interviews have no room)
            "3 notes match \u201cward\u201d, from meetings where nobody with lived experience was present",
        ),
        (
            1,
            {"codes": (5,), "presence": "service_user"},
            "1 note coded Absent, from meetings where a service user was present",
        ),
        (1_234, {"text": "a", "codes": (5,)}, "1,234 notes and transcripts match \u201ca\u201d, coded Absent"),
        # a code gone from the codebook (a link made before) is said so, never by its id
        (2, {"codes": (3, 7)}, "2 notes and transcripts coded Complexity or a code no longer in the codebook"),
        (2, {"codes": (7, 8)}, "2 notes and transcripts coded 2 codes no longer in the codebook"),
    ],
)
def test_a_search_says_what_it_found(total: int, query: dict[str, object], said: str) -> None:
    names = {2: 'Finding the "right" service user', 3: "Complexity", 5: "Absent"}
    assert notes.search_summary(total, notes.ExcerptQuery.model_validate(query), names) == said


def test_a_search_says_how_its_words_match_in_what_it_can_find() -> None:
    assert notes.search_rule(notes.ExcerptQuery(text="x")).startswith("A note or transcript matches when it has every")
    assert notes.search_rule(notes.ExcerptQuery(text="x", source="interviews")).startswith("A transcript matches")
    assert notes.search_rule(notes.ExcerptQuery(text="x", presence="none")).startswith("A note matches")


def test_a_search_is_words_codes_or_who_was_in_the_room() -> None:
    assert not notes.searched(notes.ExcerptQuery())
    assert not notes.searched(notes.ExcerptQuery(text=" *** ", source="notes"))  # no word to find
    assert notes.searched(notes.ExcerptQuery(text="ward"))
    assert notes.searched(notes.ExcerptQuery(codes=(1,)))
    assert notes.searched(notes.ExcerptQuery(presence="none"))


def test_codes_by_team_count_each_note_once(small: duckdb.DuckDBPyConnection) -> None:
    matrix = notes.code_team_matrix(small, ALL)
    cells = {(r["code_id"], r["team_name"]): r["notes"] for r in matrix.to_dict("records")}
    assert cells == {
        (2, "Alpha"): 1, (3, "Alpha"): 1, (5, "Alpha"): 1, (6, "Alpha"): 1,
        (2, "Beta"): 1, (3, "Beta"): 1, (6, "Beta"): 1,
    }  # fmt: skip


NO_TEAM = notes.NO_TEAM


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # (notes, transcripts) per code and team; the counts of field notes do not move
        ("notes", {
            (2, "Alpha"): (1, 0), (3, "Alpha"): (1, 0), (5, "Alpha"): (1, 0), (6, "Alpha"): (1, 0),
            (2, "Beta"): (1, 0), (3, "Beta"): (1, 0), (6, "Beta"): (1, 0),
        }),
        # i1 carries code 2 in three segments by two coders: one transcript; i4 is coded with nothing
        ("interviews", {
            (3, "Alpha"): (0, 1), (5, "Alpha"): (0, 1), (3, "Beta"): (0, 1), (6, "Beta"): (0, 2), (2, NO_TEAM): (0, 1),
        }),
        ("both", {
            (2, "Alpha"): (1, 0), (3, "Alpha"): (1, 1), (5, "Alpha"): (1, 1), (6, "Alpha"): (1, 0),
            (2, "Beta"): (1, 0), (3, "Beta"): (1, 1), (6, "Beta"): (1, 2), (2, NO_TEAM): (0, 1),
        }),
    ],
)  # fmt: skip
def test_codes_by_team_count_each_document_once_in_the_chosen_source(
    interviewed: duckdb.DuckDBPyConnection, source: notes.Source, expected: dict[tuple[int, str], tuple[int, int]]
) -> None:
    matrix = notes.code_team_matrix(interviewed, ALL, source)
    cells = {(r["code_id"], r["team_name"]): (r["notes"], r["interviews"]) for r in matrix.to_dict("records")}
    assert cells == expected
    assert list(matrix["documents"]) == [n + i for n, i in zip(matrix["notes"], matrix["interviews"], strict=True)]
    # the interviews with no team are one column, keyed by no team id (a click asks for no_team)
    assert matrix[matrix["team_name"] == NO_TEAM]["team_id"].isna().all()


def test_codes_by_team_of_interviews_follow_the_filter(interviewed: duckdb.DuckDBPyConnection) -> None:
    def cells(flt: StudyFilter) -> set[tuple[int, str]]:
        matrix = notes.code_team_matrix(interviewed, flt, "interviews")
        return set(zip(matrix["code_id"], matrix["team_name"], strict=True))

    assert cells(StudyFilter(teams=(1,))) == {(3, "Alpha"), (5, "Alpha")}  # not the one with no team
    assert cells(StudyFilter(setting="inpatient")) == {(3, "Beta"), (6, "Beta")}
    assert cells(StudyFilter(end=dt.date(2020, 1, 31))) == {(3, "Alpha"), (5, "Alpha")}  # i2 alone
    assert cells(StudyFilter(start=dt.date(2020, 3, 1))) == {(3, "Beta"), (6, "Beta")}  # i3 alone


def test_codes_together(small: duckdb.DuckDBPyConnection) -> None:
    pairs = notes.cooccurrence(small, ALL)
    assert [(r["code_a"], r["code_b"], r["notes"]) for r in pairs.to_dict("records")] == [(2, 3, 2)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("notes", [(2, 3, 2)]),
        ("interviews", [(3, 5, 1), (3, 6, 1)]),  # i2 and i3
        ("both", [(2, 3, 2), (3, 5, 1), (3, 6, 1)]),  # a note and a transcript never make a pair
    ],
)
def test_codes_together_in_the_chosen_source(
    interviewed: duckdb.DuckDBPyConnection, source: notes.Source, expected: list[tuple[int, int, int]]
) -> None:
    pairs = notes.cooccurrence(interviewed, ALL, source)
    assert [(r["code_a"], r["code_b"], r["documents"]) for r in pairs.to_dict("records")] == expected


def test_a_theme_over_time(small: duckdb.DuckDBPyConnection) -> None:
    # codes 2 and 3 in January 2020: each on one of Alpha's notes and one of Beta's, summed over the teams
    freq = notes.code_frequency(small, ALL, "recruitment_tension")
    assert sorted((r["code_id"], str(r["month"])[:7], r["notes"]) for r in freq.to_dict("records")) == [
        (2, "2020-01", 2), (3, "2020-01", 2),
    ]  # fmt: skip
    beta = notes.code_frequency(small, StudyFilter(teams=(2,)), "recruitment_tension")
    assert sorted((r["code_id"], str(r["month"])[:7], r["notes"]) for r in beta.to_dict("records")) == [
        (2, "2020-01", 1), (3, "2020-01", 1),
    ]  # fmt: skip


def test_a_theme_over_time_counts_a_transcript_in_the_month_of_its_interview(
    interviewed: duckdb.DuckDBPyConnection,
) -> None:
    freq = notes.code_frequency(interviewed, ALL, "recruitment_tension", "both")
    got = sorted((r["code_id"], str(r["month"])[:7], r["notes"], r["interviews"]) for r in freq.to_dict("records"))
    assert got == [
        (2, "2020-01", 2, 0), (2, "2020-02", 0, 1),  # Alpha's and Beta's notes; i1 (no team), in February
        (3, "2020-01", 2, 1),  # n2 (Alpha), n4 (Beta) and i2 (20 January)
        (3, "2020-03", 0, 1),  # i3 (Beta) in March
    ]  # fmt: skip


def drawn_over_time(fig: go.Figure) -> dict[tuple[int, str, str], int]:
    """The over-time chart's points: (code, month, source) → the count drawn, from what a click carries."""
    return {
        (int(code), str(month), str(source)): int(y)
        for trace in fig.data
        for (code, month, source), y in zip(trace.customdata, trace.y, strict=True)
    }


def test_codes_over_time_of_both_sources_are_drawn_apart(interviewed: duckdb.DuckDBPyConnection) -> None:
    # code 3 in January 2020: two notes (n2, n4) and one transcript (i2), two points, never a 3
    fig = theme_charts.code_frequency(notes.code_frequency(interviewed, ALL, source="both"), "both")
    points = drawn_over_time(fig)
    assert points[(3, "2020-01-01", "notes")] == 2
    assert points[(3, "2020-01-01", "interviews")] == 1
    assert 3 not in points.values()
    # field notes in the upper panel, solid; interview transcripts in the lower, dotted, in the code's colour
    for trace in fig.data:
        (source,) = {c[2] for c in trace.customdata}
        assert (trace.yaxis, trace.line.dash) == {"notes": ("y", "solid"), "interviews": ("y2", "dot")}[source]
        assert {"notes": "field notes", "interviews": "interview transcripts"}[source] in trace.hovertemplate
    colours = {(t.legendgroup, t.line.color) for t in fig.data}
    assert len(colours) == len({t.legendgroup for t in fig.data})  # one colour a code, in both panels
    assert "never added" in fig.layout.title.text


def test_codes_over_time_without_a_source_draw_no_empty_panel(interviewed: duckdb.DuckDBPyConnection) -> None:
    # to 15 January 2020 there are coded notes (n1, n2, n4) and no interview yet (i2 is 20 January)
    january = StudyFilter(end=dt.date(2020, 1, 15))
    freq = notes.code_frequency(interviewed, january, source="both")
    assert theme_charts.counted(freq, "notes")
    assert not theme_charts.counted(freq, "interviews")
    assert theme_charts.counted(freq, "both")
    fig = theme_charts.code_frequency(freq, "both")
    assert {c[2] for trace in fig.data for c in trace.customdata} == {"notes"}  # one panel, of the notes
    assert "no coded interview transcripts in these teams and dates" in fig.layout.title.text
    assert not theme_charts.counted(notes.code_frequency(interviewed, january, source="interviews"), "interviews")


def test_a_point_over_time_opens_just_the_documents_it_counts(interviewed: duckdb.DuckDBPyConnection) -> None:
    # the page reads a clicked point with its own source: a note's point never opens a transcript
    fig = theme_charts.code_frequency(notes.code_frequency(interviewed, ALL, source="both"), "both")
    for (code, month, source), count in drawn_over_time(fig).items():
        query = notes.ExcerptQuery(codes=(code,), exact=True, source=source, month=dt.date.fromisoformat(month))
        found = notes.excerpts(interviewed, ALL, query)
        assert found.total == count, (code, month, source)
        assert set(found.rows["source"]) <= {"note" if source == "notes" else "interview"}


def test_codes_over_time_of_both_sources_are_each_sources_own_counts(demo: duckdb.DuckDBPyConnection) -> None:
    """The review's case: "Finding the right service user" is one note a month; in "both" it rose to
    12 in February 2020 only because 11 interview transcripts were added to the one note."""
    fig = theme_charts.code_frequency(notes.code_frequency(demo, ALL, source="both"), "both")
    points = drawn_over_time(fig)
    codes = {code for code, _, _ in points}
    for source in ("notes", "interviews"):  # counted another way: each source alone
        alone = notes.code_frequency(demo, ALL, source=source).groupby(["code_id", "month"])["documents"].sum()
        assert alone.groupby(level="code_id").sum().idxmax() in codes  # each source's most used code is drawn
        expected = {
            (int(c), pd.Timestamp(m).date().isoformat(), source): int(n) for (c, m), n in alone.items() if c in codes
        }
        assert {k: n for k, n in points.items() if k[2] == source and n} == expected
        # every month between a source's first coded document and its last is drawn, at 0 where the
        # code was not used: a line from one month it was used to the next read as used in between
        drawn_months = {m for _, m, s in points if s == source}
        first, last = min(alone.index.get_level_values("month")), max(alone.index.get_level_values("month"))
        assert drawn_months == {d.date().isoformat() for d in pd.date_range(first, last, freq="MS")}
    right = next(n.code.id for n in notes.codebook(demo) if n.code.slug == "recruitment_tension.right_service_user")
    assert points[(right, "2020-02-01", "notes")] == 1
    assert points[(right, "2020-02-01", "interviews")] == 11


def test_codes_together_of_both_sources_say_how_many_of_each(interviewed: duckdb.DuckDBPyConnection) -> None:
    # 7 codes on the 5 coded notes (n6 has none); 6 on the 4 coded transcripts (i4 has none)
    carried = notes.codes_per_document(interviewed, ALL, "both")
    assert (carried.notes, carried.interviews) == (pytest.approx(1.4), pytest.approx(1.5))
    assert notes.codes_per_document(interviewed, ALL, "notes") == notes.CodesPerDocument(pytest.approx(1.4), None)
    fig = theme_charts.cooccurrence_heatmap(notes.cooccurrence(interviewed, ALL, "both"), "both", carried)
    _, cells = fig.data
    custom = {(c[0], c[1]): list(c[2:]) for c in cells.customdata if c is not None}
    assert custom[(2, 3)] == custom[(3, 2)] == [2, 2, 0]  # n2, n4
    assert custom[(3, 5)] == [1, 0, 1]  # i2
    assert "%{customdata[3]} notes, %{customdata[4]} interview transcripts" in cells.hovertemplate
    assert "a coded transcript carries 1.5 codes on average, a coded note 1.4" in fig.layout.title.text


def test_codes_by_informant_group_count_transcripts_with_each_group_size(
    interviewed: duckdb.DuckDBPyConnection,
) -> None:
    matrix = notes.code_group_matrix(interviewed, ALL)
    # every group, in the order leaders and managers, front-line staff, service users, carers
    assert list(matrix["informant_group"][:4]) == list(notes.INFORMANT_GROUPS)
    sizes = dict(zip(matrix["informant_group"], matrix["group_transcripts"], strict=False))
    assert sizes == {"leader_manager": 1, "frontline_staff": 1, "service_user": 2, "carer": 1}  # i4 counts, uncoded
    cells = {
        (r["code_id"], r["informant_group"]): r["transcripts"] for r in matrix.to_dict("records") if r["transcripts"]
    }
    assert cells == {
        (2, "leader_manager"): 1,  # three segments of i1: one transcript
        (3, "service_user"): 1, (5, "service_user"): 1, (6, "service_user"): 1,
        (3, "carer"): 1, (6, "carer"): 1,
    }  # fmt: skip
    share = {(r["code_id"], r["informant_group"]): r["share"] for r in matrix.to_dict("records")}
    assert share[(3, "service_user")] == 0.5  # 1 of the 2 service users' transcripts
    assert share[(6, "carer")] == 1.0
    # with teams chosen, the leader interviewed with no team drops out and the group has none
    beta = notes.code_group_matrix(interviewed, StudyFilter(teams=(2,)))
    sizes = dict(zip(beta["informant_group"], beta["group_transcripts"], strict=False))
    assert sizes == {"leader_manager": 0, "frontline_staff": 0, "service_user": 1, "carer": 1}
    assert beta[beta["informant_group"] == "leader_manager"]["share"].isna().all()  # no share of nothing


def test_the_tensions_a_team_returns_to_count_notes_and_transcripts(interviewed: duckdb.DuckDBPyConnection) -> None:
    # over the whole study: code 3 in n2, n4, i2, i3; code 2 in n2, n4, i1
    counts = notes.code_counts(interviewed, ALL, "recruitment_tension", "both")
    assert [(r["code_id"], r["notes"], r["interviews"]) for r in counts.to_dict("records")] == [(3, 2, 2), (2, 2, 1)]
    # Alpha's profile: code 3 (n2, i2) before code 2 (n2 alone), and says which source is which
    alpha = profile._tensions(interviewed, profile.team_filter(ALL, 1))
    assert [(t.code_id, t.notes, t.interviews) for t in alpha] == [(3, 1, 1), (2, 1, 0)]
    assert [t.counted() for t in alpha] == ["1 note, 1 interview transcript", "1 note"]
    # counted from the notes alone, the tie goes by name, as before interviews were counted
    notes_only = profile._tensions(interviewed, profile.team_filter(ALL, 1), source="notes")
    assert [(t.name, t.notes, t.interviews) for t in notes_only] == [
        ("Complexity of mental illness", 1, 0),
        ('Finding the "right" service user', 1, 0),
    ]
    assert profile.Tension(1, "x", 4, 2).counted() == "4 notes, 2 interview transcripts"


def test_a_teams_tensions_are_ranked_by_its_field_notes_before_its_transcripts(
    interviewed: duckdb.DuckDBPyConnection,
) -> None:
    # the notes record the team's own meetings; a transcript is one interview: never added to rank
    with db.transaction(interviewed) as cur:
        cur.execute(
            "insert into coded_segments (id, note_id, interview_id, code_id, coder) values "
            "(201, 1, null, 2, 'R01'), (202, null, 4, 3, 'R01'), (203, null, 3, 2, 'R01'), (204, null, 5, 2, 'R01')"
        )
    # Alpha: code 2 in two notes (n1, n2), no transcript; code 3 in one note (n2) and two transcripts
    # (i2, i4). Added, code 3 (3) would lead code 2 (2).
    alpha = profile._tensions(interviewed, profile.team_filter(ALL, 1))
    assert [(t.code_id, t.notes, t.interviews) for t in alpha] == [(2, 2, 0), (3, 1, 2)]
    assert [t.counted() for t in alpha] == ["2 notes", "1 note, 2 interview transcripts"]
    # Beta: one note each (n4 carries both); the tie goes to code 2's two transcripts (i3, i5) over
    # code 3's one (i3), though code 3 comes first by name
    beta = profile._tensions(interviewed, profile.team_filter(ALL, 2))
    assert [(t.code_id, t.notes, t.interviews) for t in beta] == [(2, 1, 2), (3, 1, 1)]


def test_every_notes_figure_says_which_source_it_counts(interviewed: duckdb.DuckDBPyConnection) -> None:
    # a reader must never take a count of transcripts for a count of notes
    for source, words in (("notes", "source: field notes"), ("interviews", "source: interviews"),
                          ("both", "source: field notes and interviews")):  # fmt: skip
        figures = (
            theme_charts.code_team_heatmap(notes.code_team_matrix(interviewed, ALL, source), source),
            theme_charts.cooccurrence_heatmap(notes.cooccurrence(interviewed, ALL, source), source),
            theme_charts.code_frequency(notes.code_frequency(interviewed, ALL, source=source), source),
        )
        for fig in figures:
            assert words + " ·" in fig.layout.title.text or words + "," in fig.layout.title.text, source
    groups = theme_charts.informant_group_heatmap(notes.code_group_matrix(interviewed, ALL))
    assert "source: interviews" in groups.layout.title.text


def test_the_no_team_column_comes_last_and_a_click_on_it_asks_for_no_team(
    interviewed: duckdb.DuckDBPyConnection,
) -> None:
    fig = theme_charts.code_team_heatmap(notes.code_team_matrix(interviewed, ALL, "both"), "both")
    heat, cells = fig.data
    assert list(heat.x) == ["Alpha", "Beta", NO_TEAM]
    clicks = [list(c) for c in cells.customdata]
    assert [2, None, 1, 0, 1] in clicks  # code 2, no team: one document, i1, no note and one transcript
    assert "%{customdata[3]} notes, %{customdata[4]} interview transcripts" in cells.hovertemplate
    assert "Notes and interview transcripts per code and team" in fig.layout.title.text


def test_the_informant_groups_read_as_shares_of_each_group(interviewed: duckdb.DuckDBPyConnection) -> None:
    fig = theme_charts.informant_group_heatmap(notes.code_group_matrix(interviewed, ALL))
    heat, cells = fig.data
    # each column says how many transcripts its group has, so a count can be read as a share
    assert list(heat.x) == ["Leaders and managers (1)", "Front-line staff (1)", "Service users (2)", "Carers (1)"]
    row = list(heat.y).index("Complexity of mental illness")
    assert list(heat.text[row]) == [0, 0, 1, 1]
    assert list(heat.z[row]) == [0.0, 0.0, 0.5, 1.0]  # coloured by share
    assert [3, "service_user", 1, 2] in [list(c) for c in cells.customdata]  # a click: code, group, count, of


def test_the_codebook_reads_as_a_tree(small: duckdb.DuckDBPyConnection) -> None:
    book = notes.codebook(small)
    assert [(n.code.slug, n.depth) for n in book] == [
        ("presence", 0),
        ("presence.service_user_absent", 1),
        ("presence.voice", 1),
        ("recruitment_tension", 0),
        ("recruitment_tension.complexity_of_illness", 1),
        ("recruitment_tension.right_service_user", 1),
    ]
    assert book[2].code.four_pi == "impact"


def test_the_csv_has_one_zero_or_one_column_per_code(small: duckdb.DuckDBPyConnection) -> None:
    found = notes.excerpts(small, ALL, notes.ExcerptQuery(team_id=2))
    rows = list(csv.DictReader(io.StringIO(notes.excerpts_csv(found, notes.codebook(small)).decode())))
    assert [r["note_id"] for r in rows] == ["4", "5"]
    assert rows[0]["recruitment_tension.right_service_user"] == "1"
    assert rows[0]["presence.voice"] == "0"
    assert rows[1]["presence.voice"] == "1"
    assert rows[0]["day"] == "2020-01-15"


def test_code_by_team_counts_of_both_sources_agree_with_a_plain_reading_of_the_demo(
    demo: duckdb.DuckDBPyConnection,
) -> None:
    """The same counts the other way: pandas over the demo's raw tables, a document once per code."""
    table = {
        name: demo.table(name).df() for name in ("coded_segments", "field_notes", "meetings", "teams", "interviews")
    }
    segments, teams = table["coded_segments"], table["teams"].set_index("id")
    on_notes = segments.dropna(subset=["note_id"]).merge(
        table["field_notes"][["id", "meeting_id"]], left_on="note_id", right_on="id"
    )
    on_notes = on_notes.merge(table["meetings"][["id", "team_id"]], left_on="meeting_id", right_on="id")
    on_notes = on_notes.drop_duplicates(["note_id", "code_id"])
    on_interviews = segments.dropna(subset=["interview_id"]).merge(
        table["interviews"][["id", "team_id"]], left_on="interview_id", right_on="id"
    )
    on_interviews = on_interviews.drop_duplicates(["interview_id", "code_id"])
    both = pd.concat([on_notes[["code_id", "team_id"]], on_interviews[["code_id", "team_id"]]])
    both["team_name"] = [NO_TEAM if pd.isna(t) else teams.loc[int(t), "name"] for t in both["team_id"]]
    expected = both.groupby(["code_id", "team_name"]).size().to_dict()
    assert len(on_interviews) > 0  # the demo's interviews are coded: the comparison covers them
    matrix = notes.code_team_matrix(demo, ALL, "both")
    got = dict(zip(zip(matrix["code_id"], matrix["team_name"], strict=True), matrix["documents"], strict=True))
    assert got == expected


def test_the_measures_page_words_the_counting_of_codes_as_the_definitions_do() -> None:
    # docs/MEASURES.md and the pages' help must not drift apart
    measures = (Path(__file__).parents[2] / "docs" / "MEASURES.md").read_text(encoding="utf-8")
    assert definitions.CODE_COUNTS in re.sub(r"\s+", " ", measures.replace("**", ""))
