"""OFD (GB/T 33190, the national fixed-layout format: a ZIP of XML) read like a PDF: the positioned text of its pages,
in lines by their height on the page, and in a table the cells placed by the columns their starts line up on (a
blank cell prints nothing, so only the others' positions say where it was). The lines then read as text does
(nianbao.document.text), tab-separated where they are table rows."""

from __future__ import annotations

import posixpath
import re
import zipfile
from io import BytesIO

from lxml import etree

from nianbao.document.model import Document, UnreadableInput, located, location, relocate
from nianbao.document.text import read_text

MAX_UNPACKED = 200 * 2**20  # an archive that unpacks to more than this is no report (a ZIP bomb)
MAX_ENTRIES = 10000
SAME_LINE = 1.5  # mm: text objects this close in height are one line
SAME_COLUMN = 2.0  # mm: cell starts this close are one column
_BREAKS = re.compile("[\t\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")  # what str.splitlines breaks on, and tabs
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def read_ofd(data: bytes) -> Document:
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile as error:
        raise UnreadableInput(f"an OFD that is not a readable ZIP archive: {error}") from error
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES or sum(e.file_size for e in entries) > MAX_UNPACKED:
        raise UnreadableInput("an OFD that unpacks to more than a report could hold")
    try:
        root = _xml(archive, "OFD.xml")
        doc_root = _text(root, "DocRoot")
        if not doc_root:
            raise UnreadableInput("an OFD whose OFD.xml names no document (DocRoot)")
        base = posixpath.dirname(doc_root.lstrip("/"))
        document = _xml(archive, doc_root.lstrip("/"))
        pages = [page.get("BaseLoc") for page in document.iter("{*}Page") if page.get("BaseLoc")]
        lines: list[tuple[str, list[dict]]] = []
        for number, page_file in enumerate(pages, 1):
            lines += _page_lines(_xml(archive, posixpath.join(base, page_file)), number)
    except (KeyError, etree.XMLSyntaxError, ValueError) as error:
        raise UnreadableInput(f"an OFD whose structure could not be read: {str(error).splitlines()[0]}") from error
    doc = read_text("\n".join(text for text, _ in lines).encode("utf-8"))
    _place_on_pages(doc, [places for _, places in lines])
    title = _text(root, "Title")
    if title:
        doc.meta.setdefault("title", title)
    return doc


def _xml(archive: zipfile.ZipFile, name: str) -> etree._Element:
    return etree.fromstring(archive.read(name), _PARSER)


def _text(root: etree._Element, tag: str) -> str | None:
    found = next(root.iter(f"{{*}}{tag}"), None)
    return (found.text or "").strip() if found is not None else None


def _place_on_pages(doc: Document, places: list[list[dict]]) -> None:
    """Mark the text's cells and lines with the page and text object they were printed in, not the line and field of
    the intermediate text (which no one can open)."""
    def on_page(text: str) -> str:
        at = location(text)
        if not at or "line" not in at:
            return text
        fields = places[at["line"] - 1] if at["line"] <= len(places) else []
        field = at.get("field", 0)
        place = fields[field] if field < len(fields) else None
        return located(str(text), **place) if place else str(text)

    relocate(doc, on_page)


def _page_lines(page: etree._Element, number: int) -> list[tuple[str, list[dict]]]:
    """The page's text lines, top to bottom, each with where its fields were printed; a line of several cells with
    its cells tab-separated in their columns."""
    pieces = []
    for obj in page.iter("{*}TextObject"):
        boundary = [float(v) for v in (obj.get("Boundary") or "0 0 0 0").split()[:4]]
        x0, y0 = boundary[:2]
        for code in obj.iter("{*}TextCode"):
            text = _one_line(code.text or "")
            if text:
                place = {"page": number, "boundary": boundary}
                pieces.append((y0 + float(code.get("Y") or 0), x0 + float(code.get("X") or 0), text, place))
    rows: list[list[tuple[float, str, dict]]] = []
    last_y = None
    for y, x, text, place in sorted(pieces, key=lambda p: p[:3]):
        if last_y is None or y - last_y > SAME_LINE:
            rows.append([])
        rows[-1].append((x, text, place))
        last_y = y
    return _with_columns([sorted(row, key=lambda c: c[:2]) for row in rows])


def _one_line(text: str) -> str:
    """A text code's text on one line: a tab, or a character str.splitlines breaks on, would break the lines that
    read_text reads back (and their places)."""
    return _BREAKS.sub(" ", text).strip()


def _with_columns(rows: list[list[tuple[float, str, dict]]]) -> list[tuple[str, list[dict]]]:
    """Each run of rows of several cells (a table) on the columns their cell starts line up on."""
    lines, table = [], []
    for row in [*rows, []]:
        if len(row) > 1:
            table.append(row)
            continue
        if table:
            starts = _columns([x for cells in table for x, _, _ in cells])
            for cells in table:
                placed, places = [""] * len(starts), [{}] * len(starts)
                for x, text, place in cells:
                    column = min(range(len(starts)), key=lambda i: abs(starts[i] - x))
                    placed[column], places[column] = text, place
                lines.append(("\t".join(placed), places))
            table = []
        if row:
            lines.append((row[0][1], [row[0][2]]))
    return lines


def _columns(xs: list[float]) -> list[float]:
    starts: list[float] = []
    for x in sorted(xs):
        if not starts or x - starts[-1] > SAME_COLUMN:
            starts.append(x)
    return starts
