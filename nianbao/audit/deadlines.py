"""Legal publication deadlines (条例第四十九条) by agency level, and whether one has passed."""

from __future__ import annotations

import calendar
from datetime import date

# month, day in the year after the reported one. Townships have no legal date: their default comes from Settings.
_FIXED: dict[str, tuple[int, int]] = {
    "department": (1, 31),
    "county": (3, 31),
    "prefecture": (3, 31),
    "province": (3, 31),
}


def parse_month_day(text: str) -> tuple[int, int]:
    """'01-31' -> (1, 31); a ValueError naming the expected form otherwise."""
    try:
        month_text, day_text = text.strip().split("-")
        month, day = int(month_text), int(day_text)
        date(2000, month, day)  # a leap year, so 02-29 is accepted here and clamped per year below
    except ValueError as exc:
        raise ValueError(f"township deadline {text!r}: expected MM-DD, e.g. 01-31") from exc
    return month, day


def deadline(level: str, year: int, township: str = "01-31") -> date:
    """The last day on which the report on `year` is on time, for an agency of `level`."""
    if level == "township":
        month, day = parse_month_day(township)
    elif level in _FIXED:
        month, day = _FIXED[level]
    else:
        raise ValueError(f"unknown agency level {level!r}")
    day = min(day, calendar.monthrange(year + 1, month)[1])  # 02-29 in a common year means 28 February
    return date(year + 1, month, day)


def is_passed(due: date, as_of: date) -> bool:
    """The deadline day itself still counts as on time; it has passed only from the next day."""
    return as_of > due


def days_late(due: date, published: date | None) -> int | None:
    if published is None or published <= due:
        return None
    return (published - due).days
