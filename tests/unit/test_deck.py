"""The slide deck: it opens in python-pptx, has one picture per chart and notes with the numbers,
and nothing in any of its XML parts names a team, a participant, a note or an annotation's words."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from pptx import Presentation

from observation import cli, config, db, deck, figures
from observation.filters import StudyFilter
from observation.presenting import Presenting


@pytest.fixture(autouse=True)
def chromium() -> None:
    if figures.chromium() is None:
        if os.environ.get("OBSERVATION_REQUIRE_BROWSER") == "1":
            pytest.fail("no Chromium for kaleido")
        pytest.skip("no Chromium for kaleido")


@pytest.fixture
def study(demo_path: Path, tmp_path: Path) -> Path:
    """The demo, with an annotation that names a participant, as a careless researcher might type."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_path, path)
    con = db.connect(path)
    (code,) = con.execute("select code from participants where role = 'service_user' limit 1").fetchone()  # type: ignore[misc]
    con.execute(
        "insert into annotations (team_id, event_date, label, category) select team_id, max(meeting_date), ?, "
        "'home_meetings' from meetings group by team_id order by team_id limit 1",
        [f"First meeting at {code}'s home"],
    )
    con.close()
    return path


def private(path: Path) -> list[str]:
    con = db.connect(path, read_only=True)
    try:
        found = [c for (c,) in con.execute("select code from participants").fetchall()]
        found += [n for (n,) in con.execute("select name from teams").fetchall()]
        found += [b[:30] for (b,) in con.execute("select body from field_notes").fetchall()]
        found += [x for (x,) in con.execute("select label from annotations").fetchall()]
    finally:
        con.close()
    return found


def test_the_deck_has_a_chart_per_slide_notes_and_nothing_about_a_person(study: Path) -> None:
    con = db.connect(study)
    heard: list[float] = []
    pptx = deck.overview_deck(
        con, StudyFilter(), config.load_settings(), Presenting(), lambda share, _: heard.append(share)
    )
    (actions,) = con.execute("select count(*) from audit where action = 'export' and table_name = 'deck'").fetchone()  # type: ignore[misc]
    con.close()

    slides = list(Presentation(io.BytesIO(pptx)).slides)
    assert len(slides) == 3
    assert slides[0].shapes.title.text == deck.TITLE
    assert "Presenter mode · counts under 5 hidden" in slides[0].placeholders[1].text
    assert "Synthetic demo data" in slides[0].placeholders[1].text
    for slide in slides[1:]:
        assert sum(1 for s in slide.shapes if s.shape_type == 13) == 1  # one picture (MSO_SHAPE_TYPE.PICTURE)
        notes = slide.notes_slide.notes_text_frame.text
        assert "Team A" in notes
        assert any("Meetings " in s.text_frame.text for s in slide.shapes if s.has_text_frame)  # the period
    assert "hidden" in slides[1].notes_slide.notes_text_frame.text
    assert heard[-1] == 1.0
    assert actions == 1

    with zipfile.ZipFile(io.BytesIO(pptx)) as parts:
        everything = "\n".join(
            parts.read(name).decode("utf-8", "replace") for name in parts.namelist() if name.endswith(".xml")
        )
    # The pictures are PNGs: what is drawn in them is checked in the figures they are drawn from.
    con = db.connect(study, read_only=True)
    _, slides_made = deck.overview_slides(con, StudyFilter(), config.load_settings(), Presenting())
    con.close()
    everything += "\n".join(slide.figure.to_json() for slide in slides_made)
    assert [p for p in private(study) if p in everything] == []


def test_the_cli_writes_a_deck_and_refuses_a_bad_threshold(
    study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "findings.pptx"
    assert cli.main(["deck", "--db", str(study), "--out", str(out), "--threshold", "8", "--team", "1"]) == 0
    assert "counts under 8 hidden" in capsys.readouterr().out
    assert len(Presentation(str(out)).slides) == 3
    assert cli.main(["deck", "--db", str(study), "--out", str(out), "--threshold", "1"]) == 2
    assert "--threshold: use a whole number from 2 to 100" in capsys.readouterr().err
    assert cli.main(["deck", "--db", str(study), "--out", str(tmp_path / "x.pdf")]) == 2
    assert "a deck is written to a .pptx file" in capsys.readouterr().err
    assert cli.main(["deck", "--db", str(study), "--out", str(out), "--team", "99"]) == 2
    assert "no team numbered 99 with meetings in this study" in capsys.readouterr().err
    assert cli.main(["deck", "--db", str(tmp_path / "typo.duckdb"), "--out", str(out)]) == 2
    assert "no such study file" in capsys.readouterr().err
    assert not (tmp_path / "typo.duckdb").exists()
