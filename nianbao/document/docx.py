"""Reads a DOCX report: body paragraphs and tables in document order, merged cells expanded onto a grid."""

from __future__ import annotations

import copy
import io
import re
import zipfile
import zlib

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from lxml import etree

from nianbao.document import boilerplate
from nianbao.document.model import SPANNED, Block, Document, Finding, Paragraph, Table, UnreadableInput, located

_P, _TBL, _TR, _SDT, _SDT_CONTENT = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:sdt"), qn("w:sdtContent")
_TEXT = {qn("w:t"): None, qn("w:tab"): " ", qn("w:br"): "\n", qn("w:cr"): "\n", qn("w:noBreakHyphen"): "-"}
# Choice and Fallback of mc:AlternateContent hold the same text box twice; read only the Choice.
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Core-property titles that are not the report's: Word's defaults, file names, the blank format's own title.
_GENERIC_TITLE = re.compile(r"^(Microsoft Word - |文档|新建|Document|Untitled)|\.(docx?|wps)$|模板|格式", re.IGNORECASE)
# A cell this long is a frame around the report, not a value: the table around it is layout.
_LAYOUT_CELL_CHARS = 300

# Limits on the package, checked before python-docx inflates it whole (it reads every part in one go, and parses XML
# into a tree some 20 times the XML's size). Word's document.xml for a hundred pages is a few MiB and deflates 5-20:1;
# pictures hardly deflate at all and the input is at most 50 MiB. A ZIP bomb needs the ratios near deflate's 1032:1.
MAX_PART_BYTES = 32 * 2**20
MAX_PACKAGE_BYTES = 128 * 2**20
MAX_RATIO = 100  # inflated : deflated, for parts that inflate past RATIO_FLOOR
RATIO_FLOOR = 2**20
MAX_PARTS = 5000  # Word writes a few dozen parts, one more per picture
_CHUNK = 2**20


def read_docx(data: bytes) -> Document:
    """The document's body as blocks; meta["title"] from the core properties when it names the report."""
    try:
        check_package(data)
        document = docx.Document(io.BytesIO(data))
    except (
        PackageNotFoundError,
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        KeyError,
        ValueError,
        etree.XMLSyntaxError,
    ) as exc:
        raise UnreadableInput(f"not a readable Word document: {_reason(exc)}") from exc
    body = document.element.body
    numbers = {tbl: n for n, tbl in enumerate(body.iter(_TBL))}  # holding the elements keeps their proxies
    doc = Document(blocks=_blocks(body, numbers))
    title = boilerplate.fold(document.core_properties.title or "")
    if len(title) >= 6 and not _GENERIC_TITLE.search(title):
        doc.meta["title"] = title
    if not doc.blocks:
        doc.findings.append(Finding.of("no_text_layer", "document", _no_text_message(document)))
    return doc


def check_package(data: bytes) -> None:
    """Refuse a package that would inflate past the limits; the sizes its headers declare are checked first, then
    every part is inflated once, a chunk at a time, to prove that it inflates to no more than it declares."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        parts = package.infolist()
        if len(parts) > MAX_PARTS:
            raise _refused(f"{len(parts)} parts in the package (at most {MAX_PARTS})")
        for info in parts:
            _check_declared(info)
        total = sum(info.file_size for info in parts)
        if total > MAX_PACKAGE_BYTES:
            raise _refused(f"the package would inflate to {_mib(total)} (at most {_mib(MAX_PACKAGE_BYTES)})")
        for info in parts:
            if _inflated_size(package, info) > info.file_size:
                raise _refused(f"{info.filename} inflates past the size its ZIP header declares: a forged package")


def _check_declared(info: zipfile.ZipInfo) -> None:
    # zipfile inflates other methods (bzip2, LZMA) without a bound; Word, WPS and LibreOffice write only these two.
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _refused(f"{info.filename} is compressed by method {info.compress_type}, which no word processor uses")
    if info.flag_bits & 0x1:
        raise _refused(f"{info.filename} is encrypted")
    if info.file_size > MAX_PART_BYTES:
        raise _refused(f"{info.filename} would inflate to {_mib(info.file_size)} (at most {_mib(MAX_PART_BYTES)}): "
                       "a ZIP bomb")
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        ratio = info.file_size // max(info.compress_size, 1)
        raise _refused(f"{info.filename} inflates {ratio}:1 (at most {MAX_RATIO}:1): a ZIP bomb")


def _inflated_size(package: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """What the part really inflates to, up to one byte past its declared size. zipfile stops at the declared size
    when reading in chunks, but inflates all it is given at once when a part is read whole, as python-docx does."""
    probe = copy.copy(info)
    probe.file_size = info.file_size + 1
    size = 0
    with package.open(probe) as part:
        while size <= info.file_size and (chunk := part.read(_CHUNK)):
            size += len(chunk)
    return size


def _refused(cause: str) -> UnreadableInput:
    return UnreadableInput(f"not a readable Word document: {cause}")


def _mib(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"


def _no_text_message(document: docx.document.Document) -> str:
    pictures = len(document.element.body.xpath(".//w:drawing | .//w:pict"))
    if pictures:
        return f"no text in the Word document, only {pictures} picture(s): a scanned or image-only report"
    return "no text in the Word document's body"


def _reason(exc: Exception) -> str:
    """What python-docx and zipfile said, as one short line."""
    message = boilerplate.fold(str(exc).strip("'\""))
    if isinstance(exc, zipfile.BadZipFile) and "CRC" in message:
        return f"a part is damaged or forged ({exc})"
    if isinstance(exc, PackageNotFoundError | zipfile.BadZipFile | zlib.error | EOFError):
        return "not a complete DOCX (ZIP) package"
    if isinstance(exc, etree.XMLSyntaxError):
        return f"broken XML inside the package ({message})"
    content_type = re.search(r"content type is '([^']+)'", message)
    if content_type:
        return f"the package is not a Word document but {content_type.group(1)}"
    return message or type(exc).__name__


def _blocks(container: etree._Element, numbers: dict[etree._Element, int]) -> list[Block]:
    """Paragraphs and tables directly in a body or cell, in order; content controls and layout tables opened.
    numbers: each table's place among the document's tables (w:tbl in document order, from 0)."""
    out: list[Block] = []
    for el in container.iterchildren():
        if el.tag == _P:
            out.extend(Paragraph(line) for line in _paragraph_lines(el))
        elif el.tag == _TBL and _is_layout_table(el):
            for tc in _cells(el):
                out.extend(_blocks(tc, numbers))
        elif el.tag == _TBL:
            out.append(Table(_grid(el, numbers.get(el))))
        elif el.tag == _SDT and el.find(_SDT_CONTENT) is not None:
            out.extend(_blocks(el.find(_SDT_CONTENT), numbers))
    return out


def _paragraph_lines(p: etree._Element) -> list[str]:
    """A paragraph's text; a manual line break (w:br) ends a line, as <br> does on a web page."""
    pieces: list[str] = []
    for el in p.iter(*_TEXT):
        if any(a.tag == _FALLBACK for a in el.iterancestors()):
            continue
        pieces.append(el.text or "" if _TEXT[el.tag] is None else _TEXT[el.tag])
    return [line for line in map(boilerplate.fold, "".join(pieces).split("\n")) if line]


def _is_layout_table(tbl: etree._Element) -> bool:
    """A table framing the report (one cell, nested tables, a cell of running text): read through it."""
    cells = _cells(tbl)
    return (
        len(cells) <= 1
        or any(t is not tbl for t in tbl.iter(_TBL))
        or any(len(_cell_text(tc)) > _LAYOUT_CELL_CHARS for tc in cells)
    )


def _grid(tbl: etree._Element, number: int | None = None) -> list[list[str | None]]:
    """Rows on the table's grid: gridSpan covers columns, vMerge continuation covers rows; covered cells SPANNED.
    Each cell's text says where it stands: the table's number, the w:tr's among the table's rows and the w:tc's
    among the row's cells (from 0)."""
    grid = []
    for r, tr in enumerate(tbl.iterchildren(_TR)):
        row: list[str | None] = [""] * _tr_int(tr, "w:gridBefore")
        for k, tc in enumerate(row_cells(tr)):
            span = max(1, _tc_int(tc, "w:gridSpan", 1))
            merge = tc.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}")
            continued = merge is not None and merge.get(qn("w:val"), "continue") == "continue"
            text = _cell_text(tc)
            row.append(SPANNED if continued else text if number is None else located(text, table=number, row=r,
                                                                                     cell=k))
            row.extend([SPANNED] * (span - 1))
        grid.append(row + [""] * _tr_int(tr, "w:gridAfter"))
    width = max(map(len, grid), default=0)
    return [row + [""] * (width - len(row)) for row in grid]


def row_cells(tr: etree._Element) -> list[etree._Element]:
    """A row's own cells, those content controls wrap included."""
    return tr.xpath("./w:tc | ./w:sdt/w:sdtContent/w:tc")


def _cells(tbl: etree._Element) -> list[etree._Element]:
    """The table's own cells, not those of tables nested in them."""
    return tbl.xpath("./w:tr/w:tc | ./w:tr/w:sdt/w:sdtContent/w:tc")


def _cell_text(tc: etree._Element) -> str:
    lines = [line for p in tc.xpath(".//w:p[not(ancestor::w:p)]") for line in _paragraph_lines(p)]
    return boilerplate.join_lines(lines)


def _tc_int(tc: etree._Element, name: str, default: int) -> int:
    el = tc.find(f"{qn('w:tcPr')}/{qn(name)}")
    return _int(el.get(qn("w:val")) if el is not None else None, default)


def _tr_int(tr: etree._Element, name: str) -> int:
    el = tr.find(f"{qn('w:trPr')}/{qn(name)}")
    return _int(el.get(qn("w:val")) if el is not None else None, 0)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
