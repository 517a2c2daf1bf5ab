"""Reports and their versions: upsert a parsed report, read back the current ones for export (their history:
storage/history.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nianbao.report import PARSER_VERSION
from nianbao.revisions import cell_changes, changes_record, text_counts
from nianbao.similarity import sketch
from storage.cells import (
    FINDING_KEYS,
    IN_ROWS,
    Cell,
    cells_of,
    findings_of,
    is_usable,
    provenance_of,
    tables_of,
    without_nul,
)
from storage.corrections import CellCorrection, apply_corrections, corrections_by_version
from storage.db import dialect_insert, insert_rows
from storage.models import (
    Report,
    ReportAttachment,
    ReportCell,
    ReportFinding,
    ReportVersion,
    utcnow,
)

NEW, UNCHANGED, REVISED = "new", "unchanged", "revised"
# A new document whose parse is unusable arrived while the current version is usable: it is stored as a version,
# but the current pointer stays on the good one. A broken fetch never overwrites a good report.
KEPT = "kept"

_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 500  # reports per batch when exporting; their version ids stay well under SQLite's parameter limit


def agency_key(agency_id: str | None, agency_name: str) -> str:
    """The natural key of a report's agency: its registry id, or "name:" + the name for unregistered agencies."""
    return agency_id if agency_id is not None else f"name:{agency_name}"


def upsert_report(
    session: Session,
    *,
    agency_id: str | None,
    agency_name: str,
    year: int,
    source_url: str,
    document_sha256: str,
    parsed: dict[str, Any],
    attachments: Sequence[tuple[str, str]] = (),
    fetched_at: datetime | None = None,
    text_sketch: bytes | None = None,
) -> str:
    """Store a parsed report; returns NEW, UNCHANGED, REVISED or KEPT.

    document_sha256 is the main document, already stored with store_document; attachments are (url, sha256) pairs
    of stored documents; text_sketch, when the caller made it already (the crawl's readers do), the text's sketch.
    The current document again is UNCHANGED and writes nothing. A different document becomes a
    new version (earlier ones are kept) and the current one (REVISED), unless it is unusable, or lacks numbers the
    current one has, while the current one is usable: then it is stored but not made current (KEPT) until the same
    bytes come a second time. Bytes of an earlier version make it current again. Concurrent upserts of one report
    are serialized.
    """
    cells, findings = cells_of(parsed), findings_of(parsed)  # validate before writing anything
    agency_name = without_nul(agency_name)
    _check_sha(document_sha256, "document_sha256")
    for url, sha in attachments:
        _check_sha(sha, f"attachment {url}")
    report = _locked_report(session, agency_id, agency_name, year)
    current = session.get(ReportVersion, report.current_version_id) if report.current_version_id else None
    known = session.scalars(  # the latest parse of these bytes (a re-parse by a newer parser may follow the first)
        select(ReportVersion).where(ReportVersion.report_id == report.id,
                                    ReportVersion.document_sha256 == document_sha256)
        .order_by(ReportVersion.version.desc()).limit(1)
    ).one_or_none()
    if known is not None:
        return _seen_again(session, report, known, current, agency_id, agency_name)
    version = add_version(session, report, source_url, document_sha256, parsed, fetched_at or utcnow(),
                           text_sketch or _text_sketch(parsed))
    if current is not None:
        version.changes = changes_from(session, current, cells, parsed.get("text"))
    add_rows(session, version.id, cells, findings, attachments)
    if current is not None and current.status == "ok" and (
            version.status != "ok" or loses_numbers(session, current, cells)):
        session.flush()
        return KEPT
    make_current(report, version, agency_id, agency_name)
    session.flush()
    return NEW if current is None else REVISED


def _seen_again(session: Session, report: Report, known: ReportVersion, current: ReportVersion | None,
                agency_id: str | None, agency_name: str) -> str:
    """Bytes stored before. The current ones are UNCHANGED. A kept version fetched a second time is confirmed, and
    bytes of an earlier version mean the site went back to it: either becomes current again (REVISED), except an
    unreadable version over a readable one."""
    if current is None or known.id == current.id or (current.status == "ok" and known.status != "ok"):
        return UNCHANGED
    make_current(report, known, agency_id, agency_name)
    session.flush()
    return REVISED


def make_current(report: Report, version: ReportVersion, agency_id: str | None, agency_name: str) -> None:
    report.current_version_id = version.id
    report.updated_at = utcnow()
    if agency_id is not None:
        report.agency_name = agency_name  # unregistered agencies are keyed by their name, which must not move


def loses_numbers(session: Session, current: ReportVersion, cells: list[Cell]) -> bool:
    """Whether a new parse lacks numbers the current version has: a cut page or a failed table looks like a
    revision, so such a version waits for a second fetch to confirm it before it is made current."""
    had = select(ReportCell.table_key, ReportCell.row_key, ReportCell.column_key).where(
        ReportCell.version_id == current.id, ReportCell.value.is_not(None)
    )
    has = {(c.table_key, c.row_key, c.column_key) for c in cells if c.value is not None}
    return any(tuple(row) not in has for row in session.execute(had))


def changes_from(session: Session, current: ReportVersion, cells: list[Cell], text: str | None) -> dict[str, Any]:
    before = {(c.table_key, c.row_key, c.column_key): c.value for c in session.scalars(
        select(ReportCell).where(ReportCell.version_id == current.id).order_by(ReportCell.id))}
    after = {(c.table_key, c.row_key, c.column_key): c.value for c in cells}
    return changes_record(current.version, cell_changes(before, after),
                          text_counts(current.parsed.get("text"), text))


def _check_sha(value: str, what: str) -> None:
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise ValueError(f"{what}: expected a sha256 hex digest from store_document, got {value!r}")


def _locked_report(session: Session, agency_id: str | None, agency_name: str, year: int) -> Report:
    """The report row, created if new and locked until the caller's transaction ends (PostgreSQL row lock; SQLite
    transactions already hold the write lock from their start)."""
    key = agency_key(agency_id, agency_name)
    insert = dialect_insert(session, Report.__table__).values(
        agency_key=key, agency_id=agency_id, agency_name=agency_name, year=year, updated_at=utcnow()
    )
    session.execute(insert.on_conflict_do_nothing(index_elements=["agency_key", "year"]))
    stmt = select(Report).where(Report.agency_key == key, Report.year == year).with_for_update()
    return session.scalars(stmt.execution_options(populate_existing=True)).one()


def add_version(
    session: Session, report: Report, source_url: str, sha256: str, parsed: dict[str, Any], fetched_at: datetime,
    text_sketch: bytes | None,
) -> ReportVersion:
    number = session.scalar(
        select(func.coalesce(func.max(ReportVersion.version), 0)).where(ReportVersion.report_id == report.id)
    )
    version = ReportVersion(
        report_id=report.id,
        version=number + 1,
        document_sha256=sha256,
        source_url=source_url,
        title=without_nul(parsed.get("title")),
        published=parsed_date(parsed.get("published")),
        template=parsed.get("template") or "unknown",
        parsed={k: v for k, v in parsed.items() if k not in IN_ROWS},
        fetched_at=fetched_at,
        status="ok" if is_usable(parsed) else "unreadable",
        text_sketch=text_sketch,
        parser_version=PARSER_VERSION,
    )
    session.add(version)
    session.flush()
    return version


def _text_sketch(parsed: dict[str, Any]) -> bytes | None:
    text = parsed.get("text")
    return sketch(text) if isinstance(text, str) else None


def parsed_date(value: Any) -> date | None:
    """The published date when the parser gave an ISO date; anything else stays only in the parsed JSON."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def add_rows(
    session: Session,
    version_id: int,
    cells: list[Cell],
    findings: list[dict[str, str | None]],
    attachments: Iterable[tuple[str, str]],
) -> None:
    if cells:
        insert_rows(session, ReportCell.__tablename__, ("version_id", *Cell._fields),
                    [(version_id, *cell) for cell in cells])
    if findings:
        session.execute(
            ReportFinding.__table__.insert(),
            [
                {
                    "version_id": version_id,
                    "rule": f["rule"],
                    "severity": f["severity"],
                    "location": f["where"],
                    "message": f["message"],
                }
                for f in findings
            ],
        )
    rows = {url: {"version_id": version_id, "url": url, "document_sha256": sha} for url, sha in attachments}
    if rows:
        session.execute(ReportAttachment.__table__.insert(), list(rows.values()))


def iter_reports(session: Session, year: int | None = None) -> Iterator[dict[str, Any]]:
    """Every report's current version as the parse JSON, its tables, findings and provenance read back from their
    rows (tables with a person's corrections applied, listed under "corrections"), plus agency_id, agency_name,
    source_url, version, fetched_at (ISO), document_sha256, status and attachments.

    "year" is the report's stored year (the parse may have left it null when the crawler read it from the title).
    """
    stmt = select(Report, ReportVersion).join(ReportVersion, Report.current_version_id == ReportVersion.id)
    if year is not None:
        stmt = stmt.where(Report.year == year)
    # Streamed in chunks: a national crawl holds far more report texts than should sit in memory at once.
    result = session.execute(stmt.order_by(Report.year, Report.agency_key).execution_options(yield_per=_CHUNK))
    for chunk in result.partitions():
        ids = [version.id for _, version in chunk]
        cells, findings, attachments = _version_details(session, ids)
        corrections = corrections_by_version(session, ids)
        for report, version in chunk:
            vid = version.id
            yield _export(report, version, cells.get(vid, []), findings.get(vid, []), attachments.get(vid, []),
                          corrections.get(vid, []))


def report_export(session: Session, report: Report) -> dict[str, Any] | None:
    """One report's current version as iter_reports gives it; None when it has no version."""
    version = session.get(ReportVersion, report.current_version_id) if report.current_version_id else None
    if version is None:
        return None
    cells, findings, attachments = _version_details(session, [version.id])
    return _export(report, version, cells.get(version.id, []), findings.get(version.id, []),
                   attachments.get(version.id, []), corrections_by_version(session, [version.id]).get(version.id, []))


def _version_details(
    session: Session, version_ids: list[int]
) -> tuple[dict[int, list[Cell]], dict[int, list[dict[str, str | None]]], dict[int, list[dict[str, str]]]]:
    """Cells, findings and attachments of these versions, each grouped by version id in insertion order."""

    # Plain rows, not entities: an export reads hundreds of cells per report, and ORM objects cost ten times more.
    def grouped(model: Any, *columns: Any) -> dict[int, list[Any]]:
        stmt = select(model.version_id, *columns).where(model.version_id.in_(version_ids)).order_by(model.id)
        groups: dict[int, list[Any]] = {}
        for version_id, *values in session.execute(stmt):
            groups.setdefault(version_id, []).append(values)
        return groups

    cells = grouped(ReportCell, ReportCell.table_key, ReportCell.row_key, ReportCell.column_key, ReportCell.value,
                    ReportCell.how, ReportCell.source)
    findings = grouped(
        ReportFinding, ReportFinding.rule, ReportFinding.severity, ReportFinding.location, ReportFinding.message
    )
    attachments = grouped(ReportAttachment, ReportAttachment.url, ReportAttachment.document_sha256)
    return (
        {vid: [Cell(*values) for values in rows] for vid, rows in cells.items()},
        {vid: [dict(zip(FINDING_KEYS, values, strict=True)) for values in rows] for vid, rows in findings.items()},
        {vid: [{"url": url, "document_sha256": sha} for url, sha in rows] for vid, rows in attachments.items()},
    )


def _export(
    report: Report,
    version: ReportVersion,
    cells: list[Cell],
    findings: list[dict[str, str | None]],
    attachments: list[dict[str, str]],
    corrections: list[CellCorrection] = (),
) -> dict[str, Any]:
    """The stored report as the parse JSON (with a person's live corrections in its tables, and every correction,
    live or stale, under "corrections"), plus what the store knows of it."""
    tables = tables_of(cells)
    apply_corrections(tables, corrections)
    return {
        **version.parsed,
        "year": report.year,
        **tables,
        "findings": findings,
        "provenance": provenance_of(cells),
        "corrections": {c.cell: c.as_dict() for c in corrections},
        "report_id": report.id,
        "agency_id": report.agency_id,
        "agency_name": report.agency_name,
        "source_url": version.source_url,
        "version": version.version,
        "fetched_at": version.fetched_at.isoformat(),
        "document_sha256": version.document_sha256,
        "status": version.status,
        "attachments": attachments,
    }
