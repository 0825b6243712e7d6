"""Text from a form follows the same rules as text from an import: no control characters, names
on one line, and the same lengths (observation.models)."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from observation import curate, record
from observation.ingest import values
from observation.models import LABEL_MAX, NAME_MAX, NOTE_MAX, PERSON_MAX


def team(name: str) -> curate.TeamEntry:
    return curate.TeamEntry(name=name, service="Service", setting="community", start_date=dt.date(2020, 1, 1))


def test_a_form_refuses_what_an_import_refuses() -> None:
    assert team("A" * NAME_MAX).name == "A" * NAME_MAX
    for bad in ("A" * (NAME_MAX + 1), "Ash\x00ward", "Ash\nward"):
        with pytest.raises(ValidationError):
            team(bad)
        with pytest.raises(ValueError, match=r"characters|one line|control"):
            values.line(bad, NAME_MAX)
    assert record.NoteEntry(author="OB-01", body="line one\n\tline two").body == "line one\n\tline two"
    for body in ("pasted\x0bfrom Word", "x" * (NOTE_MAX + 1)):
        with pytest.raises(ValidationError):
            record.NoteEntry(author="OB-01", body=body)
        with pytest.raises(ValueError, match=r"characters|control"):
            values.passage(body, NOTE_MAX)
    with pytest.raises(ValidationError):
        record.NoteEntry(author="O" * (PERSON_MAX + 1), body="a note")
    with pytest.raises(ValidationError):
        record.AnnotationEntry(label="L" * (LABEL_MAX + 1))
    with pytest.raises(ValidationError):
        curate.CodeEntry(name="Code", definition="bell\x07")
