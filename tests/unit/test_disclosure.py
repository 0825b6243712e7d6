"""Small-number suppression: no small count is shown, and no hidden cell can be worked out from
the totals — checked over random tables with an independent rank test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observation.disclosure import CONFIDENTIAL, TOTAL, Rule, protect


def determined_by_rank(hidden: np.ndarray, shape: tuple[int, int]) -> list[tuple[int, int]]:
    """Hidden cells that the totals' equations pin down: e_k lies in the row space of the system
    restricted to the hidden cells exactly when adding it does not raise the rank."""
    n_rows, n_cols = shape
    equations = []
    for i in range(n_rows):
        eq = np.zeros(shape)
        eq[i, :-1], eq[i, -1] = 1, -1
        equations.append(eq.ravel())
    for j in range(n_cols):
        eq = np.zeros(shape)
        eq[:-1, j], eq[-1, j] = 1, -1
        equations.append(eq.ravel())
    unknown = np.flatnonzero(hidden.ravel())
    if unknown.size == 0:
        return []
    system = np.array(equations)[:, unknown]
    rank = np.linalg.matrix_rank(system)
    found = []
    for k, cell in enumerate(unknown):
        unit = np.zeros(unknown.size)
        unit[k] = 1
        if np.linalg.matrix_rank(np.vstack([system, unit])) == rank:
            found.append(divmod(int(cell), n_cols))
    return found


tables = st.integers(1, 5).flatmap(
    lambda rows: st.integers(1, 5).flatmap(
        lambda cols: st.lists(
            st.lists(st.integers(0, 30) | st.integers(0, 6), min_size=cols, max_size=cols), min_size=rows, max_size=rows
        )
    )
)


@settings(max_examples=300, deadline=None)
@given(table=tables, threshold=st.sampled_from([3, 5, 8]))
def test_no_small_count_is_shown_and_no_hidden_cell_can_be_worked_out(table: list[list[int]], threshold: int) -> None:
    counts = pd.DataFrame(table)
    rule = Rule(threshold)
    result = protect(counts, rule)
    truth = np.zeros((len(table) + 1, len(table[0]) + 1), dtype=int)
    truth[:-1, :-1] = table
    truth[:-1, -1] = truth[:-1, :-1].sum(axis=1)
    truth[-1, :] = truth[:-1, :].sum(axis=0)

    shown = result.shown.to_numpy()
    hidden = result.hidden.to_numpy()
    for (i, j), text in np.ndenumerate(shown):
        if hidden[i, j]:
            assert text in (rule.small, CONFIDENTIAL)
            assert (text == rule.small) == rule.hides(int(truth[i, j]))
        else:
            assert int(text.replace(",", "")) == truth[i, j]  # what is shown is true...
            assert not rule.hides(int(truth[i, j]))  # ...and never a small count
    assert determined_by_rank(hidden, truth.shape) == []


def test_a_worked_example() -> None:
    # Team A's 3 people at one meeting, 10 at another: the 3 is small; with the totals shown, the
    # 10 must go too (else 13 - 10 = 3), and then each column's other cell, and so on.
    counts = pd.DataFrame([[3, 10], [12, 20]], index=["A", "B"], columns=["Jan", "Feb"])
    result = protect(counts, Rule(5))
    assert result.shown.loc["A", "Jan"] == "<5"
    assert result.shown.to_dict() == {
        "Jan": {"A": "<5", "B": CONFIDENTIAL, TOTAL: "15"},
        "Feb": {"A": CONFIDENTIAL, "B": CONFIDENTIAL, TOTAL: "30"},
        TOTAL: {"A": "13", "B": "32", TOTAL: "45"},
    }


def test_without_totals_only_small_counts_are_hidden() -> None:
    result = protect(pd.DataFrame({"n": [0, 1, 4, 5, 120]}), Rule(5), totals=False)
    assert list(result.shown["n"]) == ["0", "<5", "<5", "5", "120"]


@pytest.mark.parametrize(
    ("numerator", "denominator", "share"),
    [(5, 6, 5 / 6), (4, 40, None), (0, 40, 0.0), (6, 4, None), (0, 0, None), (10, 10, 1.0)],
)
def test_a_share_is_hidden_when_it_would_reveal_a_small_count(
    numerator: int, denominator: int, share: float | None
) -> None:
    assert Rule(5).share(numerator, denominator) == share


def test_the_threshold_is_sensible() -> None:
    with pytest.raises(ValueError, match="from 2 to 100"):
        Rule(1)
    assert Rule(8).count(7) == "<8"
    assert Rule(8).count(8) == "8"
    assert Rule(5).count(0) == "0"
