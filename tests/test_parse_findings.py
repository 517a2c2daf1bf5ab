"""Each finding rule, on a consistent report broken in one place; and the cell values the format allows."""

from __future__ import annotations

import copy

import pytest

from nianbao.report.parse import parse_bytes
from tests.parse_helpers import rules
from tests.render.report_data import seed_report
from tests.render.text import render_text

ARITHMETIC_RULES = {"balance", "row_total", "handled_total", "review_total", "litigation_direct_total",
                    "litigation_after_review_total"}


@pytest.fixture
def report():
    return copy.deepcopy(seed_report("jiaxian-county-2024"))  # every cell known, every sum holds


def parse(report: dict, layout: str = "tabs") -> dict:
    return parse_bytes(render_text(report, layout=layout), name="report.txt")


def findings(parsed: dict, rule: str) -> list[dict]:
    return [f for f in parsed["findings"] if f["rule"] == rule]


def test_consistent_report_raises_no_arithmetic_finding(report):
    assert not rules(parse(report)) & (ARITHMETIC_RULES | {"cell_count", "missing_table"})


def test_balance(report):
    report["applications"]["carried_forward"].update(natural_person=1, total=1)
    parsed = parse(report)
    wheres = {f["where"] for f in findings(parsed, "balance")}
    assert wheres == {"applications.natural_person", "applications.total"}
    assert "row_total" not in rules(parsed)
    total = next(f for f in findings(parsed, "balance") if f["where"] == "applications.total")
    assert total["message"] == "一+二 = 36 but 三(七)+四 = 37"
    assert total["severity"] == "error"


def test_row_total(report):
    report["applications"]["denied_query"]["total"] = 2
    parsed = parse(report)
    assert [f["where"] for f in findings(parsed, "row_total")] == ["applications.denied_query"]
    assert parsed["applications"]["denied_query"]["total"] == 2  # reported as printed, never corrected


def test_handled_total(report):
    report["applications"]["handled_total"].update(natural_person=34, total=35)
    parsed = parse(report)
    wheres = {f["where"] for f in findings(parsed, "handled_total")}
    assert wheres == {"applications.handled_total.natural_person", "applications.handled_total.total"}
    assert "row_total" not in rules(parsed)


@pytest.mark.parametrize(("group", "rule"), [("review", "review_total"),
                                             ("litigation_direct", "litigation_direct_total"),
                                             ("litigation_after_review", "litigation_after_review_total")])
def test_review_and_litigation_totals(report, group, rule):
    report["review_litigation"][group]["upheld"] += 1
    parsed = parse(report)
    assert [f["where"] for f in findings(parsed, rule)] == [f"review_litigation.{group}"]
    assert not rules(parsed) & (ARITHMETIC_RULES - {rule})


NOT_HELD = "1.本机关不掌握相关政府信息\t8\t0\t0\t0\t0\t1\t9"
GRANTED = "（一）予以公开\t12\t0\t0\t0\t0\t0\t12"


def test_cell_count_lost_cell_is_recovered_from_the_row_sum(report):
    text = render_text(report).decode().replace("重复申请\t2\t0\t0\t0\t0\t0\t2", "重复申请\t2\t0\t0\t0\t0\t2")
    parsed = parse_bytes(text.encode(), name="r.txt")
    assert parsed["applications"]["rejected_duplicate"] == {
        "natural_person": 2, "commercial": 0, "research": 0, "public_welfare": 0, "legal_service": 0, "other_org": 0,
        "total": 2}
    assert [f["where"] for f in findings(parsed, "cell_count")] == ["applications.rejected_duplicate"]
    assert not rules(parsed) & ARITHMETIC_RULES


def test_cell_count_ambiguous_cells_are_left_null(report):
    text = render_text(report).decode()
    text = text.replace(NOT_HELD, "1.本机关不掌握相关政府信息\t8\t0\t0\t0\t1\t9")
    text = text.replace(GRANTED, "（一）予以公开\t12\t0\t0\t0\t0\t12")
    parsed = parse_bytes(text.encode(), name="r.txt")
    not_held, granted = parsed["applications"]["unable_not_held"], parsed["applications"]["granted"]
    assert not_held["total"] == 9 and granted["total"] == 12
    # Two rows lost a cell each: neither their own sums nor the columns' can tell which cell went missing.
    assert not_held["other_org"] is None and not_held["legal_service"] is None
    assert granted["natural_person"] is None and granted["commercial"] is None
    assert len(findings(parsed, "cell_count")) == 2
    assert not rules(parsed) & ARITHMETIC_RULES


def test_cell_count_extra_cells(report):
    text = render_text(report).decode()
    text = text.replace("（七）总计\t35\t0\t0\t0\t0\t1\t36", "（七）总计\t35\t0\t0\t0\t0\t1\t36\t0\t0")
    parsed = parse_bytes(text.encode(), name="r.txt")
    assert parsed["applications"]["handled_total"]["natural_person"] == 35
    assert parsed["applications"]["handled_total"]["total"] == 36
    assert findings(parsed, "cell_count")


def test_missing_table_when_table_is_an_image(report):
    text = render_text(report).decode()
    head, rest = text.split("三、收到和处理政府信息公开申请情况\n")
    _, tail = rest.split("四、政府信息公开行政复议、行政诉讼情况\n")
    text = head + "三、收到和处理政府信息公开申请情况\n[图片]\n四、政府信息公开行政复议、行政诉讼情况\n" + tail
    parsed = parse_bytes(text.encode(), name="r.txt")
    assert [f["where"] for f in findings(parsed, "missing_table")] == ["applications"]
    assert parsed["applications"] == {}
    assert parsed["review_litigation"]["review"]["total"] == 7


def test_blank_cell_is_null_not_zero(report):
    text = render_text(report).decode()
    text = text.replace("2.重复申请\t2\t0\t0\t0\t0\t0\t2", "2.重复申请\t2\t\t0\t0\t0\t0\t2")
    parsed = parse_bytes(text.encode(), name="r.txt")
    assert parsed["applications"]["rejected_duplicate"]["commercial"] is None
    assert findings(parsed, "blank_cell")
    assert "row_total" not in rules(parsed)


SPELLINGS = [("00", 0), ("-", 0), ("/", 0), ("74,833", 74833), ("７４８３３", 74833)]


@pytest.mark.parametrize(("printed", "value"), SPELLINGS)
def test_cell_spellings(report, printed, value):
    text = render_text(report).decode().replace("行政许可\t74833", f"行政许可\t{printed}")
    assert parse_bytes(text.encode(), name="r.txt")["active_disclosure"]["licensing"]["decisions"] == value


def test_fee_in_yuan_is_read_in_wanyuan(report):
    text = render_text(report).decode().replace("行政事业性收费\t2561.768", "行政事业性收费\t251000元")
    parsed = parse_bytes(text.encode(), name="r.txt")
    assert parsed["active_disclosure"]["fees"]["amount"] == pytest.approx(25.1)
    assert findings(parsed, "unit_converted")


def test_label_variants_and_typos(report):
    text = render_text(report).decode()
    text = text.replace("2.其他法律行政法规禁止公开", "2．其他法律行政止公开")  # a typo seen in real reports
    text = text.replace("3.危及“三安全一稳定”", '3. 危及"三安全 一稳定"')
    text = text.replace("（一）予以公开", "(一) 予以公开")
    text = text.replace("行政规范性文件", "规范性文件").replace("规章\t", "规章（件）\t")
    parsed = parse_bytes(text.encode(), name="r.txt")
    assert parsed["applications"]["denied_law_prohibited"]["total"] == 0
    assert parsed["applications"]["denied_three_safeties"]["total"] == 0
    assert parsed["applications"]["granted"]["total"] == 12
    assert parsed["active_disclosure"]["normative_documents"] == {"issued": 3, "repealed": 10, "in_force": 31}
    assert parsed["active_disclosure"]["rules"] == {"issued": 0, "repealed": 0, "in_force": 0}


def test_single_other_handling_row(report):
    text = render_text(report).decode()
    lines = [ln for ln in text.splitlines() if not ln.startswith(("1.申请人无正当理由", "2.申请人逾期未按", "3.其他"))]
    total_row = lines.index(next(ln for ln in lines if ln.startswith("（七）总计")))
    lines.insert(total_row, "（六）其他处理\t0\t0\t0\t0\t0\t0\t0")
    parsed = parse_bytes("\n".join(lines).encode(), name="r.txt")
    assert parsed["applications"]["other_handling"]["total"] == 0
    assert "other_other" not in parsed["applications"]
    assert not rules(parsed) & ARITHMETIC_RULES


def test_year_agency_and_template_come_from_the_report(report):
    report["title"] = "2023年度郏县人民政府政府信息公开工作年度报告"
    parsed = parse(report)
    assert (parsed["agency"], parsed["year"], parsed["template"]) == ("郏县人民政府", 2023, "2021")
