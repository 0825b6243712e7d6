"""Each change of a study's shape, written once as a pair: the DuckDB half for study files, the
PostgreSQL half for PostgreSQL studies (tests/unit/test_schema.py checks that every migration has
both, and tests/unit/test_postgres.py that both backends end in one shape).

Named migrations are applied once each, in order, after the idempotent schema (shape.py), in the
transaction that opens the study. Append only: a migration that has shipped is never edited. A
half is an SQL script (DuckDB's, or PostgreSQL's own, run by PostgreSQL) or a function given the
transaction's cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb

from observation.store.shape import SCHEMA_SQL, STUDY_TABLES

Step = str | Callable[[duckdb.DuckDBPyConnection], None]


class _InPostgresBaseline:
    """The PostgreSQL half of the migrations that came before PostgreSQL studies did: the shape
    they give is schema_postgres.sql's from the start."""

    def __repr__(self) -> str:
        return "IN_POSTGRES_BASELINE"


IN_POSTGRES_BASELINE = _InPostgresBaseline()


@dataclass(frozen=True)
class Migration:
    """One change of shape, for both backends: neither half may be left out."""

    name: str
    duckdb: Step
    postgres: Step | _InPostgresBaseline

    def __post_init__(self) -> None:
        for half in ("duckdb", "postgres"):
            step = getattr(self, half)
            if not (callable(step) or step is IN_POSTGRES_BASELINE or (isinstance(step, str) and step.strip())):
                raise ValueError(f"migration {self.name}: its {half} half is missing")


def apply(
    cur: duckdb.DuckDBPyConnection,
    migrations: Sequence[Migration],
    run: Callable[[duckdb.DuckDBPyConnection, Migration], None],
) -> list[str]:
    """Run (``run``) the migrations not yet recorded in the study, recording each; their names."""
    done = {name for (name,) in cur.execute("select name from migrations").fetchall()}
    applied: list[str] = []
    for migration in migrations:
        if migration.name in done:
            continue
        run(cur, migration)
        cur.execute("insert into migrations (name) values (?)", [migration.name])
        applied.append(migration.name)
    return applied


def _drop_foreign_keys(cur: duckdb.DuckDBPyConnection) -> None:
    """Rebuild, rows and all, the tables of a study made when the schema declared foreign keys
    (and a check on codes that made DuckDB refuse any update of a code in use). References are
    checked by observation.integrity since; see schema.sql."""
    involved = {
        name
        for table, referenced in cur.execute(
            "select table_name, referenced_table from duckdb_constraints() where constraint_type = 'FOREIGN KEY'"
        ).fetchall()
        for name in (table, referenced)
    }
    if not involved:
        return
    order = [t for t in ("role_categories", "participation_levels", *STUDY_TABLES) if t in involved]
    for table in order:
        cur.execute(f"create temp table keep_{table} as select * from {table}")  # noqa: S608 - fixed names
    for table in reversed(order):
        cur.execute(f"drop table {table}")
    cur.execute(SCHEMA_SQL)
    for table in order:
        cur.execute(f"delete from {table}")  # noqa: S608 - the vocabularies schema.sql fills in again
        cur.execute(f"insert into {table} by name select * from keep_{table}")  # noqa: S608
        cur.execute(f"drop table keep_{table}")


def _widen_audit_actions(cur: duckdb.DuckDBPyConnection) -> None:
    """Let the audit trail record sign-ins, refusals and access changes (issue 7). DuckDB cannot
    alter a check constraint: the table is rebuilt with every row and id kept."""
    cur.execute("alter table audit rename to audit_before_access")
    cur.execute(
        """
        create table audit (
            id integer primary key default nextval('audit_id_seq'),
            written_at timestamp not null default (current_timestamp at time zone 'UTC'),
            actor varchar not null,
            action varchar not null check (action in (
                'create', 'change', 'delete', 'import', 'export', 'restore', 'sign_in', 'refused', 'grant', 'revoke'
            )),
            table_name varchar,
            row_key varchar,
            before json,
            after json
        )
        """
    )
    cur.execute("insert into audit select * from audit_before_access")
    cur.execute("drop table audit_before_access")


def _meeting_facts_table(cur: duckdb.DuckDBPyConnection) -> None:
    """meeting_facts was a view, computed again by every query that read it; it is a table now
    (schema.sql), filled before this transaction commits (the backend's after_write)."""
    kind = cur.execute(
        "select table_type from information_schema.tables where table_name = 'meeting_facts' "
        "and table_catalog = current_database() and table_schema = current_schema()"
    ).fetchone()
    if kind == ("VIEW",):
        cur.execute("drop view meeting_facts")
        cur.execute(SCHEMA_SQL)


_MEMOS_TABLE = """
create table if not exists memos (
    id integer primary key,
    coding_id integer,
    code_id integer,
    author varchar not null check (length(trim(author)) > 0),
    body varchar not null check (length(trim(body)) > 0),
    written_at timestamp not null,
    check ((coding_id is null) <> (code_id is null))
);
"""
"""0009_memos's table, the same in both halves (PostgreSQL's adds an index and the change trigger)."""


_CONTRIBUTION_KINDS = "'spoke', 'raised_item', 'proposed_change', 'challenged', 'took_action'"
_CAPTURE_TABLES = """
create table if not exists capture_clocks (
    meeting_id integer primary key,
    started_at timestamp not null,
    started_by varchar not null
);
create table if not exists capture_taps (
    tap varchar primary key,
    meeting_id integer not null,
    entry varchar not null check (entry in ('contribution', 'note')),
    row_id integer not null,
    observer varchar not null,
    recorded_at timestamp not null
);
"""
"""0010_live_capture's bookkeeping (observation/capture.py), the same in both halves: when each
meeting's capture clock started (UTC), and each tap the capture page sent (its key, the row it
wrote), so that a tap sent twice writes once and an observer's last entry can be undone."""

_CONTRIBUTIONS_COLUMNS = f"""
    meeting_id integer not null,
    participant_id integer not null,
    kind varchar not null check (kind in ({_CONTRIBUTION_KINDS})),
    minute integer not null check (minute between 0 and 480),
    observer varchar not null check (length(trim(observer)) > 0),
    recorded_at timestamp
);
"""


_FEEDBACK_COLUMNS = """
    item_key varchar not null check (length(item_key) between 1 and 40),
    version integer not null check (version >= 1),
    wording varchar not null check (length(trim(wording)) between 1 and 200),
    sort_order integer not null,
    active boolean not null,
    unique (item_key, version)
);
"""
_RESPONSE_COLUMNS = """
    meeting_id integer not null,
    participant_id integer not null,
    item_id integer not null,
    answer integer check (answer between 1 and 5),
    via varchar not null check (via in ('review', 'phone', 'paper')),
    recorded_at timestamp,
    unique (meeting_id, participant_id, item_id)
);
"""
_IMPACT_COLUMNS = """
    team_id integer not null,
    entry_date date not null,
    meeting_id integer,
    kind varchar not null
        check (kind in ('change_idea', 'measure_changed', 'meeting_changed', 'document_rewritten', 'other')),
    description varchar not null check (length(trim(description)) between 1 and 2000),
    origin varchar not null check (origin in ('lived_experience', 'staff', 'both'))
);
"""
_FEEDBACK_LINKS = """
create table if not exists feedback_links (
    token_hash varchar primary key,
    meeting_id integer not null,
    participant_id integer not null,
    issued_by varchar not null,
    issued_at timestamp not null,
    expires_at timestamp not null,
    used_at timestamp
);
"""
"""0011_experience_and_impact's bookkeeping (observation/feedback.py), the same in both halves: each
link for answering on a phone, kept as the SHA-256 of its token (never the token), with the meeting
and the person it is for, when it expires and when it was used."""


MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_initial", "select 1", IN_POSTGRES_BASELINE),  # marks the baseline shape of schema.sql
    Migration(
        "0002_audit",
        """
        create sequence if not exists audit_id_seq;
        create table if not exists audit (
            id integer primary key default nextval('audit_id_seq'),
            written_at timestamp not null default (current_timestamp at time zone 'UTC'),
            actor varchar not null,
            action varchar not null check (action in ('create', 'change', 'delete', 'import', 'export', 'restore')),
            table_name varchar,
            row_key varchar,
            before json,
            after json
        );
        """,
        IN_POSTGRES_BASELINE,
    ),
    Migration(
        "0003_deidentify",
        """
        create table if not exists deidentify (
            id integer primary key check (id = 1),
            date_offset_days integer not null,
            code_salt varchar not null
        );
        """,
        IN_POSTGRES_BASELINE,
    ),
    Migration(
        "0004_meeting_versions",
        """
        create table if not exists meeting_versions (
            meeting_id integer primary key,
            version integer not null,
            saved_at timestamp not null,
            saved_by varchar not null
        );
        """,
        IN_POSTGRES_BASELINE,
    ),
    Migration("0005_without_foreign_keys", _drop_foreign_keys, IN_POSTGRES_BASELINE),
    Migration(
        "0006_access",
        """
        create table if not exists access (
            email varchar primary key,
            role varchar not null check (role in ('researcher', 'coach', 'presenter')),
            teams integer[] not null default [],
            granted_at timestamp not null default (current_timestamp at time zone 'UTC'),
            granted_by varchar not null
        );
        """,
        IN_POSTGRES_BASELINE,
    ),
    Migration("0007_audit_access_actions", _widen_audit_actions, IN_POSTGRES_BASELINE),
    Migration(
        "0008_meeting_facts_table",
        _meeting_facts_table,
        "select 1",  # schema_postgres.sql's meeting_facts has been a table kept by triggers from the start
    ),
    Migration(
        "0009_memos",
        # A researcher's memo on a coding or on a code (observation/coding.py): one per author each.
        # Its id is the largest so far plus one, drawn in the write (which takes turns with every
        # other), so a study copied between backends needs no sequence moved on.
        _MEMOS_TABLE,
        _MEMOS_TABLE
        + """
        create index if not exists memos_by_coding on memos (coding_id);
        create or replace trigger memos_changed after insert or update or delete or truncate on memos
            for each statement execute function note_a_study_change();
        """,
    ),
    Migration(
        "0010_live_capture",
        # A contribution observed live (observation/capture.py): one row per contribution a person
        # made at a meeting, minute stamped, with its observer and when it was tapped (UTC; null
        # when imported). Identical rows are legitimate (someone spoke twice in one minute).
        "create sequence if not exists contributions_id_seq;\n"
        "create table if not exists contributions (\n"
        "    id integer primary key default nextval('contributions_id_seq'),"
        + _CONTRIBUTIONS_COLUMNS
        + _CAPTURE_TABLES,
        "create table if not exists contributions (\n"
        "    id integer generated by default as identity primary key,"  # its sequence: contributions_id_seq
        + _CONTRIBUTIONS_COLUMNS
        + _CAPTURE_TABLES
        + """
        create index if not exists contributions_by_meeting on contributions (meeting_id);
        create index if not exists capture_taps_by_meeting on capture_taps (meeting_id);
        create or replace trigger contributions_changed after insert or update or delete or truncate
            on contributions for each statement execute function note_a_study_change();
        create or replace trigger capture_clocks_changed after insert or update or delete or truncate
            on capture_clocks for each statement execute function note_a_study_change();
        create or replace trigger capture_taps_changed after insert or update or delete or truncate
            on capture_taps for each statement execute function note_a_study_change();
        """,
    ),
    Migration(
        "0011_experience_and_impact",
        # Experience feedback (observation/feedback.py): a versioned item bank (an edit adds a
        # version; answers keep the one they were given against), one answer per person, meeting
        # and item (null: "prefer not to say"), and the impact log: a team's changes to its
        # improvement work, dated, with where the idea came from.
        "create sequence if not exists feedback_items_id_seq;\n"
        "create table if not exists feedback_items (\n"
        "    id integer primary key default nextval('feedback_items_id_seq'),"
        + _FEEDBACK_COLUMNS
        + "create sequence if not exists feedback_responses_id_seq;\n"
        "create table if not exists feedback_responses (\n"
        "    id integer primary key default nextval('feedback_responses_id_seq'),"
        + _RESPONSE_COLUMNS
        + "create sequence if not exists impact_entries_id_seq;\n"
        "create table if not exists impact_entries (\n"
        "    id integer primary key default nextval('impact_entries_id_seq')," + _IMPACT_COLUMNS + _FEEDBACK_LINKS,
        "create table if not exists feedback_items (\n"
        "    id integer generated by default as identity primary key,"
        + _FEEDBACK_COLUMNS
        + "create table if not exists feedback_responses (\n"
        "    id integer generated by default as identity primary key,"
        + _RESPONSE_COLUMNS
        + "create table if not exists impact_entries (\n"
        "    id integer generated by default as identity primary key,"
        + _IMPACT_COLUMNS
        + _FEEDBACK_LINKS
        + """
        create index if not exists feedback_responses_by_meeting on feedback_responses (meeting_id);
        create index if not exists impact_entries_by_team on impact_entries (team_id);
        create or replace trigger feedback_items_changed after insert or update or delete or truncate
            on feedback_items for each statement execute function note_a_study_change();
        create or replace trigger feedback_responses_changed after insert or update or delete or truncate
            on feedback_responses for each statement execute function note_a_study_change();
        create or replace trigger impact_entries_changed after insert or update or delete or truncate
            on impact_entries for each statement execute function note_a_study_change();
        create or replace trigger feedback_links_changed after insert or update or delete or truncate
            on feedback_links for each statement execute function note_a_study_change();
        """,
    ),
)
"""Every migration, in order. A new one is appended as ``Migration(name, duckdb, postgres)``; never
IN_POSTGRES_BASELINE (schema_postgres.sql's first shape is that of 0007_audit_access_actions)."""
