"""Choosing among a row's possible placements with table 三's column arithmetic.

A row that lost a cell can often be placed several ways by its own sum; the columns' sums ((七)总计 = the outcome
rows, 一+二 = 三(七)+四) usually leave only one. Nothing is changed when they do not decide.
"""

from __future__ import annotations

from dataclasses import replace

from nianbao.report.tables import RowRead
from nianbao.report.validate import check
from nianbao.template import APPLICANT_COLUMNS

_COLUMN_RULES = {"balance", "handled_total"}


def resolve_by_columns(reads: dict[str, RowRead]) -> None:
    """Adopt, for each ambiguous row, the one placement under which every column sum holds.

    When no placement makes the columns add up, the source itself is inconsistent there: the disputed cells stay
    null rather than be guessed into a finding the report does not print.
    """
    changed = True
    while changed:
        changed = False
        for key, read in reads.items():
            if len(read.readings) < 2:
                continue
            winners = [r for r in read.readings if _violations(reads, key, r) == 0]
            if len(winners) == 1:
                chosen = read.reading_sources[read.readings.index(winners[0])] if read.reading_sources else ()
                read.sources = tuple(dict(s, how="column_sums") if s and s["how"] == "row_sum" else s for s in chosen)
                read.cells, read.readings, read.reading_sources = winners[0], (), ()
                read.findings = [replace(f, message=f.message.split("; left null")[0] + "; placed by the column sums")
                                 if f.rule == "cell_count" else f for f in read.findings]
                changed = True


def _violations(reads: dict[str, RowRead], key: str, reading) -> int:
    apps = {k: dict(zip(APPLICANT_COLUMNS, reading if k == key else r.cells, strict=True)) for k, r in reads.items()}
    return sum(1 for f in check(apps, {}) if f.rule in _COLUMN_RULES)
