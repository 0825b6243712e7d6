"""The slide deck: it opens in python-pptx and tells the study's story slide by slide, with one
picture per chart and notes with the numbers; nothing in any of its XML parts names a team, a
participant, a note or an annotation's words; and a reader with a solver who reads every number
in it (tests/disclosure_check.py) can work out no count under the threshold — of meetings, of
people in the recruitment funnel, or of recruitment-tension notes beside the teams' profiles."""

from __future__ import annotations

import io
import itertools
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from pptx import Presentation
from pptx.util import Emu
from scipy.optimize import Bounds, LinearConstraint, milp

from observation import access, cli, config, db, deck, feedback, notes, presenting, profile, recruitment
from observation.disclosure import Rule
from observation.filters import StudyFilter
from observation.presenting import Presenting
from tests.conftest import need_chromium
from tests.disclosure_check import Seen, pinned, truth

THRESHOLDS = (5, 8)
PICTURE = 13  # MSO_SHAPE_TYPE.PICTURE
CHART_SLIDES = {deck.TEAMS, deck.QUARTERS, deck.FUNNEL}


pytestmark = pytest.mark.usefixtures("chromium")


@pytest.fixture(scope="module")
def study(demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo, with an annotation that names a participant, as a careless researcher might type."""
    path = tmp_path_factory.mktemp("deck") / "demo.duckdb"
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


@dataclass(frozen=True)
class Made:
    pptx: bytes
    heard: list[float]


@pytest.fixture(scope="module")
def decks(study: Path) -> dict[int, Made]:
    """One deck per threshold, built once for the module (each chart is drawn in Chromium)."""
    need_chromium()
    made = {}
    con = db.connect(study)
    try:
        with access.acting_as(access.local_researcher()):
            for threshold in THRESHOLDS:
                heard: list[float] = []
                pptx = deck.overview_deck(
                    con, StudyFilter(), config.load_settings(), Presenting(threshold=threshold), listening(heard)
                )
                made[threshold] = Made(pptx, heard)
    finally:
        con.close()
    return made


def listening(heard: list[float]) -> deck.Progress:
    return lambda share, _: heard.append(share)


@pytest.fixture(scope="module")
def reading(study: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = db.connect(study, read_only=True)
    yield con
    con.close()


# --- reading a deck back ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    title: str
    lines: tuple[str, ...]
    """Every paragraph of the slide's text boxes and the notes, one line each."""
    rows: tuple[tuple[str, ...], ...]
    """A table's rows, the header first."""
    body: tuple[str, ...]
    """The paragraphs of the text boxes under the title (the caption last)."""
    notes: tuple[str, ...]
    pictures: int


def pages(pptx: bytes) -> list[Page]:
    found = []
    for slide in Presentation(io.BytesIO(pptx)).slides:
        title = slide.shapes.title.text if slide.shapes.title is not None else ""
        body: list[str] = []
        rows: list[tuple[str, ...]] = []
        for shape in slide.shapes:
            if shape.has_text_frame and shape != slide.shapes.title:
                body += [p.text for p in shape.text_frame.paragraphs if p.text]
            if shape.has_table:
                rows += [tuple(c.text for c in row.cells) for row in shape.table.rows]
        said = tuple(line for line in slide.notes_slide.notes_text_frame.text.splitlines() if line)
        pictures = sum(1 for s in slide.shapes if s.shape_type == PICTURE)
        found.append(Page(title, (*body, *said), tuple(rows), tuple(body), said, pictures))
    return found


MEASURES = ("presence", "service users", "carers", "meaningful involvement", "mean representation")
MEASURE_OF = {"presence": "presence", "service users": "service_users", "carers": "carers",
              "meaningful involvement": "meaningful", "mean representation": "representation"}  # fmt: skip
HEADLINE_OF = {"Lived-experience presence": "presence", "Service users present": "service_users",
               "Carers present": "carers", "Meaningful involvement": "meaningful",
               "Mean representation": "representation"}  # fmt: skip
NAME = r"(All teams|Team [A-Z]+)"
VALUE = r"(\d+%|hidden|—)"
TEAM_LINE = re.compile(
    rf"{NAME}: [\d,]+ meetings held; " + "; ".join(f"{m} {VALUE}" for m in MEASURES) + r"\.",
)
QUARTER_LINE = re.compile(
    rf"{NAME}, (\d{{4}}) Q([1-4]): [\d,]+ meetings; presence {VALUE}; meaningful involvement {VALUE}\."
)
READING_LINE = re.compile(rf"{NAME}: .*Over the period, (\d+%) of held meetings had a service user or carer present")


def seen_in(found: list[Page], team_ids: list[int]) -> list[Seen]:
    """Every share the deck states, in its text and its notes, as the reader's Seen: the measures'
    lines, the quarters' lines, the QI reading's period share and the headline table's rows."""
    letters = {label: team_id for team_id, label in presenting.team_letters(team_ids).items()}

    def cell(name: str) -> tuple[object, ...]:
        return ("all",) if name == "All teams" else ("team", letters[name])

    seen = []
    for page in found:
        for line in page.lines:
            if match := TEAM_LINE.fullmatch(line):
                seen += [
                    Seen(cell(match[1]), MEASURE_OF[m], v) for m, v in zip(MEASURES, match.groups()[1:], strict=True)
                ]
            elif match := QUARTER_LINE.fullmatch(line):
                quarter = pd.Timestamp(year=int(match[2]), month=3 * int(match[3]) - 2, day=1)
                where = ("quarter", letters[match[1]], quarter)
                seen += [Seen(where, "presence", match[4]), Seen(where, "meaningful", match[5])]
            elif match := READING_LINE.match(line):
                seen.append(Seen(cell(match[1]), "presence", match[2]))
        if page.title == deck.HEADLINE:
            for label, value, *_ in page.rows[1:]:
                measure = next((m for prefix, m in HEADLINE_OF.items() if label.startswith(prefix)), None)
                if measure is not None:
                    seen.append(Seen(("all",), measure, value.split()[0]))
    return seen


def team_ids(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [int(i) for (i,) in con.execute("select id from teams").fetchall()]


# --- the story ---------------------------------------------------------------------------------------


def test_the_deck_tells_the_story_slide_by_slide(decks: dict[int, Made], study: Path) -> None:
    made = decks[5]
    found = pages(made.pptx)
    assert tuple(p.title for p in found) == deck.SLIDE_TITLES
    subtitle = found[0].body
    assert any("Presenter mode · counts under 5 hidden" in line for line in subtitle)
    assert any("Synthetic demo data" in line and "Meetings " in line for line in subtitle)
    assert any(line.startswith("Synthetic demo study") for line in subtitle)  # the study's name
    for page in found[1:]:
        assert page.notes, f"{page.title}: no speaker notes"
        assert page.pictures == (1 if page.title in CHART_SLIDES else 0), page.title
        if page.title in CHART_SLIDES:
            assert "Meetings " in page.body[-1], f"{page.title}: the caption gives no period"
    by_title = {p.title: p for p in found}
    assert [row[0] for row in by_title[deck.EXPERIENCE].rows] == [
        "Measure", "Experience score (out of 5)", "Response rate", "Changes from lived experience",
    ]  # fmt: skip
    assert [row[0] for row in by_title[deck.HEADLINE].rows] == [
        "Measure", "Meetings held", "Lived-experience presence", "Service users present", "Carers present",
        "Meaningful involvement (contributing or above)", "Mean representation",
    ]  # fmt: skip
    assert "target 80%" in by_title[deck.HEADLINE].rows[5][1]
    assert by_title[deck.TEAMS].notes[1].startswith("Team A: ")
    assert [line.split(":")[0] for line in by_title[deck.READINGS].body[:3]] == ["Team A", "Team B", "Team C"]
    assert all(QUARTER_LINE.fullmatch(line) for line in by_title[deck.QUARTERS].notes)
    assert [line.split(":")[0] for line in by_title[deck.FUNNEL].notes[:5]] == [
        recruitment.STAGE_LABELS[s] for s in recruitment.FUNNEL
    ]
    assert by_title[deck.TENSIONS].rows[0] == ("Recruitment tension", "Field notes", "Interview transcripts")
    method = " ".join((*by_title[deck.MEASURES].body, *by_title[deck.COUNTED].body, *by_title[deck.HIDES].body))
    for words in ("Lived-experience presence:", "Representation of a meeting", "Recruitment funnel:",
                  "Codes are counted per source document", "from 1 to 4", "integer programming",
                  "checked against what presenter mode and the slide deck show"):  # fmt: skip
        assert words in method, words
    assert made.heard[-1] == 1.0
    assert made.heard == sorted(made.heard)
    con = db.connect(study, read_only=True)
    (actions,) = con.execute("select count(*) from audit where action = 'export' and table_name = 'deck'").fetchone()  # type: ignore[misc]
    con.close()
    assert actions == len(THRESHOLDS)


def test_the_experience_slide_shows_the_studys_three_figures_worked_out_from_the_raw_rows(
    decks: dict[int, Made], reading: duckdb.DuckDBPyConnection
) -> None:
    # From the raw rows in pandas: each service user or carer present at a held meeting; their mean
    # answer about it (prefer not to say, null, left out); the changes by whom the idea came from.
    present = reading.execute(
        "select a.meeting_id, a.participant_id from attendance as a join meetings as m on m.id = a.meeting_id "
        "join participants as p on p.id = a.participant_id join role_categories as r on r.code = p.role "
        "where a.status = 'present' and m.status = 'held' and r.lived_experience"
    ).fetchdf()
    answers = reading.execute("select meeting_id, participant_id, answer from feedback_responses").fetchdf()
    person = answers.groupby(["meeting_id", "participant_id"])["answer"].mean().rename("mean").reset_index()
    joined = present.merge(person, on=["meeting_id", "participant_id"], how="left", indicator=True)
    origins = reading.execute("select origin from impact_entries").fetchdf()["origin"]
    scored, responded = int(joined["mean"].notna().sum()), int((joined["_merge"] == "both").sum())
    lived = int(origins.isin(["lived_experience", "both"]).sum())
    assert min(scored, responded, lived) > 0  # the demo has each

    for threshold in THRESHOLDS:

        def unless_small(value: str, *counts: int, t: int = threshold) -> str:
            return "hidden" if any(0 < c < t for c in counts) else value

        slide = next(p for p in pages(decks[threshold].pptx) if p.title == deck.EXPERIENCE)
        score = unless_small(f"{joined['mean'].mean():.1f} of 5", scored)
        assert slide.rows == (
            ("Measure", "All teams"),
            ("Experience score (out of 5)", score),
            ("Response rate", unless_small(f"{round(100 * responded / len(joined))}%", responded, len(joined))),
            (
                "Changes from lived experience",
                unless_small(f"{round(100 * lived / len(origins))}%", lived, len(origins)),
            ),
        )
        assert slide.notes[0] == f"Experience score (out of 5): {score}."
        assert f"a count under {threshold}" in slide.body[-1]


@pytest.mark.parametrize(
    ("totals", "shown"),
    [
        (dict(attended=40, responded=12, scored=5, score=4.04, changes=9, with_lived_experience=5),
         ("4.0 of 5", "30%", "56%")),
        (dict(attended=40, responded=12, scored=4, score=4.04, changes=9, with_lived_experience=4),
         ("hidden", "30%", "hidden")),
        (dict(attended=4, responded=4, scored=4, score=3.0, changes=0, with_lived_experience=0),
         ("hidden", "hidden", "—")),
        (dict(attended=6, responded=0, scored=0, score=None, changes=5, with_lived_experience=0),
         ("—", "0%", "0%")),
    ],
)  # fmt: skip
def test_a_room_sees_each_experience_figure_hidden_where_a_count_it_rests_on_is_small(
    totals: dict[str, Any], shown: tuple[str, str, str]
) -> None:
    found = presenting.experience_shown(feedback.Totals(**totals), Rule(5))
    assert (found.score, found.response_rate, found.impact_share) == shown


def test_nothing_in_the_deck_is_about_a_person(decks: dict[int, Made], study: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(decks[5].pptx)) as parts:
        everything = "\n".join(
            parts.read(name).decode("utf-8", "replace") for name in parts.namelist() if name.endswith(".xml")
        )
    # The pictures are PNGs: what is drawn in them is checked in the figures they are drawn from.
    con = db.connect(study, read_only=True)
    _, made = deck.overview_slides(con, StudyFilter(), config.load_settings(), Presenting())
    con.close()
    everything += "\n".join(slide.figure.to_json() for slide in made if slide.figure is not None)
    assert [p for p in private(study) if p in everything] == []


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


# --- what a reader can work out -----------------------------------------------------------------------


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_no_small_count_of_meetings_can_be_worked_out_from_the_deck(
    decks: dict[int, Made], reading: duckdb.DuckDBPyConnection, threshold: int
) -> None:
    atoms = truth(reading)
    ids = team_ids(reading)
    seen = seen_in(pages(decks[threshold].pptx), ids)
    # The parser reads every figure the deck gives: each measure of all teams and of every team, and
    # presence and meaningful involvement of every team's quarter.
    cells: set[tuple[object, ...]] = {("all",), *(("team", int(t)) for t in ids)}
    expected = {(c, m) for c in cells for m in MEASURE_OF.values()}
    expected |= {(("quarter", int(t), pd.Timestamp(q)), m) for t, q in atoms[["team_id", "quarter"]].itertuples(
        index=False) for m in ("presence", "meaningful")}  # fmt: skip
    assert {(s.cell, s.measure) for s in seen} == expected
    said: dict[tuple[object, str], set[str]] = {}
    for s in seen:
        said.setdefault((s.cell, s.measure), set()).add(s.text)
    assert [k for k, texts in said.items() if len(texts) > 1] == []  # no figure is given two ways
    assert any(s.text.endswith("%") for s in seen if s.cell[0] == "team")  # something is shown
    assert pinned(atoms, seen, threshold) == []  # (and what is shown fits the study: the reader asserts it)


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_the_qi_reading_states_no_number_the_screens_hide(
    decks: dict[int, Made], reading: duckdb.DuckDBPyConnection, threshold: int
) -> None:
    found = pages(decks[threshold].pptx)
    ids = team_ids(reading)
    letters = presenting.team_letters(ids)
    shown: dict[str, set[str]] = {}  # each team's shares of presence elsewhere in the deck: its own, its quarters'
    for s in seen_in([p for p in found if p.title != deck.READINGS], ids):
        if s.cell[0] != "all" and s.measure == "presence" and s.text.endswith("%"):
            shown.setdefault(letters[int(s.cell[1])], set()).add(s.text)
    sentences = [line for line in next(p for p in found if p.title == deck.READINGS).notes if line.startswith("Team ")]
    assert len(sentences) == len(ids)
    for sentence in sentences:
        team = sentence.split(":")[0]
        assert set(re.findall(r"\d+%", sentence.replace("0% to 100%", ""))) <= shown.get(team, set()), sentence
        assert not re.search(r"\b\d+ of \d+\b(?! quarters)", sentence), f"a count: {sentence}"


def stated(line: str) -> str:
    return line.split(": ", 1)[1].rstrip(".")


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_the_funnel_shows_no_small_count_nor_one_worked_out(
    decks: dict[int, Made], reading: duckdb.DuckDBPyConnection, threshold: int
) -> None:
    page = next(p for p in pages(decks[threshold].pptx) if p.title == deck.FUNNEL)
    people = recruitment.funnel(reading, StudyFilter()).groupby("stage")["people"].sum()
    counts = [int(people[s]) for s in recruitment.FUNNEL]
    shown: list[int | None] = []
    for stage, line in zip(recruitment.FUNNEL, page.notes, strict=False):
        value = stated(line)
        assert line.startswith(recruitment.STAGE_LABELS[stage])
        shown.append(None if value == "hidden" else int(value.removesuffix(" people").replace(",", "")))
    assert len(shown) == len(counts)
    rule = Rule(threshold)
    for count, seen in zip(counts, shown, strict=True):
        assert seen is None or (seen == count and not rule.hides(count))
    # A stage minus any later one is the people who stopped in between: solve for each such small
    # number from the stages shown (the people stopping at each stage are whole and at least 0).
    n = len(counts)
    stopped = [c - nxt for c, nxt in zip(counts, [*counts[1:], 0], strict=True)]
    rows = [[1.0 if j >= k else 0.0 for j in range(n)] for k, seen in enumerate(shown) if seen is not None]
    values = [float(seen) for seen in shown if seen is not None]
    constraint = LinearConstraint(np.array(rows), values, values)
    for first in range(n):
        for last in range(first, n):
            between = sum(stopped[first : last + 1])
            if not rule.hides(between):
                continue
            vector = np.array([1.0 if first <= j <= last else 0.0 for j in range(n)])
            ends = [milp(sign * vector, constraints=[constraint], integrality=np.ones(n), bounds=Bounds(0, np.inf))
                    for sign in (1, -1)]  # fmt: skip
            pinned = all(e.status == 0 for e in ends) and round(ends[0].fun) == -round(ends[1].fun)
            assert not pinned, (recruitment.FUNNEL[first], recruitment.FUNNEL[last], between)
    assert shown[0] is not None  # the story starts somewhere


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_the_tensions_show_no_small_count_nor_one_worked_out_beside_the_profiles(
    decks: dict[int, Made], reading: duckdb.DuckDBPyConnection, threshold: int
) -> None:
    page = next(p for p in pages(decks[threshold].pptx) if p.title == deck.TENSIONS)
    rule = Rule(threshold)
    study = notes.code_counts(reading, StudyFilter(), recruitment.TENSION_THEME, "both")
    rows = {name: (n, i) for name, n, i in page.rows[1:]}
    assert list(rows) == list(study["code_name"])
    for name, in_notes, in_interviews in study[["code_name", "notes", "interviews"]].itertuples(index=False):
        for count, text in zip((in_notes, in_interviews), rows[name], strict=True):
            assert text in (rule.count(int(count)), "hidden"), (name, count, text)
            assert not (rule.hides(int(count)) and text != rule.small)
    assert not any(re.search(r"\btotal\b", line, re.IGNORECASE) for line in page.lines)
    assert tension_pins(reading, rows, rule) == []
    # Beside the profiles at the study's floor (5), the most they show: a deck at 8 gives no count
    # under 5 away (one from 5 to 7 the profiles show outright).
    assert tension_pins(reading, rows, rule, profiles=Rule(5)) == []


def tension_pins(
    con: duckdb.DuckDBPyConnection, shown: dict[str, tuple[str, str]], rule: Rule, profiles: Rule | None = None
) -> list[str]:
    """The small counts of tension documents (per team, code and source; interviews with no team
    apart) a reader works out from the deck's table and what every team's profile shows in
    presenter mode: its tensions by name with their counts (small ones as "<5"), in order of field
    notes, so every code it leaves out has no more notes than its last. Integer programming over
    all of them at once (ties in the profiles' order are not used: a reader knows a little less).
    ``profiles``: the threshold the profiles were seen at, if not the deck's (the study's floor):
    then the small counts are those under the lower of the two."""
    profiles = profiles or rule
    level = config.load_settings().meaningful_level
    coded = notes.code_team_matrix(con, StudyFilter(), "both")
    coded = coded[coded["slug"].str.startswith(recruitment.TENSION_THEME + ".")]
    names = sorted(shown)
    holders = [*sorted(int(t) for t in coded["team_id"].dropna().unique()), None]
    keys = [(h, c, s) for h in holders for c in names for s in ("notes", "interviews")]
    index = {k: i for i, k in enumerate(keys)}
    values = np.zeros(len(keys))
    for team, name, n, i in coded[["team_id", "code_name", "notes", "interviews"]].itertuples(index=False):
        holder = None if pd.isna(team) else int(team)
        values[index[(holder, name, "notes")]] += n
        values[index[(holder, name, "interviews")]] += i
    rows, low, high = [], [], []

    def add(coefficients: dict[int, float], lo: float, hi: float) -> None:
        row = np.zeros(len(keys))
        for i, c in coefficients.items():
            row[i] = c
        rows.append(row)
        low.append(lo)
        high.append(hi)

    def as_read(text: str) -> tuple[float, float] | None:
        if text == rule.small:
            return 1, rule.threshold - 1
        return None if text == "hidden" else (int(text.replace(",", "")), int(text.replace(",", "")))

    for h in holders:  # a note always has its meeting's team
        if h is None:
            for c in names:
                add({index[(None, c, "notes")]: 1}, 0, 0)
    for c, (in_notes, in_interviews) in shown.items():
        for source, text in (("notes", in_notes), ("interviews", in_interviews)):
            if (fits := as_read(text)) is not None:
                add({index[(h, c, source)]: 1 for h in holders}, *fits)
    for team in (h for h in holders if h is not None):
        found = profile.team_profile(con, StudyFilter(), team, level)
        named = [t.name for t in found.tensions] if found else []
        for t in found.tensions if found else ():
            for source, count in (("notes", t.notes), ("interviews", t.interviews)):
                fits = (1, profiles.threshold - 1) if profiles.hides(count) else (count, count)
                add({index[(team, t.name, source)]: 1}, *fits)
        for first, second in itertools.pairwise(named):
            add({index[(team, first, "notes")]: 1, index[(team, second, "notes")]: -1}, 0, np.inf)
        for c in (c for c in names if c not in named):
            if len(named) < NAMED:
                add({index[(team, c, "notes")]: 1}, 0, 0)
                add({index[(team, c, "interviews")]: 1}, 0, 0)
            else:
                add({index[(team, named[-1], "notes")]: 1, index[(team, c, "notes")]: -1}, 0, np.inf)
    constraint = LinearConstraint(np.array(rows), low, high)
    pins = []
    smallest = min(rule, profiles, key=lambda r: r.threshold)
    for key, i in index.items():
        if not smallest.hides(int(values[i])):
            continue
        ends = []
        for sign in (1, -1):
            objective = np.zeros(len(keys))
            objective[i] = sign
            result = milp(objective, constraints=[constraint], integrality=np.ones(len(keys)), bounds=Bounds(0, np.inf))
            if result.status != 0:  # no end that way: nothing a hidden count is bounded by (the truth fits)
                assert milp(np.zeros(len(keys)), constraints=[constraint], integrality=np.ones(len(keys))).status == 0
                ends.append(None)
                continue
            ends.append(round(sign * result.fun))
        if ends[0] is not None and ends[0] == ends[1]:
            pins.append(f"{key}: {ends[0]}")
    return pins


NAMED = 3
"""How many tensions a team's profile names, as a reader sees (checked on the demo below)."""


def test_a_profile_names_three_tensions_at_most(reading: duckdb.DuckDBPyConnection) -> None:
    level = config.load_settings().meaningful_level
    coded = notes.code_team_matrix(reading, StudyFilter(), "both")
    coded = coded[coded["slug"].str.startswith(recruitment.TENSION_THEME + ".")]
    for (team_id,) in reading.execute("select id from teams").fetchall():
        found = profile.team_profile(reading, StudyFilter(), team_id, level)
        assert found is not None
        has = int((coded["team_id"] == team_id).sum())
        assert len(found.tensions) == min(has, NAMED)
    assert coded.groupby("team_id").size().max() > NAMED  # the demo has a team with more


# --- how it looks -----------------------------------------------------------------------------------------


def test_nothing_on_a_slide_overlaps_or_runs_off_it(decks: dict[int, Made]) -> None:
    presentation = Presentation(io.BytesIO(decks[5].pptx))
    width, height = presentation.slide_width, presentation.slide_height
    assert (width, height) == (Emu(12192000), Emu(6858000))
    for n, slide in enumerate(presentation.slides, 1):
        boxes = [(s.left, s.top, s.left + s.width, s.top + s.height) for s in slide.shapes]
        for left, top, right, bottom in boxes:
            assert 0 <= left < right <= width, f"slide {n} runs off"
            assert 0 <= top < bottom <= height, f"slide {n} runs off"
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], f"slide {n}: {a} overlaps {b}"


def test_the_cli_writes_a_deck_and_refuses_a_bad_threshold(
    study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "demo.duckdb"
    shutil.copy(study, copy)
    out = tmp_path / "findings.pptx"
    assert cli.main(["deck", "--db", str(copy), "--out", str(out), "--threshold", "8", "--team", "1"]) == 0
    assert "counts under 8 hidden" in capsys.readouterr().out
    found = pages(out.read_bytes())
    assert len(found) == len(deck.SLIDE_TITLES)
    teams = next(p for p in found if p.title == deck.TEAMS)
    assert [line.split(":")[0] for line in teams.notes[1:]] == ["Team A"]  # the team asked for, by its letter
    assert cli.main(["deck", "--db", str(copy), "--out", str(out), "--threshold", "1"]) == 2
    assert "--threshold: use a whole number from 2 to 100" in capsys.readouterr().err
    assert cli.main(["deck", "--db", str(copy), "--out", str(tmp_path / "x.pdf")]) == 2
    assert "a deck is written to a .pptx file" in capsys.readouterr().err
    assert cli.main(["deck", "--db", str(copy), "--out", str(out), "--team", "99"]) == 2
    assert "no team numbered 99 with meetings in this study" in capsys.readouterr().err
    assert cli.main(["deck", "--db", str(tmp_path / "typo.duckdb"), "--out", str(out)]) == 2
    assert "no such study file" in capsys.readouterr().err
    assert not (tmp_path / "typo.duckdb").exists()


def test_the_deck_says_what_it_is_not_who_wrote_python_pptx(decks: dict[int, Made]) -> None:
    properties = Presentation(io.BytesIO(decks[5].pptx)).core_properties
    assert properties.author == ""
    assert properties.last_modified_by == ""
    assert properties.title == deck.TITLE
    assert properties.created is not None
    assert properties.created.year >= 2026
