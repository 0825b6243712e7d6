"""Every vocabulary's words, once (observation.labels): each value the study can store has its
words, and no word stands for a value that cannot be stored."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from observation import ingest, labels, models


@pytest.mark.parametrize(
    ("words", "vocabulary"),
    [
        (labels.SETTINGS, models.Setting),
        (labels.MEETING_STATUSES, models.MeetingStatus),
        (labels.MEETING_FORMATS, models.MeetingFormat),
        (labels.HELD_AT, models.MeetingFormat),
        (labels.MEETING_ROLES, models.MeetingRole),
        (labels.PARTICIPATION, models.ParticipationLevel),
        (labels.PERSON_ROLES, models.RoleCategory),
        (labels.INFORMANT_GROUPS, models.InformantGroup),
        (labels.INFORMANT, models.InformantGroup),
        (labels.RECRUITMENT_STAGES, models.RecruitmentStage),
        (labels.ANNOTATION_KINDS, models.AnnotationCategory),
        (labels.COM_B, models.ComB),
        (labels.VALENCE, models.Valence),
        (labels.FOUR_PI, models.FourPi),
    ],
    ids=lambda v: "" if isinstance(v, dict) else str(v),
)
def test_every_stored_value_has_its_words(words: dict[str, str], vocabulary: Any) -> None:
    assert set(words) == set(get_args(vocabulary))
    assert all(words.values())


def test_the_participation_ladder_reads_lowest_first() -> None:
    assert list(labels.PARTICIPATION) == sorted(models.PARTICIPATION_RANK, key=models.PARTICIPATION_RANK.__getitem__)


def test_attendance_words_cover_the_stored_statuses_and_no_record() -> None:
    assert set(labels.ATTENDANCE) == {*get_args(models.AttendanceStatus), labels.NOT_EXPECTED}


def test_every_kind_of_file_an_import_reads_is_named() -> None:
    assert set(labels.TABLES) == set(ingest.KIND_NAMES) == set(labels.TABLE_ROWS)


@pytest.mark.parametrize(("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA")])
def test_teams_by_letter_run_on_past_z(index: int, letters: str) -> None:
    assert labels.letters(index) == letters


def test_the_audit_trail_counts_each_table_in_the_words_the_import_names_it() -> None:
    """ "Imported annotations.csv: 1 annotation created" — as the import page calls the kind — and
    the words kept in labels, beside the import's."""
    for table, words in labels.TABLES.items():
        one, many = labels.AUDIT_ROWS[table]
        assert many.startswith(words), table
        assert one, table
        assert many != one, table


def test_a_count_agrees_with_its_noun() -> None:
    assert [labels.counted(n, "record") for n in (0, 1, 2, 1500)] == [
        "0 records",
        "1 record",
        "2 records",
        "1,500 records",
    ]
    assert labels.counted(1, "person", "people") == "1 person"
    assert labels.counted(3, "person", "people") == "3 people"
