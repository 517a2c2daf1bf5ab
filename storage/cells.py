"""Between the parse JSON and rows: table cells and findings, with keys checked against nianbao.template."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import fields
from typing import Any, NamedTuple

from nianbao.template import ACTIVE_2019, ACTIVE_2021, APPLICATION_ROWS, REVIEW_COLUMNS, REVIEW_GROUPS, Finding, Row
from storage.models import TABLES

FINDING_KEYS = tuple(f.name for f in fields(Finding))  # rule, severity, where, message
# The parse JSON's keys kept as rows (report_cells, report_findings), not in the version's parsed JSON.
IN_ROWS = (*TABLES, "findings", "provenance")
# A parse with these errors read no usable tables, whatever else it found (see reports.upsert_report).
UNUSABLE_RULES = frozenset({"missing_table", "no_text_layer"})


def _columns_by_row(*row_sets: Iterable[Row]) -> dict[str, frozenset[str]]:
    merged: dict[str, set[str]] = {}
    for rows in row_sets:
        for row in rows:
            merged.setdefault(row.key, set()).update(row.columns)
    return {key: frozenset(columns) for key, columns in merged.items()}


# The row and column keys each table may carry, in either format of the template.
TEMPLATE_KEYS: dict[str, dict[str, frozenset[str]]] = {
    "active_disclosure": _columns_by_row(ACTIVE_2021, ACTIVE_2019),
    "applications": _columns_by_row(APPLICATION_ROWS),
    "review_litigation": {group: frozenset(REVIEW_COLUMNS) for group, _ in REVIEW_GROUPS},
}
assert tuple(TEMPLATE_KEYS) == TABLES, "storage.models.TABLES must name the template's tables"


class Cell(NamedTuple):
    table_key: str
    row_key: str
    column_key: str
    value: int | float | None
    how: str | None = None  # its provenance: how it was placed (nianbao.template.PLACEMENTS)
    source: str | None = None  # and where it was printed, as compact JSON


def cells_of(parsed: dict[str, Any]) -> list[Cell]:
    """Every cell of the parse's three tables, in the dict's order, with its provenance; raises ValueError on keys
    or values the template does not allow, so nothing half-valid is written."""
    provenance = parsed.get("provenance") or {}
    _require_dict(provenance, "provenance")
    cells = []
    for table in TABLES:
        rows = parsed.get(table) or {}
        _require_dict(rows, table)
        for row_key, columns in rows.items():
            allowed = TEMPLATE_KEYS[table].get(row_key)
            if allowed is None:
                raise ValueError(f"{table}.{row_key}: not a row of the template")
            _require_dict(columns, f"{table}.{row_key}")
            for column_key, value in columns.items():
                where = f"{table}.{row_key}.{column_key}"
                if column_key not in allowed:
                    raise ValueError(f"{where}: not a column of this row in the template")
                cells.append(Cell(table, row_key, column_key, _number(value, where), *_source(provenance.get(where),
                                                                                            where)))
    return cells


def _source(entry: Any, where: str) -> tuple[str | None, str | None]:
    """A provenance entry as (how, where printed as JSON)."""
    if entry is None:
        return None, None
    _require_dict(entry, f"provenance.{where}")
    how = entry.get("how")
    if not isinstance(how, str):
        raise ValueError(f"provenance.{where}.how: expected a string, got {how!r}")
    place = {k: v for k, v in entry.items() if k != "how"}
    return how, json.dumps(place, ensure_ascii=False, separators=(",", ":")) if place else None


def provenance_of(cells: Iterable[Cell]) -> dict[str, dict]:
    """The parse JSON's provenance map rebuilt from stored cells."""
    return {f"{c.table_key}.{c.row_key}.{c.column_key}": {"how": c.how, **(json.loads(c.source) if c.source else {})}
            for c in cells if c.how is not None}


def _require_dict(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object, got {type(value).__name__}")


def _number(value: Any, where: str) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}: expected a number or null, got {value!r}")
    return value


def tables_of(cells: Iterable[Cell]) -> dict[str, dict[str, dict[str, int | float | None]]]:
    """The three tables rebuilt from cells (every table present, possibly empty); whole numbers come back as int."""
    tables: dict[str, dict[str, dict[str, int | float | None]]] = {table: {} for table in TABLES}
    for cell in cells:
        tables[cell.table_key].setdefault(cell.row_key, {})[cell.column_key] = stored_number(cell.value)
    return tables


def stored_number(value: int | float | None) -> int | float | None:
    """A cell value as read back: whole numbers as int (PostgreSQL's NUMERIC arrives as float)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def findings_of(parsed: dict[str, Any]) -> list[dict[str, str | None]]:
    """The parse's findings, checked: rule, severity and message are strings, where is a string or null."""
    findings = parsed.get("findings") or []
    if not isinstance(findings, list):
        raise ValueError(f"findings: expected a list, got {type(findings).__name__}")
    checked = []
    for index, finding in enumerate(findings):
        _require_dict(finding, f"findings[{index}]")
        extra = set(finding) - set(FINDING_KEYS)
        if extra:
            raise ValueError(f"findings[{index}]: unknown keys {', '.join(sorted(extra))}")
        for key in FINDING_KEYS:
            value = finding.get(key)
            if not isinstance(value, str) and not (key == "where" and value is None):
                raise ValueError(f"findings[{index}].{key}: expected a string, got {value!r}")
        checked.append({key: without_nul(finding.get(key)) for key in FINDING_KEYS})
    return checked


def without_nul(value: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL, which PDF text extraction sometimes leaves in titles and messages."""
    return value.replace("\x00", "") if isinstance(value, str) else value


def is_usable(parsed: dict[str, Any]) -> bool:
    """Whether a parse read the report: table 三 found with some number in it, and a text layer.

    Table 三 is what a report is read for; a missing table 二 or 四 is a finding, not an unreadable report.
    """
    for finding in parsed.get("findings") or []:
        rule, where = finding.get("rule"), finding.get("where")
        if rule in UNUSABLE_RULES and finding.get("severity") == "error" and (rule != "missing_table" or
                                                                              where == "applications"):
            return False
    applications = parsed.get("applications") or {}
    return any(value is not None for row in applications.values() for value in row.values())
