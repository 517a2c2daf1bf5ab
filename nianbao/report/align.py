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


Sources = tuple[int | None, ...]  # for each column, which of the printed numbers it holds (None: not printed)


@dataclass(frozen=True)
class Placement:
    cells: tuple[Value, ...]
    inferred: frozenset[int]  # columns whose value was recovered from the row's arithmetic
    printed_totals: int  # sum groups whose 总计 is a printed number, not a recovered one
    sources: Sources = ()


@dataclass(frozen=True)
class Fitted:
    cells: tuple[Value, ...]
    inferred: frozenset[int]
    ambiguous: frozenset[int]  # columns left null because the readings disagree
    readings: tuple[tuple[Value, ...], ...] = ()  # the distinct placements that survived, for the column check
    sources: Sources = ()  # the printed number each column holds (of those the surviving placements agree on)
    reading_sources: tuple[Sources, ...] = ()  # each reading's sources
    reading_inferred: tuple[frozenset[int], ...] = ()  # and the columns each recovered from the row's sum


def fit(numbers: list[float | int], row: Row) -> Fitted:
    """Place `numbers` into the columns of `row` (called only when their count differs from the columns')."""
    width = len(row.columns)
    placements = [p for p in _placements(numbers, width, row) if p is not None]
    if not placements:
        return Fitted((None,) * width, frozenset(), frozenset(range(width)), sources=(None,) * width)
    best = max(p.printed_totals for p in placements)
    kept = [p for p in placements if p.printed_totals == best]
    cells: list[Value] = []
    sources: list[int | None] = []
    ambiguous: set[int] = set()
    for col in range(width):
        values = {p.cells[col] for p in kept}
        if len(values) == 1:
            cells.append(values.pop())
            # Placements that agree on the value may take it from different printed copies (two 0s): the first
            # placement's, for every column, so that no two columns point at one printed number.
            sources.append(kept[0].sources[col])
        else:
            cells.append(None)
            sources.append(None)
            ambiguous.add(col)
    inferred = frozenset(c for c in set().union(*(p.inferred for p in kept)) if cells[c] is not None)
    by_reading: dict[tuple[Value, ...], Placement] = {}
    for p in kept:
        by_reading.setdefault(p.cells, p)
    readings = list(by_reading.values())
    return Fitted(tuple(cells), inferred, frozenset(ambiguous), tuple(by_reading), tuple(sources),
                  tuple(p.sources for p in readings), tuple(p.inferred for p in readings))


def _placements(numbers: list[float | int], width: int, row: Row):
    n = len(numbers)
    if n < width:
        if comb(width, width - n) > _MAX_PLACEMENTS:
            return
        for missing in combinations(range(width), width - n):
            it = iter(range(n))
            sources = [None if col in missing else next(it) for col in range(width)]
            cells = [None if i is None else numbers[i] for i in sources]
            yield _complete(cells, set(missing), row, tuple(sources))
    elif n > width:
        if comb(n, n - width) > _MAX_PLACEMENTS:
            return
        for extra in combinations(range(n), n - width):
            sources = [i for i in range(n) if i not in extra]
            yield _complete([numbers[i] for i in sources], set(), row, tuple(sources))


def _complete(cells: list[Value], missing: set[int], row: Row, sources: Sources = ()) -> Placement | None:
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
    return Placement(tuple(cells), frozenset(inferred), printed_totals, sources)


def _acceptable(value: float | int, row: Row) -> bool:
    if value < 0 and not row.signed:
        return False
    return row.decimal or isclose(value, round(value), abs_tol=1e-9)


# ---- digits run together ------------------------------------------------------------------------------------------
# A narrow PDF column, or a converter, can print a row's numbers with no separator ("1010103" for 1 0 1 0 1 0 3).
_MAX_CUTS = 50000  # ways of cutting the digits looked at (zero-led ones too) before the row is called unreadable
_MAX_RUN = 30  # digits in one row's runs: beyond this no cutting is tried


@dataclass(frozen=True)
class Split:
    cells: tuple[Value, ...] | None  # the one split the row's sums allow, or None
    ways: int  # how many splits satisfied the sums (0, 1 or more; -1: too many to try)
    sources: Sources = ()  # for each column, the token its number was cut from


def split_digits(tokens: list[tuple[str, Value]], row: Row) -> Split:
    """Cut the digit runs among a row's printed numbers (each as printed and as read) so that the row has exactly
    its columns and its sums hold. Only a run of plain digits is cut, never before a 0 that would lead a part ("05");
    other numbers ("-", "1,234", "3.5") stay as read; the numbers are never changed."""
    width = len(row.columns)
    extra = width - len(tokens)
    cuttable = [i for i, (text, _) in enumerate(tokens) if text.isdigit() and len(text) > 1]
    if extra <= 0 or not cuttable or not row.sums or row.decimal:
        return Split(None, 0)
    if sum(len(tokens[i][0]) for i in cuttable) > _MAX_RUN:
        return Split(None, -1)
    found: dict[tuple[Value, ...], Sources] = {}
    budget = [_MAX_CUTS]
    for parts in _distributions(extra, [len(tokens[i][0]) - 1 for i in cuttable]):
        pieces = {i: k for i, k in zip(cuttable, parts, strict=True)}
        owners = tuple(i for i in range(len(tokens)) for _ in range(pieces.get(i, 0) + 1))
        for cut in _cuts([(text, value, pieces.get(i, 0)) for i, (text, value) in enumerate(tokens)], budget):
            placed = _complete(list(cut), set(), row)
            if placed is not None:
                found.setdefault(placed.cells, owners)
        if budget[0] < 0:
            return Split(None, -1)
    if len(found) == 1:
        (cells, owners), = found.items()
        return Split(cells, 1, owners)
    return Split(None, len(found))


def _distributions(extra: int, room: list[int]):
    """Ways to add `extra` cuts over the runs, each run taking at most its room (its digits less one)."""
    if not room:
        if extra == 0:
            yield ()
        return
    for here in range(min(extra, room[0]) + 1):
        for rest in _distributions(extra - here, room[1:]):
            yield (here, *rest)


def _cuts(tokens: list[tuple[str, Value, int]], budget: list[int]):
    """Every way of cutting each token into its number of cuts plus one parts; no part but "0" starts with 0."""
    if not tokens:
        yield ()
        return
    (text, value, cuts), rest = tokens[0], tokens[1:]
    for head in _pieces(text, value, cuts, budget):
        for tail in _cuts(rest, budget):
            yield (*head, *tail)


def _pieces(text: str, value: Value, cuts: int, budget: list[int]):
    if cuts == 0:
        yield (value,)
        return
    for at in combinations(range(1, len(text)), cuts):
        budget[0] -= 1
        if budget[0] < 0:
            return
        parts = [text[i:j] for i, j in zip((0, *at), (*at, len(text)), strict=True)]
        if all(p == "0" or not p.startswith("0") for p in parts):
            yield tuple(int(p) for p in parts)
