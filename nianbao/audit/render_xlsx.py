"""The audit as an Excel workbook for the offices that act on it: a summary sheet, every agency on one sheet (the
CSV's Chinese columns, the status cell coloured, header row frozen, filters on), the subordinates' completeness, and
the reports no registered agency claims."""

from __future__ import annotations

from typing import BinaryIO

import xlsxwriter

from nianbao.audit.formats import CSV_COLUMNS, row_values
from nianbao.audit.model import LEVEL_LABELS, STATUS_LABELS, STATUSES, AuditResult

# Light fills that keep black text readable; the hues follow the HTML page's status colours.
STATUS_FILLS: dict[str, str] = {
    "published": "#C8E6C9", "published_late": "#FFE0B2", "missing": "#FFCDD2", "not_due": "#EEEEEE",
    "unparseable": "#E1BEE7", "not_stored": "#F8BBD0", "unreachable": "#B3E5FC",
}
STATUS_COLUMN = CSV_COLUMNS.index("状态")
UNATTRIBUTED_HEADERS = ("发布机关", "发布日期", "报告标题", "来源网址")
HIERARCHY_HEADERS = ("机关代码", "机关名称", "层级", "下级机关数", *(STATUS_LABELS[s] for s in STATUSES),
                     "未发布的下级", "逾期发布的下级")


def write_xlsx(result: AuditResult, out: BinaryIO) -> None:
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_urls": False, "strings_to_numbers": False})
    formats = {"header": book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#F3F5F8"}),
               "title": book.add_format({"bold": True, "font_size": 14}),
               **{s: book.add_format({"bg_color": fill}) for s, fill in STATUS_FILLS.items()}}
    _summary(book.add_worksheet("汇总"), result, formats)
    _agencies(book.add_worksheet("机关"), result, formats)
    _hierarchy(book.add_worksheet("下级完成情况"), result, formats)
    _unattributed(book.add_worksheet("未归属报告"), result, formats)
    book.close()


def _table(sheet, top: int, headers, rows, formats) -> int:
    """Headers and rows from line `top`; returns the next free line, one blank line below."""
    sheet.write_row(top, 0, headers, formats["header"])
    for i, row in enumerate(rows, start=top + 1):
        sheet.write_row(i, 0, row)
    return top + len(rows) + 2


def _summary(sheet, result: AuditResult, formats) -> None:
    summary = result.summary
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, len(STATUSES) + 1, 11)
    sheet.write(0, 0, f"{result.year} 年度政府信息公开工作年度报告发布情况", formats["title"])
    top = _table(sheet, 2, ("项目", "数量"), [
        ("核查日期", result.as_of.isoformat()), ("机关总数", summary.total),
        *((f"{STATUS_LABELS[s]} ({s})", summary.by_status[s]) for s in STATUSES),
        ("报告有解析错误的机关", summary.with_errors), ("有核查提示的机关", summary.with_checks),
        ("未归属到登记机关的报告", summary.unattributed_reports),
    ], formats)
    status_headers = tuple(STATUS_LABELS[s] for s in STATUSES)
    top = _table(sheet, top, ("层级", *status_headers, "合计"), [
        (LEVEL_LABELS.get(level, level), *(counts[s] for s in STATUSES), sum(counts.values()))
        for level, counts in summary.by_level.items()], formats)
    _table(sheet, top, ("地区", *status_headers, "合计"), [
        (summary.region_names[rid], *(counts[s] for s in STATUSES), sum(counts.values()))
        for rid, counts in summary.by_region.items()], formats)


def _agencies(sheet, result: AuditResult, formats) -> None:
    sheet.write_row(0, 0, CSV_COLUMNS, formats["header"])
    sheet.freeze_panes(1, 2)  # the header row and the agency's id and name stay in view
    sheet.set_column(0, len(CSV_COLUMNS) - 1, 12)
    sheet.set_column(1, 1, 28)
    for i, row in enumerate(result.rows, start=1):
        sheet.write_row(i, 0, ["" if v is None else v for v in row_values(row)])
        sheet.write_string(i, STATUS_COLUMN, STATUS_LABELS[row.status], formats[row.status])
    sheet.autofilter(0, 0, max(len(result.rows), 1), len(CSV_COLUMNS) - 1)


def _hierarchy(sheet, result: AuditResult, formats) -> None:
    sheet.freeze_panes(1, 2)
    sheet.set_column(1, 1, 28)
    rows = [(c.agency_id, c.name, LEVEL_LABELS.get(c.level, c.level), c.total, *(c.counts[s] for s in STATUSES),
             "、".join(c.missing), "、".join(c.late)) for c in result.completeness]
    _table(sheet, 0, HIERARCHY_HEADERS, rows, formats)
    sheet.autofilter(0, 0, max(len(rows), 1), len(HIERARCHY_HEADERS) - 1)


def _unattributed(sheet, result: AuditResult, formats) -> None:
    """The year's reports that no registered agency claims, under the name they were published by."""
    sheet.freeze_panes(1, 1)
    sheet.set_column(0, 0, 28)
    sheet.set_column(2, 3, 40)
    rows = [(r.agency_name, r.published.isoformat() if r.published else None, r.title, r.source_url)
            for r in result.unattributed]
    _table(sheet, 0, UNATTRIBUTED_HEADERS, rows, formats)
