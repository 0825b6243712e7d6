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
"""

from __future__ import annotations

from pathlib import Path

from observation import db

SQL = """
insert into study (id, name, is_demo) values (1, 'Small hand-built study', false);
insert into teams (id, name, service, setting, start_date, coach) values
    (1, 'Alpha', 'Community brain-injury service', 'community', '2020-01-01', 'CO-01'),
    (2, 'Beta', 'Mental-health inpatient service', 'inpatient', '2020-01-01', null);
insert into participants (id, code, team_id, role) values
    (1, 'A-ST1', 1, 'nurse'), (2, 'A-ST2', 1, 'therapist'), (3, 'A-SU1', 1, 'service_user'),
    (4, 'A-CA1', 1, 'carer'), (5, 'B-ST1', 2, 'nurse'), (6, 'B-SU1', 2, 'service_user'),
    (7, 'A-OB1', 1, 'observer');
insert into meetings (id, team_id, meeting_date, status) values
    (1, 1, '2020-01-10', 'held'), (2, 1, '2020-01-24', 'held'), (3, 1, '2020-02-07', 'cancelled'),
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
"""


def build_small_study(path: Path) -> None:
    con = db.connect(path)
    try:
        with db.transaction(con) as cur:
            cur.execute(SQL)
            db.sync_sequences(cur)
    finally:
        con.close()
