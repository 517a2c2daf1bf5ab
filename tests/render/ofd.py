"""Seed reports as OFD (GB/T 33190, the national fixed-layout format): a ZIP of XML, OFD.xml naming the document,
Document.xml its pages, each page's Content.xml positioned text objects (millimetres). Written from the published
structure, as a generator of Chinese government documents lays text out: one TextObject per printed cell or line."""

from __future__ import annotations

import io
import zipfile
from html import escape
from pathlib import Path

from tests.render.text import render_text

NS = "http://www.ofdspec.org/2016"
PAGE_W, PAGE_H = 210.0, 297.0
LINE = 6.0  # mm between lines
LINES_PER_PAGE = 40
LABEL_W, CELL_W = 62.0, 17.0  # a table's first column holds the label


def render_ofd(report: dict, path: Path) -> Path:
    lines = render_text(report, layout="tabs").decode("utf-8").splitlines()
    pages = [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as ofd:
        ofd.writestr("OFD.xml", _ofd_xml(report["title"]))
        ofd.writestr("Doc_0/Document.xml", _document_xml(len(pages)))
        ofd.writestr("Doc_0/PublicRes.xml", f'<ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts>'
                                            '<ofd:Font ID="2" FontName="宋体"/></ofd:Fonts></ofd:Res>')
        for number, page in enumerate(pages):
            ofd.writestr(f"Doc_0/Pages/Page_{number}/Content.xml", _content_xml(page, number))
    path.write_bytes(out.getvalue())
    return path


def _ofd_xml(title: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD">'
            f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>0</ofd:DocID><ofd:Title>{escape(title)}</ofd:Title>"
            "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")


def _document_xml(pages: int) -> str:
    listed = "".join(f'<ofd:Page ID="{10 + n}" BaseLoc="Pages/Page_{n}/Content.xml"/>' for n in range(pages))
    return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
            f"<ofd:MaxUnitID>9999</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 {PAGE_W} {PAGE_H}"
            "</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
            f"<ofd:Pages>{listed}</ofd:Pages></ofd:Document>")


def _content_xml(lines: list[str], page: int) -> str:
    objects, unit = [], 1000 + page * 1000
    for row, line in enumerate(lines):
        y = 20.0 + row * LINE
        cells = line.split("\t") if "\t" in line else [line]
        for column, text in enumerate(cells):
            if not text.strip():
                continue  # a blank cell prints nothing: only the positions of the others say where it was
            x = 20.0 if column == 0 else 20.0 + LABEL_W + (column - 1) * CELL_W
            width = (LABEL_W if column == 0 and len(cells) > 1 else 170.0 if len(cells) == 1 else CELL_W) - 1
            unit += 1
            objects.append(f'<ofd:TextObject ID="{unit}" Boundary="{x} {y} {width} 5" Font="2" Size="3.5">'
                           f'<ofd:TextCode X="0" Y="4">{escape(text)}</ofd:TextCode></ofd:TextObject>')
    return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content>'
            f'<ofd:Layer ID="{page + 2}">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>')
