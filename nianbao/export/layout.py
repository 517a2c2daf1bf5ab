"""The wide layout: one row per report, one column per cell of the national format, headed by the format's own
Chinese labels. The columns come from nianbao.template, so they are the same for every report and every export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from nianbao.template import (
    ACTIVE_2019,
    ACTIVE_2021,
    ACTIVE_COLUMN_LABELS,
    APPLICANT_COLUMN_LABELS,
    APPLICATION_ROWS,
    OUTCOME_GROUPS,
    REVIEW_COLUMN_LABELS,
    REVIEW_GROUPS,
    Row,
)

# (header, key of the exported report): who, which report and which stored version each row is.
HEAD: tuple[tuple[str, str], ...] = (
    ("机关代码", "agency_id"), ("机关名称", "agency_name"), ("年度", "year"), ("报告标题", "title"),
    ("发布日期", "published"), ("格式", "template"), ("来源网址", "source_url"), ("版本", "version"),
    ("抓取时间", "fetched_at"), ("原件 SHA-256", "document_sha256"),
)


@dataclass(frozen=True)
class Column:
    header: str
    table: str  # a key of TABLE_TITLES
    row: str
    column: str

    def value(self, report: dict):
        return ((report.get(self.table) or {}).get(self.row) or {}).get(self.column)


def _active(rows: tuple[Row, ...], prefix: str = "") -> Iterator[Column]:
    for row in rows:
        for key in row.columns:
            yield Column(f"{prefix}{row.label}：{ACTIVE_COLUMN_LABELS[key]}", "active_disclosure", row.key, key)


def qualified_label(row: Row) -> str:
    """An outcome row under its group, as the table prints it: "1.属于国家秘密" alone is ambiguous."""
    group = OUTCOME_GROUPS.get(row.key.split("_")[0])
    return f"{group} {row.label}" if group and not row.label.startswith(group) else row.label


def _applications() -> Iterator[Column]:
    for row in APPLICATION_ROWS:
        for key in row.columns:
            yield Column(f"{qualified_label(row)}：{APPLICANT_COLUMN_LABELS[key]}", "applications", row.key, key)


def _review() -> Iterator[Column]:
    for group, label in REVIEW_GROUPS:
        for key, column_label in REVIEW_COLUMN_LABELS.items():
            yield Column(f"{label}：{column_label}", "review_litigation", group, key)


ACTIVE_2021_COLUMNS: tuple[Column, ...] = tuple(_active(ACTIVE_2021))
# The 2019 format's table 二 has other columns; its reports fill these instead of the 2021 ones.
_SHARED = {(c.row, c.column) for c in ACTIVE_2021_COLUMNS}  # e.g. 行政许可 decisions: the same cell in both
ACTIVE_2019_COLUMNS: tuple[Column, ...] = tuple(
    c for c in _active(ACTIVE_2019, "（2019年版）") if (c.row, c.column) not in _SHARED
)
APPLICATION_COLUMNS: tuple[Column, ...] = tuple(_applications())
REVIEW_COLUMNS: tuple[Column, ...] = tuple(_review())
CELL_COLUMNS: tuple[Column, ...] = ACTIVE_2021_COLUMNS + ACTIVE_2019_COLUMNS + APPLICATION_COLUMNS + REVIEW_COLUMNS


def head_values(report: dict) -> list:
    return [report.get(key) if key != "agency_name" else report.get(key) or report.get("agency")
            for _, key in HEAD]


def findings_counts(report: dict) -> tuple[int, int]:
    findings = report.get("findings") or []
    return (sum(f["severity"] == "error" for f in findings), sum(f["severity"] == "warning" for f in findings))


CORRECTIONS_HEADER = "人工更正"


def correction_text(c: dict) -> str:
    stale = " (stale: made on an earlier version, not applied)" if c["stale"] else ""
    return f"parsed {c['parsed_value']} → {c['value']} at {c['at']}{stale}: {c['note']}"


def corrections_summary(report: dict) -> str:
    """A report's corrections in one cell: which cells a person corrected, from what to what."""
    return "; ".join(f"{cell}: {correction_text(c)}" for cell, c in (report.get("corrections") or {}).items())
