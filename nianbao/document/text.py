"""Plain-text reports (as other tools extract them): tab-separated table rows, or one cell per line."""

from __future__ import annotations

import codecs
import re

from nianbao.document.boilerplate import is_boilerplate_line, is_meta_line, join_lines, read_meta
from nianbao.document.model import Document, Paragraph, Table, located

# Markdown marks that extraction tools put around headings and bold runs; they are not the report's text.
_MARKUP = re.compile(r"^\s*#{1,6}\s*|\*\*")
# Markdown tables: "| 一、本年新收政府信息公开申请数量 | 12 | 0 | … |", under a "|---|---|" rule; a cell's own line
# breaks come as <br>.
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_RULE = re.compile(r"^\s*\|(\s*:?-{3,}:?\s*\|)+\s*$")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
# The header block crawlers write above a page's text ("标题：…", then 发布时间, 来源, 索引号): fields, not the title.
_TITLE_FIELD = re.compile(r"^\s*(?:标题|题目|文章标题)\s*[:：]\s*(?P<title>\S.*)$")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 by BOM, else GB18030 (a superset of GB2312 and GBK)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def read_text(data: bytes) -> Document:
    doc = Document()
    table_rows: list[list[str]] = []
    for number, raw in enumerate(decode(data).splitlines(), 1):
        line = _MARKUP.sub("", raw.rstrip("\r\n"))
        if _PIPE_ROW.match(line):  # a markdown table row (PDF-to-markdown converters)
            if not _PIPE_RULE.match(line):
                table_rows.append(_fields(_pipe_cells(line), number))
            continue
        if "\t" in line:
            table_rows.append(_fields([cell.strip() for cell in line.split("\t")], number))
            continue
        if table_rows:
            doc.blocks.append(Table(table_rows, exact=False))
            table_rows = []
        text = line.strip()
        if not text:
            continue
        if is_boilerplate_line(text) or is_meta_line(text) or _TITLE_FIELD.match(text):
            _keep_meta(doc, text)
            continue
        doc.blocks.append(Paragraph(located(text, line=number)))
    if table_rows:
        doc.blocks.append(Table(table_rows, exact=False))
    return doc


def _fields(cells: list[str], line: int) -> list[str]:
    """A row's cells marked with their line (counted from 1) and field (counted from 0) in the text."""
    return [located(cell, line=line, field=k) for k, cell in enumerate(cells)]


def _keep_meta(doc: Document, text: str) -> None:
    """A line of fields: kept as the document's metadata (a printed title still wins over a 标题 field)."""
    title = _TITLE_FIELD.match(text)
    if title:
        doc.meta.setdefault("title", title.group("title").strip())
        return
    for key, value in read_meta(text).items():
        doc.meta.setdefault(key, value)


def _pipe_cells(line: str) -> list[str]:
    """The cells of a markdown row; a <br> inside a cell is a line break in it (none between Chinese characters)."""
    cells = line.strip()[1:-1].split("|")
    return [join_lines([part.strip() for part in _BREAK.split(cell)]) for cell in cells]
