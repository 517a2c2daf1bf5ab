"""What the audit needs of a stored report, short of its text and tables: a few cells, counts and a text sketch.

A caller with the parse JSON in hand gets them from `facts_of`; the database loader reads the same facts with SQL
(storage/audit_reads.py), so an audit of 100,000 agencies never loads the texts and tables themselves. Facts are
compact (tuples, slots): an audit holds two years of them for every agency at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from nianbao.similarity import sketch
from nianbao.template import APPLICANT_COLUMNS, TABLES

# The findings the audit reads: those it shows, and those that make a report unparseable.
SHOWN_SEVERITIES = ("error", "warning")
UNPARSEABLE_RULES = ("no_text_layer", "missing_table")

Number = int | float
RawFinding = tuple[str, str, str, str]  # rule, severity, where, message
Carried = tuple[Number | None, ...]  # one value per APPLICANT_COLUMNS; None where blank or not read
Revision = tuple[int, int, int, int]  # version, cells changed, text lines added, removed
Corrected = tuple[str, Number | None, Number | None, str, bool]  # cell, value, parsed value, note, stale


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class ReportFacts:
    findings: tuple[RawFinding, ...] = ()  # the parse findings the audit reads (SHOWN_SEVERITIES, UNPARSEABLE_RULES)
    has_applications: bool = False  # table 三 was read
    rules: tuple[tuple[str, Number], ...] = ()  # the 规章 cells of table 二 that are not 0
    carried_over: Carried = ()  # 二、上年结转
    carried_forward: Carried = ()  # 四、结转下年度继续办理
    # Numbers in the three tables and how many are not 0; None where the loader did not count them (it counts them
    # only for the levels the all-zero check judges).
    numbers: int | None = None
    nonzero: int | None = None
    sketch: bytes | None = None  # of the text (similarity.sketch); None when too short, or left to the loader
    # The stored versions that changed cells or text after the first: (version, cells changed, lines +, lines -).
    revisions: tuple[Revision, ...] = ()
    withdrawn: tuple[str, str] | None = None  # (ISO date, reason): gone from its site (storage/withdrawals.py)
    corrections: tuple[Corrected, ...] = ()  # a person's corrections (storage/corrections.py); live ones applied

    @property
    def unparseable(self) -> bool:
        """Its tables could not be read: no text layer, or table 三 (the applications) not found."""
        return (not self.has_applications
                or any(rule == "no_text_layer" or (rule == "missing_table" and where == "applications")
                       for rule, _, where, _ in self.findings))


def read_finding(finding: dict) -> RawFinding | None:
    """A parse finding as the audit keeps it, or None when the audit never reads it (info findings)."""
    rule, severity = finding.get("rule") or "", finding.get("severity") or ""
    if severity not in SHOWN_SEVERITIES and rule not in UNPARSEABLE_RULES:
        return None
    return rule, severity, finding.get("where") or "", finding.get("message") or ""


def carried(cells: dict | None) -> Carried:
    cells = cells or {}
    return tuple(cells.get(c) if is_number(cells.get(c)) else None for c in APPLICANT_COLUMNS)


def _numbers(node) -> Iterator[float]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _numbers(value)
    elif is_number(node):
        yield node


def facts_of(parsed: dict) -> ReportFacts:
    applications = parsed.get("applications") or {}
    rules = (parsed.get("active_disclosure") or {}).get("rules") or {}
    values = [v for table in TABLES for v in _numbers(parsed.get(table))]
    findings = (read_finding(f) for f in parsed.get("findings") or ())
    return ReportFacts(
        findings=tuple(f for f in findings if f is not None),
        has_applications=bool(applications),
        rules=tuple((k, v) for k, v in rules.items() if is_number(v) and v != 0),
        carried_over=carried(applications.get("carried_over")),
        carried_forward=carried(applications.get("carried_forward")),
        numbers=len(values),
        nonzero=sum(v != 0 for v in values),
        sketch=sketch(parsed.get("text") or ""),
    )
