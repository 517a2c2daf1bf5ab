"""Fitting a row's printed numbers to its template columns when extraction lost or added cells.

Every way of placing the numbers is tried; a placement must agree with the row's own arithmetic (its 总计 equals the
sum of its parts), a single lost cell is recovered from that arithmetic, and where the surviving placements disagree
about a cell, the cell is left null. The numbers are never corrected, only placed.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb, isclose

from nianbao.template import Row

Value = float | int | None
# Beyond this many placements the row is too broken to place with any confidence.
_MAX_PLACEMENTS = 5000


@dataclass(frozen=True)
class Placement:
    cells: tuple[Value, ...]
    inferred: frozenset[int]  # columns whose value was recovered from the row's arithmetic
    printed_totals: int  # sum groups whose 总计 is a printed number, not a recovered one


@dataclass(frozen=True)
class Fitted:
    cells: tuple[Value, ...]
    inferred: frozenset[int]
    ambiguous: frozenset[int]  # columns left null because the readings disagree
    readings: tuple[tuple[Value, ...], ...] = ()  # the distinct placements that survived, for the column check


def fit(numbers: list[float | int], row: Row) -> Fitted:
    """Place `numbers` into the columns of `row` (called only when their count differs from the columns')."""
    width = len(row.columns)
    placements = [p for p in _placements(numbers, width, row) if p is not None]
    if not placements:
        return Fitted((None,) * width, frozenset(), frozenset(range(width)))
    best = max(p.printed_totals for p in placements)
    kept = [p for p in placements if p.printed_totals == best]
    cells: list[Value] = []
    ambiguous: set[int] = set()
    for col in range(width):
        values = {p.cells[col] for p in kept}
        if len(values) == 1:
            cells.append(values.pop())
        else:
            cells.append(None)
            ambiguous.add(col)
    inferred = frozenset(c for c in set().union(*(p.inferred for p in kept)) if cells[c] is not None)
    readings = tuple(dict.fromkeys(p.cells for p in kept))
    return Fitted(tuple(cells), inferred, frozenset(ambiguous), readings)


def _placements(numbers: list[float | int], width: int, row: Row):
    n = len(numbers)
    if n < width:
        if comb(width, width - n) > _MAX_PLACEMENTS:
            return
        for missing in combinations(range(width), width - n):
            it = iter(numbers)
            cells = [None if col in missing else next(it) for col in range(width)]
            yield _complete(cells, set(missing), row)
    elif n > width:
        if comb(n, n - width) > _MAX_PLACEMENTS:
            return
        for extra in combinations(range(n), n - width):
            cells = [v for i, v in enumerate(numbers) if i not in extra]
            yield _complete(cells, set(), row)


def _complete(cells: list[Value], missing: set[int], row: Row) -> Placement | None:
    """Recover single unknowns from the sum groups and check the rest; None when the arithmetic rules it out."""
    inferred: set[int] = set()
    progress = True
    while progress:
        progress = False
        for parts, total in row.sums:
            group = [*parts, total]
            unknown = [i for i in group if cells[i] is None]
            if len(unknown) != 1:
                continue
            i = unknown[0]
            known_parts = sum(cells[p] for p in parts if p != i)
            value = known_parts if i == total else cells[total] - known_parts
            if not _acceptable(value, row):
                return None
            cells[i] = value
            inferred.add(i)
            progress = True
    for parts, total in row.sums:
        if any(cells[i] is None for i in (*parts, total)):
            continue
        if not isclose(sum(cells[p] for p in parts), cells[total], abs_tol=1e-6):
            return None
    printed_totals = sum(1 for _, total in row.sums if total not in missing)
    return Placement(tuple(cells), frozenset(inferred), printed_totals)


def _acceptable(value: float | int, row: Row) -> bool:
    if value < 0 and not row.signed:
        return False
    return row.decimal or isclose(value, round(value), abs_tol=1e-9)
