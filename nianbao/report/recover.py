"""Recovering one outcome row that extraction lost entirely, from table 三's printed (七)总计.

The same principle as a lost cell (align.py): the printed arithmetic determines it, so it is placed, and a finding
says so. With two rows lost, or a total that would make the row negative, nothing is recovered.
"""

from __future__ import annotations

from nianbao.document.model import Finding
from nianbao.template import APPLICANT_COLUMNS, APPLICATION_ROWS, OUTCOME_ROWS

_LABELS = {r.key: r.label for r in APPLICATION_ROWS}
_SPLIT_OTHER = ("other_no_correction", "other_unpaid_fee", "other_other")


def expected_outcome_rows(apps: dict) -> tuple[str, ...]:
    """The outcome rows this report's layout prints: split （六） rows, or the single 其他处理 row."""
    if "other_handling" in apps and not any(k in apps for k in _SPLIT_OTHER):
        return tuple(k for k in OUTCOME_ROWS if k not in _SPLIT_OTHER)
    return tuple(k for k in OUTCOME_ROWS if k != "other_handling")


def recover_lost_row(apps: dict[str, dict]) -> list[Finding]:
    """Fill in the one missing outcome row from (七)总计 minus the others; returns the findings it raises."""
    if "handled_total" not in apps:
        return []
    expected = expected_outcome_rows(apps)
    lost = [k for k in expected if k not in apps]
    if len(lost) != 1:
        return []
    key = lost[0]
    row: dict[str, float | int | None] = {}
    for col in APPLICANT_COLUMNS:
        total = apps["handled_total"].get(col)
        parts = [apps[k].get(col) for k in expected if k != key]
        value = None if total is None or None in parts else total - sum(parts)
        row[col] = value if value is not None and value >= 0 else None
    if all(v is None for v in row.values()):
        return []
    apps[key] = row
    return [Finding.of("lost_row", f"applications.{key}",
                    f"row {_LABELS[key]} is not printed; recovered from (七)总计 minus the other outcome rows")]
