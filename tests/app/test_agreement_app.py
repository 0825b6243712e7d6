"""The Coder agreement page's passages in AppTest: span agreement per code and pooled, and the
passages where the coders differ, on the small study with its interviews (tests/small_study.py;
the numbers are worked by hand in tests/unit/test_agreement_spans.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from observation import agreement, db
from tests.app.conftest import choose_row, open_tab, table

App = Callable[..., AppTest]


def on_agreement(app: App, path: Path, **params: str) -> AppTest:
    """The Coder agreement page with its Coded passages tab open (it works out only the open tab)."""
    at = open_tab(app(path, **params).switch_page("pages/agreement.py").run(), "agreement_tab", "Coded passages")
    assert not at.exception
    return at


def span_table(at: AppTest) -> Any:
    """The table of span agreement per code (a table chosen from by no row has no key in AppTest)."""
    return next(d for d in at.dataframe if "coded_a" in d.value.columns)


def test_span_agreement_per_code_and_pooled(app: App, interviewed_path: Path) -> None:
    at = on_agreement(app, interviewed_path)
    spans = span_table(at)
    rows = {r["code"]: r for r in spans.value.to_dict("records")}
    # code 2: R01 189 characters (n2, n4, i1's two spans), R02 135 (n2, i1), both 134
    right = rows['Finding the "right" service user']
    assert (right["coded_a"], right["coded_b"], right["both"], right["only_a"], right["only_b"]) == (
        189,
        135,
        134,
        1,
        0,
    )
    assert right["agreement"] == round(100 * 2 * 134 / (189 + 135))  # a whole percent: 83
    config = json.loads(spans.proto.columns)
    assert config["agreement"]["type_config"]["format"] == "%d%%"
    assert config["coded_a"]["label"] == "R01 characters"
    pooled = next(m.value for m in at.markdown if "Pooled over the codes" in m.value)
    assert "span agreement 83%" in pooled  # 2 × 285 ÷ (340 + 349)
    assert "4 notes and 1 interview transcript both coded" in pooled
    assert at.dataframe[0] is spans  # the tab's first table, above the passages
    assert not any(m.label == "Notes coded by both" for m in at.metric)  # the per-note tab, closed, is not worked out


def test_the_passages_where_they_differ_read_in_context(app: App, interviewed_path: Path) -> None:
    at = on_agreement(app, interviewed_path)
    passages = table(at, "agreement_passages")
    rows = passages.value.to_dict("records")
    assert [(r["team_name"], r["document"], r["code_name"], r["coded_by"]) for r in rows] == [
        ("Alpha", "Field note", "Complexity of mental illness", "R02 only"),
        ("Beta", "Field note", 'Finding the "right" service user', "R01 only"),
        ("No team (interviews)", "Interview, KI-01 (leader or manager)", 'Finding the "right" service user',
         "different extent"),
    ]  # fmt: skip
    assert rows[1]["passage"] == "«Patients are too unwell to join, said the ward manager.»"
    choose_row(at, "agreement_passages", 1)
    chosen = [m.value for m in at.markdown if "Patients" in m.value]
    assert chosen == ["**Patients are too unwell to join, said the ward manager\\.**"]  # text escaped, in bold
    # both coded KI-01's transcript with the code: R01 in two spans (0-48, 49-72), R02 the whole of it
    choose_row(at, "agreement_passages", 2)
    (said,) = [m.value for m in at.markdown if "a different extent" in m.value]
    assert said.endswith(
        "a different extent: of these 72 characters, R01 coded 71 (in 2 passages), R02 coded all of them"
    )


def test_a_long_list_of_passages_says_it_is_cut(
    app: App, interviewed_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(agreement, "PASSAGES_SHOWN", 1)
    at = on_agreement(app, interviewed_path)
    assert len(table(at, "agreement_passages").value) == 1
    assert any(c.value.startswith("The first 1 of 3 passages") for c in at.caption)


def test_transcripts_in_common_without_notes_still_show_their_passages(app: App, interviewed_path: Path) -> None:
    # 1-10 February 2020: i1 (3 February), coded by both; no note coded by both
    dates = {"from": "2020-02-01", "to": "2020-02-10"}
    per_note = app(interviewed_path, **dates).switch_page("pages/agreement.py").run()
    assert "no notes in common" in per_note.info[0].value
    at = on_agreement(app, interviewed_path, **dates)
    spans = span_table(at).value
    assert spans.to_dict("records") == [
        {
            "code": 'Finding the "right" service user',
            "coded_a": 71,
            "coded_b": 72,
            "both": 71,
            "agreement": round(100 * 142 / 143),
            "only_a": 0,
            "only_b": 0,
        }
    ]
    pooled = next(m.value for m in at.markdown if "Pooled over the codes" in m.value)
    assert "over 1 interview transcript both coded" in pooled  # no "0 notes"
    # R01 coded the transcript in two spans, R02 the whole of it: the same passage, a different extent
    rows = table(at, "agreement_passages").value.to_dict("records")
    assert [r["coded_by"] for r in rows] == ["different extent"]
    assert rows[0]["passage"].startswith("«Every team asks us for the right service user.")


def test_a_passage_from_a_transcript_names_the_interview_in_words(app: App, interviewed_path: Path) -> None:
    con = db.connect(interviewed_path)
    try:
        with db.transaction(
            con
        ) as cur:  # R02 codes KI-03's transcript as R01 did (code 6) and a passage of it with code 2
            cur.execute(
                "insert into coded_segments (id, note_id, interview_id, code_id, coder) values (201, null, 3, 6, 'R02')"
            )
            cur.execute(
                "insert into coded_segments (id, note_id, interview_id, code_id, coder, span_start, span_end) "
                "values (202, null, 3, 2, 'R02', 0, 37)"
            )
    finally:
        con.close()
    at = on_agreement(app, interviewed_path)
    rows = table(at, "agreement_passages").value.to_dict("records")
    interview = next(r for r in rows if r["coded_by"] == "R02 only" and r["document"] != "Field note")
    assert interview["document"] == "Interview, KI-03 (carer)"
    assert interview["team_name"] == "Beta"
    assert interview["passage"] == "«Nobody told me the meeting had moved.» I want my voice heard."
    assert interview["coded_by"] == "R02 only"
