"""The export as an Excel workbook: the reports, one sheet per table of the format (one row per report, the format's
own Chinese labels as headers) and the findings. Streamed: XlsxWriter's constant-memory mode writes each row to disk
as it comes, so a national export never sits in memory."""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

import xlsxwriter

from nianbao.export.layout import (
    ACTIVE_2019_COLUMNS,
    ACTIVE_2021_COLUMNS,
    APPLICATION_COLUMNS,
    CORRECTIONS_HEADER,
    HEAD,
    REVIEW_COLUMNS,
    Column,
    corrections_summary,
    findings_counts,
    head_values,
)
from nianbao.template import SEVERITY_LABELS, TABLE_TITLES, rule_label

# Every table sheet starts with these, so a row can be read (or filtered) without the reports sheet beside it.
KEY_HEADERS = ("机关代码", "机关名称", "年度", "版本")
TABLE_SHEETS: dict[str, tuple[Column, ...]] = {
    TABLE_TITLES["active_disclosure"]: ACTIVE_2021_COLUMNS + ACTIVE_2019_COLUMNS,
    TABLE_TITLES["applications"]: APPLICATION_COLUMNS,
    TABLE_TITLES["review_litigation"]: REVIEW_COLUMNS,
}
REPORT_HEADERS = (*(h for h, _ in HEAD), "错误数", "警告数", "状态", CORRECTIONS_HEADER)
FINDING_HEADERS = (*KEY_HEADERS, "规则代码", "规则", "严重程度", "位置", "说明")


class _Sheet:
    """A worksheet written a row at a time, with a bold wrapped header row that stays in view and filters."""

    def __init__(self, book: xlsxwriter.Workbook, name: str, headers: tuple[str, ...], header_format):
        self.sheet = book.add_worksheet(name)
        self.width = len(headers)
        self.rows = 0
        self.sheet.write_row(0, 0, headers, header_format)
        self.sheet.freeze_panes(1, min(2, self.width))
        self.sheet.set_column(0, self.width - 1, 14)

    def append(self, values: Iterable, marked: Iterable[int] = (), mark=None) -> None:
        """A row; the cells at `marked` (a person's corrections) written again in the `mark` format."""
        self.rows += 1
        values = ["" if v is None else v for v in values]
        # write_row sends str to write_string, numbers to write_number and None to a blank: no formula is ever made.
        self.sheet.write_row(self.rows, 0, values)
        for i in marked:
            self.sheet.write(self.rows, i, values[i], mark)

    def close(self) -> None:
        self.sheet.autofilter(0, 0, max(self.rows, 1), self.width - 1)


def write_xlsx(reports: Iterable[dict], out: BinaryIO) -> int:
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_urls": False, "strings_to_numbers": False})
    header = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#F3F5F8"})
    corrected = book.add_format({"bg_color": "#DAFBE1"})  # a value a person corrected (see the 人工更正 column)
    reports_sheet = _Sheet(book, "报告", REPORT_HEADERS, header)
    tables = {name: (_Sheet(book, name, (*KEY_HEADERS, *(c.header for c in cols)), header), cols)
              for name, cols in TABLE_SHEETS.items()}
    findings = _Sheet(book, "问题清单", FINDING_HEADERS, header)
    count = 0
    for report in reports:
        head = head_values(report)
        key = (report.get("agency_id"), head[1], report.get("year"), report.get("version"))
        reports_sheet.append([*head, *findings_counts(report), report.get("status"), corrections_summary(report)])
        live = {cell for cell, c in (report.get("corrections") or {}).items() if not c["stale"]}
        for sheet, columns in tables.values():
            marked = [len(key) + i for i, c in enumerate(columns) if f"{c.table}.{c.row}.{c.column}" in live]
            sheet.append([*key, *(c.value(report) for c in columns)], marked, corrected)
        for f in report.get("findings") or []:
            findings.append([*key, f["rule"], rule_label(f["rule"]), SEVERITY_LABELS.get(f["severity"], f["severity"]),
                             f["where"], f["message"]])
        count += 1
    for sheet in (reports_sheet, *(s for s, _ in tables.values()), findings):
        sheet.close()
    book.close()
    return count
