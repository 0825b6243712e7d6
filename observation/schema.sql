-- The shape of a study file. Idempotent: run on every open; later changes go in
-- observation/store/migrations.py (each with its PostgreSQL half) so that existing studies upgrade in place.
-- Participants are pseudonymous codes: there is no column for a name anywhere.
-- References between tables (a participant's team, a segment's code…) are listed and checked in
-- observation/integrity.py, not declared here: DuckDB cannot delete a row and the rows pointing at
-- it in one transaction, so declared foreign keys would make every delete and merge half-done.

create table if not exists study (
    id integer primary key check (id = 1),
    name varchar not null check (length(trim(name)) > 0),
    is_demo boolean not null default false,
    description varchar,
    created_at timestamp not null default current_timestamp
);

create table if not exists migrations (
    name varchar primary key,
    applied_at timestamp not null default current_timestamp
);

-- Lookup tables: the vocabularies every page and import use.
create table if not exists role_categories (
    code varchar primary key,
    label varchar not null unique,
    lived_experience boolean not null,
    sort_order integer not null unique
);

insert or ignore into role_categories values
    ('service_user', 'Service user', true, 1),
    ('carer', 'Carer', true, 2),
    ('nurse', 'Nurse', false, 3),
    ('therapist', 'Therapist', false, 4),
    ('psychologist', 'Psychologist', false, 5),
    ('doctor', 'Doctor', false, 6),
    ('manager', 'Manager', false, 7),
    ('administrator', 'Administrator', false, 8),
    ('support_worker', 'Support worker', false, 9),
    ('coach', 'Coach', false, 10),
    ('observer', 'Observer', false, 11);

create table if not exists participation_levels (
    code varchar primary key,
    label varchar not null unique,
    rank integer not null unique check (rank > 0)
);

insert or ignore into participation_levels values
    ('observing', 'Observing', 1),
    ('contributing', 'Contributing', 2),
    ('co_leading', 'Co-leading', 3);

create sequence if not exists teams_id_seq;
create table if not exists teams (
    id integer primary key default nextval('teams_id_seq'),
    name varchar not null unique check (length(trim(name)) > 0),
    service varchar not null,
    setting varchar not null check (setting in ('community', 'inpatient', 'other')),
    start_date date not null,
    coach varchar
);

create sequence if not exists participants_id_seq;
create table if not exists participants (
    id integer primary key default nextval('participants_id_seq'),
    -- Upper-case letters, digits, '-' or '_', with at least one digit: a code, never a name.
    code varchar not null unique
        check (regexp_full_match(code, '[A-Z0-9][A-Z0-9_-]{1,23}') and regexp_matches(code, '[0-9]')),
    team_id integer not null,
    role varchar not null,
    qi_trained boolean not null default false
);

create sequence if not exists meetings_id_seq;
create table if not exists meetings (
    id integer primary key default nextval('meetings_id_seq'),
    team_id integer not null,
    meeting_date date not null,
    duration_minutes integer check (duration_minutes between 1 and 480),
    status varchar not null check (status in ('held', 'cancelled', 'postponed')),
    format varchar not null default 'service_base'
        check (format in ('ward', 'service_base', 'home', 'virtual', 'other')),
    action_items integer check (action_items >= 0),
    evaluated boolean,
    unique (team_id, meeting_date)
);

-- A row means the role was filled at that meeting; participant_id says by whom, when known.
create table if not exists meeting_roles (
    meeting_id integer not null,
    role varchar not null check (role in ('leader', 'facilitator', 'timekeeper', 'recorder')),
    participant_id integer,
    primary key (meeting_id, role)
);

-- No row for a person means "not expected" at that meeting.
create table if not exists attendance (
    meeting_id integer not null,
    participant_id integer not null,
    status varchar not null check (status in ('present', 'apologies', 'absent')),
    participation varchar,
    primary key (meeting_id, participant_id),
    check (participation is null or status = 'present')
);

create sequence if not exists field_notes_id_seq;
create table if not exists field_notes (
    id integer primary key default nextval('field_notes_id_seq'),
    meeting_id integer not null,
    position integer not null check (position >= 1),
    minute integer check (minute >= 0),
    author varchar not null,
    written_at timestamp,
    body varchar not null check (length(trim(body)) > 0),
    unique (meeting_id, position)
);

create sequence if not exists interviews_id_seq;
create table if not exists interviews (
    id integer primary key default nextval('interviews_id_seq'),
    informant_code varchar not null unique,
    informant_group varchar not null
        check (informant_group in ('leader_manager', 'frontline_staff', 'service_user', 'carer')),
    team_id integer,
    interview_date date not null,
    transcript varchar not null check (length(trim(transcript)) > 0)
);

create sequence if not exists codes_id_seq;
create table if not exists codes (
    id integer primary key default nextval('codes_id_seq'),
    -- A stable dotted key: 'recruitment_tension.right_service_user'; its prefix is the parent's slug.
    slug varchar not null unique check (regexp_full_match(slug, '[a-z0-9_]+(\.[a-z0-9_]+)*')),
    parent_id integer,
    name varchar not null check (length(trim(name)) > 0),
    definition varchar not null default '',
    com_b varchar check (com_b in ('capability', 'opportunity', 'motivation', 'behaviour')),
    valence varchar check (valence in ('barrier', 'enabler')),
    four_pi varchar check (four_pi in ('presence', 'process', 'impact'))
);

create sequence if not exists coded_segments_id_seq;
create table if not exists coded_segments (
    id integer primary key default nextval('coded_segments_id_seq'),
    note_id integer,
    interview_id integer,
    code_id integer not null,
    coder varchar not null,
    span_start integer check (span_start >= 0),
    span_end integer,
    check ((note_id is null) <> (interview_id is null)),
    check ((span_start is null) = (span_end is null)),
    check (span_end is null or span_end > span_start)
);

create sequence if not exists recruitment_events_id_seq;
create table if not exists recruitment_events (
    id integer primary key default nextval('recruitment_events_id_seq'),
    participant_id integer not null,
    stage varchar not null check (
        stage in ('identified', 'approached', 'agreed', 'first_attended', 'still_attending', 'withdrew', 'declined')
    ),
    event_date date not null,
    reason_code_id integer,
    unique (participant_id, stage, event_date)
);

create sequence if not exists annotations_id_seq;
create table if not exists annotations (
    id integer primary key default nextval('annotations_id_seq'),
    team_id integer,  -- null: the whole study
    event_date date not null,
    label varchar not null check (length(trim(label)) > 0),
    category varchar not null default 'other'
        check (category in ('home_meetings', 'qi_training', 'recruitment_drive', 'service_change', 'other'))
);

-- One row per meeting with the counts every measure is built from (docs/MEASURES.md, "The measures"),
-- computed from the rows. Pages read the table meeting_facts, which holds what this view gives:
-- every write transaction brings it up to date before it commits (db.keep_meeting_facts), so a
-- page reads one row per meeting instead of aggregating every attendance row again.
-- Lived experience comes from role_categories.lived_experience (service users and carers).
-- present_total is everyone present except observers (the researchers watching the meeting).
-- attendance_recorded: a held meeting with at least one person recorded present; the measures
-- are taken over these, so a meeting whose register was never filled in does not read as absence.
-- best_le_rank is the highest participation rank of anyone with lived experience present; null
-- when none was present or no level was recorded.
create or replace view meeting_facts_computed as
with present as (
    -- attendance counted per meeting first, then joined to the meetings: twice as quick at a
    -- million attendance rows as grouping the joined rows by meeting
    select
        a.meeting_id,
        count(*) filter (where p.role <> 'observer') as present_total,
        count(*) filter (where r.lived_experience) as present_lived_experience,
        count(*) filter (where p.role = 'service_user') as present_service_users,
        count(*) filter (where p.role = 'carer') as present_carers,
        max(l.rank) filter (where r.lived_experience) as best_le_rank
    from attendance as a
    left join participants as p on p.id = a.participant_id
    left join role_categories as r on r.code = p.role
    left join participation_levels as l on l.code = a.participation
    where a.status = 'present'
    group by a.meeting_id
)
select
    m.id as meeting_id,
    m.team_id,
    m.meeting_date,
    m.status,
    m.format,
    coalesce(x.present_total, 0) as present_total,
    coalesce(x.present_lived_experience, 0) as present_lived_experience,
    coalesce(x.present_service_users, 0) as present_service_users,
    coalesce(x.present_carers, 0) as present_carers,
    x.best_le_rank,
    m.status = 'held' and coalesce(x.present_total, 0) > 0 as attendance_recorded
from meetings as m
left join present as x on x.meeting_id = m.id;

-- What meeting_facts_computed gives, kept (db.keep_meeting_facts). No primary key: each write
-- deletes and inserts the meetings whose facts changed, and the view's meeting ids are unique.
create table if not exists meeting_facts (
    meeting_id integer not null,
    team_id integer not null,
    meeting_date date not null,
    status varchar not null,
    format varchar not null,
    present_total bigint not null,
    present_lived_experience bigint not null,
    present_service_users bigint not null,
    present_carers bigint not null,
    best_le_rank integer,
    attendance_recorded boolean not null
);
