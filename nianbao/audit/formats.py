"""The audit as plain data, JSON and Excel-friendly CSV: one row per agency plus the summary."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date

from nianbao.audit.model import (
    LEVEL_LABELS,
    STATUS_LABELS,
    AgencyAudit,
    AuditResult,
    Completeness,
    Finding,
    StoredReport,
    Summary,
)
from nianbao.template import rule_label


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def row_dict(row: AgencyAudit) -> dict:
    return {
        "agency_id": row.agency_id, "agency": row.name, "level": row.level, "parent_id": row.parent_id,
        "region_id": row.region_id, "region": row.region_name, "status": row.status,
        "deadline": _iso(row.deadline), "published": _iso(row.published), "days_late": row.days_late,
        "title": row.title, "source_url": row.source_url, "site_outcome": row.site_outcome,
        "errors": row.errors, "warnings": row.warnings,
        "findings": [_finding(f) for f in row.findings], "checks": [_finding(f) for f in row.checks],
        "notes": [note.text for note in row.notes],
    }


def _finding(finding: Finding) -> dict:
    return {"rule": finding.rule, "severity": finding.severity, "where": finding.where, "message": finding.message}


def summary_dict(summary: Summary) -> dict:
    return {
        "total": summary.total, "by_status": dict(summary.by_status),
        "by_level": {level: dict(counts) for level, counts in summary.by_level.items()},
        "by_region": [{"region_id": rid, "region": summary.region_names[rid], "total": sum(counts.values()),
                       "by_status": dict(counts)} for rid, counts in summary.by_region.items()],
        "with_errors": summary.with_errors, "with_checks": summary.with_checks,
        "unattributed_reports": summary.unattributed_reports,
    }


def completeness_dict(item: Completeness) -> dict:
    return {"agency_id": item.agency_id, "agency": item.name, "level": item.level, "subordinates": item.total,
            "by_status": dict(item.counts), "missing": list(item.missing), "late": list(item.late)}


def unattributed_dict(report: StoredReport) -> dict:
    return {"agency": report.agency_name, "title": report.title, "source_url": report.source_url,
            "published": _iso(report.published)}


def as_dict(result: AuditResult, *, rows: bool = True) -> dict:
    """The audit as plain data; without `rows`, their place is kept (None) for write_json to stream them."""
    return {
        "year": result.year, "as_of": _iso(result.as_of),
        "settings": {"township_deadline": result.settings.township_deadline,
                     "copy_threshold": result.settings.copy_threshold},
        "summary": summary_dict(result.summary),
        "rows": [row_dict(r) for r in result.rows] if rows else None,
        "hierarchy": [completeness_dict(c) for c in result.completeness],
        "unattributed": [unattributed_dict(r) for r in result.unattributed],
        "coverage": [{"division": c.division, "name": c.name, "held": len(c.held), "total": c.total,
                      "missing": list(c.missing), "line": c.line()} for c in result.coverage],
    }


def _indented(value, depth: int) -> str:
    """json.dumps(value, indent=1) as it reads nested `depth` levels deep (JSON strings hold no raw newlines)."""
    return json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n" + " " * depth)


def write_json(result: AuditResult, write: Callable[[str], object]) -> None:
    """The text of render_json, written a row at a time: 100,000 rows never sit in memory as one document."""
    write("{")
    for i, (key, value) in enumerate(as_dict(result, rows=False).items()):
        write(("\n " if i == 0 else ",\n ") + json.dumps(key) + ": ")
        if key != "rows":
            write(_indented(value, 1))
            continue
        write("[")
        for j, row in enumerate(result.rows):
            write(("\n  " if j == 0 else ",\n  ") + _indented(row_dict(row), 2))
        write("\n ]" if result.rows else "]")
    write("\n}\n")


def render_json(result: AuditResult) -> str:
    out = io.StringIO()
    write_json(result, out.write)
    return out.getvalue()


CSV_COLUMNS: tuple[str, ...] = (
    "agency_id", "机关名称", "层级", "所属地区", "status", "状态", "截止日期", "发布日期", "逾期天数",
    "错误数", "警告数", "核查提示", "报告标题", "来源网址", "站点抓取结果", "备注",
)


def excel_safe(value) -> object:
    """Scraped text starting with = + - @ would run as a formula in Excel; a leading ' keeps it text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def row_values(row: AgencyAudit) -> tuple:
    """One agency under CSV_COLUMNS, as plain values (the CSV and the workbook both write these)."""
    return (
        row.agency_id, row.name, LEVEL_LABELS.get(row.level, row.level), row.region_name, row.status,
        STATUS_LABELS[row.status], _iso(row.deadline), _iso(row.published), row.days_late, row.errors, row.warnings,
        " | ".join(f"{rule_label(c.rule)} ({c.rule}): {c.message}" for c in row.checks),
        row.title, row.source_url, row.site_outcome,
        "; ".join(note.text for note in row.notes),
    )


def csv_row(row: AgencyAudit) -> list:
    return [excel_safe(v) for v in row_values(row)]


def render_csv(result: AuditResult) -> str:
    """CSV text starting with a BOM so Excel reads it as UTF-8; write it with encoding="utf-8" and newline=""."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_row(r) for r in result.rows)
    return out.getvalue()
