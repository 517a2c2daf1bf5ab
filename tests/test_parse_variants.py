"""Real-report variants that once misled the parser: tables of contents, stale file titles, blank rows, 其它/合计,
year-first titles, table 四 without table 三."""

from __future__ import annotations

import docx
import pytest

from nianbao.report.meta import agency_of, year_of
from nianbao.report.parse import parse_bytes, parse_file
from tests.parse_helpers import mismatches, rules
from tests.render.docx import render_docx
from tests.render.report_data import seed_report
from tests.render.text import render_text

HEADINGS = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]


@pytest.fixture
def text() -> str:
    return render_text(seed_report("jiaxian-county-2024")).decode()


def parse(text: str) -> dict:
    return parse_bytes(text.encode(), name="r.txt")


def test_table_of_contents_does_not_hide_the_tables(text):
    title, rest = text.split("\n", 1)
    parsed = parse(title + "\n目录\n" + "\n".join(HEADINGS) + "\n" + rest)
    assert parsed["active_disclosure"]["licensing"]["decisions"] == 74833
    assert parsed["review_litigation"]["review"]["total"] == 7
    assert not rules(parsed) & {"missing_table", "missing_section"}


@pytest.mark.parametrize(("title", "agency", "year"), [
    ("2024年郏县人民政府信息公开工作年度报告", "郏县人民政府", 2024),
    ("2024年度堂街镇人民政府政府信息公开工作年度报告", "堂街镇人民政府", 2024),
    ("二〇二四年郏县财政局政府信息公开工作年度报告", "郏县财政局", 2024),
    ("关于郏县人民政府2024年政府信息公开工作年度报告", "郏县人民政府", 2024),
    ("郏县财政局政府信息公开工作年度报告（2024年）", "郏县财政局", 2024),
    ("郏县人民政府政府信息公开工作2024年度报告", "郏县人民政府", 2024),
])
def test_title_forms(title, agency, year):
    assert (agency_of(title), year_of(title, "")) == (agency, year)


def test_agency_on_its_own_line_above_the_title(text):
    title = "郏县人民政府2024年政府信息公开工作年度报告"
    parsed = parse(text.replace(title, "郏县人民政府\n2024年政府信息公开工作年度报告", 1))
    assert (parsed["agency"], parsed["year"]) == ("郏县人民政府", 2024)


def test_printed_title_beats_a_stale_file_title(tmp_path):
    path = render_docx(seed_report("jiaxian-county-2024"), tmp_path / "r.docx")
    document = docx.Document(str(path))
    document.core_properties.title = "郏县财政局2022年政府信息公开工作年度报告"  # last year's file, reused
    document.save(str(path))
    parsed = parse_file(path)
    assert (parsed["agency"], parsed["year"]) == ("郏县人民政府", 2024)


def test_other_spellings_of_labels(text):
    parsed = parse(text.replace("3.其他\t", "3.其它\t").replace("（七）总计\t", "（七）合计\t"))
    apps = parsed["applications"]
    assert apps["other_other"]["total"] == 0 and apps["handled_total"]["total"] == 36
    assert not rules(parsed) & {"lost_row", "cell_count", "unknown_row"}


def test_unknown_row_with_numbers_is_reported(text):
    parsed = parse(text.replace("2.重复申请\t", "2.重复提交\t"))
    assert "unknown_row" in rules(parsed)


def test_table_four_is_never_read_from_the_top(text):
    head, rest = text.split("三、收到和处理政府信息公开申请情况\n")
    _, tail = rest.split("四、政府信息公开行政复议、行政诉讼情况\n")
    parsed = parse(head + "三、收到和处理政府信息公开申请情况\n[图片]\n四、行政复议和诉讼情况\n" + tail)
    assert parsed["review_litigation"]["review"]["total"] == 7
    assert parsed["review_litigation"]["litigation_direct"]["total"] == 0


def test_a_row_printed_blank_is_null_not_recovered():
    from tests.render.html import render_html

    report = seed_report("jiaxian-county-2024")
    report["applications"]["denied_state_secret"] = dict.fromkeys(report["applications"]["new"])
    parsed = parse_bytes(render_html(report), name="r.html")
    assert set(parsed["applications"]["denied_state_secret"].values()) == {None}
    assert "lost_row" not in rules(parsed) and "blank_cell" in rules(parsed)


@pytest.mark.parametrize("layout", ["tabs", "lines", "markdown"])
def test_a_lone_number_between_rows_never_becomes_a_cell(layout):
    """A page number or stray figure a converter leaves between two rows: dropped, never read into a column."""
    report = seed_report("jiaxian-county-2024")
    lines = []
    for line in render_text(report, layout=layout).decode().splitlines():
        lines.append(line)
        if line.strip("| ").startswith(("（一）予以公开", "2.重复申请")):
            lines.append("3")
    parsed = parse_bytes("\n".join(lines).encode(), name="r.txt")
    assert mismatches(parsed, report, blanks_null=layout != "tabs") == []
    extra = [f for f in parsed["findings"] if f["rule"] == "cell_count"]
    # In a cell-a-line text the stray number joins the row's numbers; the row's own sum leaves it out, and says so.
    assert all("8 numbers for 7 columns" in f["message"] for f in extra) and (layout == "lines") == bool(extra)
