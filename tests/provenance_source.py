"""Reading a cell's printed text back from its source file at the place the parse JSON's provenance names: the tests'
independent check that a provenance entry points at the value (nianbao's readers are not used to find the place)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
import pdfplumber
from docx.oxml.ns import qn
from lxml import etree

from nianbao.document.html import decode_html
from nianbao.document.text import decode


class Source:
    """One report file, opened once, read at the places provenance entries name."""

    def __init__(self, path: Path):
        self.data = path.read_bytes()
        self.pdf = pdfplumber.open(io.BytesIO(self.data)) if self.data.startswith(b"%PDF") else None

    def close(self) -> None:
        if self.pdf is not None:
            self.pdf.close()

    def text_at(self, at: dict) -> str:
        """The text printed at `at`: a PDF box, an HTML or DOCX table cell, a text line's field, an OFD text
        object."""
        if "bbox" in at:
            return _pdf_box(self.pdf, at["page"], at["bbox"])
        if "boundary" in at:
            return _ofd_object(self.data, at["page"], at["boundary"])
        if "table" in at and self.data.startswith(b"PK"):
            return _docx_cell(self.data, at["table"], at["row"], at["cell"])
        if "table" in at:
            return _html_cell(self.data, at["table"], at["row"], at["cell"])
        return _text_field(self.data, at["line"], at.get("field"))


def _pdf_box(pdf, page_number: int, bbox: list[float]) -> str:
    page = pdf.pages[page_number - 1]
    x0, y0, x1, y1 = bbox
    return page.within_bbox((x0 - 0.5, page.height - y1 - 0.5, x1 + 0.5, page.height - y0 + 0.5)).extract_text()


def _html_cell(data: bytes, table: int, row: int, cell: int) -> str:
    root = etree.fromstring(decode_html(data), etree.HTMLParser())
    tr = list(root.iter("table"))[table].xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")[row]
    return tr.xpath("./td | ./th")[cell].xpath("string()")


def _docx_cell(data: bytes, table: int, row: int, cell: int) -> str:
    body = docx.Document(io.BytesIO(data)).element.body
    tr = list(list(body.iter(qn("w:tbl")))[table].iterchildren(qn("w:tr")))[row]
    tc = tr.xpath("./w:tc | ./w:sdt/w:sdtContent/w:tc")[cell]
    return "".join(t.text or "" for t in tc.iter(qn("w:t")))


def _text_field(data: bytes, line: int, field: int | None) -> str:
    text = decode(data).splitlines()[line - 1]
    if field is None:
        return text
    if text.strip().startswith("|"):
        return re.sub(r"<br\s*/?>", "", text.strip()[1:-1].split("|")[field])
    return text.split("\t")[field]


def _ofd_object(data: bytes, page_number: int, boundary: list[float]) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        pages = sorted((n for n in archive.namelist() if n.endswith("Content.xml")),
                       key=lambda n: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", n)])
        page = etree.fromstring(archive.read(pages[page_number - 1]))
    for obj in page.iter("{*}TextObject"):
        if [float(v) for v in obj.get("Boundary").split()] == boundary:
            return "".join(code.text or "" for code in obj.iter("{*}TextCode"))
    raise LookupError(f"no text object at {boundary} on page {page_number}")
