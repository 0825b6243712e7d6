"""Reading one cell: dates as UK users write them, yes/no, the study's vocabularies, register marks.
Each parser returns the value or raises ValueError with the reason a researcher can act on."""

from __future__ import annotations

import datetime as dt
import re

from observation import config, labels
from observation.models import CONTROL

_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_DAY_FIRST = re.compile(rf"^{_WEEKDAY}(\d{{1,2}})[/.-](\d{{1,2}})[/.-](\d{{2}}|\d{{4}})$", re.IGNORECASE)
_NAMED = re.compile(
    rf"^{_WEEKDAY}(\d{{1,2}})(?:st|nd|rd|th)?[\s./-]+([a-z]{{3,9}})\.?[\s./,-]+(\d{{2}}|\d{{4}})$", re.IGNORECASE
)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
MONTHS = {m: i for i, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for m in names}  # fmt: skip

PRESENT_MARKS = {"p", "✓", "✔", "present", "y", "yes", "x"}
ABSENT_MARKS = {"a", "absent", "dna", "did not attend"}
APOLOGY_MARKS = {"apologies", "apols", "apol", "ap", "sent apologies"}
ACCEPTED_MARKS = "P, a tick or 'present'; A, 'absent' or DNA; 'apologies' or 'apols'; blank for not expected"


def _parsed(text: str) -> tuple[dt.date, bool]:
    """The date ``text`` is written as, and whether its year has two digits only."""
    text = text.strip()
    try:
        if m := _ISO.match(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3])), False
        m = _DAY_FIRST.match(text) or _NAMED.match(text)
        if m and (month := int(m[2]) if m[2].isdigit() else MONTHS.get(m[2].lower())):
            return dt.date(int(m[3]) + (2000 if len(m[3]) == 2 else 0), month, int(m[1])), len(m[3]) == 2
    except ValueError:
        raise ValueError("no such date") from None
    raise ValueError("not a date: write it as 31/01/2020 or 2020-01-31")


def day(text: str) -> dt.date:
    """The date ``text`` is written as (2020-01-31, 31/01/2020, 31.01.20, 31 Jan 2020, Tue 31-Jan-2020…,
    day first), with no check that it is plausible: what tells a register's date columns from its
    others."""
    return _parsed(text)[0]


def date(text: str) -> dt.date:
    """A date as UK users write it (see ``day``) within the study's plausible window (config:
    OBSERVATION_EARLIEST_DATE to OBSERVATION_DAYS_AHEAD after today). A two-digit year is refused:
    01/01/69 could be 1969 or 2069."""
    found, two_digits = _parsed(text)
    if two_digits:
        century_before = found.replace(year=found.year - 100)
        raise ValueError(f"write the year in full ({found:%d/%m/%Y} or {century_before:%d/%m/%Y}?)")
    earliest, latest = window()
    if not earliest <= found <= latest:
        ahead = (latest - dt.date.today()).days
        when = "a year from today" if ahead in {365, 366} else f"{ahead} days from today"
        raise ValueError(
            f"outside the dates this study takes ({earliest:%d/%m/%Y} to {latest:%d/%m/%Y}, {when}): a typing mistake?"
        )
    return found


def window() -> tuple[dt.date, dt.date]:
    """The earliest and latest dates an import takes."""
    settings = config.load_settings()
    return settings.earliest_date, dt.date.today() + dt.timedelta(days=settings.days_ahead)


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


def whole(text: str, least: int = 0, most: int = 100_000) -> int:
    if not re.fullmatch(r"[+-]?\d+", text.strip()):
        raise ValueError("not a whole number")
    number = int(text.strip())
    if not least <= number <= most:
        raise ValueError(f"must be from {least:,} to {most:,}")
    return number


_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")
"""Zero-width spaces and joiners, the word joiner, a byte-order mark, a soft hyphen."""


def line(text: str, most: int) -> str:
    """One line of text (a name, a label, a code): not empty, no tab or line break, at most
    ``most`` characters."""
    if any(c in text.strip() for c in "\t\r\n"):
        raise ValueError("must be one line: no tab or line break")
    # Names that look the same are the same: spaces of any kind as one, no invisible characters.
    return passage(" ".join(_INVISIBLE.sub("", text).split()), most)


def passage(text: str, most: int) -> str:
    """Text that may run over lines (a note, a definition): not empty, at most ``most`` characters,
    no control character but tab and line break."""
    value = text.strip()
    if not value:
        raise ValueError("must not be empty")
    if bad := CONTROL.search(value):
        raise ValueError(f"holds a control character ({bad[0]!r}), not text; paste it again as plain text")
    if len(value) > most:
        raise ValueError(f"{len(value):,} characters; at most {most:,}")
    return value


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


LEVELS: dict[str, str] = labels.PARTICIPATION
