"""Tables that fit the terminal without cutting what people copy from them: names, ids and dates print whole (never
"托里县 …"); free text wraps; when that is not enough, optional columns go, least useful first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

GAP = 2  # cells between two columns of a Table(box=None, pad_edge=False)


@dataclass(frozen=True)
class Column:
    header: str
    whole: bool = True  # printed whole on one line; otherwise it wraps (long words folded) in what is left
    drop: int = 0  # 0: always shown; otherwise dropped when the table does not fit, the highest first
    justify: str = "left"
    min_width: int = 12  # a wrapping column narrower than this is dropped rather than shown one word per line


def fitted_table(columns: Sequence[Column], rows: Sequence[Sequence[str | Text]], width: int | None,
                 **table_options) -> Table:
    """A Rich table of `rows` that fits `width` cells (None: no limit) with every whole column at its full width."""
    natural = _natural(columns, rows)
    shown = list(range(len(columns)))
    for index in sorted((i for i, c in enumerate(columns) if c.drop), key=lambda i: -columns[i].drop):
        if width is None or _needed(columns, natural, shown) <= width:
            break
        shown.remove(index)
    table = Table(box=None, pad_edge=False, **table_options)
    for i in shown:
        column = columns[i]
        if column.whole:
            table.add_column(column.header, justify=column.justify, no_wrap=True, min_width=natural[i])
        else:
            table.add_column(column.header, justify=column.justify, overflow="fold",
                             min_width=min(natural[i], column.min_width))
    for row in rows:
        table.add_row(*(row[i] for i in shown))
    return table


def fits(columns: Sequence[Column], rows: Sequence[Sequence[str | Text]], width: int | None) -> bool:
    """Whether every column fits whole (wrapping ones at their narrowest) in `width` cells."""
    return width is None or _needed(columns, _natural(columns, rows), list(range(len(columns)))) <= width


def _natural(columns: Sequence[Column], rows: Sequence[Sequence[str | Text]]) -> list[int]:
    return [max([cell_len(_plain(row[i])) for row in rows] + [cell_len(_plain(c.header))])
            for i, c in enumerate(columns)]


def _needed(columns: Sequence[Column], natural: list[int], shown: list[int]) -> int:
    widths = [natural[i] if columns[i].whole else min(natural[i], columns[i].min_width) for i in shown]
    return sum(widths) + GAP * (len(widths) - 1)


def _plain(cell: str | Text) -> str:
    text = cell.plain if isinstance(cell, Text) else str(cell)
    return max(text.splitlines() or [""], key=cell_len)
