"""The text exports: a JSON array of parse JSON, and CSV long (one row per cell) or wide (one row per report)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from nianbao.audit.formats import excel_safe
from nianbao.export.layout import (
    CELL_COLUMNS,
    CORRECTIONS_HEADER,
    HEAD,
    correction_text,
    corrections_summary,
    findings_counts,
    head_values,
)
from nianbao.template import TABLES

CSV_COLUMNS = ("agency_id", "agency_name", "year", "title", "published", "template", "source_url", "version",
               "table", "row", "column", "value")


def write_json(reports: Iterable[dict], out: TextIO) -> int:
    """A JSON array written as it streams, so a national export never sits whole in memory."""
    count = 0
    out.write("[")
    for report in reports:
        out.write(",\n" if count else "\n")
        json.dump(report, out, ensure_ascii=False)
        count += 1
    out.write("\n]\n")
    return count


def cells(report: dict) -> Iterator[tuple[str, str, str, float | int | str | None]]:
    """Every cell as (table, row, column, value), a person's live corrections applied; then every finding as
    ("findings", rule, where, message) and every correction as ("corrections", cell, who, what and why)."""
    for table in TABLES:
        for row, columns in (report.get(table) or {}).items():
            for column, value in columns.items():
                yield table, row, column, value
    for finding in report.get("findings") or []:
        yield "findings", finding["rule"], finding["where"], f"{finding['severity']}: {finding['message']}"
    for cell, c in (report.get("corrections") or {}).items():
        yield "corrections", cell, c["by"], correction_text(c)


def write_csv(reports: Iterable[dict], out: TextIO) -> int:
    """One row per cell (tidy, for pandas or Excel), then one per finding (table "findings": row is the rule, column
    where it applies, value "severity: message") and one per correction (table "corrections": row is the cell,
    column who made it); UTF-8 with BOM is the caller's encoding choice."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for report in reports:
        head = [report.get("agency_id") or "", report.get("agency_name") or report.get("agency") or "",
                report.get("year"), report.get("title") or "", report.get("published") or "",
                report.get("template") or "", report.get("source_url") or "", report.get("version") or ""]
        for table, row, column, value in cells(report):
            writer.writerow([excel_safe(v) for v in (*head, table, row, column, value)])
        count += 1
    return count


def write_wide_csv(reports: Iterable[dict], out: TextIO) -> int:
    """One row per report: who and which version, its error and warning counts, then every cell of the format under
    the format's own Chinese labels (the same columns for every report; a blank cell stays empty, not 0)."""
    writer = csv.writer(out)
    writer.writerow([header for header, _ in HEAD] + ["错误数", "警告数"] + [c.header for c in CELL_COLUMNS]
                    + [CORRECTIONS_HEADER])
    count = 0
    for report in reports:
        values = [*head_values(report), *findings_counts(report), *(c.value(report) for c in CELL_COLUMNS),
                  corrections_summary(report)]
        writer.writerow([excel_safe(v) for v in values])
        count += 1
    return count
