"""A small study built by hand, whose measures are worked out by hand below.

Team 1 "Alpha" (community, coach CO-01) and team 2 "Beta" (inpatient, no coach recorded).
Participants: A-ST1, A-ST2 staff, A-SU1 service user, A-CA1 carer and A-OB1, a researcher
observing, in Alpha; B-ST1 staff and B-SU1 service user in Beta.

meeting  team  date        status     present (level)                             LE?  repr  meaningful*
m1       1     2020-01-10  held       ST1 (c), ST2 (c), SU1 (observing), OB1;     yes  1/3   no
                                      CA1 absent
m2       1     2020-01-24  held       ST1 (c), SU1 (co-leading), CA1 (c); ST2 apols  yes  2/3   yes
m3       1     2020-02-07  cancelled  -
m4       1     2020-02-21  held       ST1 (c), ST2 (c); SU1 apologies                no   0     no
m5       2     2020-01-15  held       B-ST1 (c); B-SU1 absent                        no   0     no
m6       2     2020-02-12  held       B-ST1 (c), B-SU1 (no level recorded)           yes  1/2   no
m7       2     2020-02-26  postponed  -
m8       2     2020-03-11  held       nobody recorded present: attendance unrecorded  -    -     -

* at the default level, "contributing" or above. Observers are not counted among those present,
so m1's representation is 1/3, not 1/4. m8 is held but unrecorded: it is left out of every share.

Alpha: held 3, cancelled 1; presence 2/3, service users 2/3, carers 1/3; mean representation
(1/3 + 2/3 + 0) / 3 = 1/3; meaningful 1/3 (2/3 at "observing").
Beta: held 3 (1 unrecorded), postponed 1; presence 1/2, service users 1/2, carers 0; mean
representation (0 + 1/2) / 2 = 1/4; meaningful 0 (also at "observing": B-SU1's level was not recorded).
Overall: held 6 (1 unrecorded), cancelled 1, postponed 1; presence 3/5; service users 3/5;
carers 1/5; mean representation (1/3 + 2/3 + 0 + 0 + 1/2) / 5 = 0.3; meaningful 1/5.
Notes and codes. Codes: 1 recruitment_tension (root), 2 recruitment_tension.right_service_user,
3 recruitment_tension.complexity_of_illness, 4 presence (root), 5 presence.service_user_absent,
6 presence.voice. Coders R01 and R02 both coded n1-n4; only R01 coded n5.

note  meeting        position  R01     R02
n1    m1 (Alpha)     1         6       6
n2    m1 (Alpha)     2         2       2, 3
n3    m4 (Alpha)     1         5       5
n4    m5 (Beta)      1         2, 3    3
n5    m6 (Beta)      1         6       -
n6    m3 (Alpha)     1         -       -       (a note on the cancelled meeting, uncoded)

Per note (a note counts once for a code whichever coder applied it): Alpha has one note each of
codes 2, 3, 5, 6; Beta one each of 2, 3, 6. Codes 2 and 3 occur together on n2 and n4.
Agreement over n1-n4: code 2 agrees on 3 of 4 notes, kappa 0.5; code 3 likewise; codes 5 and 6
on 4 of 4, kappa 1. Pooled over the 16 note-code decisions: 14/16 = 0.875, kappa 78/110.

Meeting effectiveness: m1 (at the service base) had a leader and a recorder, 3 action items and an
evaluation; m2 (at A-SU1's home) a leader and A-SU1 as facilitator, 1 action item, no evaluation.

Recruitment: A-SU1 identified 2019-12-01, approached 12-05, agreed 12-20, first attended
2020-01-10, still attending 2020-03-11. B-SU1 identified 2019-12-10, approached 2020-01-02,
agreed 01-10, first attended 02-12, withdrew 03-01 (code 3). B-SU2 identified 2020-01-05,
approached 01-20, declined 01-25 (code 3).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from pathlib import Path

import duckdb

from observation import db
from observation.store.location import is_postgres
from observation.store.study_file import configured_key
from tests import postgres

SQL = """
insert into study (id, name, is_demo) values (1, 'Small hand-built study', false);
insert into teams (id, name, service, setting, start_date, coach) values
    (1, 'Alpha', 'Community brain-injury service', 'community', '2020-01-01', 'CO-01'),
    (2, 'Beta', 'Mental-health inpatient service', 'inpatient', '2020-01-01', null);
insert into participants (id, code, team_id, role) values
    (1, 'A-ST1', 1, 'nurse'), (2, 'A-ST2', 1, 'therapist'), (3, 'A-SU1', 1, 'service_user'),
    (4, 'A-CA1', 1, 'carer'), (5, 'B-ST1', 2, 'nurse'), (6, 'B-SU1', 2, 'service_user'),
    (7, 'A-OB1', 1, 'observer');
insert into meetings (id, team_id, meeting_date, status, format, action_items, evaluated) values
    (1, 1, '2020-01-10', 'held', 'service_base', 3, true), (2, 1, '2020-01-24', 'held', 'home', 1, false);
insert into meeting_roles values (1, 'leader', 1), (1, 'recorder', 2), (2, 'leader', 1), (2, 'facilitator', 3);
insert into meetings (id, team_id, meeting_date, status) values
    (3, 1, '2020-02-07', 'cancelled'),
    (4, 1, '2020-02-21', 'held'), (5, 2, '2020-01-15', 'held'), (6, 2, '2020-02-12', 'held'),
    (7, 2, '2020-02-26', 'postponed'), (8, 2, '2020-03-11', 'held');
insert into attendance (meeting_id, participant_id, status, participation) values
    (1, 1, 'present', 'contributing'), (1, 2, 'present', 'contributing'), (1, 3, 'present', 'observing'),
    (1, 4, 'absent', null), (1, 7, 'present', null),
    (2, 1, 'present', 'contributing'), (2, 2, 'apologies', null), (2, 3, 'present', 'co_leading'),
    (2, 4, 'present', 'contributing'),
    (4, 1, 'present', 'contributing'), (4, 2, 'present', 'contributing'), (4, 3, 'apologies', null),
    (5, 5, 'present', 'contributing'), (5, 6, 'absent', null),
    (6, 5, 'present', 'contributing'), (6, 6, 'present', null);
insert into participants (id, code, team_id, role) values (8, 'B-SU2', 2, 'service_user');
insert into codes (id, slug, parent_id, name, definition) values
    (1, 'recruitment_tension', null, 'Recruitment tension', 'Difficulty bringing people in.'),
    (4, 'presence', null, 'Presence', 'Who was in the room.');
insert into codes (id, slug, parent_id, name, definition, com_b, valence, four_pi) values
    (2, 'recruitment_tension.right_service_user', 1, 'Finding the "right" service user', 'Fit.',
     'opportunity', 'barrier', 'presence'),
    (3, 'recruitment_tension.complexity_of_illness', 1, 'Complexity of mental illness', 'Acuity.',
     'capability', 'barrier', 'presence'),
    (5, 'presence.service_user_absent', 4, 'Service user absent', 'Nobody came.', null, 'barrier', 'presence'),
    (6, 'presence.voice', 4, 'Service-user voice', 'Shaping decisions.', 'behaviour', 'enabler', 'impact');
insert into field_notes (id, meeting_id, position, minute, author, body) values
    (1, 1, 1, 5, 'OB-01', 'A-SU1 asked why the transport item keeps coming back.'),
    (2, 1, 2, 20, 'OB-01', 'Who should we invite next? Someone who sees the bigger picture.'),
    (3, 4, 1, 3, 'OB-02', 'No service user today; the chair was empty.'),
    (4, 5, 1, 10, 'OB-01', 'Patients are too unwell to join, said the ward manager.'),
    (5, 6, 1, 15, 'OB-02', 'B-SU1 listened and left early.'),
    (6, 3, 1, null, 'OB-01', 'Meeting cancelled: staffing.');
insert into coded_segments (id, note_id, code_id, coder) values
    (1, 1, 6, 'R01'), (2, 1, 6, 'R02'),
    (3, 2, 2, 'R01'), (4, 2, 2, 'R02'), (5, 2, 3, 'R02'),
    (6, 3, 5, 'R01'), (7, 3, 5, 'R02'),
    (8, 4, 2, 'R01'), (9, 4, 3, 'R01'), (10, 4, 3, 'R02'),
    (11, 5, 6, 'R01');
insert into recruitment_events (id, participant_id, stage, event_date, reason_code_id) values
    (1, 3, 'identified', '2019-12-01', null), (2, 3, 'approached', '2019-12-05', null),
    (3, 3, 'agreed', '2019-12-20', null), (4, 3, 'first_attended', '2020-01-10', null),
    (5, 3, 'still_attending', '2020-03-11', null),
    (6, 6, 'identified', '2019-12-10', null), (7, 6, 'approached', '2020-01-02', null),
    (8, 6, 'agreed', '2020-01-10', null), (9, 6, 'first_attended', '2020-02-12', null),
    (10, 6, 'withdrew', '2020-03-01', 3),
    (11, 8, 'identified', '2020-01-05', null), (12, 8, 'approached', '2020-01-20', null),
    (13, 8, 'declined', '2020-01-25', 3);
"""


def build_small_study(path: Path | str) -> None:
    """The small study at ``path``: a new DuckDB file, or an empty PostgreSQL database.

    Built once per test process and location kind, then copied (a file copy, or a database made from
    a template): the build is the same every time, and a copy costs a fraction of the migrations
    and inserts, which over a thousand tests is minutes of the suite."""
    if is_postgres(path):
        server, name = str(path).rsplit("/", 1)
        template = _TEMPLATES.get(server) or _TEMPLATES.setdefault(server, _postgres_template(server))
        postgres.psql(f"{server}/postgres", f"drop database {name}")  # new and empty, as its maker gave it
        postgres.psql(f"{server}/postgres", f"create database {name} template {template}")
    elif Path(path).exists() or configured_key():  # a file already there, or one to be encrypted: built
        _build(path)
    else:
        shutil.copyfile(_TEMPLATES.get("file") or _TEMPLATES.setdefault("file", _file_template()), path)


_TEMPLATES: dict[str, str] = {}
"""This process's built small study: the file's path under "file", the template database's name by server."""


def _file_template() -> str:
    folder = tempfile.mkdtemp(prefix="small-study-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    _build(Path(folder) / "small.duckdb")
    return str(Path(folder) / "small.duckdb")


def _postgres_template(server: str) -> str:
    name = f"small_template_{uuid.uuid4().hex[:12]}"
    postgres.psql(f"{server}/postgres", f"create database {name}")
    _build(f"{server}/{name}")
    return name


def _build(path: Path | str) -> None:
    con = db.connect(path)
    try:
        with db.transaction(con) as cur:
            cur.execute(SQL)
            db.sync_sequences(cur)
    finally:
        con.close()


# Interviews, added only where a test asks for them (add_interviews): the studies of every other
# test stay as above. Five transcripts, coded by R01 unless said:
#
# interview  informant          group            team   date        codes (segments)
# i1         KI-01              leader_manager   none   2020-02-03  2 (three segments: two spans by R01, one by R02)
# i2         KI-02              service_user     Alpha  2020-01-20  3, 5
# i3         KI-03              carer            Beta   2020-03-05  3, 6
# i4         KI-04              frontline_staff  Alpha  2020-02-10  - (not coded)
# i5         KI-05              service_user     Beta   2020-02-20  6
#
# A transcript counts once per code: i1 is one transcript with code 2, not three. With the notes
# (field notes and interviews, "both"): Alpha has code 2 in 1 document (n2), code 3 in 2 (n2, i2),
# code 5 in 2 (n3, i2), code 6 in 1 (n1); Beta code 2 in 1 (n4), code 3 in 2 (n4, i3), code 6 in
# 3 (n5, i3, i5); no team: code 2 in 1 (i1). Codes together: 2 and 3 on n2 and n4; 3 and 5 on i2;
# 3 and 6 on i3. Informant groups (transcripts in the group): leaders and managers 1 (code 2: 1),
# front-line staff 1 (none coded), service users 2 (codes 3, 5, 6: 1 each), carers 1 (codes 3
# and 6: 1 each). Recruitment tensions (codes 2 and 3) in transcripts by team and month: Alpha
# January 1 of 1 (i2), Alpha February 0 of 1 (i4), Beta February 0 of 1 (i5), Beta March 1 of 1
# (i3), no team February 1 of 1 (i1).
INTERVIEWS_SQL = """
insert into interviews (id, informant_code, informant_group, team_id, interview_date, transcript) values
    (1, 'KI-01', 'leader_manager', null, '2020-02-03',
     'Every team asks us for the right service user. Finding one takes months.'),
    (2, 'KI-02', 'service_user', 1, '2020-01-20', 'Some weeks I am too unwell to come, and nobody asks why.'),
    (3, 'KI-03', 'carer', 2, '2020-03-05', 'Nobody told me the meeting had moved. I want my voice heard.'),
    (4, 'KI-04', 'frontline_staff', 1, '2020-02-10', 'We run the meeting on the ward at handover.'),
    (5, 'KI-05', 'service_user', 2, '2020-02-20', 'I came once and felt listened to.');
insert into coded_segments (id, note_id, interview_id, code_id, coder, span_start, span_end) values
    (101, null, 1, 2, 'R01', 0, 48), (102, null, 1, 2, 'R01', 49, 73), (103, null, 1, 2, 'R02', null, null),
    (104, null, 2, 3, 'R01', null, null), (105, null, 2, 5, 'R01', null, null),
    (106, null, 3, 3, 'R01', null, null), (107, null, 3, 6, 'R01', null, null),
    (108, null, 5, 6, 'R01', null, null);
"""


def add_interviews(con: duckdb.DuckDBPyConnection) -> None:
    """The five interviews above, added to an open small study."""
    with db.transaction(con) as cur:
        cur.execute(INTERVIEWS_SQL)
        db.sync_sequences(cur)
