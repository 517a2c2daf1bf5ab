"""The PDF reader on Word-like rendered reports: ruled tables come back row by row, whole and in order."""

from __future__ import annotations

import re

import pytest
from pdfminer.high_level import extract_text
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen.canvas import Canvas

from nianbao.document import read_document
from nianbao.document.model import SPANNED, Document, Paragraph, Table, UnreadableInput
from nianbao.document.pdf import PAGE_NUMBER, read_pdf
from nianbao.template import SECTIONS
from tests.render.pdf import FONT, render_blank_pdf, render_image_pdf, render_pdf
from tests.render.report_data import SEED_NAMES, active_cells, application_cells, cell_text, review_cells, seed_report

CASES = [(name, split) for name in SEED_NAMES for split in (False, True)]
_NUMERALS = "一二三四五六"


@pytest.fixture(scope="module", params=CASES, ids=[f"{n}-{'split' if s else 'plain'}" for n, s in CASES])
def case(request, tmp_path_factory) -> tuple[dict, Document]:
    name, split = request.param
    report = seed_report(name)
    path = render_pdf(report, tmp_path_factory.mktemp("pdf") / f"{name}.pdf", split_table=split)
    return report, read_pdf(path.read_bytes())


def _tables(doc: Document) -> list[Table]:
    return [b for b in doc.blocks if isinstance(b, Table)]


def _table_with(doc: Document, word: str) -> Table:
    return next(t for t in _tables(doc) if any(word in (c or "") for row in t.rows for c in row))


def _paragraphs(doc: Document) -> list[str]:
    return [b.text for b in doc.blocks if isinstance(b, Paragraph)]


def test_three_tables_on_the_format_grids(case):
    _, doc = case
    assert [len(t.rows[0]) for t in _tables(doc)] == [4, 10, 15]
    assert doc.findings == []


def test_new_applications_row_carries_its_seven_values(case):
    report, doc = case
    row = next(r for r in _table_with(doc, "本年新收").rows if "本年新收" in "".join(c or "" for c in r[:3]))
    expected = next(values for key, _, values in application_cells(report) if key == "new")
    assert row[3:] == [cell_text(v) for v in expected]


def test_application_rows_whole_and_in_order(case):
    report, doc = case
    table = _table_with(doc, "本年新收")
    body = table.rows[3:]
    expected = application_cells(report)
    assert len(body) == len(expected)
    for row, (_, label, values) in zip(body, expected, strict=True):
        labels = [c for c in row[:3] if c is not SPANNED and c]
        assert labels[-1] == label
        assert row[3:] == [cell_text(v) for v in values]  # a value the seed lacks is a blank cell


def test_split_table_is_one_table_without_repeated_header(case):
    report, doc = case
    table = _table_with(doc, "本年新收")
    cells = [c for row in table.rows for c in row if c]
    assert cells.count("申请人情况") == 1
    assert cells.count("商业企业") == 1
    assert len(table.rows) == 3 + len(application_cells(report))


def test_merged_label_cells_stay_merged(case):
    _, doc = case
    rows = _table_with(doc, "本年新收").rows
    first = [c for row in rows for c in row[:1] if c]
    assert first.count("三、本年度办理结果") == 1
    assert "" not in [row[1] for row in rows[5:-1]]  # a page break does not leave a blank half of a merged cell


@pytest.mark.parametrize("index", range(6))
def test_active_disclosure_rows(case, index):
    report, doc = case
    _, label, values = active_cells(report)[index]
    row = next(r for r in _table_with(doc, "第二十条第（一）项").rows if r[0] == label)
    assert [c for c in row[1:] if c is not SPANNED] == [cell_text(v) for v in values]


def test_review_row_has_fifteen_numbers(case):
    report, doc = case
    table = _table_with(doc, "行政复议")
    assert table.rows[-1] == [cell_text(v) for v in review_cells(report)]
    assert table.rows[0][0] == "行政复议" and table.rows[0][5] == "行政诉讼"


def test_title_headings_and_prose_in_reading_order(case):
    report, doc = case
    paragraphs = _paragraphs(doc)
    assert paragraphs[0] == report["title"]
    headings = [f"{_NUMERALS[s.number - 1]}、{s.title}" for s in SECTIONS]
    positions = [paragraphs.index(h) for h in headings]
    assert positions == sorted(positions)
    body = re.sub(r"\s", "", "".join(paragraphs))
    for texts in report["sections"].values():
        for text in texts:
            assert re.sub(r"\s", "", text) in body


def test_tables_sit_under_their_headings(case):
    _, doc = case
    kinds = ["T" if isinstance(b, Table) else b.text for b in doc.blocks]
    for section in SECTIONS[1:4]:
        heading = f"{_NUMERALS[section.number - 1]}、{section.title}"
        assert kinds[kinds.index(heading) + 1] == "T"


def test_no_page_numbers_left(case):
    _, doc = case
    assert not [p for p in _paragraphs(doc) if re.fullmatch(r"[-—\s]*\d+[-—\s]*", p)]


def test_metadata_title(case):
    report, doc = case
    assert doc.meta["title"] == report["title"]


# ---- the rendered files are what the reader is for --------------------------------------------------------------


@pytest.mark.parametrize("split", [False, True])
def test_pdfminer_plain_extraction_scrambles_the_table(tmp_path, split):
    report = seed_report("jiaxian-county-2024")
    text = extract_text(render_pdf(report, tmp_path / "r.pdf", split_table=split))
    line = next(line for line in text.splitlines() if "本年新收" in line)
    assert "35" not in line  # the row's numbers are not on its line: the table comes out column by column
    assert text.count("申请人情况") == (2 if split else 1)  # split: the header really repeats on the next page


def test_read_document_dispatches_pdf(tmp_path):
    report = seed_report("tuoli-county-2024")
    doc = read_document(render_pdf(report, tmp_path / "r.pdf"))
    assert len(_tables(doc)) == 3


# ---- bad and odd input --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"this is not a pdf",
        b"%PDF-1.4\n",
        b"%PDF-1.7\n" + bytes(range(256)) * 8,
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF",
    ],
    ids=["text", "header-only", "binary-noise", "no-pages"],
)
def test_corrupt_input_is_unreadable(data):
    with pytest.raises(UnreadableInput) as info:
        read_pdf(data)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("share", [0.05, 0.3, 0.6, 0.9, 0.99])
def test_truncated_pdf_is_refused_or_read(tmp_path, share):
    data = render_pdf(seed_report("hatu-town-2024"), tmp_path / "r.pdf").read_bytes()
    try:
        doc = read_pdf(data[: int(len(data) * share)])
    except UnreadableInput:
        return
    assert isinstance(doc, Document)


@pytest.mark.parametrize("pages", [1, 3])
def test_image_only_pdf_has_no_text_layer(tmp_path, pages):
    doc = read_pdf(render_image_pdf(tmp_path / "scan.pdf", pages=pages).read_bytes())
    assert [f.rule for f in doc.findings] == ["no_text_layer"]
    assert doc.findings[0].severity == "error"
    assert doc.blocks == []


def test_blank_pages_have_no_text_layer(tmp_path):
    doc = read_pdf(render_blank_pdf(tmp_path / "blank.pdf", pages=2).read_bytes())
    assert [f.rule for f in doc.findings] == ["no_text_layer"]
    assert doc.blocks == []


def _encrypted(path, user: str) -> bytes:
    canvas = Canvas(str(path), encrypt=StandardEncryption(user, "owner-secret", canCopy=0))
    canvas.setFont("Helvetica", 12)
    canvas.drawString(72, 700, "Annual report on government information disclosure")
    canvas.showPage()
    canvas.save()
    return path.read_bytes()


def test_password_protected_pdf_is_unreadable(tmp_path):
    with pytest.raises(UnreadableInput, match="password"):
        read_pdf(_encrypted(tmp_path / "locked.pdf", user="secret"))


def test_copy_protected_pdf_is_still_read(tmp_path):
    doc = read_pdf(_encrypted(tmp_path / "protected.pdf", user=""))
    assert _paragraphs(doc) == ["Annual report on government information disclosure"]


def test_page_without_rules_is_plain_lines(tmp_path):
    canvas = Canvas(str(tmp_path / "lines.pdf"))
    canvas.setFont(FONT, 12)
    canvas.drawString(72, 700, "一、总体情况")
    canvas.drawString(72, 680, "本年新收 9 0 0 0")
    canvas.drawCentredString(300, 30, "第 1 页")
    canvas.showPage()
    canvas.save()
    doc = read_pdf((tmp_path / "lines.pdf").read_bytes())
    assert _paragraphs(doc) == ["一、总体情况", "本年新收 9 0 0 0"]


@pytest.mark.parametrize("text", ["- 3 -", "—3—", "— 12 —", "第 3 页", "第3页 共10页", "3", "3/10", "Page 2 of 9"])
def test_page_number_patterns(text):
    assert PAGE_NUMBER.match(text)


@pytest.mark.parametrize("text", ["一、总体情况", "2024年1月20日", "3084 条", "（一）予以公开", "-3.5"])
def test_not_page_numbers(text):
    assert not PAGE_NUMBER.match(text)


# ---- rulings the renderer does not draw ----------------------------------------------------------------------------


def _grid(canvas: Canvas, top: float, rows: list[list[str]], xs: list[float], walls: list[float] | None = None) -> None:
    """A ruled table drawn with stroked lines; walls: the x of the vertical rules (default: every column edge)."""
    ys = [top - 20 * i for i in range(len(rows) + 1)]
    for y in ys:
        canvas.line(xs[0], y, xs[-1], y)
    for x in xs if walls is None else walls:
        canvas.line(x, ys[-1], x, ys[0])
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            canvas.drawString(xs[j] + 4, ys[i] - 14, text)


def test_open_sided_table_and_framed_text(tmp_path):
    canvas = Canvas(str(tmp_path / "t.pdf"))
    canvas.setFont(FONT, 11)
    canvas.rect(70, 740, 450, 40)  # a framed line of text is not a table
    canvas.drawString(80, 755, "索引号：11654224010000000X 发布日期：2025-01-20")
    _grid(canvas, 700, [["项目", "甲", "乙"], ["本年新收", "1", "2"]], [70, 220, 370, 520], walls=[220, 370])
    canvas.showPage()
    canvas.save()
    doc = read_pdf((tmp_path / "t.pdf").read_bytes())
    assert doc.blocks == [
        Paragraph("索引号：11654224010000000X 发布日期：2025-01-20"),
        Table([["项目", "甲", "乙"], ["本年新收", "1", "2"]]),
    ]


def test_continuation_with_fewer_column_rules_joins_onto_the_first_page_grid(tmp_path):
    canvas = Canvas(str(tmp_path / "t.pdf"))
    canvas.setFont(FONT, 11)
    xs = [70, 170, 270, 370, 470]
    _grid(canvas, 200, [["A", "B", "C", "D"], ["1", "2", "3", "4"]], xs)
    canvas.drawCentredString(300, 30, "— 1 —")
    canvas.showPage()
    canvas.setFont(FONT, 11)
    _grid(canvas, 780, [["5", "合并", "", "8"]], xs, walls=[70, 170, 370, 470])
    canvas.drawString(72, 700, "五、存在的主要问题及改进情况")
    canvas.showPage()
    canvas.save()
    doc = read_pdf((tmp_path / "t.pdf").read_bytes())
    assert doc.blocks == [
        Table([["A", "B", "C", "D"], ["1", "2", "3", "4"], ["5", "合并", SPANNED, "8"]]),
        Paragraph("五、存在的主要问题及改进情况"),
    ]


def test_a_page_that_is_a_picture_is_reported(tmp_path):
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    canvas = Canvas(str(tmp_path / "mixed.pdf"))
    canvas.setFont(FONT, 12)
    canvas.drawString(72, 700, "三、收到和处理政府信息公开申请情况（见下页图片）")
    canvas.showPage()
    canvas.drawImage(ImageReader(Image.new("L", (200, 100), 128)), 72, 400, 400, 200)
    canvas.showPage()
    canvas.save()
    doc = read_pdf((tmp_path / "mixed.pdf").read_bytes())
    assert [(f.rule, f.where) for f in doc.findings] == [("image_pages", "pages 2")]
    assert _paragraphs(doc) == ["三、收到和处理政府信息公开申请情况（见下页图片）"]
