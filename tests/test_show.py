"""`nianbao show REPORT`: the stored tables with each cell's place and placement; `--format html` puts them beside
their source (PDF pages drawn with a box on every cell, HTML/DOCX tables and text lines with the cells marked),
and renders in headless Chromium with the boxes over the printed values."""

from __future__ import annotations

import html
import json

import lxml.html
import pytest
from PIL import Image
from typer.testing import CliRunner

from nianbao.cli import app
from nianbao.report.numbers import read_cell
from nianbao.report.parse import parse_bytes, parse_file
from tests.browser import run_chromium
from tests.evaluation import FORMS
from tests.storage_fixtures import store_parsed

FORMS_STORED = ("pdf", "docx", "html", "text-tabs", "markdown")
runner = CliRunner()


def nianbao(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> tuple[str, dict[str, int]]:
    """The seed 托里县 2024 report stored once in each form, under a made-up agency per form; report ids by form."""
    folder = tmp_path_factory.mktemp("show")
    db = f"sqlite:///{folder / 'nianbao.sqlite'}"
    for form in FORMS_STORED:
        (folder / form).mkdir()
        path = FORMS[form]("tuoli-county-2024", folder / form)
        store_parsed(db, path.read_bytes(), parse_file(path), f"{form}县人民政府")
    listed = json.loads(nianbao("export", "--db", db))
    return db, {r["agency_name"].removesuffix("县人民政府"): r["report_id"] for r in listed}


def _placed(report: dict) -> dict[str, dict]:
    return {key: s for key, s in report["provenance"].items() if len(s) > 1}


def test_show_prints_the_tables_with_inferred_cells_marked(stored):
    db, ids = stored
    for form, report_id in ids.items():
        shown = nianbao("show", str(report_id), "--db", db)
        exported = json.loads(nianbao("show", str(report_id), "--format", "json", "--db", db))
        assert shown.startswith("托里县人民政府2024年政府信息公开工作年度报告\n")
        row = next(line for line in shown.splitlines() if line.startswith("一、本年新收"))
        cells = row.split("\t")[1:]
        new = exported["applications"]["new"]
        assert [c.rstrip("~") for c in cells] == ["" if v is None else str(v) for v in new.values()], form
        inferred = [k for k, s in exported["provenance"].items() if s["how"] != "read"]
        assert ("cells not simply read:" in shown) == bool(inferred)
    assert nianbao("show", "markdown县人民政府/2024", "--db", db) == nianbao("show", str(ids["markdown"]), "--db", db)


@pytest.mark.parametrize("form", FORMS_STORED)
def test_the_html_marks_every_placed_cell_in_its_source(stored, form, tmp_path):
    db, ids = stored
    out = tmp_path / "show.html"
    nianbao("show", str(ids[form]), "--format", "html", "--out", str(out), "--db", db)
    report = json.loads(nianbao("show", str(ids[form]), "--format", "json", "--db", db))
    doc = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    assert not doc.xpath("//script") and not doc.xpath("//iframe")
    source = doc.xpath('//div[@class="source"]')[0]
    placed = _placed(report)
    marks = {el.get("data-cell"): el for el in source.xpath(".//*[@data-cell]")}
    assert set(marks) == set(placed), form
    for key, el in marks.items():
        value = report[key.split(".")[0]][key.split(".")[1]][key.split(".")[2]]
        cell = doc.get_element_by_id(f"cell-{key}")
        assert cell.text_content().rstrip("~*!") == str(value)
        if form != "pdf":  # a rebuilt table cell or a marked text field holds the printed value
            assert read_cell(el.text_content()).value == value, (key, el.text_content())


HARNESS = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="page" style="border:0;display:block" width="{width}" height="{height}" srcdoc="{page}"></iframe>
<script>
window.addEventListener("load", () => {{
  const frame = document.getElementById("page");
  const boxes = [...frame.contentDocument.querySelectorAll(".box")].map(box => {{
    const r = box.getBoundingClientRect(), img = box.parentElement.querySelector("img").getBoundingClientRect();
    return {{cell: box.dataset.cell, box: [r.left, r.top, r.right, r.bottom],
             image: [img.left, img.top, img.right, img.bottom]}};
  }});
  const images = [...frame.contentDocument.querySelectorAll(".page img")];
  document.body.dataset.boxes = JSON.stringify(boxes);
  document.body.dataset.imagesLoaded = images.every(i => i.complete && i.naturalWidth > 0);
}});
</script></body></html>"""
MAGENTA = (255, 0, 170)


def test_pdf_page_renders_in_chromium_with_a_box_on_every_printed_value(stored, chromium, tmp_path):
    db, ids = stored
    page = tmp_path / "show.html"
    nianbao("show", str(ids["pdf"]), "--format", "html", "--out", str(page), "--db", db)
    width, height = 1600, 5000
    harness = tmp_path / "harness.html"
    harness.write_text(HARNESS.format(width=width, height=height, page=html.escape(page.read_text("utf-8"), True)),
                       encoding="utf-8")
    args = (f"--window-size={width},{height}", "--hide-scrollbars", "--virtual-time-budget=3000")
    dumped = run_chromium(chromium, tmp_path, *args, "--dump-dom", harness.as_uri()).stdout
    body = lxml.html.fromstring(dumped).body
    assert body.get("data-images-loaded") == "true"
    boxes = json.loads(body.get("data-boxes"))
    report = json.loads(nianbao("show", str(ids["pdf"]), "--format", "json", "--db", db))
    assert sorted(b["cell"] for b in boxes) == sorted(_placed(report))
    for b in boxes:  # every box lies on its page image
        (x0, y0, x1, y1), (ix0, iy0, ix1, iy1) = b["box"], b["image"]
        assert ix0 <= x0 < x1 <= ix1 and iy0 <= y0 < y1 <= iy1, b
    shot = tmp_path / "shot.png"
    run_chromium(chromium, tmp_path, *args, f"--screenshot={shot}", harness.as_uri())
    image = Image.open(shot).convert("RGB")
    visible = [b for b in boxes if b["box"][3] < image.height]
    assert len(visible) > 50
    for b in visible:
        x0, y0, x1, y1 = (round(v) for v in b["box"])
        border = image.getpixel((x0 + 1, (y0 + y1) // 2))
        assert all(abs(c - m) < 60 for c, m in zip(border, MAGENTA, strict=True)), (b, border)
        inside = [image.getpixel((x, y)) for x in range(x0 + 3, x1 - 3) for y in range(y0 + 3, y1 - 3)]
        assert any(max(p) < 120 for p in inside), b  # the printed digit under the box: dark pixels


def _store(db: str, name: str, data: bytes, parsed: dict) -> int:
    store_parsed(db, data, parsed, name)
    return next(r["report_id"] for r in json.loads(nianbao("export", "--db", db)) if r["agency_name"] == name)


def test_a_page_with_an_xml_declaration_is_drawn_as_the_reader_read_it(stored, tmp_path):
    db, _ = stored
    page = b'<?xml version="1.0" encoding="utf-8"?>\n' + FORMS["html"]("tuoli-county-2024", tmp_path).read_bytes()
    report_id = _store(db, "xml县人民政府", page, parse_bytes(page, name="r.html"))
    out = tmp_path / "show.html"
    nianbao("show", str(report_id), "--format", "html", "--out", str(out), "--db", db)
    report = json.loads(nianbao("show", str(report_id), "--format", "json", "--db", db))
    source = lxml.html.fromstring(out.read_text(encoding="utf-8")).xpath('//div[@class="source"]')[0]
    assert {el.get("data-cell") for el in source.xpath(".//*[@data-cell]")} == set(_placed(report)) != set()


def test_a_damaged_original_still_shows_its_tables(stored, tmp_path):
    db, _ = stored
    path = FORMS["pdf"]("tuoli-county-2024", tmp_path)
    report_id = _store(db, "damaged县人民政府", path.read_bytes()[:2000], parse_file(path))
    shown = nianbao("show", str(report_id), "--format", "html", "--db", db)
    assert "the source could not be drawn: " in shown and "一、本年新收政府信息公开申请数量" in shown


def test_unknown_reports_are_one_line_errors(stored):
    db, _ = stored
    result = runner.invoke(app, ["show", "9999", "--db", db])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "no stored report '9999'" in result.stderr
