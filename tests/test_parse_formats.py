"""The seeds rendered into the real formats (Word-style PDF, DOCX from the official template, Word-pasted HTML with
site chrome, GBK without a charset) parse back to every printed cell, blanks as null, with no false findings."""

from __future__ import annotations

import pytest

from nianbao.report.parse import parse_file
from tests.parse_helpers import mismatches, rules
from tests.render.docx import render_docx
from tests.render.html import render_html
from tests.render.pdf import render_image_pdf, render_pdf
from tests.render.report_data import SEED_NAMES, seed_report

ARITHMETIC = {"balance", "row_total", "handled_total", "review_total", "litigation_direct_total",
              "litigation_after_review_total", "missing_table"}
CHROME = ("您的位置", "打印", "分享到", "用户登录", "关闭", "字号", "网站标识码", "ICP备")


def _html(report, path, **kwargs):
    path.write_bytes(render_html(report, **kwargs))
    return path


RENDERERS = {
    "pdf": lambda report, tmp: render_pdf(report, tmp / "r.pdf"),
    "pdf-split-table": lambda report, tmp: render_pdf(report, tmp / "r.pdf", split_table=True),
    "docx": lambda report, tmp: render_docx(report, tmp / "r.docx"),
    "html": lambda report, tmp: _html(report, tmp / "r.html"),
    "html-gbk-no-charset": lambda report, tmp: _html(report, tmp / "r.htm", encoding="gbk", declare_charset=False),
}


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
@pytest.mark.parametrize("name", SEED_NAMES)
def test_rendered_report_parses_back(tmp_path, name, fmt):
    report = seed_report(name)
    parsed = parse_file(RENDERERS[fmt](report, tmp_path))
    assert mismatches(parsed, report) == []
    assert not rules(parsed) & (ARITHMETIC | {"cell_count"})
    assert parsed["title"] == report["title"]
    assert "六、其他需要报告的事项" in parsed["text"]


@pytest.mark.parametrize("fmt", ["html", "html-gbk-no-charset"])
def test_html_page_chrome_is_gone_and_its_metadata_kept(tmp_path, fmt):
    report = seed_report("tacheng-city-2024")
    parsed = parse_file(RENDERERS[fmt](report, tmp_path))
    assert parsed["published"] == report["published"]
    assert parsed["index_no"]
    for chrome in CHROME:
        assert chrome not in parsed["text"], chrome


def test_image_only_pdf_is_a_finding_not_garbage(tmp_path):
    parsed = parse_file(render_image_pdf(tmp_path / "scan.pdf"))
    assert {"no_text_layer", "missing_table"} <= rules(parsed)
    assert parsed["applications"] == {} and parsed["text"].strip() == ""


@pytest.mark.parametrize("name", SEED_NAMES)
def test_pdf_prose_comes_back_as_whole_paragraphs(tmp_path, name):
    """Word wraps paragraphs at the right margin and across pages; the reader joins them back (headings stay apart)."""
    report = seed_report(name)
    parsed = parse_file(render_pdf(report, tmp_path / "r.pdf"))
    lines = parsed["text"].splitlines()
    whole = [p for ps in report["sections"].values() for p in ps if p.replace(" ", "") in
             {line.replace(" ", "") for line in lines}]
    prose = [p for ps in report["sections"].values() for p in ps]
    assert whole == prose  # also those that a page break splits
    assert "一、总体情况" in lines and "六、其他需要报告的事项" in lines
