"""The arithmetic the format requires, checked on what was printed; a broken rule is a finding, never a fix."""

from __future__ import annotations

from math import isclose

from nianbao.document.model import Finding
from nianbao.template import APPLICANT_COLUMNS, OUTCOME_ROWS, REVIEW_COLUMNS, REVIEW_GROUPS

Value = float | int | None
_REVIEW_RULES = {group: f"{group}_total" for group, _ in REVIEW_GROUPS}  # review_total, litigation_direct_total, …


def check(applications: dict[str, dict[str, Value]], review: dict[str, dict[str, Value]]) -> list[Finding]:
    return [*_balance(applications), *_row_totals(applications), *_handled_total(applications), *_review(review)]


def _fmt(value: float | int) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _balance(apps):
    """一 + 二 = 三(七)总计 + 四, column by column."""
    rows = [apps.get(k, {}) for k in ("new", "carried_over", "handled_total", "carried_forward")]
    for col in APPLICANT_COLUMNS:
        new, carried, handled, forward = (r.get(col) for r in rows)
        if None in (new, carried, handled, forward):
            continue
        if not isclose(new + carried, handled + forward, abs_tol=1e-6):
            yield Finding.of("balance", f"applications.{col}",
                           f"一+二 = {_fmt(new + carried)} but 三(七)+四 = {_fmt(handled + forward)}")


def _row_totals(apps):
    for key, cells in apps.items():
        parts = [cells.get(c) for c in APPLICANT_COLUMNS[:-1]]
        total = cells.get("total")
        if total is None or None in parts:
            continue
        if not isclose(sum(parts), total, abs_tol=1e-6):
            yield Finding.of("row_total", f"applications.{key}",
                           f"总计 is {_fmt(total)} but the six applicant columns add up to {_fmt(sum(parts))}")


def _outcome_rows(apps) -> list[str]:
    present = [k for k in OUTCOME_ROWS if k in apps]
    split_other = [k for k in present if k.startswith("other_") and k != "other_handling"]
    # Where the source prints （六）其他处理 both as a row and split, the split rows are what the total adds up.
    return [k for k in present if k != "other_handling"] if split_other else present


def _handled_total(apps):
    """三(七)总计 = the sum of the outcome rows (一)…(六), column by column."""
    if "handled_total" not in apps:
        return
    outcome = _outcome_rows(apps)
    if not outcome:
        return
    for col in APPLICANT_COLUMNS:
        total = apps["handled_total"].get(col)
        parts = [apps[k].get(col) for k in outcome]
        if total is None or None in parts:
            continue
        if not isclose(sum(parts), total, abs_tol=1e-6):
            yield Finding.of("handled_total", f"applications.handled_total.{col}",
                           f"(七)总计 is {_fmt(total)} but the outcome rows add up to {_fmt(sum(parts))}")


def _review(review):
    for group, _label in REVIEW_GROUPS:
        cells = review.get(group) or {}
        parts = [cells.get(c) for c in REVIEW_COLUMNS[:-1]]
        total = cells.get("total")
        if total is None or None in parts:
            continue
        if not isclose(sum(parts), total, abs_tol=1e-6):
            yield Finding.of(_REVIEW_RULES[group], f"review_litigation.{group}",
                           f"总计 is {_fmt(total)} but the four results add up to {_fmt(sum(parts))}")
