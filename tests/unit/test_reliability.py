"""Many sessions writing at once: eight sessions, each saving fifty attendance changes through
the app's one connection, lose none."""

from __future__ import annotations

import contextvars
import datetime as dt
import threading

import duckdb
import pytest

from observation import access, record

pytestmark = pytest.mark.both_backends  # storage, import, export, audit and access: on both backends

SESSIONS, SAVES = 8, 50


def test_eight_sessions_saving_fifty_attendance_changes_each_lose_none(small: duckdb.DuckDBPyConnection) -> None:
    (person,) = small.execute("select min(id) from participants where team_id = 1").fetchone()  # type: ignore[misc]
    meetings = [
        record.save_meeting(
            small, None, record.MeetingDetails(team_id=1, meeting_date=dt.date(2021, 1, 1 + i)), [], [], 0
        )
        for i in range(SESSIONS)
    ]
    start, failures = threading.Barrier(SESSIONS), []

    def session(number: int, meeting_id: int) -> None:
        with access.acting_as(access.Identity(email=f"r{number}@example.org", role="researcher")):
            start.wait()
            for change in range(SAVES):
                try:
                    loaded = record.load(small, meeting_id)
                    assert loaded is not None
                    status = "present" if change % 2 == 0 else "apologies"
                    entry = record.AttendanceEntry(participant_id=person, status=status)
                    record.save_meeting(small, meeting_id, loaded.details, [entry], [], loaded.version)
                except Exception as exc:  # every failure is reported below
                    failures.append(f"session {number}, change {change}: {exc}")

    threads = [threading.Thread(target=contextvars.Context().run, args=(session, n, m)) for n, m in enumerate(meetings)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert failures == []
    for number, meeting_id in enumerate(meetings):
        assert record.version(small, meeting_id) == 1 + SAVES
        (changes,) = small.execute(  # type: ignore[misc]
            "select count(*) from audit where actor = ? and table_name = 'attendance' and row_key = ?",
            [f"r{number}@example.org", f"meeting_id={meeting_id}"],
        ).fetchone()
        assert changes == SAVES
        final = small.execute(
            "select status from attendance where meeting_id = ? and participant_id = ?", [meeting_id, person]
        ).fetchall()
        assert final == [("apologies",)]  # the fiftieth change, the last one made
