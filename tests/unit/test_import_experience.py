"""The experience feedback and the impact log through a full export and back: the demo study's
questionnaire, answers and changes, exported in full (Parquet) and loaded into an empty study on
each backend, come back row for row, ids, versions, "prefer not to say" and times included, and
measure the same; a spoiled value in one of their tables is refused as any import refuses it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observation import db, export, feedback
from observation.filters import StudyFilter

pytestmark = pytest.mark.both_backends  # the study loaded into: a file, or PostgreSQL

EXPERIENCE = ("feedback_items", "feedback_responses", "impact_entries")


@pytest.fixture
def fresh(new_location: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """An empty study on the test's backend."""
    con = db.connect(new_location)
    yield con
    con.close()


def rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[object, ...]]:
    return con.execute(f"select * from {table} order by id").fetchall()


def test_a_full_export_of_the_demo_gives_back_its_questionnaire_answers_and_changes(
    demo_copy: duckdb.DuckDBPyConnection, fresh: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    export.export(demo_copy, "full", "parquet", tmp_path / "out")
    for table in EXPERIENCE:
        assert (tmp_path / "out" / f"{table}.parquet").is_file(), table
    loaded = export.load_full_export(fresh, tmp_path / "out")
    assert set(EXPERIENCE) <= set(loaded)
    for table in EXPERIENCE:
        held = rows(demo_copy, table)
        assert held, f"the demo has no {table}: nothing would be tested"
        assert rows(fresh, table) == held, table
    # what the demo holds is tested, not a table of one kind: reworded items, both kinds of answer
    assert demo_copy.execute("select count(*) from feedback_items where version > 1").fetchone() != (0,)
    assert demo_copy.execute("select count(*) from feedback_responses where answer is null").fetchone() != (0,)
    assert demo_copy.execute("select count(*) from impact_entries where meeting_id is not null").fetchone() != (0,)
    # and the measures read from them are the same
    everything = StudyFilter()
    for measure in (feedback.experience_by_month, feedback.item_scores, feedback.impact_by_month):
        pd.testing.assert_frame_equal(measure(fresh, everything), measure(demo_copy, everything), check_dtype=False)
    assert feedback.items(fresh) == feedback.items(demo_copy)


@pytest.mark.parametrize(
    ("table", "column", "value", "reason"),
    [
        ("impact_entries", "description", "A leaflet\x0brewritten", "holds a control character ('\\x0b')"),
        ("impact_entries", "kind", "A change idea adopted", "not a known kind of change; use one of: change_idea"),
        ("feedback_responses", "via", "Paper", "not a known way the answer came; use one of: review, phone, paper"),
    ],
    ids=["control character", "words for a kind", "words for via"],
)
def test_a_full_export_whose_experience_tables_break_the_rules_is_refused_whole(
    demo_copy: duckdb.DuckDBPyConnection,
    fresh: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    table: str,
    column: str,
    value: str,
    reason: str,
) -> None:
    export.export(demo_copy, "full", "parquet", tmp_path / "out")
    frame = pd.read_parquet(tmp_path / "out" / f"{table}.parquet")
    frame.loc[1, column] = value
    frame.to_parquet(tmp_path / "out" / f"{table}.parquet")
    with pytest.raises(export.ImportProblems) as caught:
        export.load_full_export(fresh, tmp_path / "out")
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.column) == (f"{table}.parquet", 2, column)
    assert problem.reason.startswith(reason)
    for emptied in (*db.STUDY_TABLES,):
        assert fresh.execute(f"select count(*) from {emptied}").fetchone() == (0,), emptied
