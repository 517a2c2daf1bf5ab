"""The Excel audit and export, and the wide CSV, read back (openpyxl, csv) and checked value by value against the JSON
that the same commands print."""

from __future__ import annotations

import csv
import json

import openpyxl
import pytest

from nianbao.audit.formats import CSV_COLUMNS
from nianbao.audit.model import LEVEL_LABELS, STATUS_LABELS, STATUSES
from nianbao.audit.render_xlsx import STATUS_FILLS
from nianbao.export.layout import CELL_COLUMNS, HEAD
from nianbao.export.xlsx import FINDING_HEADERS, KEY_HEADERS, REPORT_HEADERS, TABLE_SHEETS
from nianbao.template import SEVERITY_LABELS, rule_label
from tests.test_cli_registry_audit_export import REGISTRY, invoke, store_seed

AS_OF = ("--as-of", "2025-06-01")


@pytest.fixture
def stored(tmp_path, db_url) -> str:
    """The registry with two of its agencies' 2024 reports, one report of another year and one unregistered."""
    registry = tmp_path / "sites.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    assert invoke("sites", "import", str(registry), "--db", db_url)[0] == 0
    store_seed(db_url, "tuoli-county-2024", "xj-tuoli-county")
    store_seed(db_url, "hatu-town-2024", "xj-tuoli-hatu")
    store_seed(db_url, "tuoli-county-2021-webpage", "xj-tuoli-county")
    store_seed(db_url, "tacheng-city-2024", None)
    return db_url


def _json(*args: str):
    code, out, err = invoke(*args)
    assert code == 0, err
    return json.loads(out)


def _rows(sheet) -> list[list]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _cell(value):
    """How a JSON value reads back from the workbook: a blank is None, never 0 or ""."""
    return None if value in (None, "") else value


def test_audit_workbook_matches_the_json_audit(stored, tmp_path):
    book_path = tmp_path / "audit.xlsx"
    code, out, err = invoke("audit", "--year", "2024", *AS_OF, "--format", "xlsx", "--out", str(book_path),
                            "--db", stored)
    assert (code, out, err) == (0, "", "")
    audit = _json("audit", "--year", "2024", *AS_OF, "--format", "json", "--db", stored)
    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames == ["汇总", "机关", "下级完成情况", "未归属报告"]

    agencies = book["机关"]
    rows = _rows(agencies)
    assert tuple(rows[0]) == CSV_COLUMNS
    assert agencies.freeze_panes == "C2" and agencies.auto_filter.ref == f"A1:P{len(audit['rows']) + 1}"
    assert len(rows) - 1 == len(audit["rows"]) == 4
    for line, (values, expected) in enumerate(zip(rows[1:], audit["rows"], strict=True), start=2):
        got = dict(zip(CSV_COLUMNS, values, strict=True))
        assert got["agency_id"] == expected["agency_id"] and got["机关名称"] == expected["agency"]
        assert got["层级"] == LEVEL_LABELS[expected["level"]] and got["所属地区"] == expected["region"]
        assert got["status"] == expected["status"] and got["状态"] == STATUS_LABELS[expected["status"]]
        assert (got["截止日期"], got["发布日期"]) == (expected["deadline"], expected["published"])
        assert got["逾期天数"] == expected["days_late"]
        assert (got["错误数"], got["警告数"]) == (expected["errors"], expected["warnings"])
        assert (got["报告标题"], got["来源网址"]) == (expected["title"], expected["source_url"])
        assert got["站点抓取结果"] == expected["site_outcome"]
        fill = agencies.cell(line, CSV_COLUMNS.index("状态") + 1).fill.fgColor.rgb
        assert fill == "FF" + STATUS_FILLS[expected["status"]].lstrip("#")

    summary = {row[0]: row[1] for row in _rows(book["汇总"])[3:] if row[0]}
    for status in STATUSES:
        assert summary[f"{STATUS_LABELS[status]} ({status})"] == audit["summary"]["by_status"][status]
    assert summary["机关总数"] == audit["summary"]["total"] == 4
    assert summary["未归属到登记机关的报告"] == audit["summary"]["unattributed_reports"] == 1

    hierarchy = _rows(book["下级完成情况"])
    assert [r[0] for r in hierarchy[1:]] == [h["agency_id"] for h in audit["hierarchy"]]
    for values, expected in zip(hierarchy[1:], audit["hierarchy"], strict=True):
        assert values[3] == expected["subordinates"]
        assert values[4:4 + len(STATUSES)] == [expected["by_status"][s] for s in STATUSES]
        assert (values[-2] or "") == "、".join(expected["missing"])
    unclaimed = _rows(book["未归属报告"])
    assert unclaimed[0] == ["发布机关", "发布日期", "报告标题", "来源网址"]
    assert unclaimed[1:] == [[u["agency"], u["published"], u["title"], u["source_url"]] for u in audit["unattributed"]]
    assert [u["agency"] for u in audit["unattributed"]] == ["塔城市人民政府"]


def test_export_workbook_holds_every_value_of_the_json_export(stored, tmp_path):
    book_path = tmp_path / "export.xlsx"
    assert invoke("export", "--format", "xlsx", "--out", str(book_path), "--db", stored)[:2] == (0, "")
    reports = _json("export", "--db", stored)
    book = openpyxl.load_workbook(book_path, read_only=True)
    assert book.sheetnames == ["报告", *TABLE_SHEETS, "问题清单"]
    assert len(reports) == 4

    listed = _rows(book["报告"])
    assert tuple(listed[0]) == REPORT_HEADERS
    for values, report in zip(listed[1:], reports, strict=True):
        head = dict(zip(REPORT_HEADERS, values, strict=True))
        assert [head[h] for h, _ in HEAD[:2]] == [report["agency_id"], report["agency_name"]]
        assert head["年度"] == report["year"] and head["原件 SHA-256"] == report["document_sha256"]
        assert head["状态"] == report["status"]

    placed = 0
    for name, columns in TABLE_SHEETS.items():
        rows = _rows(book[name])
        assert tuple(rows[0]) == (*KEY_HEADERS, *(c.header for c in columns))
        for values, report in zip(rows[1:], reports, strict=True):
            assert values[:4] == [report["agency_id"], report["agency_name"], report["year"], report["version"]]
            assert values[4:] == [_cell(c.value(report)) for c in columns]
            placed += sum(v is not None for v in values[4:])
    # Every cell of every report has a column: the sheets hold as many values as the JSON has non-null cells.
    assert placed == sum(v is not None for r in reports for table in ("active_disclosure", "applications",
                         "review_litigation") for cols in (r.get(table) or {}).values() for v in cols.values())

    findings = _rows(book["问题清单"])
    assert tuple(findings[0]) == FINDING_HEADERS
    expected = [[r["agency_id"], r["agency_name"], r["year"], r["version"], f["rule"], rule_label(f["rule"]),
                 SEVERITY_LABELS[f["severity"]], f["where"], f["message"]] for r in reports for f in r["findings"]]
    assert findings[1:] == expected and expected


def test_wide_csv_has_one_row_per_report_under_the_formats_labels(stored, tmp_path):
    out = tmp_path / "wide.csv"
    assert invoke("export", "--format", "csv", "--layout", "wide", "--out", str(out), "--db", stored)[0] == 0
    reports = _json("export", "--db", stored)
    with out.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0][:len(HEAD)] == [h for h, _ in HEAD] and rows[0][len(HEAD):len(HEAD) + 2] == ["错误数", "警告数"]
    assert rows[0][len(HEAD) + 2:] == [c.header for c in CELL_COLUMNS] + ["人工更正"]
    assert "一、本年新收政府信息公开申请数量：自然人" in rows[0] and "（三）不予公开 1.属于国家秘密：总计" in rows[0]
    assert len(rows) - 1 == len(reports)
    for values, report in zip(rows[1:], reports, strict=True):
        cells = values[len(HEAD) + 2:-1]
        assert cells == ["" if c.value(report) is None else str(c.value(report)) for c in CELL_COLUMNS]
        assert values[-1] == ""  # no corrections
        errors = sum(f["severity"] == "error" for f in report["findings"])
        assert values[len(HEAD)] == str(errors)


def test_workbooks_need_a_file_and_wide_is_for_csv(stored, tmp_path):
    for command in (("audit", "--year", "2024"), ("export",)):
        code, out, err = invoke(*command, "--format", "xlsx", "--db", stored)
        assert code == 2 and out == "" and err == "nianbao: error: --format xlsx writes a workbook: give it a file " \
                                                  "with --out\n"
    code, _, err = invoke("export", "--format", "json", "--layout", "wide", "--db", stored)
    assert code == 2 and err.count("\n") == 1 and "--layout wide is for --format csv" in err
    # A workbook that cannot be written leaves the last good one alone.
    good = tmp_path / "audit.xlsx"
    good.write_bytes(b"last good")
    blocked = tmp_path / ".audit.xlsx.partial"
    blocked.mkdir()  # the temporary file cannot be made
    code, _, err = invoke("audit", "--year", "2024", "--format", "xlsx", "--out", str(good), "--db", stored)
    assert code == 1 and err.startswith(f"nianbao: error: cannot write {good}") and err.count("\n") == 1
    assert good.read_bytes() == b"last good"
