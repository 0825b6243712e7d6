"""The shape of a study: the schema scripts (one per dialect) and the lists of its tables."""

from __future__ import annotations

from importlib.resources import files

from observation.models import TABLE_MODELS


def _sql(name: str) -> str:
    return files("observation").joinpath(name).read_text(encoding="utf-8")


MACROS_SQL = _sql("macros.sql")
"""The table macros every query calls; they live in DuckDB whichever backend holds the tables."""
SCHEMA_SQL = _sql("schema.sql") + "\n" + MACROS_SQL
"""A study file's shape, idempotent: run on every open before the migrations."""
POSTGRES_SCHEMA_SQL = _sql("schema_postgres.sql")
"""A PostgreSQL study's shape, idempotent, run by PostgreSQL itself on every open."""

STUDY_TABLES: tuple[str, ...] = tuple(TABLE_MODELS)
ID_TABLES: tuple[str, ...] = tuple(t for t, m in TABLE_MODELS.items() if "id" in m.model_fields and t != "study")
ANALYSIS_TABLES = ("memos",)
"""What researchers write about the study's data as they code it (observation/coding.py): study
data, in a full export, but made by no import and not by the demo."""
VOCABULARIES = ("role_categories", "participation_levels")
"""Filled by the schema itself in every new study."""
RECORD_TABLES = (
    "audit",
    "deidentify",
    "meeting_versions",
    "access",
    "capture_clocks",
    "capture_taps",
    "feedback_links",
)
"""What the study keeps about its own use: the audit trail, the de-identification key, each
meeting's version (for refusing stale saves), who may sign in, and the live capture's bookkeeping
(each meeting's clock, each tap's key: observation/capture.py), and the links for answering
the experience questionnaire on a phone (observation/feedback.py)."""
ALL_TABLES = (*VOCABULARIES, *STUDY_TABLES, *ANALYSIS_TABLES, *RECORD_TABLES)
"""Every table of a study but ``migrations`` (which records the shape, not the study)."""
