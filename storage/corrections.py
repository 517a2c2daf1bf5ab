"""A person's corrections of report cells: stored beside the parse (never over it), applied while the report's bytes
are those they were made against, and reported as stale once a new version has other bytes."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, true
from sqlalchemy.orm import Session

from nianbao.template import APPLICATION_ROWS, REVIEW_COLUMNS, REVIEW_GROUPS, TEMPLATES, Row
from storage.cells import TEMPLATE_KEYS, stored_number
from storage.db import in_chunks
from storage.models import Correction, Report, ReportCell, ReportVersion, utcnow

Number = int | float
MAX_VALUE = 10**12  # no count or 万元 amount in a report comes near; beyond it is a typo


@dataclass(frozen=True)
class CellCorrection:
    """The latest correction of one cell of a report, as exports, the audit and `show` use it."""

    cell: str  # table.row.column
    value: Number | None
    parsed_value: Number | None  # what the current version's parse holds there
    note: str
    corrected_by: str
    corrected_at: datetime
    stale: bool  # made against other bytes than the current version's: shown, not applied
    parsed_how: str | None = None  # how the current parse placed the cell (nianbao.template.PLACEMENTS)

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "parsed_value": self.parsed_value, "note": self.note, "by": self.corrected_by,
                "at": self.corrected_at.isoformat(), "stale": self.stale}


def row_spec(table: str, row: str, template: str | None = None) -> Row | None:
    """The template's row (for table 四, one group as a row of its five results) that `table.row` names; with the
    report's template, only its own table 二 rows."""
    if table == "active_disclosure":
        formats = [TEMPLATES[template]] if template in TEMPLATES else list(TEMPLATES.values())
        return next((r for t in formats for r in t.active_rows if r.key == row), None)
    if table == "applications":
        return next((r for r in APPLICATION_ROWS if r.key == row), None)
    if table == "review_litigation" and row in dict(REVIEW_GROUPS):
        return Row(row, dict(REVIEW_GROUPS)[row], REVIEW_COLUMNS)
    return None


def cell_key(text: str, template: str | None = None) -> tuple[str, str, str]:
    """TABLE.ROW.COLUMN checked against the template (the report's own, when given); ValueError with the reason."""
    parts = text.strip().split(".")
    if len(parts) != 3:
        raise ValueError(f"{text!r}: a cell is TABLE.ROW.COLUMN, e.g. applications.new.total")
    table, row, column = parts
    if table not in TEMPLATE_KEYS:
        raise ValueError(f"{table!r} is not a table; one of {', '.join(TEMPLATE_KEYS)}")
    spec = row_spec(table, row, template)
    if spec is None:
        raise ValueError(f"{table}.{row} is not a row of the {template + ' ' if template in TEMPLATES else ''}format")
    if column not in spec.columns:
        raise ValueError(f"{table}.{row}.{column} is not a column of that row; one of {', '.join(spec.columns)}")
    return table, row, column


def check_value(cell: str, value: Number | None, template: str | None = None) -> None:
    """A corrected value the cell can hold: a count is a whole number, only 本年增/减 may be negative."""
    if value is None:
        return
    spec = row_spec(*cell.split(".")[:2], template)
    if not math.isfinite(value) or abs(value) > MAX_VALUE:
        raise ValueError(f"{value!r} is not a figure a report prints")
    if value < 0 and not spec.signed:
        raise ValueError(f"{cell} cannot be negative")
    if not spec.decimal and value != int(value):
        raise ValueError(f"{cell} is a count: a whole number")


def add_correction(session: Session, report: Report, cell: str, value: Number | None, note: str,
                   corrected_by: str) -> Correction:
    """Record a correction of `cell` of the report's current version (ValueError when the report has none, or the
    cell or value is not one the report's format has)."""
    if not note.strip():
        raise ValueError("a correction needs a note that says why (--note)")
    version = session.get(ReportVersion, report.current_version_id) if report.current_version_id else None
    if version is None:
        raise ValueError(f"report {report.id} has no stored version to correct")
    table, row, column = cell_key(cell, version.template)
    check_value(cell, value, version.template)
    parsed = session.scalar(select(ReportCell.value).where(
        ReportCell.version_id == version.id, ReportCell.table_key == table, ReportCell.row_key == row,
        ReportCell.column_key == column))
    correction = Correction(report_id=report.id, document_sha256=version.document_sha256, table_key=table,
                            row_key=row, column_key=column, value=value, parsed_value=parsed, note=note.strip(),
                            corrected_by=corrected_by, corrected_at=utcnow())
    session.add(correction)
    session.flush()
    return correction


def corrections_by_version(session: Session, version_ids: Iterable[int]) -> dict[int, list[CellCorrection]]:
    """For each of these versions (current ones), its report's latest correction of each cell, stale or not."""
    found: dict[int, dict[str, CellCorrection]] = {}
    for chunk in in_chunks(sorted(set(version_ids))):
        _collect(session, ReportVersion.id.in_(chunk), found)
    return {version_id: list(cells.values()) for version_id, cells in found.items()}


def corrections_of_years(session: Session, years: Iterable[int] | None) -> dict[int, list[CellCorrection]]:
    """As corrections_by_version, for the current versions of every report of these years (all years: None)."""
    found: dict[int, dict[str, CellCorrection]] = {}
    _collect(session, true() if years is None else Report.year.in_(list(years)), found)
    return {version_id: list(cells.values()) for version_id, cells in found.items()}


def _collect(session: Session, which, found: dict[int, dict[str, CellCorrection]]) -> None:
    # The parsed value shown beside a correction is the current version's (a re-parse of the same bytes may read
    # the cell otherwise than the version the correction was made on).
    parsed = and_(ReportCell.version_id == ReportVersion.id, ReportCell.table_key == Correction.table_key,
                  ReportCell.row_key == Correction.row_key, ReportCell.column_key == Correction.column_key)
    stmt = (select(ReportVersion.id, ReportVersion.document_sha256, Correction, ReportCell.value, ReportCell.how)
            .join(Report, Report.current_version_id == ReportVersion.id)
            .join(Correction, Correction.report_id == Report.id)
            .outerjoin(ReportCell, parsed)
            .where(which).order_by(Correction.id))
    for version_id, sha256, c, current, how in session.execute(stmt):
        key = f"{c.table_key}.{c.row_key}.{c.column_key}"
        found.setdefault(version_id, {})[key] = CellCorrection(
            key, stored_number(c.value), stored_number(current), c.note, c.corrected_by, c.corrected_at,
            c.document_sha256 != sha256, how)


def apply_corrections(tables: dict[str, dict], corrections: Iterable[CellCorrection]) -> None:
    """Put the live (not stale) corrected values into the parse JSON's tables, in place."""
    for c in corrections:
        if not c.stale:
            table, row, column = c.cell.split(".")
            if row not in tables.setdefault(table, {}):  # a row the parse did not read: every column null but this
                spec = row_spec(table, row)
                tables[table][row] = dict.fromkeys(spec.columns if spec else ())
            tables[table][row][column] = c.value
