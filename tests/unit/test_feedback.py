"""Experience feedback and the impact log (observation/feedback.py) on the small study
(tests/small_study.py), whose service users and carers present at held meetings are: m1 (Alpha,
2020-01-10) A-SU1; m2 (Alpha, 2020-01-24) A-SU1 and A-CA1; m6 (Beta, 2020-02-12) B-SU1."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observation import access, db, definitions, feedback, ingest
from observation.errors import ObservationError
from observation.filters import StudyFilter

pytestmark = pytest.mark.both_backends

SU1, CA1, ST1, B_SU1 = 3, 4, 1, 6
NOW = dt.datetime(2020, 1, 24, 12, 0, tzinfo=dt.UTC)


def rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[object, ...]]:
    return con.execute(f"select * from {table} order by all").fetchall()


def answers_of(con: duckdb.DuckDBPyConnection, meeting_id: int, participant_id: int) -> dict[str, int | None]:
    found = con.execute(
        "select i.item_key, r.answer from feedback_responses as r join feedback_items as i on i.id = r.item_id "
        "where r.meeting_id = ? and r.participant_id = ?",
        [meeting_id, participant_id],
    ).fetchall()
    return {str(k): a for k, a in found}


def test_a_new_study_asks_the_default_items_and_saves_them_with_the_first_answers(
    small: duckdb.DuckDBPyConnection,
) -> None:
    asked = feedback.items(small)
    assert [(i.key, i.wording, i.item_id) for i in asked] == [(k, w, None) for k, w in feedback.DEFAULT_ITEMS]
    assert rows(small, "feedback_items") == []
    kept = feedback.record_answers(small, 1, SU1, {"listened": 4, "understood": 2}, "review", now=NOW)
    assert kept == 2
    saved = feedback.items(small)
    assert [i.key for i in saved] == [k for k, _ in feedback.DEFAULT_ITEMS]
    assert all(i.item_id is not None and i.version == 1 for i in saved)
    assert small.execute(
        "select i.item_key, r.answer, r.via from feedback_responses as r join feedback_items as i on i.id = r.item_id "
        "order by i.item_key"
    ).fetchall() == [("listened", 4, "review"), ("understood", 2, "review")]


def test_only_a_service_user_or_carer_present_at_a_held_meeting_answers_and_a_refusal_writes_nothing(
    small: duckdb.DuckDBPyConnection,
) -> None:
    refused = {
        (1, ST1): "A-ST1 is not a service user or carer",
        (1, CA1): "A-CA1 is not marked present",  # absent at m1
        (4, SU1): "A-SU1 is not marked present",  # apologies at m4
        (3, SU1): "recorded as cancelled",
        (99, SU1): "meeting 99 no longer exists",
    }
    for (meeting, person), said in refused.items():
        with pytest.raises(ObservationError, match=said):
            feedback.record_answers(small, meeting, person, {"listened": 3}, "paper")
    for answer in (0, 6, True, "4", 3.5):
        with pytest.raises(ObservationError, match="is not an answer"):
            feedback.record_answers(small, 1, SU1, {"listened": 4, "understood": answer}, "paper")  # type: ignore[dict-item]
    with pytest.raises(ObservationError, match="no longer asks 'enjoyed'"):
        feedback.record_answers(small, 1, SU1, {"enjoyed": 5}, "paper")
    with pytest.raises(ObservationError, match="choose an answer to at least one item"):
        feedback.record_answers(small, 1, SU1, {}, "paper")
    with pytest.raises(ObservationError, match="typed in at the review or from paper"):
        feedback.record_answers(small, 1, SU1, {"listened": 4}, "phone")  # type: ignore[arg-type]
    assert rows(small, "feedback_responses") == []
    assert rows(small, "feedback_items") == []


def test_respondents_are_those_present_with_lived_experience_and_an_answer_again_replaces_the_first(
    small: duckdb.DuckDBPyConnection,
) -> None:
    assert [(r.code, r.answered) for r in feedback.respondents(small, 2)] == [("A-CA1", False), ("A-SU1", False)]
    assert feedback.respondents(small, 4) == ()  # A-SU1 sent apologies
    feedback.record_answers(small, 2, CA1, {"listened": 2, "influence": None}, "review")
    feedback.record_answers(small, 2, CA1, {"listened": 4}, "paper")
    assert [(r.code, r.answered, r.by_phone) for r in feedback.respondents(small, 2)] == [
        ("A-CA1", True, False), ("A-SU1", False, False),
    ]  # fmt: skip
    assert answers_of(small, 2, CA1) == {"listened": 4, "influence": None}


def test_a_reworded_item_is_a_new_version_and_old_answers_keep_theirs(small: duckdb.DuckDBPyConnection) -> None:
    feedback.record_answers(small, 1, SU1, {"listened": 2}, "review")
    new = feedback.reword(small, "listened", "I felt heard")
    assert (new.key, new.version, new.wording) == ("listened", 2, "I felt heard")
    assert feedback.reword(small, "listened", "I felt heard") == new  # the same words: nothing new
    feedback.record_answers(small, 2, SU1, {"listened": 5}, "review")
    scores = feedback.item_scores(small, StudyFilter())
    listened = scores[scores["item_key"] == "listened"][["version", "wording", "asked", "answers", "mean"]]
    assert listened.values.tolist() == [[2, "I felt heard", True, 1, 5.0], [1, "I felt listened to", False, 1, 2.0]]
    added = feedback.add_item(small, "The papers came in time to read them")
    assert added.key == "the_papers_came_in_time_to"
    assert feedback.items(small)[-1] == added
    with pytest.raises(ObservationError, match="already asks"):
        feedback.add_item(small, "the papers came in time to read them")
    for item in feedback.items(small)[:-1]:
        feedback.retire(small, item.key)
    with pytest.raises(ObservationError, match="needs at least one item"):
        feedback.retire(small, added.key)
    assert [i.key for i in feedback.items(small)] == [added.key]


def test_a_phone_link_answers_once_before_it_expires_and_the_study_keeps_no_token(
    small: duckdb.DuckDBPyConnection,
) -> None:
    link = feedback.issue_link(small, 2, SU1, now=NOW)
    assert link.expires_at == NOW + dt.timedelta(hours=feedback.LINK_HOURS)
    kept = rows(small, "feedback_links")
    assert len(kept) == 1
    assert not any(link.token in str(value) for value in kept[0])
    assert [i.key for i in feedback.questions(small, link.token, now=NOW)] == [k for k, _ in feedback.DEFAULT_ITEMS]
    with access.acting_as(access.Identity(email="presenter@example.org", role="presenter")):  # no role needed
        assert feedback.answer_by_link(small, link.token, {"listened": 5, "influence": 3}, now=NOW) == 2
    assert small.execute("select distinct via from feedback_responses").fetchall() == [("phone",)]
    for token in (link.token, "x" * 43, "short", "../../etc"):
        with pytest.raises(feedback.LinkRefused):
            feedback.questions(small, token, now=NOW)
        with pytest.raises(feedback.LinkRefused):
            feedback.answer_by_link(small, token, {"listened": 1}, now=NOW)
    assert answers_of(small, 2, SU1) == {"listened": 5, "influence": 3}
    assert [r.by_phone for r in feedback.respondents(small, 2) if r.code == "A-SU1"] == [True]
    with pytest.raises(ObservationError, match="A-SU1 answered on their own phone: their answers stay theirs"):
        feedback.record_answers(small, 2, SU1, {"listened": 1}, "review")


def test_a_phone_link_expires_and_a_new_one_replaces_the_old(small: duckdb.DuckDBPyConnection) -> None:
    old = feedback.issue_link(small, 2, CA1, now=NOW)
    new = feedback.issue_link(small, 2, CA1, now=NOW)
    with pytest.raises(feedback.LinkRefused):
        feedback.questions(small, old.token, now=NOW)
    late = NOW + dt.timedelta(hours=feedback.LINK_HOURS, seconds=1)
    with pytest.raises(feedback.LinkRefused):
        feedback.answer_by_link(small, new.token, {"listened": 4}, now=late)
    assert rows(small, "feedback_responses") == []
    with pytest.raises(ObservationError, match="not a service user or carer"):
        feedback.issue_link(small, 1, ST1)


def test_answers_typed_in_close_the_persons_open_phone_link(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    # The observer showed a QR code, then typed the answers in at the review after all: the phone,
    # opened later, must not replace them without a word. Nor after an import of paper answers.
    link = feedback.issue_link(small, 2, CA1, now=NOW)
    feedback.record_answers(small, 2, CA1, {"listened": 2}, "review")
    with pytest.raises(feedback.LinkRefused):
        feedback.answer_by_link(small, link.token, {"listened": 5}, now=NOW)
    assert small.execute("select answer, via from feedback_responses").fetchall() == [(2, "review")]
    link = feedback.issue_link(small, 2, SU1, now=NOW)
    paper = tmp_path / "paper.csv"
    paper.write_text("team,date,participant,item,answer\nAlpha,24/01/2020,A-SU1,listened,3\n", encoding="utf-8")
    ingest.import_files(small, [paper])
    with pytest.raises(feedback.LinkRefused):
        feedback.questions(small, link.token, now=NOW)


def test_a_link_for_someone_no_longer_present_is_refused_without_saying_why(small: duckdb.DuckDBPyConnection) -> None:
    link = feedback.issue_link(small, 2, CA1, now=NOW)
    with db.transaction(small) as cur:
        cur.execute(
            "update attendance set status = 'absent', participation = null where meeting_id = 2 and participant_id = ?",
            [CA1],
        )
    with pytest.raises(feedback.LinkRefused):
        feedback.answer_by_link(small, link.token, {"listened": 4}, now=NOW)
    assert rows(small, "feedback_responses") == []


def test_writes_are_a_researchers(small: duckdb.DuckDBPyConnection) -> None:
    coach = access.Identity(email="coach@example.org", role="coach", teams=frozenset({1}))
    with access.acting_as(coach):
        for write in (
            lambda: feedback.record_answers(small, 1, SU1, {"listened": 4}, "review"),
            lambda: feedback.issue_link(small, 1, SU1),
            lambda: feedback.reword(small, "listened", "Heard"),
            lambda: feedback.record_impact(small, 1, dt.date(2020, 1, 30), "change_idea", "x", "staff"),
        ):
            with pytest.raises(access.AccessDenied):
                write()


def answer_everyone(con: duckdb.DuckDBPyConnection) -> None:
    """m1 A-SU1: 4, 2 (mean 3); m2 A-SU1: 5 and prefer not (mean 5); m2 A-CA1: prefer not only;
    m6 B-SU1: nothing."""
    feedback.record_answers(con, 1, SU1, {"listened": 4, "understood": 2}, "review")
    feedback.record_answers(con, 2, SU1, {"listened": 5, "understood": None}, "review")
    feedback.record_answers(con, 2, CA1, {"listened": None}, "paper")


def test_the_experience_measures_by_hand(small: duckdb.DuckDBPyConnection) -> None:
    answer_everyone(small)
    found = feedback.experience_by_month(small, StudyFilter())
    assert found[["team_name", "month", "attended", "responded", "scored"]].values.tolist() == [
        ["Alpha", pd.Timestamp("2020-01-01"), 3, 3, 2],
        ["Beta", pd.Timestamp("2020-02-01"), 1, 0, 0],
    ]
    assert found["score"].tolist()[0] == pytest.approx(4.0)  # (3 + 5) / 2, not the answers' mean 11 / 3
    assert pd.isna(found["score"].tolist()[1])
    whole = feedback.totals(found, feedback.impact_by_month(small, StudyFilter()))
    assert (whole.attended, whole.responded, whole.scored, whole.score) == (4, 3, 2, pytest.approx(4.0))
    assert whole.response_rate == pytest.approx(3 / 4)
    assert whole.impact_share is None
    items = feedback.item_scores(small, StudyFilter())
    assert items[["item_key", "answers", "prefer_not"]].values.tolist() == [
        ["listened", 2, 1], ["understood", 1, 1], ["influence", 0, 0], ["come_again", 0, 0],
    ]  # fmt: skip
    assert items["mean"].tolist()[:2] == [pytest.approx(4.5), pytest.approx(2.0)]


def test_the_experience_score_computed_another_way(small: duckdb.DuckDBPyConnection) -> None:
    """From the raw answers in Python: each person-meeting's mean, then their mean, per team and month."""
    answer_everyone(small)
    feedback.record_answers(small, 6, B_SU1, {"listened": 1, "understood": 2, "influence": 2}, "paper")
    raw = small.execute(
        """
        select m.team_id, m.meeting_date, r.meeting_id, r.participant_id, r.answer
        from feedback_responses as r join meetings as m on m.id = r.meeting_id
        """
    ).fetchall()
    per_person: dict[tuple[int, dt.date, int, int], list[int]] = {}
    for team, day, meeting, person, answer in raw:
        per_person.setdefault((team, day.replace(day=1), meeting, person), [])
        if answer is not None:
            per_person[(team, day.replace(day=1), meeting, person)].append(answer)
    expected: dict[tuple[int, dt.date], list[float]] = {}
    for (team, month, _, _), answers in per_person.items():
        if answers:
            expected.setdefault((team, month), []).append(sum(answers) / len(answers))
    found = feedback.experience_by_month(small, StudyFilter())
    got = {(int(r.team_id), r.month.date()): float(r.score) for r in found.itertuples() if not pd.isna(r.score)}
    assert got == pytest.approx({k: sum(v) / len(v) for k, v in expected.items()})
    alpha = feedback.totals(found[found["team_id"] == 1], found.iloc[:0])
    assert alpha.score == pytest.approx((3 + 5) / 2)


def test_the_impact_log_and_its_share(small: duckdb.DuckDBPyConnection) -> None:
    today = dt.date(2020, 3, 1)
    feedback.record_impact(
        small, 1, dt.date(2020, 1, 24), "meeting_changed", "Meetings moved to homes", "lived_experience", 2, today=today
    )
    feedback.record_impact(
        small, 1, dt.date(2020, 2, 3), "measure_changed", "Waits counted from the first call", "staff", today=today
    )
    feedback.record_impact(
        small, 2, dt.date(2020, 2, 20), "document_rewritten", "Leaflet in plain English", "both", 6, today=today
    )
    refused = {
        (1, dt.date(2020, 2, 1), 6): "not one of Alpha's",
        (1, dt.date(2020, 1, 20), 2): "before the meeting where it arose",
        (1, dt.date(2020, 3, 2), None): "in the future",
    }
    for (team, day, meeting), said in refused.items():
        with pytest.raises(ObservationError, match=said):
            feedback.record_impact(small, team, day, "other", "A change", "staff", meeting, today=today)
    with pytest.raises(ObservationError, match="is not a kind of change"):
        feedback.record_impact(small, 1, dt.date(2020, 2, 1), "vibes", "A change", "staff", today=today)
    with pytest.raises(ObservationError, match="say what changed in 1 to 2,000 characters"):
        feedback.record_impact(small, 1, dt.date(2020, 2, 1), "other", "  ", "staff", today=today)
    by_month = feedback.impact_by_month(small, StudyFilter())
    assert by_month[["team_name", "changes", "with_lived_experience"]].values.tolist() == [
        ["Alpha", 1, 1], ["Alpha", 1, 0], ["Beta", 1, 1],
    ]  # fmt: skip
    whole = feedback.totals(feedback.experience_by_month(small, StudyFilter()), by_month)
    assert (whole.changes, whole.with_lived_experience, whole.impact_share) == (3, 2, pytest.approx(2 / 3))
    log = feedback.impact_log(small, StudyFilter(teams=(1,), start=dt.date(2020, 2, 1)))
    assert log["description"].tolist() == ["Waits counted from the first call"]
    feedback.delete_impact(small, int(log["id"].iloc[0]))
    assert feedback.impact_log(small, StudyFilter(teams=(1,), start=dt.date(2020, 2, 1))).empty


def test_every_write_is_audited(small: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    feedback.record_answers(small, 1, SU1, {"listened": 4}, "review", observer="OB-01")
    feedback.issue_link(small, 2, SU1, observer="OB-01")
    audited = small.execute(
        "select table_name, action from audit where table_name like 'feedback%' order by id"
    ).fetchall()
    assert audited == [("feedback_items", "create")] * 4 + [
        ("feedback_responses", "create"),
        ("feedback_links", "create"),
    ]


@pytest.mark.parametrize("definition", ["EXPERIENCE_SCORE", "RESPONSE_RATE", "IMPACT_SHARE"])
def test_the_measures_page_words_each_measure_as_the_definitions_do(definition: str) -> None:
    measures = (Path(__file__).parents[2] / "docs" / "MEASURES.md").read_text(encoding="utf-8")
    flat = re.sub(r"\s+", " ", measures.replace("**", ""))
    assert flat.count(getattr(definitions, definition)) == 1


def test_a_save_that_would_leave_answers_of_someone_absent_is_refused(small: duckdb.DuckDBPyConnection) -> None:
    """The Record page's save (record.save_meeting) checks integrity: someone who answered about a
    meeting stays present at it, and the meeting stays held."""
    from observation import record

    feedback.record_answers(small, 2, CA1, {"listened": 4}, "review")
    loaded = record.load(small, 2)
    assert loaded is not None
    entries = [
        record.AttendanceEntry(participant_id=pid, status="absent" if pid == CA1 else status,
                               participation=None if pid == CA1 else level)
        for pid, (status, level) in loaded.attendance.items()
    ]  # fmt: skip
    before = small.execute("select * from attendance order by all").fetchall()
    with pytest.raises(
        ObservationError, match="A-CA1 answered the experience questionnaire about the meeting of Alpha"
    ):
        record.save_meeting(small, 2, loaded.details, entries, list(loaded.notes), record.version(small, 2))
    cancelled = loaded.details.model_copy(update={"status": "cancelled"})
    with pytest.raises(ObservationError, match="stays held"):
        record.save_meeting(small, 2, cancelled, [], [], record.version(small, 2))
    assert small.execute("select * from attendance order by all").fetchall() == before


def test_a_meeting_deleted_takes_its_answers_and_links_and_keeps_its_changes(small: duckdb.DuckDBPyConnection) -> None:
    from observation import curate, record

    feedback.record_answers(small, 2, CA1, {"listened": 4, "understood": 3}, "review")
    feedback.issue_link(small, 2, SU1)
    entry = feedback.record_impact(small, 1, dt.date(2020, 1, 30), "change_idea", "Agenda in plain English", "both", 2)
    assert "2 experience answers" in curate.meeting_removal(small, 2).describe()
    curate.delete_meeting(small, 2, record.version(small, 2))
    assert rows(small, "feedback_responses") == []
    assert rows(small, "feedback_links") == []
    assert small.execute("select id, meeting_id from impact_entries").fetchall() == [(entry, None)]
    (copied,) = small.execute(
        "select before from audit where action = 'delete' and table_name = 'feedback_responses'"
    ).fetchone()  # type: ignore[misc]
    assert [sorted(row) for row in json.loads(copied)] == [["id", "item_id", "meeting_id", "participant_id",
                                                            "recorded_at", "via"]] * 2  # never the answer  # fmt: skip


def test_someone_who_answered_stays_marked_present_on_the_capture_page(small: duckdb.DuckDBPyConnection) -> None:
    from observation import capture

    feedback.record_answers(small, 2, CA1, {"listened": 4}, "review")
    with pytest.raises(ObservationError, match="A-CA1 answered the experience questionnaire about this meeting"):
        capture.mark(small, 2, CA1, False, "OB-01")
    assert small.execute(
        "select status from attendance where meeting_id = 2 and participant_id = ?", [CA1]
    ).fetchone() == ("present",)


def test_the_demo_studys_measures_computed_another_way(demo: duckdb.DuckDBPyConnection) -> None:
    """Per team, from the raw rows in pandas: the service users and carers present at held meetings,
    those of them with answers, the mean of their person-meeting means, and the changes by origin."""
    present = demo.execute(
        """
        select m.team_id, a.meeting_id, a.participant_id
        from attendance as a
        join meetings as m on m.id = a.meeting_id
        join participants as p on p.id = a.participant_id
        join role_categories as r on r.code = p.role
        where a.status = 'present' and m.status = 'held' and r.lived_experience
        """
    ).fetchdf()
    answers = demo.execute("select meeting_id, participant_id, answer from feedback_responses").fetchdf()
    person = answers.groupby(["meeting_id", "participant_id"])["answer"].mean().rename("mean").reset_index()
    joined = present.merge(person, on=["meeting_id", "participant_id"], how="left", indicator=True)
    impact = demo.execute("select team_id, origin from impact_entries").fetchdf()
    by_month = feedback.experience_by_month(demo, StudyFilter())
    changes = feedback.impact_by_month(demo, StudyFilter())
    assert not joined.empty
    for team_id, rows in joined.groupby("team_id"):
        found = feedback.totals(by_month[by_month["team_id"] == team_id], changes[changes["team_id"] == team_id])
        assert found.attended == len(rows)
        assert found.responded == int((rows["_merge"] == "both").sum())
        assert found.scored == int(rows["mean"].notna().sum())
        if found.scored:
            assert found.score == pytest.approx(rows["mean"].mean())
        mine = impact[impact["team_id"] == team_id]
        assert found.changes == len(mine)
        assert found.with_lived_experience == int(mine["origin"].isin(["lived_experience", "both"]).sum())


def test_an_answer_to_an_items_earlier_wording_stays_when_the_new_one_is_answered(
    small: duckdb.DuckDBPyConnection,
) -> None:
    feedback.record_answers(small, 2, SU1, {"influence": 3}, "review")
    feedback.reword(small, "influence", "I could change what was decided")
    feedback.record_answers(small, 2, SU1, {"influence": 5}, "review")
    kept = small.execute(
        "select i.version, r.answer from feedback_responses as r join feedback_items as i on i.id = r.item_id "
        "order by i.version"
    ).fetchall()
    assert kept == [(1, 3), (2, 5)]
    feedback.retire(small, "come_again")
    states = feedback.item_scores(small, StudyFilter()).set_index(["item_key", "version"])["state"]
    assert states[("influence", 2)] == "asked"
    assert states[("influence", 1)] == "reworded"
    assert ("come_again", 1) not in states.index  # removed, never answered: left out
    feedback.record_answers(small, 1, SU1, {"listened": 4}, "review")
    feedback.retire(small, "listened")
    states = feedback.item_scores(small, StudyFilter()).set_index(["item_key", "version"])["state"]
    assert states[("listened", 1)] == "removed"


def test_an_item_added_in_the_words_of_one_removed_is_that_item_asked_again(small: duckdb.DuckDBPyConnection) -> None:
    feedback.record_answers(small, 1, SU1, {"come_again": 4}, "review")
    feedback.retire(small, "come_again")
    again = feedback.add_item(small, "i would come AGAIN")  # the words it was last asked in, in any case
    assert (again.key, again.version, again.wording) == ("come_again", 1, "I would come again")
    assert [i.key for i in feedback.items(small)] == ["listened", "understood", "influence", "come_again"]
    scores = feedback.item_scores(small, StudyFilter()).set_index(["item_key", "version"])
    assert scores.loc[("come_again", 1), "state"] == "asked"  # its answer is its own again: one row, not two
    assert small.execute("select count(*) from feedback_items where item_key like 'i_would%'").fetchone() == (0,)
    feedback.reword(small, "influence", "I could change what was decided")
    feedback.retire(small, "influence")
    new = feedback.add_item(small, "I could influence what was decided")  # an earlier wording: a new item
    assert new.key != "influence"


def test_whom_a_change_came_from_is_chosen_never_assumed(small: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ObservationError, match="choose whom the idea came from"):
        feedback.record_impact(
            small, 1, dt.date(2020, 1, 30), "change_idea", "A change", None, today=dt.date(2020, 3, 1)
        )
