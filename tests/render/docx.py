"""Renders report data into the official 2021 format (the blank DOCX agencies receive), filled with python-docx."""

from __future__ import annotations

import datetime
from pathlib import Path

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from tests.render.report_data import SHARED, active_cells, application_cells, cell_text, review_cells

TEMPLATE = SHARED / "template" / "official-format-2021.docx"
_TEMPLATE_TITLE = "政府信息公开工作年度报告格式模板"
_NUMERALS = "一二三四五六"


def render_docx(report: dict, path: Path) -> Path:
    """Fill the template: title, the prose under each heading, every table cell; the merged cells stay as they are."""
    document = docx.Document(str(TEMPLATE))
    document.core_properties.title = report["title"]
    for paragraph in document.paragraphs:
        if paragraph.text.strip() == _TEMPLATE_TITLE:
            _set_paragraph_text(paragraph, report["title"])
    _fill_sections(document, report)
    active, applications, review = document.tables
    _fill_active(active, report)
    _fill_applications(applications, report)
    _fill_review(review, report)
    published = datetime.date.fromisoformat(report["published"])
    document.add_paragraph(report["agency"])
    document.add_paragraph(f"{published.year}年{published.month}月{published.day}日")
    document.save(str(path))
    return path


def _fill_sections(document: docx.document.Document, report: dict) -> None:
    """Replace each heading's "（文字描述…）" placeholder by the section's prose paragraphs."""
    headings = {p.text.strip()[:1]: p for p in document.paragraphs if p.text.strip()[1:2] == "、"}
    for number, texts in report["sections"].items():
        heading = headings[_NUMERALS[number - 1]]
        following = heading._p.getnext()
        if following is not None and Paragraph(following, heading._parent).text.startswith("（文字描述"):
            following.getparent().remove(following)
        anchor = heading._p
        for text in texts:
            p = OxmlElement("w:p")
            anchor.addnext(p)
            Paragraph(p, heading._parent).add_run(text)
            anchor = p


def _fill_active(table: docx.table.Table, report: dict) -> None:
    rows = {_texts(tr)[0]: tr for tr in table._tbl.tr_lst}
    for _key, label, values in active_cells(report):
        _fill_values(rows[label], values, table)


def _fill_applications(table: docx.table.Table, report: dict) -> None:
    rows = {text: tr for tr in table._tbl.tr_lst for text in _texts(tr)[:-7] if text}
    for key, label, values in application_cells(report):
        if label not in rows:
            raise ValueError(f"the official format has no row {label!r} ({key}); render such a report another way")
        _fill_values(rows[label], values, table)


def _fill_review(table: docx.table.Table, report: dict) -> None:
    _fill_values(table._tbl.tr_lst[-1], review_cells(report), table)


def _fill_values(tr, values: list, table: docx.table.Table) -> None:
    """Write the values into the row's last cells (a value cell spanning columns is still one w:tc)."""
    for tc, value in zip(tr.tc_lst[-len(values):], values, strict=True):
        cell = _Cell(tc, table)
        _set_paragraph_text(cell.paragraphs[0], cell_text(value))


def _texts(tr) -> list[str]:
    return ["".join(t.text or "" for t in tc.iter(qn("w:t"))).strip() for tc in tr.tc_lst]


def _set_paragraph_text(paragraph: Paragraph, text: str) -> None:
    """Replace the paragraph's runs by one run of text, keeping the paragraph's own formatting."""
    for run in paragraph._p.r_lst:
        paragraph._p.remove(run)
    if text:
        paragraph.add_run(text)
