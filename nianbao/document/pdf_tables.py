"""Ruled tables rebuilt from a frame of rules and the characters inside it: grid, merged cells, page continuations."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace
from itertools import pairwise

from nianbao.document.model import SPANNED, Table, located
from nianbao.document.pdf_rules import SNAP, Ruling
from nianbao.document.pdf_text import Glyph, block_text


@dataclass
class Cell:
    row: int
    col: int
    rowspan: int
    colspan: int
    text: str = ""


@dataclass
class Grid:
    """A table as cells on a grid of rows and columns; `source` lets it be rebuilt on other column boundaries."""

    xs: list[float]
    n_rows: int
    cells: list[Cell]
    top: float
    bottom: float
    source: tuple[Ruling, list[Glyph], int] | None = None

    def rows(self) -> list[list[str | None]]:
        grid: list[list[str | None]] = [[SPANNED] * (len(self.xs) - 1) for _ in range(self.n_rows)]
        for cell in self.cells:
            grid[cell.row][cell.col] = cell.text
        return grid

    def table(self) -> Table:
        return Table(self.rows())


def build_grid(ruling: Ruling, glyphs: list[Glyph], page: int = 0, *, xs: list[float] | None = None) -> Grid | None:
    """The table a frame of rules draws, with each glyph in its cell; None when the frame is a single box or holds
    no text (a drawing, a glyph outline), which is nothing to read as a table. A cell's text says where it was
    printed: its page (from 1) and the box around its glyphs (see glyph_box)."""
    xs = xs or ruling.xs()
    ys = ruling.ys()
    owner, cells = _cells(ruling, xs, ys)
    if len(cells) < 2:
        return None
    texts: list[list[Glyph]] = [[] for _ in cells]
    neg_ys = [-y for y in ys]
    last_row, last_col = len(ys) - 2, len(xs) - 2
    for g in glyphs:
        col = min(max(bisect_right(xs, (g.x0 + g.x1) / 2) - 1, 0), last_col)
        row = min(max(bisect_right(neg_ys, -(g.y0 + g.y1) / 2) - 1, 0), last_row)
        texts[owner[row][col]].append(g)
    for cell, inside in zip(cells, texts, strict=True):
        cell.text = located(block_text(inside), page=page, bbox=glyph_box(inside)) if inside else ""
    if not any(cell.text for cell in cells):
        return None
    return Grid(xs, len(ys) - 1, cells, ruling.y1, ruling.y0, (ruling, glyphs, page))


def glyph_box(glyphs: list[Glyph]) -> list[float]:
    """The box around glyphs in PDF user space, as [x0, y0, x1, y1] in points with y growing upwards."""
    return [round(v, 2) for v in (min(g.x0 for g in glyphs), min(g.y0 for g in glyphs),
                                  max(g.x1 for g in glyphs), max(g.y1 for g in glyphs))]


def _cells(ruling: Ruling, xs: list[float], ys: list[float]) -> tuple[list[list[int]], list[Cell]]:
    """Grid positions grown into cells wherever no rule separates them (a merged cell spans them)."""
    v_walls = [[(s.lo, s.hi) for s in ruling.v if abs(s.pos - x) <= SNAP] for x in xs]
    h_walls = [[(s.lo, s.hi) for s in ruling.h if abs(s.pos - y) <= SNAP] for y in ys]
    row_mid = [(a + b) / 2 for a, b in pairwise(ys)]
    col_mid = [(a + b) / 2 for a, b in pairwise(xs)]
    n_rows, n_cols = len(row_mid), len(col_mid)
    owner = [[-1] * n_cols for _ in range(n_rows)]
    cells: list[Cell] = []
    for i in range(n_rows):
        for j in range(n_cols):
            if owner[i][j] >= 0:
                continue
            cs = 1
            while j + cs < n_cols and owner[i][j + cs] < 0 and not _covers(v_walls[j + cs], row_mid[i]):
                cs += 1
            rs = 1
            while i + rs < n_rows and all(
                owner[i + rs][k] < 0 and not _covers(h_walls[i + rs], col_mid[k]) for k in range(j, j + cs)
            ):
                rs += 1
            for r in range(i, i + rs):
                owner[r][j : j + cs] = [len(cells)] * cs
            cells.append(Cell(i, j, rs, cs))
    return owner, cells


def _covers(walls: list[tuple[float, float]], at: float) -> bool:
    return any(lo <= at <= hi for lo, hi in walls)


def continue_table(head: Grid, tail: Grid) -> Grid | None:
    """head with tail (the same table continued at the top of the next page) appended; None if they differ in layout.

    A header repeated at the top of the tail is dropped; a merged cell cut by the page break is made whole again.
    """
    pair = _on_common_columns(head, tail)
    if pair is None:
        return None
    head, tail = pair
    skip = _repeated_header(head, tail)
    bottom = {(c.col, c.colspan): c for c in head.cells if c.row + c.rowspan == head.n_rows}
    cells = [replace(c) for c in head.cells]
    by_id = {id(old): new for old, new in zip(head.cells, cells, strict=True)}
    for cell in tail.cells:
        if cell.row < skip:
            continue
        above = bottom.get((cell.col, cell.colspan)) if cell.row == skip else None
        if above is not None and _cut_by_page(above, cell):
            joined = by_id[id(above)]
            joined.rowspan += cell.rowspan
            joined.text = joined.text or cell.text
            continue
        cells.append(Cell(cell.row - skip + head.n_rows, cell.col, cell.rowspan, cell.colspan, cell.text))
    return Grid(head.xs, head.n_rows + tail.n_rows - skip, cells, head.top, tail.bottom)


def _on_common_columns(head: Grid, tail: Grid) -> tuple[Grid, Grid] | None:
    """Both tables on the same column boundaries, rebuilding the one that lacks some; None if not one layout."""
    if abs(head.xs[0] - tail.xs[0]) > SNAP or abs(head.xs[-1] - tail.xs[-1]) > SNAP:
        return None
    tail_in_head = _subset(tail.xs, head.xs)
    head_in_tail = _subset(head.xs, tail.xs)
    if tail_in_head and head_in_tail:
        return head, tail
    if tail_in_head and tail.source:
        rebuilt = build_grid(*tail.source, xs=head.xs)
        return (head, rebuilt) if rebuilt else None
    if head_in_tail and head.source:
        rebuilt = build_grid(*head.source, xs=tail.xs)
        return (rebuilt, tail) if rebuilt else None
    return None


def _subset(xs: list[float], of: list[float]) -> bool:
    return all(any(abs(x - y) <= SNAP for y in of) for x in xs)


def _repeated_header(head: Grid, tail: Grid) -> int:
    """How many top rows of tail repeat the top rows of head (Word's "repeat header rows"), cutting no cell."""
    head_rows, tail_rows = head.rows(), tail.rows()
    skip = 0
    while (
        skip < min(len(head_rows), len(tail_rows) - 1) and tail_rows[skip] == head_rows[skip] and any(tail_rows[skip])
    ):
        skip += 1
    while skip and any(c.row < skip < c.row + c.rowspan for c in tail.cells):
        skip -= 1
    return skip


def _cut_by_page(above: Cell, below: Cell) -> bool:
    """Whether two cells meeting at a page break are one merged cell: Word prints its text in one part only."""
    spans = above.rowspan > 1 or below.rowspan > 1
    return spans and (not above.text or not below.text or above.text == below.text)
