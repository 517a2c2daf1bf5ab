"""The table reader: finds each template row by its label in the document's row stream and reads its values.

Works the same on tab-separated text, one-cell-per-line text, HTML/DOCX grids and PDF tables rebuilt from rulings:
a row's values are the cells after its label in the same row or, when that row has none, the values that follow it
up to the next label.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from nianbao.document.model import CellRow, Finding, location
from nianbao.report.align import fit, split_digits
from nianbao.report.labels import heading_section, looks_like_label, matches_row, normalize
from nianbao.report.numbers import Cell, read_cell
from nianbao.template import Row

Value = float | int | None


@dataclass
class RowRead:
    row: Row
    cells: tuple[Value, ...]
    findings: list[Finding] = field(default_factory=list)
    readings: tuple[tuple[Value, ...], ...] = ()  # placements still possible when cells were lost or added
    # Where each column's value was printed and how it was placed (nianbao.template.PLACEMENTS), None for a null.
    sources: tuple[dict | None, ...] = ()
    reading_sources: tuple[tuple[dict | None, ...], ...] = ()  # the sources of each of the readings

    def as_dict(self) -> dict[str, Value]:
        return dict(zip(self.row.columns, self.cells, strict=True))

    def provenance(self, prefix: str) -> dict[str, dict]:
        """Each non-null cell's source, keyed prefix.column."""
        return {f"{prefix}.{column}": source for column, value, source in zip(self.row.columns, self.cells,
                                                                              self.sources, strict=False)
                if value is not None and source is not None}


def source_of(text: str, how: str) -> dict:
    """How a cell's value was placed, with where its source printed it when the reader could say."""
    return {"how": how, **(location(text) or {})}


def read_rows(rows: list[list[str]], start: int, end: int, specs: tuple[Row, ...], where: str) -> dict[str, RowRead]:
    """Every template row of `specs` found between rows[start:end], keyed by row key.

    A row with numbers whose label matches nothing is reported (key "?<row>") rather than lost silently.
    """
    found: dict[str, RowRead] = {}
    r = start
    while r < end:
        hit = _label_in_row(rows[r], specs, found)
        if hit is None:
            if stray := _stray_row(rows[r], specs, where):
                found[f"?{r}"] = stray
            r += 1
            continue
        col, spec = hit
        values, next_row = _values_after(rows, r, col, end, specs, len(spec.columns))
        if values:
            found[spec.key] = fit_row(values, spec, f"{where}.{spec.key}")
        r = next_row
    return found


def _stray_row(cells: list[str], specs: tuple[Row, ...], where: str) -> RowRead | None:
    """A row that prints a label and at least two numbers but is no row of the format (合计 for 总计, a typo)."""
    parsed = [read_cell(c) for c in cells]
    labels = [c for c, p in zip(cells, parsed, strict=True) if p.kind == "text" and looks_like_label(c)]
    if not labels or sum(p.is_value for p in parsed) < 2 or any(matches_row(c, s) for c in cells for s in specs):
        return None
    finding = Finding.of("unknown_row", where, f"row {labels[-1].strip()!r} is no row of the format; not read")
    return RowRead(Row("?", labels[-1], ()), (), [finding])


def _label_in_row(cells: list[str], specs: tuple[Row, ...], found: dict) -> tuple[int, Row] | None:
    """The last cell of the row that labels a row not yet read (a group label may stand before it)."""
    for col in range(len(cells) - 1, -1, -1):
        for spec in specs:
            if spec.key not in found and matches_row(cells[col], spec):
                return col, spec
    return None


def _values_after(rows, r: int, col: int, end: int, specs: tuple[Row, ...], width: int) -> tuple[list[str], int]:
    """The value cells of the row labelled at rows[r][col], and the index of the next row to look at."""
    same_row = rows[r][col + 1:]
    exact = getattr(rows[r], "exact", True)
    if any(read_cell(c).is_value for c in same_row):
        return (CellRow(same_row, exact), r + 1) if exact else _continued(rows, r, end, same_row, width)
    if exact and len(same_row) > 1 and all(not c.strip() for c in same_row):
        return CellRow(same_row, exact), r + 1  # printed with every cell left blank: nulls, not a lost row
    values: list[str] = []
    i = r + 1
    while i < end:
        cells = rows[i]
        if _starts_other_row(cells, specs) or _is_heading(cells):
            break
        parsed = [read_cell(c) for c in cells]
        if values and any(p.kind == "text" for p in parsed):
            break  # text after the numbers: the next row's label, unrecognised
        values.extend(c for c, p in zip(cells, parsed, strict=True) if p.is_value)
        i += 1
    return CellRow(values, exact=False), i


def _continued(rows, r: int, end: int, cells: list[str], width: int) -> tuple[CellRow, int]:
    """A text row (tabs, markdown) with too few numbers, and the rows of numbers alone that follow it, as long as
    they still fit the row: a converter broke the printed row in two at a cell's line break."""
    count = sum(read_cell(c).is_value for c in cells)
    i = r + 1
    while count < width and i < end and not getattr(rows[i], "exact", True):
        parsed = [read_cell(c) for c in rows[i]]
        more = sum(p.is_value for p in parsed)
        if not more or count + more > width or any(p.kind == "text" for p in parsed):
            break
        cells, count, i = [*cells, *rows[i]], count + more, i + 1
    return CellRow(cells, exact=False), i


def _starts_other_row(cells: list[str], specs: tuple[Row, ...]) -> bool:
    return any(matches_row(c, spec) for c in cells for spec in specs)


def _is_heading(cells: list[str]) -> bool:
    texts = [c for c in cells if c.strip()]
    return len(texts) == 1 and heading_section(texts[0]) is not None


def fit_row(texts: list[str], spec: Row, where: str) -> RowRead:
    """Turn a row's value cells into its template columns, raising findings for blanks and lost or extra cells.

    In an exact grid every cell keeps its place, so a blank is a blank; in tab-split text the empty fields at either
    end are debris of merged cells and are dropped first.
    """
    width = len(spec.columns)
    cells = [(t, read_cell(t)) for t in texts]
    if not getattr(texts, "exact", True):
        cells = _trim_blanks(cells)
    while len(cells) > width and cells[-1][1].kind == "blank":
        cells = cells[:-1]  # empty padding cells after the last column of an uneven grid
    findings: list[Finding] = []
    if len(cells) == width:
        values = tuple(_value(p, spec, where, findings) for _, p in cells)
        sources = tuple(source_of(t, "read") if p.is_value else None for t, p in cells)
        blanks = [spec.columns[i] for i, (_, p) in enumerate(cells) if p.kind == "blank"]
        if blanks:
            findings.append(Finding.of("blank_cell", where, f"left blank in the source: {', '.join(blanks)}"))
        for i, (text, p) in enumerate(cells):
            if p.kind == "text":
                findings.append(Finding.of("unreadable_cell", f"{where}.{spec.columns[i]}",
                                        f"not a number: {text.strip()!r}"))
        return RowRead(spec, values, findings, sources=sources)
    printed = [text for text, p in cells if p.is_value]
    numbers = [_value(p, spec, where, findings) for _, p in cells if p.is_value]
    if len(numbers) == width:  # the blanks were layout debris (empty merged columns), not cells
        return RowRead(spec, tuple(numbers), findings, sources=tuple(source_of(t, "read") for t in printed))
    if len(numbers) < width:
        tokens = [(re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)), value)
                  for text, value in zip(printed, numbers, strict=True)]
        if _run_together(tokens, width):
            return _split_row(tokens, printed, spec, where, findings)
    fitted = fit(numbers, spec)
    findings.append(Finding.of("cell_count", where, _cell_count_message(len(numbers), spec, fitted)))
    placed = [_placed(fitted.sources, fitted.inferred, printed)]
    if len(fitted.readings) > 1:
        placed += [_placed(s, inferred, printed)
                   for s, inferred in zip(fitted.reading_sources, fitted.reading_inferred, strict=True)]
        return RowRead(spec, fitted.cells, findings, fitted.readings, placed[0], tuple(placed[1:]))
    return RowRead(spec, fitted.cells, findings, sources=placed[0])


def _placed(sources, inferred: frozenset[int], printed: list[str]) -> tuple[dict | None, ...]:
    """Each column of a row whose count was off: the printed number it was placed from by the row's own sum, or
    recovered from that sum when it was not printed."""
    return tuple(source_of(printed[i], "row_sum") if i is not None else
                 {"how": "recovered_row_sum"} if col in inferred else None for col, i in enumerate(sources))


def _run_together(tokens: list[tuple[str, Value]], width: int) -> bool:
    """Plainly printed with no separator: one run of digits too long to be one count (6 digits and more), or a lone
    run as long as the row. Anything less is read as lost cells (align.fit), as it always was."""
    runs = [text for text, _ in tokens if text.isdigit()]
    return any(len(run) >= 6 for run in runs) or (len(tokens) == 1 and len(runs) == 1 and len(runs[0]) >= width)


def _split_row(tokens: list[tuple[str, Value]], printed: list[str], spec: Row, where: str,
               findings: list[Finding]) -> RowRead:
    """Cut the only way the row's sums allow (a warning that says so), else leave the row unread (an error that
    says why): never a lost-cells reading of one huge number."""
    split = split_digits(tokens, spec)
    runs = " ".join(text for text, _ in tokens if text.isdigit() and len(text) > 1)
    if split.cells is not None:
        findings.append(Finding.of("digits_split", where, f"numbers printed run together ({runs}) split as "
                                f"{' '.join(str(v) for v in split.cells)}: the only split the row's sums allow"))
        return RowRead(spec, split.cells, findings,
                       sources=tuple(source_of(printed[i], "digits_split") for i in split.sources))
    why = "no split" if split.ways == 0 else "too many splits to try" if split.ways < 0 else f"{split.ways} splits"
    findings.append(Finding.of("digits_run_together", where, f"numbers printed run together ({runs}): "
                            f"{why} of them satisfies the row's sums, so the row is left unread"))
    return RowRead(spec, (None,) * len(spec.columns), findings)


def _trim_blanks(cells: list[tuple[str, Cell]]) -> list[tuple[str, Cell]]:
    start, end = 0, len(cells)
    while start < end and cells[start][1].kind == "blank":
        start += 1
    while end > start and cells[end - 1][1].kind == "blank":
        end -= 1
    return cells[start:end]


def _value(cell: Cell, spec: Row, where: str, findings: list[Finding]) -> Value:
    if not cell.is_value:
        return None
    value = cell.value
    if spec.decimal and cell.unit == "元":
        value = round(value / 10000, 6)
        findings.append(Finding.of("unit_converted", where, f"{cell.value}元 read as {value}万元"))
    return value


def _cell_count_message(count: int, spec: Row, fitted) -> str:
    parts = [f"{count} numbers for {len(spec.columns)} columns"]
    if fitted.inferred:
        parts.append("placed by the row's own sum")
    nulls = [spec.columns[i] for i, v in enumerate(fitted.cells) if v is None]
    if nulls:
        parts.append("left null: " + ", ".join(nulls))
    return "; ".join(parts)


def collect_values(rows: list[CellRow], start: int, end: int) -> CellRow:
    """All value cells between rows[start:end] (one-row tables such as table 四), stopping at prose after them."""
    values: list[str] = []
    single_row: CellRow | None = None
    rows_with_values = 0
    for cells in rows[start:end]:
        parsed = [read_cell(c) for c in cells]
        if values and any(p.kind == "text" and "。" in normalize(c) for c, p in zip(cells, parsed, strict=True)):
            break
        if any(p.is_value for p in parsed):
            rows_with_values += 1
            single_row = CellRow([c for c, p in zip(cells, parsed, strict=True) if p.kind != "text"],
                                 getattr(cells, "exact", True))
            values.extend(c for c, p in zip(cells, parsed, strict=True) if p.is_value)
    # One printed row: keep its blank cells in place so that a blank stays null at its own column.
    return single_row if rows_with_values == 1 and single_row is not None else CellRow(values, exact=False)
