"""A person's corrections of report cells: stored beside the parse (never over it), applied while the report's bytes
are those they were made against, and reported as stale once a new version has other bytes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.cells import TEMPLATE_KEYS, stored_number
from storage.db import in_chunks
from storage.models import Correction, Report, ReportCell, ReportVersion, utcnow

Number = int | float


@dataclass(frozen=True)
class CellCorrection:
    """The latest correction of one cell of a report, as exports, the audit and `show` use it."""

    cell: str  # table.row.column
    value: Number | None
    parsed_value: Number | None
    note: str
    corrected_by: str
    corrected_at: datetime
    stale: bool  # made against other bytes than the current version's: shown, not applied

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "parsed_value": self.parsed_value, "note": self.note, "by": self.corrected_by,
                "at": self.corrected_at.isoformat(), "stale": self.stale}


def cell_key(text: str) -> tuple[str, str, str]:
    """TABLE.ROW.COLUMN checked against the template; ValueError with the reason otherwise."""
    parts = text.strip().split(".")
    if len(parts) != 3:
        raise ValueError(f"{text!r}: a cell is TABLE.ROW.COLUMN, e.g. applications.new.total")
    table, row, column = parts
    if table not in TEMPLATE_KEYS:
        raise ValueError(f"{table!r} is not a table; one of {', '.join(TEMPLATE_KEYS)}")
    if row not in TEMPLATE_KEYS[table]:
        raise ValueError(f"{table}.{row} is not a row of the format")
    if column not in TEMPLATE_KEYS[table][row]:
        raise ValueError(f"{table}.{row}.{column} is not a column of that row; one of "
                         f"{', '.join(sorted(TEMPLATE_KEYS[table][row]))}")
    return table, row, column


def add_correction(session: Session, report: Report, cell: str, value: Number | None, note: str,
                   corrected_by: str) -> Correction:
    """Record a correction of `cell` of the report's current version (ValueError when the report has none)."""
    table, row, column = cell_key(cell)
    if not note.strip():
        raise ValueError("a correction needs a note that says why (--note)")
    version = session.get(ReportVersion, report.current_version_id) if report.current_version_id else None
    if version is None:
        raise ValueError(f"report {report.id} has no stored version to correct")
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


def corrections_of_years(session: Session, years: Iterable[int]) -> dict[int, list[CellCorrection]]:
    """As corrections_by_version, for the current versions of every report of these years (the audit's)."""
    found: dict[int, dict[str, CellCorrection]] = {}
    _collect(session, Report.year.in_(list(years)), found)
    return {version_id: list(cells.values()) for version_id, cells in found.items()}


def _collect(session: Session, which, found: dict[int, dict[str, CellCorrection]]) -> None:
    stmt = (select(ReportVersion.id, ReportVersion.document_sha256, Correction)
            .join(Report, Report.current_version_id == ReportVersion.id)
            .join(Correction, Correction.report_id == Report.id)
            .where(which).order_by(Correction.id))
    for version_id, sha256, c in session.execute(stmt):
        key = f"{c.table_key}.{c.row_key}.{c.column_key}"
        found.setdefault(version_id, {})[key] = CellCorrection(
            key, stored_number(c.value), stored_number(c.parsed_value), c.note, c.corrected_by, c.corrected_at,
            c.document_sha256 != sha256)


def apply_corrections(tables: dict[str, dict], corrections: Iterable[CellCorrection]) -> None:
    """Put the live (not stale) corrected values into the parse JSON's tables, in place."""
    for c in corrections:
        if not c.stale:
            table, row, column = c.cell.split(".")
            tables.setdefault(table, {}).setdefault(row, {})[column] = c.value
