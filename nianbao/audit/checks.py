"""The audit's own checks on a found report: carry-over across years, copied text, implausible figures (DOMAIN.md)."""

from __future__ import annotations

from collections.abc import Iterator

from nianbao.audit.model import Finding
from nianbao.audit.similarity import similarity
from nianbao.template import APPLICANT_COLUMN_LABELS, APPLICANT_COLUMNS

# Only provinces and cities with districts make 规章; a prefecture may be such a city.
RULE_MAKING_LEVELS = frozenset({"province", "prefecture"})
# A large government reporting nothing at all is suspect; a town or a small department may truly have nothing.
ALL_ZERO_LEVELS = frozenset({"county", "prefecture"})
TABLES = ("active_disclosure", "applications", "review_litigation")


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def carry_over(parsed: dict, last_year: dict) -> Finding | None:
    """Rule 5: this year's 二、上年结转 must equal last year's 四、结转下年度, column by column where both are known."""
    now = (parsed.get("applications") or {}).get("carried_over") or {}
    before = (last_year.get("applications") or {}).get("carried_forward") or {}
    diffs = [f"{APPLICANT_COLUMN_LABELS[c]} {now[c]} ≠ {before[c]}" for c in APPLICANT_COLUMNS
             if _number(now.get(c)) and _number(before.get(c)) and now[c] != before[c]]
    if not diffs:
        return None
    return Finding("carry_over", "warning", "applications.carried_over",
                   "二、上年结转 ≠ 上年报告 四、结转下年度继续办理: " + "; ".join(diffs))


def copied(parsed: dict, last_year: dict, threshold: float) -> Finding | None:
    """内容雷同: this year's text nearly identical to last year's once digits and white space are dropped."""
    score = similarity(parsed.get("text") or "", last_year.get("text") or "")
    if score is None or score < threshold:
        return None
    return Finding("copied_text", "warning", "text",
                   f"正文与上年报告雷同 (similarity {score:.2f} ≥ {threshold:.2f}, digits ignored)")


def rules_reported(level: str, parsed: dict) -> Finding | None:
    """规章 ≠ 0 from an agency that cannot make 规章."""
    if level in RULE_MAKING_LEVELS:
        return None
    rules = (parsed.get("active_disclosure") or {}).get("rules") or {}
    nonzero = {k: v for k, v in rules.items() if _number(v) and v != 0}
    if not nonzero:
        return None
    shown = ", ".join(f"{k} {v}" for k, v in nonzero.items())
    return Finding("rules_implausible", "warning", "active_disclosure.rules",
                   f"a {level} reports 规章 ({shown}); only provinces and cities with districts make 规章")


def _numbers(node) -> Iterator[float]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _numbers(value)
    elif _number(node):
        yield node


def all_zero(level: str, parsed: dict) -> Finding | None:
    """Every number in all three tables is 0 (blank cells aside), for a county or prefecture."""
    if level not in ALL_ZERO_LEVELS:
        return None
    values = [v for table in TABLES for v in _numbers(parsed.get(table))]
    if not values or any(values):
        return None
    return Finding("all_zero", "warning", "tables", f"every figure in the report's tables is 0 ({len(values)} cells)")


def run_checks(level: str, parsed: dict, last_year: dict | None, copy_threshold: float) -> tuple[Finding, ...]:
    found = [rules_reported(level, parsed), all_zero(level, parsed)]
    if last_year is not None:
        found += [carry_over(parsed, last_year), copied(parsed, last_year, copy_threshold)]
    return tuple(f for f in found if f is not None)
