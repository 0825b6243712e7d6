"""A workbook cell holds 32,767 characters: an XLSX export never cuts a longer text, it refuses and
points to the formats that keep it whole."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observation import export
from observation.errors import ObservationError


def test_a_text_longer_than_a_cell_holds_is_never_cut(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    long = "word " * 8_000  # 40,000 characters
    small.execute("update field_notes set body = ? where id = 2", [long])
    with pytest.raises(ObservationError, match=r"1 text\(s\) are longer than the 32,767 characters") as caught:
        export.export(small, "full", "xlsx", tmp_path / "full.xlsx")
    assert "field_notes, row 3, body, 40,000 characters" in str(caught.value)
    assert not (tmp_path / "full.xlsx").exists()
    export.export(small, "full", "parquet", tmp_path / "full")
    assert long in set(pd.read_parquet(tmp_path / "full" / "field_notes.parquet")["body"])
