"""Ruling lines of a PDF page: the horizontal and vertical edges drawn as lines, thin rectangles or polylines,
snapped, joined and grouped into the connected frames of ruled tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from pdfminer.layout import LTCurve, LTLine, LTRect

from nianbao.document.pdf_settings import TOLERANCES


class Seg(NamedTuple):
    """An axis-parallel edge: pos is y for a horizontal edge, x for a vertical one; lo..hi is its extent."""

    pos: float
    lo: float
    hi: float


SNAP = TOLERANCES.snap  # used on every comparison of rule positions below


@dataclass
class Ruling:
    """One connected frame of rules on a page: a ruled table's skeleton."""

    h: list[Seg]
    v: list[Seg]
    x0: float
    y0: float
    x1: float
    y1: float

    def xs(self) -> list[float]:
        """Column boundaries, left to right."""
        return cluster([s.pos for s in self.v] + [self.x0, self.x1])

    def ys(self) -> list[float]:
        """Row boundaries, top to bottom."""
        return cluster([s.pos for s in self.h] + [self.y0, self.y1])[::-1]

    def contains(self, x: float, y: float) -> bool:
        return self.x0 - 1 <= x <= self.x1 + 1 and self.y0 - 1 <= y <= self.y1 + 1


def add_edges(item: LTLine | LTRect | LTCurve, h: list[Seg], v: list[Seg]) -> None:
    """Append the rules a painted path contributes; curves, diagonals and filled areas contribute none."""
    if isinstance(item, LTRect):
        _rect_edges(item, h, v)
    elif isinstance(item, LTLine):
        (ax, ay), (bx, by) = item.pts[0], item.pts[-1]
        _edge(ax, ay, bx, by, h, v)
    elif isinstance(item, LTCurve) and item.original_path:
        _path_edges(item.original_path, h, v)


def _rect_edges(rect: LTRect, h: list[Seg], v: list[Seg]) -> None:
    if rect.height <= TOLERANCES.thin and rect.width > rect.height:
        h.append(Seg((rect.y0 + rect.y1) / 2, rect.x0, rect.x1))
    elif rect.width <= TOLERANCES.thin and rect.height > rect.width:
        v.append(Seg((rect.x0 + rect.x1) / 2, rect.y0, rect.y1))
    elif rect.stroke:  # a stroked box; a filled one is shading and its edges repeat the cell rules anyway
        h.extend((Seg(rect.y0, rect.x0, rect.x1), Seg(rect.y1, rect.x0, rect.x1)))
        v.extend((Seg(rect.x0, rect.y0, rect.y1), Seg(rect.x1, rect.y0, rect.y1)))


def _path_edges(path: list, h: list[Seg], v: list[Seg]) -> None:
    start = cur = None
    for op in path:
        kind = op[0]
        if kind == "m":
            start = cur = op[1]
        elif kind == "l" and cur is not None:
            _edge(*cur, *op[1], h, v)
            cur = op[1]
        elif kind == "h" and cur is not None and start is not None:
            _edge(*cur, *start, h, v)
            cur = start
        elif len(op) > 1:  # a Bézier piece moves the pen but draws no rule
            cur = op[-1]


def _edge(ax: float, ay: float, bx: float, by: float, h: list[Seg], v: list[Seg]) -> None:
    if abs(ay - by) < 1.0 and abs(ax - bx) >= TOLERANCES.min_length:
        h.append(Seg((ay + by) / 2, min(ax, bx), max(ax, bx)))
    elif abs(ax - bx) < 1.0 and abs(ay - by) >= TOLERANCES.min_length:
        v.append(Seg((ax + bx) / 2, min(ay, by), max(ay, by)))


def cluster(values: list[float], tol: float = SNAP) -> list[float]:
    """Sorted representatives of values, those within tol of their neighbour counted as one (their mean)."""
    out: list[float] = []
    group: list[float] = []
    for value in sorted(values):
        if group and value - group[-1] > tol:
            out.append(sum(group) / len(group))
            group = []
        group.append(value)
    if group:
        out.append(sum(group) / len(group))
    return out


def merge_segments(segs: list[Seg]) -> list[Seg]:
    """Snap edges at nearly the same position to one position, and join the pieces that touch or overlap."""
    out: list[Seg] = []
    group: list[Seg] = []
    for seg in sorted(segs):
        if group and seg.pos - group[-1].pos > SNAP:
            out.extend(_join(group))
            group = []
        group.append(seg)
    if group:
        out.extend(_join(group))
    return out


def _join(group: list[Seg]) -> list[Seg]:
    pos = sum(s.pos for s in group) / len(group)
    joined: list[Seg] = []
    lo = hi = None
    for seg in sorted(group, key=lambda s: s.lo):
        if hi is not None and seg.lo <= hi + SNAP:
            hi = max(hi, seg.hi)
            continue
        if lo is not None:
            joined.append(Seg(pos, lo, hi))
        lo, hi = seg.lo, seg.hi
    if lo is not None:
        joined.append(Seg(pos, lo, hi))
    return joined


def rulings(h: list[Seg], v: list[Seg]) -> list[Ruling]:
    """The connected frames of rules that can hold a table: at least two rules each way, crossing each other."""
    h, v = merge_segments(h), merge_segments(v)
    parent = list(range(len(h) + len(v)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, hs in enumerate(h):
        for j, vs in enumerate(v):
            if hs.lo - SNAP <= vs.pos <= hs.hi + SNAP and vs.lo - SNAP <= hs.pos <= vs.hi + SNAP:
                parent[find(i)] = find(len(h) + j)
    groups: dict[int, tuple[list[Seg], list[Seg]]] = {}
    for i, seg in enumerate(h + v):
        groups.setdefault(find(i), ([], []))[0 if i < len(h) else 1].append(seg)
    out = []
    for hs, vs in groups.values():
        if len(hs) >= 2 and len(vs) >= 2:
            # The frame's extent counts rules sticking out past the last crossing one (tables open at the sides).
            x0 = min(min(s.pos for s in vs), min(s.lo for s in hs))
            x1 = max(max(s.pos for s in vs), max(s.hi for s in hs))
            y0 = min(min(s.pos for s in hs), min(s.lo for s in vs))
            y1 = max(max(s.pos for s in hs), max(s.hi for s in vs))
            out.append(Ruling(hs, vs, x0, y0, x1, y1))
    return out
