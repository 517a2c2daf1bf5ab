"""Reading one table cell as a number: integers, 万元 decimals, "00", "-" or "/" for none, units, separators."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_NONE_MARKS = {"-", "--", "—", "——", "–", "/", "\\", "无", "/无", "－"}
_NUMBER = re.compile(
    r"^(?P<sign>[+-])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<unit>万元|元|件|条|个|项|次|宗|人次|篇)?$"
)


@dataclass(frozen=True)
class Cell:
    """A cell as read: kind is "number", "blank" (left empty: null, not 0), "none" (a dash for none: 0) or "text"."""

    kind: str
    value: float | int | None = None
    unit: str | None = None

    @property
    def is_value(self) -> bool:
        return self.kind in ("number", "none")


BLANK = Cell("blank")


def read_cell(text: str | None) -> Cell:
    if text is None:
        return BLANK
    norm = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).strip("*")
    if not norm:
        return BLANK
    if norm in _NONE_MARKS:
        return Cell("none", 0)
    match = _NUMBER.match(norm)
    if not match:
        return Cell("text")
    digits = match.group("num").replace(",", "")
    value: float | int = float(digits) if "." in digits else int(digits)
    if match.group("sign") == "-":
        value = -value
    return Cell("number", value, match.group("unit"))
