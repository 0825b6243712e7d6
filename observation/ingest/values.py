"""Reading one cell: dates as UK users write them, yes/no, the study's vocabularies, register marks.
Each parser returns the value or raises ValueError with the reason a researcher can act on."""

from __future__ import annotations

import datetime as dt
import re

from observation.models import PARTICIPATION_RANK

_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")

PRESENT_MARKS = {"p", "✓", "✔", "present", "y", "yes", "x"}
ABSENT_MARKS = {"a", "absent", "dna", "did not attend"}
APOLOGY_MARKS = {"apologies", "apols", "apol", "ap", "sent apologies"}
ACCEPTED_MARKS = "P, a tick or 'present'; A, 'absent' or DNA; 'apologies' or 'apols'; blank for not expected"


def date(text: str) -> dt.date:
    """2020-01-31, 31/01/2020 or 31/01/20 (day first, as UK users write dates)."""
    text = text.strip()
    try:
        if m := _ISO.match(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DAY_FIRST.match(text):
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            return dt.date(year, int(m[2]), int(m[1]))
    except ValueError:
        raise ValueError("no such date") from None
    raise ValueError("not a date: write it as 31/01/2020 or 2020-01-31")


def boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"yes", "y", "true", "1"}:
        return True
    if lowered in {"no", "n", "false", "0"}:
        return False
    raise ValueError("write yes or no")


def choice(text: str, options: dict[str, str], what: str) -> str:
    """One of ``options`` (code -> label), matched on the code or the label, in any case."""
    wanted = "_".join(text.strip().lower().replace("-", " ").split())
    for code, label in options.items():
        if wanted in {code, "_".join(label.lower().replace("-", " ").split())}:
            return code
    raise ValueError(f"not a known {what}; use one of: {', '.join(options.values())}")


def whole(text: str, least: int = 0) -> int:
    try:
        number = int(text.strip())
    except ValueError:
        raise ValueError("not a whole number") from None
    if number < least:
        raise ValueError(f"must be {least} or more")
    return number


def mark(text: str) -> str | None:
    """A register cell: 'present', 'absent', 'apologies', or None for not expected."""
    lowered = text.strip().lower()
    if not lowered:
        return None
    if lowered in PRESENT_MARKS:
        return "present"
    if lowered in ABSENT_MARKS:
        return "absent"
    if lowered in APOLOGY_MARKS:
        return "apologies"
    raise ValueError(f"not a register mark; use {ACCEPTED_MARKS}")


LEVELS: dict[str, str] = {level: level.replace("_", "-") for level in PARTICIPATION_RANK}
