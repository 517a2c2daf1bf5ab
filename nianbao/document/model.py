"""The one intermediate form every input becomes: text blocks and tables of cells, in reading order."""

from __future__ import annotations

from dataclasses import dataclass, field

from nianbao.template import Finding

# A grid position covered by another cell's rowspan/colspan. It is not a blank cell: a blank cell is "".
SPANNED = None


class Located(str):
    """A cell's or line's text that remembers where its source printed it (`at`: page and bbox for a PDF, table, row
    and cell for HTML and DOCX, line and field for text). Only the readers make them; everything downstream passes
    the same objects along, so a number read from a cell can say where it was printed."""

    at: dict


def located(text: str, **at) -> str:
    """text marked with where it stands in the source (added to what it already says)."""
    marked = Located(text)
    marked.at = {**getattr(text, "at", {}), **at}
    return marked


def location(text: object) -> dict | None:
    """Where the source printed text, or None when the reader could not say (a joined paragraph, a fallback)."""
    return getattr(text, "at", None)


@dataclass
class Paragraph:
    text: str


@dataclass
class Table:
    """A table as a grid: rows of cells; spans are expanded, the covered positions hold SPANNED (None).

    exact: the cell positions are the source's own (HTML, DOCX, PDF rulings). Text split on tabs is not exact:
    empty fields there are often debris of merged cells rather than blank cells.
    """

    rows: list[list[str | None]]
    exact: bool = True


class CellRow(list):
    """One row of cells as the report parser sees it; `exact` as in Table (a paragraph is an exact row of one)."""

    def __init__(self, cells, exact: bool = True):
        super().__init__(cells)
        self.exact = exact


Block = Paragraph | Table


@dataclass
class Document:
    """What a reader returns: the body blocks, page metadata (title, published, index_no, publisher) and findings."""

    blocks: list[Block] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    # Attachment links found in a page ("附件：…"), for the crawler; absolute or as found.
    attachments: list[str] = field(default_factory=list)

    def rows(self) -> list[CellRow]:
        """Every block as rows of cells (a paragraph is a row of one cell), spans dropped, in reading order."""
        out: list[CellRow] = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                out.append(CellRow([block.text]))
            else:
                out.extend(CellRow([c for c in row if c is not SPANNED], block.exact) for row in block.rows)
        return out

    def text(self) -> str:
        """The body as plain text: paragraphs as lines, table rows as tab-separated lines."""
        lines: list[str] = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                lines.append(block.text)
            else:
                lines.extend("\t".join(c for c in row if c is not SPANNED) for row in block.rows)
        return "\n".join(lines)


def relocate(doc: Document, move) -> None:
    """Every cell and paragraph of doc given `move(text)` in its place: a reader that read through an intermediate
    form (OFD as text, DOC as DOCX) says where the original printed it."""
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            block.text = move(block.text)
        else:
            block.rows = [[c if c is SPANNED else move(c) for c in row] for row in block.rows]


class UnreadableInput(Exception):
    """The input is not a report file that can be read (corrupt, empty, wrong type, converter missing)."""
