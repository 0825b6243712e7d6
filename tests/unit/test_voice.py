"""Voice at the meetings observed live (docs/MEASURES.md): voice share, items raised and actions
owned, read by observation.voice and computed a second way here, in pandas over the raw rows; their
QI charts; a meeting's timeline; and what presenter mode hides of them.

The small study (tests/small_study.py) with these contributions (CONTRIBUTIONS below):

meeting       contributions (minute)                                        LE/all  voice  items  actions
m1 Alpha      A-SU1 spoke (2), A-ST1 spoke (3), A-SU1 raised an item (5),      3/5    0.6    1      0
              A-OB1 spoke (5: an observer's, not counted), A-ST2 spoke (7),
              A-SU1 spoke (7)
m2 Alpha      A-ST1 spoke (1), A-CA1 proposed a change (12), A-SU1 took an     3/4    0.75   0      2
              action (40) twice, the same minute
m3 Alpha      A-ST1 spoke (1) — the meeting was cancelled: not observed live
m4 Alpha      A-ST1 spoke (10)                                                  0/1    0      0      0
m6 Beta       B-ST1 spoke (1), B-SU1 raised an item (1) twice                   2/3    2/3    2      0

Alpha: 3 meetings observed live of 3 held; mean voice share (0.6 + 0.75 + 0) / 3 = 0.45; 1 item; 2 actions.
Beta: 1 of 3 held (m5 had none; m8 neither); voice 2/3; 2 items; no action.
Overall: 4 meetings observed live; mean voice share (0.6 + 0.75 + 0 + 2/3) / 4 = 121/240; 3 items; 2 actions.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from observation import access, db, definitions, presenting, profile, qi, queries, view_charts, voice
from observation.disclosure import Rule, whole_percent
from observation.filters import StudyFilter
from tests.disclosure_check import COUNTS, Reader
from tests.unit.test_disclosure import kinds_of, overview_of, reader_atoms, what_is_seen
from tests.unit.test_read_scope import COACH_OF_ALPHA

pytestmark = pytest.mark.both_backends  # the reads, on a study file and on PostgreSQL

CONTRIBUTIONS = [  # (meeting, participant, kind, minute)
    (1, 3, "spoke", 2), (1, 1, "spoke", 3), (1, 3, "raised_item", 5), (1, 7, "spoke", 5), (1, 2, "spoke", 7),
    (1, 3, "spoke", 7),
    (2, 1, "spoke", 1), (2, 4, "proposed_change", 12), (2, 3, "took_action", 40), (2, 3, "took_action", 40),
    (3, 1, "spoke", 1),
    (4, 1, "spoke", 10),
    (6, 5, "spoke", 1), (6, 6, "raised_item", 1), (6, 6, "raised_item", 1),
]  # fmt: skip


def add_contributions(con: duckdb.DuckDBPyConnection, rows: list[tuple[int, int, str, int]] = CONTRIBUTIONS) -> None:
    with db.transaction(con) as cur:
        cur.executemany(
            "insert into contributions (meeting_id, participant_id, kind, minute, observer) values (?, ?, ?, ?, 'R01')",
            rows,
        )


@pytest.fixture
def heard(small: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    add_contributions(small)
    return small


# --- the measures, against the hand-worked answers and a second reading in pandas ------------------


def test_voice_matches_the_hand_worked_answers(heard: duckdb.DuckDBPyConnection) -> None:
    found = voice.voice(heard, StudyFilter())
    assert found.overall.meetings_observed_live == 4
    assert found.overall.mean_voice_share == pytest.approx(121 / 240)
    assert (found.overall.items_raised, found.overall.actions_owned) == (3, 2)
    assert found.overall.items_per_meeting == pytest.approx(3 / 4)
    alpha, beta = found.teams
    assert (alpha.team_name, alpha.meetings_observed_live, alpha.items_raised, alpha.actions_owned) == (
        "Alpha",
        3,
        1,
        2,
    )
    assert alpha.mean_voice_share == pytest.approx(0.45)  # the observer's contribution at m1 is not counted
    assert (beta.team_name, beta.meetings_observed_live, beta.items_raised, beta.actions_owned) == ("Beta", 1, 2, 0)
    assert beta.mean_voice_share == pytest.approx(2 / 3)


def test_each_meeting_observed_live_is_one_row_and_the_others_are_left_out(heard: duckdb.DuckDBPyConnection) -> None:
    rows = voice.by_meeting(heard, StudyFilter())
    # m3 was cancelled (its contribution is not counted), m5 and m8 had none: not observed live.
    assert list(rows["meeting_id"]) == [1, 2, 4, 6]
    assert list(rows["contributions"]) == [5, 4, 1, 3]
    assert list(rows["contributions_lived_experience"]) == [3, 3, 0, 2]
    assert list(rows["items_raised"]) == [1, 0, 0, 2]
    assert list(rows["actions_owned"]) == [0, 2, 0, 0]


def test_a_study_with_no_meeting_observed_live_has_no_voice_rather_than_zero(small: duckdb.DuckDBPyConnection) -> None:
    found = voice.voice(small, StudyFilter())
    assert found.overall.meetings_observed_live == 0
    assert found.overall.mean_voice_share is None
    assert found.overall.items_per_meeting is None
    assert found.teams == ()
    assert voice.by_meeting(small, StudyFilter()).empty


@pytest.mark.parametrize(
    ("flt", "meetings", "items"),
    [
        (StudyFilter(teams=(2,)), 1, 2),
        (StudyFilter(setting="community"), 3, 1),
        (StudyFilter(start=dt.date(2020, 1, 20)), 3, 2),  # m1 (10 Jan) left out
        (StudyFilter(end=dt.date(2020, 1, 31)), 2, 1),  # m1 and m2 only
    ],
)
def test_the_sidebar_filter_narrows_voice_as_every_measure(
    heard: duckdb.DuckDBPyConnection, flt: StudyFilter, meetings: int, items: int
) -> None:
    found = voice.voice(heard, flt).overall
    assert (found.meetings_observed_live, found.items_raised) == (meetings, items)


def by_hand(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The same measures from the raw tables in pandas: per held meeting with a contribution by
    anyone but an observer, that meeting's contributions, those of service users and carers, and
    their items raised and actions owned."""
    c = con.execute("select meeting_id, participant_id, kind from contributions").df()
    p = con.execute("select id as participant_id, role from participants").df()
    m = con.execute("select id as meeting_id, team_id, status from meetings").df()
    rows = c.merge(p, on="participant_id").merge(m, on="meeting_id")
    rows = rows[(rows["status"] == "held") & (rows["role"] != "observer")]
    le = rows["role"].isin(["service_user", "carer"])
    rows = rows.assign(le=le, items=le & (rows["kind"] == "raised_item"), actions=le & (rows["kind"] == "took_action"))
    per = rows.groupby(["team_id", "meeting_id"]).agg(
        all=("le", "size"), le=("le", "sum"), items=("items", "sum"), actions=("actions", "sum")
    )
    return per.assign(share=per["le"] / per["all"]).reset_index()


def test_random_contributions_read_the_same_in_sql_and_in_pandas(heard: duckdb.DuckDBPyConnection) -> None:
    # Random rows over every meeting (held or not) and every participant, observers and the other
    # team's people included, repeats too: the query and the plain reading must agree on each.
    rng = random.Random(24)
    kinds = ["spoke", "raised_item", "proposed_change", "challenged", "took_action"]
    add_contributions(
        heard, [(rng.randint(1, 8), rng.randint(1, 8), rng.choice(kinds), rng.randint(0, 90)) for _ in range(300)]
    )
    per = by_hand(heard)
    rows = voice.by_meeting(heard, StudyFilter())
    assert list(rows["meeting_id"]) == list(per.sort_values(["team_id", "meeting_id"])["meeting_id"])
    assert list(rows["voice_share"]) == pytest.approx(list(per["share"]))
    found = voice.voice(heard, StudyFilter())
    assert found.overall.mean_voice_share == pytest.approx(per["share"].mean())
    assert found.overall.items_raised == per["items"].sum()
    assert found.overall.actions_owned == per["actions"].sum()
    for team in found.teams:
        mine = per[per["team_id"] == team.team_id]
        assert team.meetings_observed_live == len(mine)
        assert team.mean_voice_share == pytest.approx(mine["share"].mean())
        assert (team.items_raised, team.actions_owned) == (mine["items"].sum(), mine["actions"].sum())


def test_a_coach_reads_only_their_own_teams_voice(heard: duckdb.DuckDBPyConnection) -> None:
    with access.acting_as(COACH_OF_ALPHA):
        assert [t.team_name for t in voice.voice(heard, StudyFilter()).teams] == ["Alpha"]
        assert set(voice.by_meeting(heard, StudyFilter())["team_id"]) == {1}
        assert voice.counts(heard, StudyFilter())["team_id"].dropna().tolist() == [1]
        with pytest.raises(access.AccessDenied):
            voice.voice(heard, StudyFilter(teams=(2,)))
        with pytest.raises(access.AccessDenied):
            voice.timeline(heard, 6)  # Beta's meeting


# --- a meeting's timeline ---------------------------------------------------------------------------


def test_a_meetings_timeline_says_who_contributed_when(heard: duckdb.DuckDBPyConnection) -> None:
    found = voice.timeline(heard, 1)
    assert list(found["minute"]) == [2, 3, 5, 5, 7, 7]
    assert list(found["code"]) == ["A-SU1", "A-ST1", "A-SU1", "A-OB1", "A-ST2", "A-SU1"]
    assert list(found["lived_experience"]) == [True, False, True, False, False, True]
    assert found["contribution"].iloc[2] == "Raised an agenda item"
    assert found["role"].iloc[0] == "Service user"
    assert voice.timeline(heard, 5).empty  # held, nothing recorded
    assert voice.timeline(heard, 999).empty


def add_observer_only_meeting(con: duckdb.DuckDBPyConnection) -> None:
    """B-OB1, a researcher observing Beta, present at m5 and the only one with a contribution there."""
    with db.transaction(con) as cur:
        cur.execute("insert into participants (id, code, team_id, role) values (9, 'B-OB1', 2, 'observer')")
        cur.execute("insert into attendance (meeting_id, participant_id, status) values (5, 9, 'present')")
    add_contributions(con, [(5, 9, "spoke", 3)])


def test_a_meeting_whose_only_contributions_are_an_observers_is_not_observed_live(
    heard: duckdb.DuckDBPyConnection,
) -> None:
    # The measures and the drill-down must agree on which meetings are observed live: m5 has a
    # timeline (what the observer recorded) but is not counted, so its timeline must say so.
    add_observer_only_meeting(heard)
    assert 5 not in set(voice.by_meeting(heard, StudyFilter())["meeting_id"])
    assert voice.voice(heard, StudyFilter()).overall.meetings_observed_live == 4
    at_m5 = voice.timeline(heard, 5)
    assert list(at_m5["code"]) == ["B-OB1"]
    assert not voice.observed_live(at_m5)
    assert voice.observed_live(voice.timeline(heard, 1))  # A-OB1's contribution among others'
    assert list(voice.timeline(heard, 1)["observer"]) == [False, False, False, True, False, False]


def test_observed_live_is_worded_once_in_the_definitions_and_the_documents() -> None:
    docs = Path(__file__).parents[2] / "docs"
    for page in ("MEASURES.md", "data.md"):
        flat = re.sub(r"\s+", " ", (docs / page).read_text(encoding="utf-8").replace("*", "")).lower()
        assert definitions.OBSERVED_LIVE_MEETING in flat, page
    assert definitions.OBSERVED_LIVE.startswith(f"Observed live: {definitions.OBSERVED_LIVE_MEETING},")


def test_the_timeline_figure_puts_people_with_lived_experience_first_and_marks_repeats() -> None:
    timeline = pd.DataFrame(
        [(1, "A-ST1", "Nurse", False, "spoke"), (5, "A-SU1", "Service user", True, "raised_item"),
         (40, "A-SU1", "Service user", True, "took_action"), (40, "A-SU1", "Service user", True, "took_action"),
         (12, "A-CA1", "Carer", True, "proposed_change")],
        columns=["minute", "code", "role", "lived_experience", "kind"],
    ).assign(contribution=lambda f: f["kind"].map({"spoke": "Spoke", "raised_item": "Raised an agenda item",
                                                   "took_action": "Took an action",
                                                   "proposed_change": "Proposed a change"}))  # fmt: skip
    fig = view_charts.contribution_timeline(timeline)
    assert list(fig.layout.yaxis.categoryarray) == ["A-SU1", "A-CA1", "A-ST1"]  # lived experience first, by minute
    by_name = {t.name: t for t in fig.data}
    assert set(by_name) == {"Spoke", "Raised an agenda item", "Took an action", "Proposed a change"}
    assert by_name["Spoke"].marker.color == view_charts.STAFF_COLOUR
    assert by_name["Took an action"].marker.color == view_charts.SU_COLOUR
    action = by_name["Took an action"]
    assert list(action.x) == [40]  # the two identical rows are one larger mark
    assert action.marker.size[0] > by_name["Raised an agenda item"].marker.size[0]
    assert "2 times" in action.customdata[0][1]


# --- the definitions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "definition",
    [definitions.OBSERVED_LIVE, definitions.VOICE_SHARE, definitions.ITEMS_RAISED, definitions.ACTIONS_OWNED,
     definitions.SUGGESTED_LEVEL],
)  # fmt: skip
def test_the_measures_page_words_each_voice_measure_as_the_definitions_do(definition: str) -> None:
    # docs/MEASURES.md and the pages' help must not drift apart, and each is defined once
    measures = (Path(__file__).parents[2] / "docs" / "MEASURES.md").read_text(encoding="utf-8")
    flat = re.sub(r"\s+", " ", measures.replace("**", ""))
    assert flat.count(definition) == 1


def test_the_profile_gives_the_mean_voice_share_and_the_qi_sentence_the_pooled_one(
    heard: duckdb.DuckDBPyConnection,
) -> None:
    # Alpha's meetings have 5, 4 and 1 contributions: each meeting's share averaged is 45%, while 6 of
    # the 10 contributions (60%) were by service users and carers. The two figures sit on one page:
    # each must say which it is, and neither may call the mean a share of the contributions.
    (summary_voice,) = [
        s for s in profile.team_profile(heard, StudyFilter(), 1, "contributing").summary if "voice" in s
    ]
    assert summary_voice.startswith(
        "Service users and carers had a mean voice share of 45% over its 3 meetings observed live (each meeting's "
        "share of its contributions, averaged)"
    )
    assert "of the contributions" not in summary_voice
    choice = qi.ChartChoice(measure="voice", chart="run")
    (panel,) = qi.panels(voice.by_meeting(heard, StudyFilter(teams=(1,))), NO_EVENTS, choice)
    (sentence,) = qi.signal_sentences((panel,), choice, None)
    assert "6 of the 10 contributions, pooled over the charted meetings observed live, were by service users or " in (
        sentence
    )
    assert "(60%)" in sentence


# --- the QI charts -------------------------------------------------------------------------------------


def live_series(values: list[tuple[int, int, int, int]]) -> pd.DataFrame:
    """One team's meetings observed live a week apart: (contributions, by service users and carers,
    items raised, actions owned) each."""
    return pd.DataFrame(
        [
            {"team_id": 1, "team_name": "Oak", "meeting_id": i + 1,
             "meeting_date": pd.Timestamp(dt.date(2021, 1, 4) + dt.timedelta(weeks=i)),
             "contributions": n, "contributions_lived_experience": le, "items_raised": items,
             "actions_owned": actions, "voice_share": le / n}
            for i, (n, le, items, actions) in enumerate(values)
        ]
    )  # fmt: skip


NO_EVENTS = pd.DataFrame({"team_id": [], "event_date": [], "label": [], "category": []})


def test_voice_share_is_charted_meeting_by_meeting_with_n_the_contributions() -> None:
    frame = live_series([(10, 3, 1, 0), (20, 8, 0, 1), (5, 1, 0, 0)] * 5)
    choice = qi.ChartChoice(measure="voice", chart="p")
    assert not choice.subgrouped
    (panel,) = qi.panels(frame, NO_EVENTS, choice)
    assert panel.counts[:3] == ((3, 10), (8, 20), (1, 5))
    assert [p.value for p in panel.chart.points[:3]] == pytest.approx([0.3, 0.4, 0.2])
    widths = {round(p.upper - p.lower, 6) for p in panel.chart.points[:3]}
    assert len(widths) == 3  # each meeting's limits from its own n
    assert panel.withheld is None
    (sentence,) = qi.signal_sentences((panel,), choice, None)
    assert sentence == "Oak: no signal — only common-cause variation (Making Data Count rules)."


@pytest.mark.parametrize("measure", ["items_raised", "actions_owned"])
def test_a_count_is_charted_as_a_count_on_a_run_or_xmr_chart_and_never_a_p_chart(measure: qi.MeasureName) -> None:
    spec = qi.MEASURES[measure]
    assert spec.kind == "count"
    assert not spec.yes_no
    assert spec.charts == ("run", "xmr")
    fitted, notice = qi.fitted(qi.ChartChoice(measure=measure, chart="p"))
    assert fitted.chart == "run"
    assert notice is not None
    assert "a p-chart plots a share against its n" in notice
    frame = live_series([(10, 4, k % 4, (k + 1) % 3) for k in range(14)])
    (panel,) = qi.panels(frame, NO_EVENTS, qi.ChartChoice(measure=measure, chart="xmr"))
    counts = list(frame[spec.numerator])
    assert [p.value for p in panel.chart.points] == counts  # the count itself, not a share of anything
    assert panel.chart.upper is not None
    assert panel.chart.upper > 1
    assert panel.total == (sum(counts), 14)


def test_yes_or_no_stays_for_presence_and_meaningful_only() -> None:
    assert [name for name, spec in qi.MEASURES.items() if spec.yes_no] == ["presence", "meaningful"]
    for name, spec in qi.MEASURES.items():
        if not spec.yes_no:
            assert "g" not in spec.charts, name  # gaps between meetings with a yes: a yes/no's chart
            assert not qi.ChartChoice(measure=name, chart=spec.charts[0]).subgrouped


def test_too_few_meetings_observed_live_draw_no_limits_and_say_so() -> None:
    frame = live_series([(10, 3, 1, 1), (10, 6, 2, 0), (10, 4, 0, 1)] * 3)  # 9 meetings
    choice = qi.ChartChoice(measure="voice", chart="xmr")
    (panel,) = qi.panels(frame, NO_EVENTS, choice)
    assert panel.withheld is not None
    assert panel.withheld.startswith("only 9 meetings observed live — too few")
    assert all(p.upper is None for p in panel.chart.points)
    (sentence,) = qi.signal_sentences((panel,), choice, None)
    assert sentence.startswith("Oak: only 9 meetings observed live — too few to set limits or test for signals")
    assert (
        "Over the period, 39 of the 90 contributions, pooled over the charted meetings observed live, were by "
        "service users or carers (43%)" in sentence
    )


def test_mostly_no_item_raised_draws_no_limits() -> None:
    frame = live_series([(10, 3, 0, 0)] * 10 + [(10, 3, 2, 0)] * 4)
    (panel,) = qi.panels(frame, NO_EVENTS, qi.ChartChoice(measure="items_raised", chart="xmr"))
    assert panel.withheld == (
        "10 of 14 meetings observed live had no agenda item raised by a service user or carer — too many at 0 for "
        "limits or runs rules to tell a signal"
    )
    (sentence,) = qi.signal_sentences((panel,), qi.ChartChoice(measure="items_raised", chart="xmr"), None)
    assert (
        "Over the period, 8 items raised by service users and carers at 14 meetings observed live (0.6 a meeting)"
        in sentence
    )


@pytest.mark.parametrize("measure", ["voice", "items_raised", "actions_owned"])
def test_a_link_may_ask_for_the_new_measures(measure: str) -> None:
    parsed = qi.choice_from_query_params({"measure": measure})
    assert parsed.choice.measure == measure
    assert parsed.choice.chart == qi.MEASURES[measure].charts[0]  # its own default, without a notice
    assert parsed.notices == ()
    asked = qi.choice_from_query_params({"measure": measure, "chart": "g"})
    assert asked.choice.chart == qi.MEASURES[measure].charts[0]
    assert len(asked.notices) == 1
    assert qi.choice_from_query_params(qi.choice_to_query_params(parsed.choice)).choice == parsed.choice


# --- presenter mode ------------------------------------------------------------------------------------


def room(con: duckdb.DuckDBPyConnection, threshold: int) -> voice.Voice:
    return presenting.room(con, "contributing", presenting.Presenting(on=True, threshold=threshold, floor=2)).voice


def test_presenter_mode_hides_every_small_count_and_the_shares_resting_on_few_meetings(
    heard: duckdb.DuckDBPyConnection,
) -> None:
    for threshold in (2, 3, 5):
        rule = Rule(threshold)
        shown = room(heard, threshold)
        for measures in (shown.overall, *shown.teams):
            for count in (measures.items_raised, measures.actions_owned):
                assert count is None or not rule.hides(count), (threshold, measures)
            if rule.hides(measures.meetings_observed_live):
                assert measures.mean_voice_share is None
    at_five = room(heard, 5)
    assert [t.team_name for t in at_five.teams] == ["Team A", "Team B"]  # letters, not names
    assert at_five.overall.items_raised is None
    assert at_five.overall.mean_voice_share is None
    assert at_five.overall.meetings_observed_live == 4  # shown as it is
    assert (None, "items_raised") in at_five.hidden


def test_a_small_count_hidden_in_one_team_is_not_left_to_subtraction(heard: duckdb.DuckDBPyConnection) -> None:
    # At 2, Alpha's single item raised is hidden; the study's 3 minus Beta's 2 would give it back,
    # so one of those goes too.
    shown = room(heard, 2)
    alpha, beta = shown.teams
    assert alpha.items_raised is None
    assert shown.overall.items_raised is None or beta.items_raised is None


def brute_force_pins(truth: np.ndarray, seen: list[tuple[tuple[int, ...], float, float]], rule: Rule) -> list[str]:
    """A reader's own search, apart from observation.disclosure: every assignment of the atoms from
    0 to 6 that fits what was seen (each a sum of atoms between two bounds); a small team's or the
    study's count of items, actions or contributions by service users and carers that fits one value only
    is pinned."""
    size = truth.size
    grid = np.array(list(itertools.product(range(7), repeat=size)), dtype=np.int64)
    fits = np.ones(len(grid), dtype=bool)
    for atoms, low, high in seen:
        total = grid[:, list(atoms)].sum(axis=1)
        fits &= (total >= low) & (total <= high)
    candidates = grid[fits]
    assert len(candidates), "what was shown fits no study at all"
    teams = size // 3
    sums = {f"team {t} {what}": [t * 3 + j for j in js] for t in range(teams)
            for what, js in (("items", [0]), ("actions", [1]), ("contributions", [0, 1, 2]))}  # fmt: skip
    sums |= {f"study {w}": [a for t in range(teams) for a in sums[f"team {t} {w}"]] for w in ("items", "actions")}
    pins = []
    for name, atoms in sums.items():
        value = int(truth[atoms].sum())
        if rule.hides(value) and len(set(candidates[:, atoms].sum(axis=1))) == 1:
            pins.append(name)
    return pins


@pytest.mark.parametrize("seed", range(12))
def test_no_small_count_can_be_worked_out_from_what_presenter_mode_shows_of_voice(seed: int) -> None:
    # Two teams' contributions by service users and carers (items, actions, the rest), small and random,
    # guarded at 3 over the contributions' own figures; a reader then bounds every count from the
    # figures shown, read back as printed.
    rng = random.Random(seed)
    rows = []
    for team in (1, 2):
        items, actions, rest = rng.randint(0, 3), rng.randint(0, 3), rng.randint(0, 2)
        meetings = rng.randint(3, 6)
        le = items + actions + rest
        share = min(1.0, rng.uniform(0.1, 0.9) * (le > 0))
        rows.append((team, meetings, share if le else 0.0, items, actions, le, min(meetings, le)))
    study = ("team_id", "meetings_observed_live", "mean_voice_share", "items_raised", "actions_owned",
             "contributions_lived_experience", "meetings_with_voice")  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(study))
    total = frame.sum(numeric_only=True)
    overall = {**total.to_dict(), "team_id": None, "mean_voice_share": float(frame["mean_voice_share"].mean())}
    counts = pd.concat([pd.DataFrame([overall]), frame], ignore_index=True).astype({"team_id": "Int64"})
    counts.insert(1, "team_name", [None, "Oak", "Elm"])
    rule = Rule(3)
    records = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in counts.to_dict("records")]
    hidden = presenting.suppress(presenting.contribution_system(records), rule)
    truth = np.array([[r[3], r[4], r[5] - r[3] - r[4]] for r in rows], dtype=np.int64).ravel()
    seen = []
    for r in records:
        key = None if r["team_id"] is None else int(r["team_id"])
        mine = [0, 1] if key is None else [key - 1]
        for name, j in (("items_raised", 0), ("actions_owned", 1)):
            if (key, name) not in hidden:
                atoms = tuple(t * 3 + j for t in mine)
                seen.append((atoms, r[name], r[name]))
        if (key, "mean_voice_share") not in hidden:
            p = whole_percent(r["mean_voice_share"])  # a mean of ratios: their total is at least its share
            seen.append(
                (
                    tuple(t * 3 + j for t in mine for j in range(3)),
                    -(-max(0, 2 * p - 1) * r["meetings_observed_live"] // 200),
                    np.inf,
                )
            )
    assert brute_force_pins(truth, seen, rule) == []


def random_voice(kinds: pd.DataFrame, rng: random.Random) -> pd.DataFrame:
    """voice.counts' frame for a study of ``kinds``: per team, some of its meetings with attendance
    recorded observed live, some of those (never more than had lived experience present) with a
    contribution by a service user or carer, each a random share of its meeting's contributions."""
    lived = list(queries.MEETING_KINDS[:-1])
    rows, ratios_all = [], []
    for team_id, team in kinds.groupby("team_id"):
        recorded = int(team[list(queries.MEETING_KINDS)].to_numpy().sum())
        present = int(team[lived].to_numpy().sum())
        observed = rng.randint(0, recorded)
        if observed == 0:
            continue
        voiced = rng.randint(0, min(observed, present))
        ratios = [rng.choice([0.25, 0.5, 1.0]) for _ in range(voiced)] + [0.0] * (observed - voiced)
        items, actions = (rng.randint(0, 4), rng.randint(0, 4)) if voiced else (0, 0)
        le = max(voiced, items + actions) + rng.randint(0, 2) * (voiced > 0)
        rows.append([int(team_id), f"T{team_id}", observed, sum(ratios) / observed, items, actions, le, voiced])
        ratios_all += ratios
    frame = pd.DataFrame(rows, columns=list(voice.COUNTS))
    if frame.empty:
        return frame
    total = ["", "", frame["meetings_observed_live"].sum(), sum(ratios_all) / len(ratios_all),
             *(frame[c].sum() for c in ("items_raised", "actions_owned", "contributions_lived_experience",
                                         "meetings_with_voice"))]  # fmt: skip
    frame = pd.concat([pd.DataFrame([total], columns=list(voice.COUNTS)), frame], ignore_index=True)
    frame.loc[0, ["team_id", "team_name"]] = [None, None]
    return frame.astype({"team_id": "Int64"})


@pytest.mark.parametrize("seed", range(8))
def test_nothing_voice_shows_beside_the_overview_lets_a_small_presence_be_worked_out(seed: int) -> None:
    # A voice share above 0% says that at least that share of a team's meetings observed live had
    # someone with lived experience present; an item raised or an action owned, that at least one
    # had. A reader adds those bounds to what the Overview shows, and must pin no small count of
    # meeting kinds (tests/disclosure_check.py, built apart from observation.disclosure).
    rng = random.Random(seed)
    study = [[[rng.choice([0, 0, 1, 2, 3, 6]) for _ in range(7)] for _ in range(rng.randint(1, 2))]
             for _ in range(rng.randint(2, 3))]  # fmt: skip
    kinds = kinds_of(study)
    found = overview_of(kinds)
    counts = random_voice(kinds, rng)
    if counts.empty:
        pytest.skip("no meeting observed live drawn")
    mode = presenting.Presenting(on=True, threshold=3, floor=3)
    guarded = presenting.guard(found, kinds, mode.rule)
    shown = presenting.present_voice(found, kinds, counts, mode, {})
    reader = Reader(reader_atoms(kinds))
    for seen in what_is_seen(found, guarded, presenting.guard_trend(found.trend, guarded)):
        reader.see(seen)
    for cell, measures in [(("all",), shown.overall), *((("team", t.team_id), t) for t in shown.teams)]:
        lived = reader._vector(reader.leaves(cell), COUNTS["presence"])
        if measures.mean_voice_share is not None:
            p = whole_percent(measures.mean_voice_share)
            reader._add(lived, -(-max(0, 2 * p - 1) * measures.meetings_observed_live // 200), np.inf)
        if (measures.items_raised or 0) + (measures.actions_owned or 0) > 0:
            reader._add(lived, 1, np.inf)
    assert list(reader.pins(3)) == []


def test_the_measures_come_from_one_query_whatever_reads_them(heard: duckdb.DuckDBPyConnection) -> None:
    counts = voice.counts(heard, StudyFilter())
    assert voice.measures(counts) == voice.voice(heard, StudyFilter())
    assert list(counts["meetings_with_voice"]) == [3, 2, 1]  # m4 had none by a service user or carer
    assert list(counts["contributions_lived_experience"]) == [8, 6, 2]
    assert queries.overview(heard, StudyFilter(), "contributing").overall.meetings_held == 6


def test_items_raised_at_a_teams_one_meeting_do_not_say_that_someone_was_there() -> None:
    # Team 2 held one meeting with attendance recorded, a service user there: its presence (1 of 1)
    # is hidden, and the study's less team 1's would give it back, so one of those goes too. Five
    # items raised there by service users would still say someone with lived experience was
    # present: 1 of 1. Its items go, and the study's with them (they less team 1's are team 2's).
    kinds = kinds_of([[[4, 4, 2, 2, 0, 0, 8]], [[0, 1, 0, 0, 0, 0, 0]]])
    found = overview_of(kinds)
    counts = pd.DataFrame(
        [[None, None, 8, 0.4, 11, 6, 30, 6], [1, "T1", 7, 0.4, 6, 6, 25, 5], [2, "T2", 1, 0.5, 5, 0, 5, 1]],
        columns=list(voice.COUNTS),
    ).astype({"team_id": "Int64"})
    mode = presenting.Presenting(on=True, threshold=3, floor=3)
    shown = presenting.present_voice(found, kinds, counts, mode, {})
    assert shown.teams[1].items_raised is None
    assert shown.overall.items_raised is None
    assert shown.teams[0].items_raised == 6  # team 1's say nothing of team 2
