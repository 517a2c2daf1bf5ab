"""Storing a newer parser's reading of a stored version (`nianbao reparse`): the same values update the version in
place (its parse JSON, findings and parser version); different values make a new version of the same bytes, marked
as a re-parse (never a revision by the agency), made current unless it is unusable or loses numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nianbao.report import PARSER_VERSION
from storage.cells import IN_ROWS, cells_of, findings_of, is_usable, without_nul
from storage.models import Report, ReportAttachment, ReportCell, ReportFinding, ReportVersion
from storage.reports import add_rows, add_version, changes_from, loses_numbers, make_current, parsed_date

SAME, REVISED, KEPT, GONE = "same", "revised", "kept", "gone"


def versions_to_reparse(session: Session, year: int | None = None, sites: Sequence[str] = ()) -> list[int]:
    """The current versions of the reports (of the year, of the sites) that an older parser made."""
    stmt = (select(ReportVersion.id).join(Report, Report.current_version_id == ReportVersion.id)
            .where(ReportVersion.parser_version.is_distinct_from(PARSER_VERSION)).order_by(ReportVersion.id))
    if year is not None:
        stmt = stmt.where(Report.year == year)
    if sites:
        stmt = stmt.where(Report.agency_id.in_(list(sites)))
    return list(session.scalars(stmt))


def store_reparse(session: Session, version_id: int, parsed: dict[str, Any], text_sketch: bytes | None) -> str:
    """SAME, REVISED or KEPT as above; GONE when the version is no longer current or already this parser's."""
    cells, findings = cells_of(parsed), findings_of(parsed)
    version = session.get(ReportVersion, version_id)
    report = session.scalars(select(Report).where(Report.id == version.report_id).with_for_update()).one() \
        if version else None
    if version is None or report.current_version_id != version.id or version.parser_version == PARSER_VERSION:
        return GONE
    if not parsed.get("published") and version.published:
        parsed["published"] = version.published.isoformat()  # the listing's date, when the page prints none
    old = {(c.table_key, c.row_key, c.column_key): c.value for c in session.scalars(
        select(ReportCell).where(ReportCell.version_id == version.id))}
    if old == {(c.table_key, c.row_key, c.column_key): c.value for c in cells}:
        _replace_in_place(session, version, parsed, cells, findings, text_sketch)
        return SAME
    attachments = [(a.url, a.document_sha256) for a in session.scalars(
        select(ReportAttachment).where(ReportAttachment.version_id == version.id))]
    new = add_version(session, report, version.source_url, version.document_sha256, parsed, version.fetched_at,
                       text_sketch)
    new.changes = {**changes_from(session, version, cells, parsed.get("text")), "reparse": True}
    add_rows(session, new.id, cells, findings, attachments)
    if version.status == "ok" and (new.status != "ok" or loses_numbers(session, version, cells)):
        session.flush()
        return KEPT
    make_current(report, new, report.agency_id, report.agency_name)
    session.flush()
    return REVISED


def _replace_in_place(session: Session, version: ReportVersion, parsed: dict[str, Any], cells, findings,
                      text_sketch: bytes | None) -> None:
    session.execute(delete(ReportCell).where(ReportCell.version_id == version.id))
    session.execute(delete(ReportFinding).where(ReportFinding.version_id == version.id))
    add_rows(session, version.id, cells, findings, ())
    version.title = without_nul(parsed.get("title"))
    version.published = parsed_date(parsed.get("published"))
    version.template = parsed.get("template") or "unknown"
    version.parsed = {k: v for k, v in parsed.items() if k not in IN_ROWS}
    version.status = "ok" if is_usable(parsed) else "unreadable"
    version.text_sketch = text_sketch
    version.parser_version = PARSER_VERSION
    session.flush()
