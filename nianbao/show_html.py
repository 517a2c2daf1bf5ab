"""`nianbao show REPORT --format html`: one self-contained page with the three tables beside their source.

For a PDF, the pages that hold the tables are drawn as images (pypdfium2) with a box around every cell's printed
value; for an HTML page or a Word file, the source tables rebuilt (text only: nothing of the source page runs) with
each read cell marked; for text, the lines with the read fields marked. Each value links to its place and back.
"""

from __future__ import annotations

import base64
import io
from html import escape

from nianbao.document import sniff
from nianbao.show import LEGEND, TableView, describe, shown_value, table_views

SCALE = 1.5  # PDF points to CSS pixels for the page images (108 dpi)
MAX_PAGES = 12  # pages drawn at most: the tables' pages, never a whole 200-page annex
_STYLE = """
body{font:14px/1.45 system-ui,"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:16px;color:#1b1f24}
h1{font-size:18px;margin:0 0 4px}.meta{color:#57606a;margin:0 0 12px}
.panes{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px;align-items:start}
table{border-collapse:collapse;margin:0 0 16px}td,th{border:1px solid #d0d7de;padding:2px 6px;vertical-align:top}
th{background:#f6f8fa;font-weight:600;text-align:left}.source{overflow:auto}td.v{text-align:right;white-space:nowrap}
td.v a{color:inherit;text-decoration:none}.inferred{background:#fff8c5}.corrected{background:#dafbe1}
.stale{background:#ffebe9}.legend{color:#57606a;font-size:12px}
.page{position:relative;margin:0 0 16px;border:1px solid #d0d7de}.page img{display:block}
.box{position:absolute;border:2px solid #ff00aa;box-sizing:border-box}
.box:target,.mark:target{outline:3px solid #0969da}
.source td.mark{background:#ffd6f0;box-shadow:inset 0 0 0 2px #ff00aa}
.lines{font-family:ui-monospace,monospace;white-space:pre-wrap;font-size:12px}.lines .mark{background:#ffd6f0}
"""


def render_html(report: dict, document: bytes | None) -> str:
    views = table_views(report)
    title = escape(report.get("title") or "(no title)")
    meta = escape(f"report {report.get('report_id')} · {report.get('agency_name') or ''} · {report.get('year')} · "
                  f"version {report.get('version')} · {report.get('source_url') or ''}")
    return (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{_STYLE}</style></head><body><h1>{title}</h1><p class=meta>{meta}</p>"
            f'<div class=panes><div class=tables>{"".join(_table(v) for v in views)}'
            f"<p class=legend>{escape(LEGEND)}</p>{_corrections(report)}</div>"
            f'<div class=source>{_source(report, document)}</div></div></body></html>\n')


def _table(view: TableView) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in ("", *view.columns))
    rows = []
    for label, cells in view.rows:
        tds = "".join(_value_cell(c) for c in cells)
        rows.append(f"<tr><th>{escape(label)}</th>{tds}</tr>")
    return f"<h2>{escape(view.title)}</h2><table data-table={view.key}><tr>{head}</tr>{''.join(rows)}</table>"


def _value_cell(cell) -> str:
    if cell is None:
        return "<td></td>"
    tip = describe(cell.source)
    if cell.correction:
        c = cell.correction
        tip += f"; corrected {c['parsed_value']} → {c['value']} by {c['by']}: {c['note']}"
        tip += " (stale: made on earlier bytes)" if c["stale"] else ""
    text = escape(shown_value(cell))
    place = cell.source and len(cell.source) > 1
    inner = f'<a href="#src-{escape(cell.key)}">{text}</a>' if place else text
    return (f'<td class="v {cell.mark}" id="cell-{escape(cell.key)}" data-cell="{escape(cell.key)}" '
            f'title="{escape(tip)}">{inner}</td>')


def _corrections(report: dict) -> str:
    corrections = report.get("corrections") or {}
    if not corrections:
        return ""
    items = "".join(f"<li class={'stale' if c['stale'] else 'corrected'}>{escape(key)}: "
                    f"{escape(str(c['parsed_value']))} → {escape(str(c['value']))} "
                    f"({escape(c['by'])}, {escape(c['at'])}{', stale' if c['stale'] else ''}): {escape(c['note'])}</li>"
                    for key, c in corrections.items())
    return f"<h2>人工更正</h2><ul>{items}</ul>"


def _source(report: dict, document: bytes | None) -> str:
    places = {key: s for key, s in (report.get("provenance") or {}).items() if len(s) > 1}
    if document is None:
        return "<p>the original is not stored</p>"
    if not places:
        return "<p>no cell of this report has a place in its source</p>"
    kind = sniff(document)
    drawers = {"pdf": _pdf_pages, "docx": _docx_tables, "html": _html_tables, "text": _text_lines}
    if kind not in drawers or (kind == "docx" and not all("table" in s for s in places.values())):
        return "<p>" + escape(f"the source is {kind}; each value's place is in its tooltip") + "</p>"
    try:
        return drawers[kind](document, places)
    except Exception as exc:  # a stored original that no longer draws (a damaged PDF): say so, keep the tables
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return "<p>" + escape(f"the source could not be drawn: {reason}") + "</p>"


def _pdf_pages(data: bytes, places: dict[str, dict]) -> str:
    import pypdfium2

    by_page: dict[int, list[tuple[str, list[float]]]] = {}
    for key, s in places.items():
        if "bbox" in s:
            by_page.setdefault(s["page"], []).append((key, s["bbox"]))
    pdf = pypdfium2.PdfDocument(data)
    out = []
    try:
        for number in sorted(by_page)[:MAX_PAGES]:
            page = pdf[number - 1]
            # The boxes are in pdfminer's space, whose origin is the MediaBox's corner; pdfium draws the CropBox.
            media_left, media_bottom = page.get_mediabox()[:2]
            crop_left, _, _, crop_top = page.get_cropbox()
            left, top = media_left - crop_left, crop_top - media_bottom
            image = page.render(scale=SCALE).to_pil()
            png = io.BytesIO()
            image.save(png, format="PNG", optimize=True)
            boxes = "".join(
                f'<a class=box id="src-{escape(key)}" href="#cell-{escape(key)}" data-cell="{escape(key)}" '
                f'title="{escape(key)}" style="left:{(left + x0) * SCALE - 2:.1f}px;'
                f'top:{(top - y1) * SCALE - 2:.1f}px;'
                f'width:{(x1 - x0) * SCALE + 4:.1f}px;height:{(y1 - y0) * SCALE + 4:.1f}px"></a>'
                for key, (x0, y0, x1, y1) in by_page[number])
            src = base64.b64encode(png.getvalue()).decode()
            out.append(f'<div class=page data-page={number} style="width:{image.width}px;height:{image.height}px">'
                       f'<img alt="page {number}" src="data:image/png;base64,{src}" width={image.width} '
                       f"height={image.height}>{boxes}</div>")
    finally:
        pdf.close()
    return "".join(out) or "<p>no cell of this report has a place on a page</p>"


def _marked(places: dict[str, dict]) -> dict[tuple, str]:
    return {(s["table"], s["row"], s["cell"]): key for key, s in places.items() if "table" in s}


def _html_tables(data: bytes, places: dict[str, dict]) -> str:
    from nianbao.document.html import decode_html, parse_page, table_rows

    root, _ = parse_page(decode_html(data))  # as the reader parsed it, so its tables are counted alike
    tables = list(root.iter("table")) if root is not None else []
    marked = _marked(places)

    def cells(number: int):
        for r, tr in enumerate(table_rows(tables[number])):
            yield [(_span(td.get("rowspan")), _span(td.get("colspan")), td.xpath("string()"), (number, r, k))
                   for k, td in enumerate(tr.xpath("./td | ./th"))]

    return _rebuilt({n for n, _, _ in marked if n < len(tables)}, cells, marked)


def _docx_tables(data: bytes, places: dict[str, dict]) -> str:
    import docx
    from docx.oxml.ns import qn

    from nianbao.document.docx import check_package, row_cells

    check_package(data)  # the reader's limits: a forged package never inflates here either
    body = docx.Document(io.BytesIO(data)).element.body
    tables = list(body.iter(qn("w:tbl")))
    marked = _marked(places)

    def cells(number: int):
        for r, tr in enumerate(tables[number].iterchildren(qn("w:tr"))):
            row = []
            for k, tc in enumerate(row_cells(tr)):
                span = tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
                colspan = _span(span.get(qn("w:val")) if span is not None else None)
                row.append((1, colspan, "".join(t.text or "" for t in tc.iter(qn("w:t"))), (number, r, k)))
            yield row

    return _rebuilt({n for n, _, _ in marked if n < len(tables)}, cells, marked)


def _rebuilt(numbers: set[int], cells, marked: dict[tuple, str]) -> str:
    """The source's tables that hold read cells, as plain tables of their text, the read cells marked."""
    out = []
    for number in sorted(numbers):
        rows = []
        for row in cells(number):
            tds = []
            for rowspan, colspan, text, place in row:
                key = marked.get(place)
                spans = (f" rowspan={rowspan}" if rowspan > 1 else "") + (f" colspan={colspan}" if colspan > 1 else "")
                mark = f' class=mark id="src-{escape(key)}" data-cell="{escape(key)}"' if key else ""
                link = f'<a href="#cell-{escape(key)}">{escape(text)}</a>' if key else escape(text)
                tds.append(f"<td{spans}{mark}>{link}</td>")
            rows.append(f"<tr>{''.join(tds)}</tr>")
        out.append(f"<h2>source table {number + 1}</h2><table data-source-table={number}>{''.join(rows)}</table>")
    return "".join(out) or "<p>no cell of this report has a place in a source table</p>"


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100))
    except ValueError:
        return 1


def _text_lines(data: bytes, places: dict[str, dict]) -> str:
    from nianbao.document.text import decode

    by_line: dict[int, dict[int | None, str]] = {}
    for key, s in places.items():
        by_line.setdefault(s["line"], {})[s.get("field")] = key
    lines = decode(data).splitlines()
    first, last = min(by_line, default=1), max(by_line, default=0)
    out = []
    for number in range(max(1, first - 3), min(len(lines), last + 3) + 1):
        text = lines[number - 1]
        keys = by_line.get(number, {})
        text = _mark_fields(text, keys) if keys else escape(text)
        out.append(f'<span class=n>{number:>5} </span>{text}')
    return f"<div class=lines>{chr(10).join(out)}</div>"


def _mark_fields(text: str, keys: dict[int | None, str]) -> str:
    def mark(part: str, key: str) -> str:
        return f'<span class=mark id="src-{escape(key)}" data-cell="{escape(key)}">{escape(part)}</span>'

    if None in keys:
        return mark(text, keys[None])
    piped = text.strip().startswith("|")
    parts = text.strip()[1:-1].split("|") if piped else text.split("\t")
    shown = [mark(p, keys[k]) if k in keys else escape(p) for k, p in enumerate(parts)]
    return "|" + "|".join(shown) + "|" if piped else "\t".join(shown)
