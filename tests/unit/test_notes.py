"""Notes and themes on the small study (answers in tests/small_study.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import duckdb
import pytest

from observation import notes
from observation.filters import StudyFilter

pytestmark = pytest.mark.both_backends  # every measure read the same from PostgreSQL

ALL = StudyFilter()


def ids(con: duckdb.DuckDBPyConnection, **query: object) -> list[int]:
    found = notes.excerpts(con, ALL, notes.ExcerptQuery.model_validate(query))
    return [int(i) for i in found.rows["note_id"]]


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


def test_interviews_are_searched_too_but_not_by_who_was_in_the_room(small: duckdb.DuckDBPyConnection) -> None:
    small.execute(
        "insert into interviews values (1, 'KI-01', 'service_user', 2, '2020-03-01', 'Too unwell, they said.');"
        "insert into coded_segments (note_id, interview_id, code_id, coder) values (null, 1, 3, 'R01');"
    )
    found = notes.excerpts(small, ALL, notes.ExcerptQuery(text="unwell"))
    assert list(zip(found.rows["source"], found.rows["note_id"], strict=True)) == [("note", 4), ("interview", 1)]
    assert list(found.rows["code_ids"].iloc[1]) == [3]
    assert ids(small, text="unwell", presence="none") == [4]


def test_a_limit_says_how_many_there_were(small: duckdb.DuckDBPyConnection) -> None:
    found = notes.excerpts(small, ALL, notes.ExcerptQuery(limit=2))
    assert (len(found.rows), found.total, found.truncated) == (2, 6, True)


def test_codes_by_team_count_each_note_once(small: duckdb.DuckDBPyConnection) -> None:
    matrix = notes.code_team_matrix(small, ALL)
    cells = {(r["code_id"], r["team_name"]): r["notes"] for r in matrix.to_dict("records")}
    assert cells == {
        (2, "Alpha"): 1, (3, "Alpha"): 1, (5, "Alpha"): 1, (6, "Alpha"): 1,
        (2, "Beta"): 1, (3, "Beta"): 1, (6, "Beta"): 1,
    }  # fmt: skip


def test_codes_together(small: duckdb.DuckDBPyConnection) -> None:
    pairs = notes.cooccurrence(small, ALL)
    assert [(r["code_a"], r["code_b"], r["notes"]) for r in pairs.to_dict("records")] == [(2, 3, 2)]


def test_a_theme_over_time(small: duckdb.DuckDBPyConnection) -> None:
    freq = notes.code_frequency(small, ALL, "recruitment_tension")
    assert sorted((r["code_id"], r["team_name"], str(r["month"])[:7], r["notes"]) for r in freq.to_dict("records")) == [
        (2, "Alpha", "2020-01", 1), (2, "Beta", "2020-01", 1), (3, "Alpha", "2020-01", 1), (3, "Beta", "2020-01", 1),
    ]  # fmt: skip


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
