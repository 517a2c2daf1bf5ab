"""Word/WPS-like report PDFs for tests: A4 prose pages with the three tables fully ruled, made with reportlab.

Layout follows the national format (shared/template/official-format-2021.docx): merged label cells, header words
wrapped inside narrow cells, page numbers "- N -" in the footer. Each table draws its rules another way (stroked
lines, thin filled rectangles as Word does, open polylines), so a reader must cope with all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from nianbao.template import APPLICANT_COLUMN_LABELS, APPLICANT_COLUMNS, REVIEW_COLUMN_LABELS, SECTIONS
from tests.render.report_data import active_cells, application_cells, cell_text, review_cells

FONT = "STSong-Light"  # reportlab's built-in CID font: no font file or system package needed
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

PAGE_W, PAGE_H = A4
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 90.0, 72.0, 72.0  # Word's default margins
TEXT_W = PAGE_W - 2 * MARGIN_X
TABLE_W = 460.0  # as in the official template, tables are wider than the text and reach into the margins
BODY_SIZE, BODY_LEADING = 12.0, 20.0
CELL_SIZE, CELL_LEADING, CELL_PAD = 10.5, 13.0, 2.5
_NUMERALS = "一二三四五六"
# Where split_table=True breaks table 三: inside the merged （三）不予公开 and 三、本年度办理结果 cells.
SPLIT_AFTER_KEY = "denied_third_party"


@dataclass
class Cell:
    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    align: str = "center"


@dataclass
class TableSpec:
    widths: list[float]
    cells: list[Cell]
    header_rows: int  # repeated on every page the table continues on
    rules: str  # "lines", "rects" or "polylines"
    split_after: int | None = None  # force a page break after this grid row

    @property
    def n_rows(self) -> int:
        return max(c.row + c.rowspan for c in self.cells)


def render_pdf(report: dict, path: Path, *, split_table: bool = False) -> Path:
    """Write the report as a Word-like PDF; with split_table, table 三 breaks across a page and repeats its header."""
    writer = _Writer(path)
    writer.canvas.setTitle(report["title"])
    writer.title(report["title"])
    for section in SECTIONS:
        writer.heading(f"{_NUMERALS[section.number - 1]}、{section.title}")
        for text in report["sections"].get(section.number, []):
            writer.prose(text)
        if section.number == 2:
            writer.table(active_table(report))
        elif section.number == 3:
            writer.table(application_table(report, split=split_table))
        elif section.number == 4:
            writer.table(review_table(report))
    writer.prose(report["agency"], align="right")
    day = date.fromisoformat(report["published"])
    writer.prose(f"{day.year}年{day.month}月{day.day}日", align="right")
    writer.finish()
    return path


def render_image_pdf(path: Path, pages: int = 1) -> Path:
    """A scanned-looking PDF: each page is one raster image (an image XObject, as scanners write) and no text."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    image = Image.new("L", (400, 560), 255)
    draw = ImageDraw.Draw(image)
    for y in range(40, 520, 16):  # grey bars where a scan would have lines of text
        draw.rectangle((40, y, 360 - (y * 7) % 90, y + 7), fill=60)
    canvas = Canvas(str(path), pagesize=A4)
    for _ in range(pages):
        canvas.drawImage(ImageReader(image), MARGIN_X, MARGIN_BOTTOM, TEXT_W, PAGE_H - MARGIN_TOP - MARGIN_BOTTOM)
        canvas.showPage()
    canvas.save()
    return path


def render_blank_pdf(path: Path, pages: int = 1) -> Path:
    """A PDF whose pages carry nothing."""
    canvas = Canvas(str(path), pagesize=A4)
    for _ in range(pages):
        canvas.showPage()
    canvas.save()
    return path


# ---- the three tables ----------------------------------------------------------------------------------------------

_ACTIVE_BLOCKS = (
    ("第二十条第（一）项", ("本年制发件数", "本年废止件数", "现行有效件数"), ("rules", "normative_documents")),
    ("第二十条第（五）项", ("本年处理决定数量",), ("licensing",)),
    ("第二十条第（六）项", ("本年处理决定数量",), ("penalty", "coercion")),
    ("第二十条第（八）项", ("本年收费金额（单位：万元）",), ("fees",)),
)


def active_table(report: dict) -> TableSpec:
    """Table 二: four blocks, each a full-width block header, a 信息内容 header row and its rows."""
    values = {key: vals for key, _, vals in active_cells(report)}
    labels = {key: label for key, label, _ in active_cells(report)}
    cells: list[Cell] = []
    row = 0
    for block, headers, keys in _ACTIVE_BLOCKS:
        cells.append(Cell(row, 0, block, colspan=4))
        cells.append(Cell(row + 1, 0, "信息内容"))
        cells.extend(_spread(row + 1, headers))
        row += 2
        for key in keys:
            cells.append(Cell(row, 0, labels[key], align="left"))
            cells.extend(_spread(row, [cell_text(v) for v in values[key]]))
            row += 1
    return TableSpec([130.0, 110.0, 110.0, 110.0], cells, header_rows=0, rules="lines")


def _spread(row: int, texts: list[str] | tuple[str, ...]) -> list[Cell]:
    """Cells for columns 1-3: three texts one each, or a single text spanning all three."""
    if len(texts) == 1:
        return [Cell(row, 1, texts[0], colspan=3)]
    return [Cell(row, 1 + i, text) for i, text in enumerate(texts)]


_BALANCE_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
_GROUP_OF = {
    "denied": "（三）不予公开",
    "unable": "（四）无法提供",
    "rejected": "（五）不予处理",
    "other": "（六）其他处理",
}


def application_table(report: dict, *, split: bool = False) -> TableSpec:
    """Table 三 as the official format lays it out: three label columns with merged cells, 7 applicant columns."""
    cells = [
        Cell(0, 0, _BALANCE_NOTE, rowspan=3, colspan=3),
        Cell(0, 3, "申请人情况", colspan=7),
        Cell(1, 3, APPLICANT_COLUMN_LABELS["natural_person"], rowspan=2),
        Cell(1, 4, "法人或其他组织", colspan=5),
        Cell(1, 9, APPLICANT_COLUMN_LABELS["total"], rowspan=2),
    ]
    cells.extend(Cell(2, 4 + i, APPLICANT_COLUMN_LABELS[c]) for i, c in enumerate(APPLICANT_COLUMNS[1:6]))
    rows = application_cells(report)
    first_body = 3
    split_after = None
    for i, (key, label, values) in enumerate(rows):
        r = first_body + i
        group = key.split("_")[0]
        if group in _GROUP_OF and key != "other_handling":
            cells.append(Cell(r, 2, label, align="left"))
        elif key in ("new", "carried_over", "carried_forward"):
            cells.append(Cell(r, 0, label, colspan=3, align="left"))
        else:
            cells.append(Cell(r, 1, label, colspan=2, align="left"))
        cells.extend(Cell(r, 3 + j, cell_text(v)) for j, v in enumerate(values))
        if key == SPLIT_AFTER_KEY and split:
            split_after = r
    cells.extend(_merged_labels(rows, first_body))
    widths = [36.0, 50.0, 164.0] + [30.0] * 7
    return TableSpec(widths, cells, header_rows=3, rules="rects", split_after=split_after)


def _merged_labels(rows: list, first_body: int) -> list[Cell]:
    """The row-spanning label cells: 三、本年度办理结果 over the outcome rows, and each （三）…（六） group."""
    out: list[Cell] = []
    groups: dict[str, list[int]] = {}
    outcome: list[int] = []
    for i, (key, _, _) in enumerate(rows):
        if key in ("new", "carried_over", "carried_forward"):
            continue
        outcome.append(first_body + i)
        group = key.split("_")[0]
        if group in _GROUP_OF and key != "other_handling":
            groups.setdefault(group, []).append(first_body + i)
    if outcome:
        out.append(Cell(outcome[0], 0, "三、本年度办理结果", rowspan=len(outcome)))
    for group, members in groups.items():
        out.append(Cell(members[0], 1, _GROUP_OF[group], rowspan=len(members)))
    return out


def review_table(report: dict) -> TableSpec:
    """Table 四: 行政复议 | 行政诉讼 (未经复议直接起诉 | 复议后起诉), the five results each, one row of 15 numbers."""
    results = list(REVIEW_COLUMN_LABELS.values())
    cells = [
        Cell(0, 0, "行政复议", colspan=5),
        Cell(0, 5, "行政诉讼", colspan=10),
        Cell(1, 5, "未经复议直接起诉", colspan=5),
        Cell(1, 10, "复议后起诉", colspan=5),
    ]
    cells.extend(Cell(1, i, label, rowspan=2) for i, label in enumerate(results))
    cells.extend(Cell(2, 5 + i, label) for i, label in enumerate(results * 2))
    cells.extend(Cell(3, i, cell_text(v)) for i, v in enumerate(review_cells(report)))
    return TableSpec([TABLE_W / 15] * 15, cells, header_rows=0, rules="polylines")


# ---- layout --------------------------------------------------------------------------------------------------------


def wrap(text: str, width: float, size: float) -> list[str]:
    """Break text into lines no wider than width, character by character as Word does for CJK text."""
    lines: list[str] = []
    line = ""
    for ch in text:
        if line and pdfmetrics.stringWidth(line + ch, FONT, size) > width and ch not in "，。、；：）”》":
            lines.append(line)
            line = ""
        line += ch
    if line:
        lines.append(line)
    return lines or [""]


class _Writer:
    """A page cursor over a reportlab canvas: flows paragraphs and tables down A4 pages, numbering them."""

    def __init__(self, path: Path) -> None:
        self.canvas = Canvas(str(path), pagesize=A4)
        self.page = 1
        self.y = PAGE_H - MARGIN_TOP

    def room(self) -> float:
        return self.y - MARGIN_BOTTOM

    def new_page(self) -> None:
        self._footer()
        self.canvas.showPage()
        self.page += 1
        self.y = PAGE_H - MARGIN_TOP

    def finish(self) -> None:
        self._footer()
        self.canvas.showPage()
        self.canvas.save()

    def _footer(self) -> None:
        self.canvas.setFont(FONT, 10.5)
        self.canvas.drawCentredString(PAGE_W / 2, 40, f"- {self.page} -")

    def _line(self, text: str, size: float, x: float, leading: float, char_space: float = 0.0) -> None:
        if self.room() < leading:
            self.new_page()
        self.y -= leading
        obj = self.canvas.beginText(x, self.y + (leading - size) / 2)
        obj.setFont(FONT, size)
        obj.setCharSpace(char_space)
        obj.textOut(text)
        self.canvas.drawText(obj)

    def title(self, text: str) -> None:
        size = 16.0
        x = (PAGE_W - pdfmetrics.stringWidth(text, FONT, size)) / 2
        self._line(text, size, x, 36.0)
        # WPS's fake bold: the same glyphs printed again a hair to the right.
        self.canvas.setFont(FONT, size)
        self.canvas.drawString(x + 0.35, self.y + 10.0, text)
        self.y -= 8.0

    def heading(self, text: str) -> None:
        if self.room() < 3 * BODY_LEADING:  # keep a heading with what follows it
            self.new_page()
        self._line(text, BODY_SIZE, MARGIN_X + 2 * BODY_SIZE, BODY_LEADING + 6)

    def prose(self, text: str, align: str = "justify") -> None:
        indent = 2 * BODY_SIZE if align == "justify" else 0.0
        lines = wrap(text, TEXT_W - indent, BODY_SIZE)
        for i, line in enumerate(lines):
            x = MARGIN_X + (indent if i == 0 else 0.0)
            width = pdfmetrics.stringWidth(line, FONT, BODY_SIZE)
            if align == "right":
                self._line(line, BODY_SIZE, PAGE_W - MARGIN_X - width - 2 * BODY_SIZE, BODY_LEADING)
                continue
            avail = TEXT_W - (indent if i == 0 else 0.0)
            last = i == len(lines) - 1
            # Justified like Word: the slack of a full line is spread over its character gaps.
            spacing = 0.0 if last or len(line) < 2 else max(0.0, (avail - width) / (len(line) - 1))
            self._line(line, BODY_SIZE, x, BODY_LEADING, min(spacing, 3.0))

    def table(self, spec: TableSpec) -> None:
        heights = row_heights(spec)
        self.y -= 6.0
        header = list(range(spec.header_rows))
        first_stop = spec.split_after + 1 if spec.split_after is not None else spec.n_rows
        if sum(heights[:first_stop]) > self.room() and sum(heights[:first_stop]) <= PAGE_H - 144:
            self.new_page()  # as Word with "keep with next": start the table on a fresh page
        start = 0
        while start < spec.n_rows:
            rows = [] if start == 0 else list(header)
            used = sum(heights[r] for r in rows)
            r = start
            while r < spec.n_rows and (used + heights[r] <= self.room() or r == start):
                rows.append(r)
                used += heights[r]
                r += 1
                if spec.split_after is not None and r == spec.split_after + 1:
                    break
            draw_segment(self.canvas, spec, heights, rows, (PAGE_W - sum(spec.widths)) / 2, self.y)
            self.y -= used
            start = r
            if start < spec.n_rows:
                self.new_page()
        self.y -= 6.0


def row_heights(spec: TableSpec) -> list[float]:
    """Each grid row's height: tall enough for its one-row cells; a spanning cell stretches the last row it covers."""
    heights = [CELL_LEADING + 2 * CELL_PAD + 2] * spec.n_rows
    for cell in sorted(spec.cells, key=lambda c: c.rowspan):
        width = sum(spec.widths[cell.col : cell.col + cell.colspan]) - 2 * CELL_PAD
        need = len(wrap(cell.text, width, CELL_SIZE)) * CELL_LEADING + 2 * CELL_PAD + 2
        have = sum(heights[cell.row : cell.row + cell.rowspan])
        if need > have:
            heights[cell.row + cell.rowspan - 1] += need - have
    return heights


def draw_segment(canvas: Canvas, spec: TableSpec, heights: list[float], rows: list[int], x0: float, top: float) -> None:
    """Draw the given grid rows of a table from top downwards; a merged cell cut by the page shows its text once."""
    tops: dict[int, float] = {}
    y = top
    for r in rows:
        tops[r] = y
        y -= heights[r]
    xs = [x0]
    for w in spec.widths:
        xs.append(xs[-1] + w)
    for cell in spec.cells:
        covered = [r for r in range(cell.row, cell.row + cell.rowspan) if r in tops]
        if not covered:
            continue
        cx0, cx1 = xs[cell.col], xs[cell.col + cell.colspan]
        cy1 = tops[covered[0]]
        cy0 = tops[covered[-1]] - heights[covered[-1]]
        _rule_box(canvas, spec.rules, cx0, cy0, cx1, cy1)
        if cell.row in tops:  # Word prints a merged cell's text in its first part only
            _cell_text(canvas, cell, cx0, cy0, cx1, cy1)
    if spec.rules == "polylines":  # the polylines draw top, right and bottom; the table's left edge is one line
        canvas.line(x0, top, x0, y)


def _rule_box(canvas: Canvas, rules: str, x0: float, y0: float, x1: float, y1: float) -> None:
    canvas.setLineWidth(0.5)
    if rules == "lines":
        for seg in ((x0, y1, x1, y1), (x0, y0, x1, y0), (x0, y0, x0, y1), (x1, y0, x1, y1)):
            canvas.line(*seg)
    elif rules == "rects":  # Word exports borders as thin filled rectangles
        t = 0.5
        canvas.rect(x0 - t / 2, y1 - t / 2, x1 - x0 + t, t, stroke=0, fill=1)
        canvas.rect(x0 - t / 2, y0 - t / 2, x1 - x0 + t, t, stroke=0, fill=1)
        canvas.rect(x0 - t / 2, y0 - t / 2, t, y1 - y0 + t, stroke=0, fill=1)
        canvas.rect(x1 - t / 2, y0 - t / 2, t, y1 - y0 + t, stroke=0, fill=1)
    else:
        path = canvas.beginPath()
        path.moveTo(x0, y1)
        path.lineTo(x1, y1)
        path.lineTo(x1, y0)
        path.lineTo(x0, y0)
        canvas.drawPath(path, stroke=1, fill=0)


def _cell_text(canvas: Canvas, cell: Cell, x0: float, y0: float, x1: float, y1: float) -> None:
    lines = wrap(cell.text, x1 - x0 - 2 * CELL_PAD, CELL_SIZE)
    block = len(lines) * CELL_LEADING
    y = (y0 + y1) / 2 + block / 2 - CELL_LEADING + (CELL_LEADING - CELL_SIZE) / 2 + 1.5
    canvas.setFont(FONT, CELL_SIZE)
    for line in lines:
        if cell.align == "left":
            canvas.drawString(x0 + CELL_PAD, y, line)
        else:
            canvas.drawCentredString((x0 + x1) / 2, y, line)
        y -= CELL_LEADING
