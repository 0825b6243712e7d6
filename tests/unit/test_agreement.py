"""Coder agreement on the small study (answers in tests/small_study.py)."""

from __future__ import annotations

import duckdb
import pytest

from observation import agreement, db
from observation.filters import StudyFilter

pytestmark = pytest.mark.both_backends  # every measure read the same from PostgreSQL


def test_per_code_and_pooled_agreement_match_the_hand_computed_answers(small: duckdb.DuckDBPyConnection) -> None:
    result = agreement.agreement(small, StudyFilter(), "R01", "R02")
    assert result.notes == 4  # n5 was coded by R01 alone
    per_code = {c.code_id: (c.tally.percent, c.tally.kappa) for c in result.codes}
    assert per_code == {
        2: (0.75, pytest.approx(0.5)),
        3: (0.75, pytest.approx(0.5)),
        5: (1.0, 1.0),
        6: (1.0, 1.0),
    }
    assert result.overall == agreement.Tally(both=4, only_a=1, only_b=1, neither=10)
    assert result.overall.percent == 0.875
    assert result.overall.kappa == pytest.approx(78 / 110)


def test_the_disagreements_are_listed_note_by_note(small: duckdb.DuckDBPyConnection) -> None:
    rows = agreement.agreement(small, StudyFilter(), "R01", "R02").disagreements
    assert [(r["note_id"], r["code_name"], r["coded_by"]) for r in rows.to_dict("records")] == [
        (2, "Complexity of mental illness", "R02 only"),
        (4, 'Finding the "right" service user', "R01 only"),
    ]


def test_the_filter_narrows_the_notes(small: duckdb.DuckDBPyConnection) -> None:
    beta = agreement.agreement(small, StudyFilter(teams=(2,)), "R01", "R02")
    assert beta.notes == 1
    assert beta.overall == agreement.Tally(both=1, only_a=1, only_b=0, neither=0)


@pytest.mark.parametrize(
    ("tally", "kappa"),
    [
        (agreement.Tally(5, 0, 0, 5), 1.0),
        (agreement.Tally(0, 5, 5, 0), -1.0),
        (agreement.Tally(0, 0, 0, 10), None),  # nobody ever applied it: chance agreement is certain
        (agreement.Tally(0, 0, 0, 0), None),
    ],
)
def test_kappa_edges(tally: agreement.Tally, kappa: float | None) -> None:
    assert tally.kappa == kappa


def test_the_demo_agreement_agrees_with_decisions_counted_note_by_note(demo: duckdb.DuckDBPyConnection) -> None:
    """Another route: every note both coders coded, times every code either used there, as sets."""
    with db.cursor(demo) as cur:
        rows = cur.execute("select note_id, code_id, coder from coded_segments where note_id is not null").fetchall()
    applied = {(note, code, coder) for note, code, coder in rows if coder in ("R01", "R02")}
    notes = {n for n, _, c in applied if c == "R01"} & {n for n, _, c in applied if c == "R02"}
    codes = {code for n, code, _ in applied if n in notes}
    expected: dict[int, agreement.Tally] = {}
    for code in codes:
        a = {n for n in notes if (n, code, "R01") in applied}
        b = {n for n in notes if (n, code, "R02") in applied}
        expected[code] = agreement.Tally(len(a & b), len(a - b), len(b - a), len(notes - a - b))
    result = agreement.agreement(demo, StudyFilter(), "R01", "R02")
    assert result.notes == len(notes) > 0
    assert {c.code_id: c.tally for c in result.codes} == expected
    tallies = expected.values()
    pooled = [sum(t.both for t in tallies), sum(t.only_a for t in tallies), sum(t.only_b for t in tallies)]
    assert result.overall == agreement.Tally(*pooled, sum(t.neither for t in tallies))
    assert len(result.disagreements) == sum(t.only_a + t.only_b for t in expected.values()) > 0


def test_two_coders_with_no_note_in_common_have_no_decisions(small: duckdb.DuckDBPyConnection) -> None:
    none = agreement.agreement(small, StudyFilter(teams=(2,)), "R01", "nobody")
    assert (none.notes, none.codes, none.overall, len(none.disagreements)) == (0, (), agreement.Tally(0, 0, 0, 0), 0)


def test_coders_are_listed(small: duckdb.DuckDBPyConnection) -> None:
    assert agreement.coders(small) == ("R01", "R02")


def test_an_agreement_prints_100_percent_only_when_the_coders_agree_on_every_decision() -> None:
    # every count of agreeing decisions out of n, n up to 1,000: 100% only for all, 0% only for none,
    # and otherwise within a point of the share (what a whole percent can say)
    for n in range(1, 1001):
        for k in range(n + 1):
            shown = agreement.shown_percent(k / n)
            assert shown is not None
            assert (shown == 100) == (k == n), (k, n)
            assert (shown == 0) == (k == 0), (k, n)
            assert abs(shown - 100 * k / n) < 1, (k, n)
    assert agreement.shown_percent(67_426 / 67_746) == 99  # "Agenda used" at national scale printed 100%
    assert agreement.shown_percent(None) is None


def test_a_kappa_just_under_zero_prints_as_zero() -> None:
    assert f"{agreement.shown_kappa(-0.001):.2f}" == "0.00"
    assert agreement.shown_kappa(78 / 110) == 0.71
    assert agreement.shown_kappa(-0.256) == -0.26
    assert agreement.shown_kappa(None) is None
