"""PDF reports into the intermediate form: ruled tables rebuilt from their rules, other text as lines, page numbers
dropped, tables continued across pages joined. Uses pdfminer.six without its (slow, column-scrambling) layout analysis.
"""

from __future__ import annotations

import logging
import re
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LTChar, LTCurve, LTFigure, LTImage, LTPage
from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import LITERALS_FLATE_DECODE, PDFStream, dict_value, list_value, resolve1
from pdfminer.psexceptions import PSException
from pdfminer.utils import decode_text

from nianbao.document.model import Document, Finding, Paragraph, UnreadableInput, located
from nianbao.document.pdf_rules import Ruling, Seg, add_edges, rulings
from nianbao.document.pdf_settings import TOLERANCES
from nianbao.document.pdf_tables import Grid, build_grid, continue_table
from nianbao.document.pdf_text import (
    Glyph,
    Line,
    is_wide,
    join_lines,
    lines_of,
    paragraphs,
    runs_to_edge,
    starts_flush,
    text_edges,
)

# pdfminer logs every token at DEBUG; where the root logger lets DEBUG through (as in a Scrapy process) building
# those records alone made reading a PDF 3-4 times slower. Its warnings about broken files still show.
logging.getLogger("pdfminer").setLevel(logging.WARNING)

# pdfminer reports malformed input through its own exceptions but also through plain built-in ones raised deep in
# its parsers (a truncated stream, a missing key, a bad number); all of them mean "this input cannot be read".
PDF_ERRORS = (
    PSException,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    AssertionError,
    ZeroDivisionError,
    OverflowError,
    RecursionError,
    EOFError,
    zlib.error,
)
MAX_PAGES = 300  # reports run to a few dozen pages; more is a compilation or a wrong file
TIME_BUDGET = 120.0  # seconds; a pathological file is given up rather than left to hang a crawl
# The work one page may ask for: the operands and operators of its content streams (its forms' too, each time one is
# drawn) and the characters it shows. A page of a Word or WPS report takes about 10,000; forms drawing forms, or a
# stream inflating to millions of operators, take billions. At pdfminer's 10-25 µs each, 300,000 is a few seconds.
MAX_PAGE_OPERATIONS = 300_000
# pdfminer inflates a stream whole and without a limit; content streams and fonts are inflated here, within caps. A
# page's content takes a few KiB to a few MiB, a whole embedded Chinese font some 20 MiB.
MAX_STREAM_BYTES = 32 * 2**20
MAX_INFLATED_BYTES = 256 * 2**20  # the whole document's
_CLOCK_EVERY = 4096  # operations between looks at the clock
_INFLATE_CHUNK = 16 * 2**10
_FONT_STREAMS = ("ToUnicode", "Encoding", "FontFile", "FontFile2", "FontFile3")
PAGE_NUMBER = re.compile(
    r"^[-－—–―~～·•\s]*(?:第\s*\d{1,4}\s*页(?:\s*[,，]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}(?:\s*[/／]\s*\d{1,4})?"
    r"|page\s*\d{1,4}(?:\s*of\s*\d{1,4})?)[-－—–―~～·•\s]*$",
    re.IGNORECASE,
)


@dataclass
class _Item:
    top: float
    block: str | Grid
    margin: bool = False  # in the header or footer zone
    runs_on: bool = False  # text that fills the line to the right edge: may continue on the next page
    flush: bool = False  # text that starts at the left edge, unindented: may continue the previous page


@dataclass
class _Page:
    number: int
    items: list[_Item] = field(default_factory=list)
    text_chars: int = 0  # readable characters, white space and unmapped ones not counted
    unmapped: int = 0  # characters whose font gives no Unicode: pdfminer reads them as "(cid:N)"
    images: int = 0


class _TooMuchWork(Exception):
    """A page asks for more work than any report page needs: forms drawing forms, a decompression bomb."""


@dataclass
class _Budget:
    """What reading one PDF may still spend: time, inflated bytes, and operations on the page being read."""

    deadline: float
    inflated: int = MAX_INFLATED_BYTES
    page: int = 0
    operations: int = 0
    next_check: int = 0

    def start_page(self, number: int) -> None:
        self.page, self.operations, self.next_check = number, 0, _CLOCK_EVERY
        self.check_clock()

    def spend(self, operations: int = 1) -> None:
        self.operations += operations
        if self.operations > self.next_check:  # one comparison per operation; the limits now and then
            if self.operations > MAX_PAGE_OPERATIONS:
                raise _TooMuchWork(f"the page asks for more than {MAX_PAGE_OPERATIONS:,} drawing operations")
            self.next_check = self.operations + _CLOCK_EVERY
            self.check_clock()

    def check_clock(self) -> None:
        if time.monotonic() > self.deadline:
            raise UnreadableInput(f"gave up reading the PDF after {TIME_BUDGET:.0f} s at page {self.page}")


class _BudgetedInterpreter(PDFPageInterpreter):
    """pdfminer's interpreter, spending a budget on every operand, operator and character shown, forms' included,
    and inflating content streams and fonts itself, within caps."""

    def __init__(self, rsrcmgr: PDFResourceManager, device: PDFPageAggregator, budget: _Budget) -> None:
        super().__init__(rsrcmgr, device)
        self.budget = budget

    def dup(self) -> _BudgetedInterpreter:  # the interpreter that draws a form: the same budget
        return self.__class__(self.rsrcmgr, self.device, self.budget)

    def init_resources(self, resources: dict) -> None:
        for stream in _font_streams(resources):
            _inflate(stream, self.budget)
        super().init_resources(resources)

    def execute(self, streams: list) -> None:
        for obj in streams:
            stream = resolve1(obj)
            if isinstance(stream, PDFStream):
                _inflate(stream, self.budget)
        super().execute(streams)

    def push(self, obj) -> None:  # an operand
        self.budget.spend()
        super().push(obj)

    def pop(self, n: int) -> list:  # an operator that takes operands
        if n:
            self.budget.spend()
        return super().pop(n)

    def do_TJ(self, seq) -> None:  # Tj, ' and " show their text through TJ too
        self.budget.spend(sum(len(s) for s in seq if isinstance(s, bytes)))
        super().do_TJ(seq)


def _counted(operator):
    def counted(self: _BudgetedInterpreter) -> None:  # self alone: pdfminer reads the operand count off the code
        self.budget.spend()
        operator(self)

    return counted


# Operators without operands neither push nor pop: "q" repeated saves the graphics state millions of times.
for _name, _operator in vars(PDFPageInterpreter).items():
    if _name.startswith("do_") and _operator.__code__.co_argcount == 1:
        setattr(_BudgetedInterpreter, _name, _counted(_operator))


def _font_streams(resources: object) -> Iterator[PDFStream]:
    """The streams pdfminer inflates to read a page's fonts: CMaps and font programs, descendant fonts' included."""
    for spec in dict_value(dict_value(resources).get("Font")).values():
        font = dict_value(spec)
        for part in (font, *map(dict_value, list_value(font.get("DescendantFonts", [])))):
            for holder in (part, dict_value(part.get("FontDescriptor", {}))):
                streams = (resolve1(holder.get(key)) for key in _FONT_STREAMS)
                yield from (stream for stream in streams if isinstance(stream, PDFStream))


def _inflate(stream: PDFStream, budget: _Budget) -> None:
    """Inflate a stream whose only filter is Flate for pdfminer, within the caps; other streams are left to it.

    The zlib checksum is not checked: pdfminer reads a stream that fails it byte by byte, copying all it has
    inflated once per byte. A stream damaged midway keeps what inflated before the damage.
    """
    if stream.data is not None or stream.rawdata is None or not _plain_flate(stream):
        return
    raw = stream.rawdata
    if stream.decipher:
        if stream.objid is None or stream.genno is None:
            return
        raw = stream.decipher(stream.objid, stream.genno, raw, stream.attrs)
    if len(raw) < 2 or raw[0] & 0x0F != 8 or raw[1] & 0x20 or (raw[0] << 8 | raw[1]) % 31:
        return  # not a zlib stream: pdfminer gives up on it at once
    limit = min(MAX_STREAM_BYTES, budget.inflated)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate after the two header bytes, no checksum
    out = bytearray()
    for start in range(2, len(raw), _INFLATE_CHUNK):
        try:
            out += inflater.decompress(raw[start : start + _INFLATE_CHUNK], limit + 1 - len(out))
        except zlib.error:
            break
        if len(out) > limit and limit == MAX_STREAM_BYTES:
            raise _TooMuchWork(f"a stream of the page inflates to more than {MAX_STREAM_BYTES // 2**20} MiB")
        if len(out) > limit:
            raise UnreadableInput(f"the PDF's streams inflate to more than {MAX_INFLATED_BYTES // 2**20} MiB in all")
        if inflater.eof:
            break
    budget.inflated -= len(out)
    stream.data, stream.rawdata = bytes(out), None


def _plain_flate(stream: PDFStream) -> bool:
    filters = stream.get_filters()
    if len(filters) != 1 or filters[0][0] not in LITERALS_FLATE_DECODE:
        return False
    params = filters[0][1]
    return not (isinstance(params, dict) and "Predictor" in params)


def read_pdf(data: bytes) -> Document:
    """Read a PDF report. Raises UnreadableInput (one-line reason) for corrupt, non-PDF or password-locked files."""
    pdf = _open(data)
    doc = Document()
    title = _meta_title(pdf)
    if title:
        doc.meta["title"] = title
    pages = list(_read_pages(pdf, doc))
    if not pages and not doc.findings:
        raise UnreadableInput("the PDF has no pages")
    if not pages:
        raise UnreadableInput(f"no page of the PDF could be read ({doc.findings[0].message})")
    if sum(p.text_chars for p in pages) < TOLERANCES.min_text_per_page * len(pages):
        doc.findings.append(Finding.of("no_text_layer", "document", _no_text_message(pages)))
        return doc
    doc.findings.extend(_text_findings(pages))
    doc.blocks = [Paragraph(b) if isinstance(b, str) else b.table() for b in _join_pages(pages)]
    return doc


def _open(data: bytes) -> PDFDocument:
    try:
        return PDFDocument(PDFParser(BytesIO(data)), password="")
    except PDFPasswordIncorrect as exc:
        raise UnreadableInput("the PDF is encrypted and needs a password") from exc
    except PDFEncryptionError as exc:
        raise UnreadableInput(f"the PDF's encryption is not supported: {_reason(exc)}") from exc
    except PDF_ERRORS as exc:
        raise UnreadableInput(f"not a readable PDF: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:120]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _meta_title(pdf: PDFDocument) -> str | None:
    """The document info Title when it names the report, not the file ("Microsoft Word - 1.docx") or nothing."""
    for info in pdf.info:
        try:
            raw = resolve1(info.get("Title"))
        except PDF_ERRORS:
            continue
        if isinstance(raw, bytes):
            raw = _decode_meta(raw)
        if not isinstance(raw, str):
            continue
        title = re.sub(r"^Microsoft Word\s*-\s*|\.(docx?|wps|pdf)$", "", raw.strip(), flags=re.IGNORECASE).strip()
        if sum(is_wide(ch) for ch in title) >= 4:
            return title
    return None


def _decode_meta(raw: bytes) -> str:
    if not raw.startswith((b"\xfe\xff", b"\xff\xfe")):
        try:
            return raw.decode("utf-8")  # some Chinese producers write UTF-8 without the PDF's own markers
        except UnicodeDecodeError:
            pass
    return decode_text(raw)


def _no_text_message(pages: list[_Page]) -> str:
    if sum(p.unmapped for p in pages) > sum(p.text_chars for p in pages):
        return "its text has no Unicode mapping (fonts without ToUnicode): the characters cannot be read"
    if any(p.images for p in pages):
        return f"no usable text layer on its {len(pages)} page(s): a scanned or image-only PDF"
    return f"no usable text on its {len(pages)} page(s)"


def _text_findings(pages: list[_Page]) -> list[Finding]:
    """Warnings about a text layer that is there but partial: pages that are pictures, characters without Unicode."""
    findings = []
    image_pages = [p.number for p in pages if p.images and p.text_chars < TOLERANCES.min_text_per_page]
    if image_pages:
        where = "pages " + ", ".join(map(str, image_pages))
        message = f"{where} carry images but no text; tables on them may be pictures"
        findings.append(Finding.of("image_pages", where, message))
    unmapped = sum(p.unmapped for p in pages)
    if unmapped > 0.05 * sum(p.text_chars for p in pages):
        message = f"{unmapped} characters have no Unicode mapping and read as (cid:N)"
        findings.append(Finding.of("unmapped_text", "document", message))
    return findings


def _read_pages(pdf: PDFDocument, doc: Document) -> Iterator[_Page]:
    """Each page's lines and tables in reading order; a page pdfminer cannot read is skipped with a finding."""
    resources = PDFResourceManager(caching=True)
    budget = _Budget(time.monotonic() + TIME_BUDGET)
    for number, page in enumerate(_pdf_pages(pdf, doc), 1):
        if number > MAX_PAGES:
            doc.findings.append(
                Finding.of("too_many_pages", f"page {number}", f"only the first {MAX_PAGES} pages were read")
            )
            return
        budget.start_page(number)
        # A device of its own for each page: one that a failed page left inside a form would refuse the next.
        device = PDFPageAggregator(resources, laparams=None)  # no layout analysis: we place characters ourselves
        try:
            _BudgetedInterpreter(resources, device, budget).process_page(page)
        except _TooMuchWork as exc:
            doc.findings.append(Finding.of("page_unreadable", f"page {number}", str(exc)))
            continue
        except PDF_ERRORS as exc:
            doc.findings.append(Finding.of("page_unreadable", f"page {number}", _reason(exc)))
            continue
        yield _layout_page(number, device.get_result())


def _pdf_pages(pdf: PDFDocument, doc: Document) -> Iterator[PDFPage]:
    try:
        yield from PDFPage.create_pages(pdf)
    except PDF_ERRORS as exc:  # a damaged page tree: keep the pages read so far
        doc.findings.append(Finding.of("page_unreadable", "page tree", _reason(exc)))


def _layout_page(number: int, layout: LTPage) -> _Page:
    glyphs: list[Glyph] = []
    h: list[Seg] = []
    v: list[Seg] = []
    page = _Page(number)
    page.images = _collect(layout, layout, glyphs, h, v)
    page.unmapped = sum(1 for g in glyphs if g.text.startswith("(cid:"))
    page.text_chars = sum(1 for g in glyphs if not g.text.isspace()) - page.unmapped
    free = glyphs
    for ruling in sorted(rulings(h, v), key=lambda r: (r.x1 - r.x0) * (r.y1 - r.y0)):
        inside, free = _split(free, ruling)
        grid = build_grid(ruling, inside, number) if inside else None
        if grid is None:  # a frame around text (a box, a page border) is not a table
            free.extend(inside)
        else:
            page.items.append(_Item(grid.top, grid))
    height = layout.y1 - layout.y0
    lines = lines_of(free)
    header, footer = layout.y1 - TOLERANCES.header_zone * height, layout.y0 + TOLERANCES.footer_zone * height
    in_margin = [line.bottom >= header or line.top <= footer for line in lines]
    page.items.extend(_Item(line.top, line.text, True) for line, m in zip(lines, in_margin, strict=True) if m)
    body = [line for line, m in zip(lines, in_margin, strict=True) if not m]
    if body:
        left, right = text_edges(body)
        page.items.extend(
            _Item(line.top, _line_text(line, number), False, runs_to_edge(line, right), starts_flush(line, left))
            for line in _paragraphs_between_tables(body, page.items, left, right)
        )
    page.items.sort(key=lambda item: -item.top)
    _drop_page_numbers(page)
    return page


def _line_text(line: Line, page: int) -> str:
    """A paragraph's text marked with its page and its extent ([x0, y0, x1, y1] in PDF user space)."""
    return located(line.text, page=page, bbox=[round(v, 2) for v in (line.x0, line.bottom, line.x1, line.top)])


def _paragraphs_between_tables(lines: list[Line], items: list[_Item], left: float, right: float) -> list[Line]:
    """Wrapped lines joined into paragraphs, never across a table that stands between them."""
    tops = sorted((item.top for item in items if isinstance(item.block, Grid)), reverse=True)
    runs: list[list[Line]] = [[]]
    for line in lines:
        if runs[-1] and any(line.top < t < runs[-1][-1].top for t in tops):
            runs.append([])
        runs[-1].append(line)
    return [p for run in runs for p in paragraphs(run, left, right)]


def _collect(container: LTPage | LTFigure, page: LTPage, glyphs: list[Glyph], h: list[Seg], v: list[Seg]) -> int:
    """Glyphs and rules of the page, figures (form XObjects) included; returns how many images it paints."""
    images = 0
    for item in container:
        if isinstance(item, LTChar):
            # Text parked off the page (hidden by the producer) is not part of the report.
            on_page = page.x0 <= (item.x0 + item.x1) / 2 <= page.x1 and page.y0 <= (item.y0 + item.y1) / 2 <= page.y1
            text = item.get_text()
            if text and on_page:
                glyphs.append(Glyph(text, item.x0, item.x1, item.y0, item.y1, item.size))
        elif isinstance(item, LTCurve):  # LTLine and LTRect too
            add_edges(item, h, v)
        elif isinstance(item, LTImage):
            images += 1
        elif isinstance(item, LTFigure):
            images += _collect(item, page, glyphs, h, v)
    return images


def _split(glyphs: list[Glyph], ruling: Ruling) -> tuple[list[Glyph], list[Glyph]]:
    inside: list[Glyph] = []
    outside: list[Glyph] = []
    for g in glyphs:
        (inside if ruling.contains((g.x0 + g.x1) / 2, (g.y0 + g.y1) / 2) else outside).append(g)
    return inside, outside


def _drop_page_numbers(page: _Page) -> None:
    """Page numbers ("- 3 -", "第 3 页", "3/10") in the header or footer zone, or as the page's first or last line."""
    last = len(page.items) - 1
    page.items = [
        item
        for i, item in enumerate(page.items)
        if not (isinstance(item.block, str) and (item.margin or i in (0, last)) and PAGE_NUMBER.match(item.block))
    ]


def _join_pages(pages: list[_Page]) -> list[str | Grid]:
    """All pages' blocks in order; a table, or a paragraph, that ends one page and goes on at the top of the next is
    joined into one."""
    blocks: list[str | Grid] = []
    open_table: int | None = None  # index in blocks of a table that ended the previous page's body
    open_text: int | None = None  # index in blocks of a paragraph that ran to the edge at the previous page's end
    for page in pages:
        body = [item for item in page.items if not item.margin]
        for item in page.items:
            first = bool(body) and item is body[0]
            joined = None
            if first and open_table is not None and isinstance(item.block, Grid):
                joined = continue_table(blocks[open_table], item.block)
            if joined is not None:
                blocks[open_table] = joined
                item.block = joined
            elif first and open_text is not None and isinstance(item.block, str) and item.flush:
                blocks[open_text] = join_lines([blocks[open_text], item.block])
                item.block = blocks[open_text]
            else:
                blocks.append(item.block)
        last = body[-1] if body else None
        open_table = _index_of(blocks, last.block) if last and isinstance(last.block, Grid) else None
        open_text = _index_of(blocks, last.block) if last and isinstance(last.block, str) and last.runs_on else None
    return blocks


def _index_of(blocks: list[str | Grid], block: str | Grid) -> int:
    return next(i for i in range(len(blocks) - 1, -1, -1) if blocks[i] is block)
