"""Choosing among a row's possible placements with table 三's column arithmetic.

A row that lost a cell can often be placed several ways by its own sum; the columns' sums ((七)总计 = the outcome
rows, 一+二 = 三(七)+四) usually leave only one. Nothing is changed when they do not decide.
"""

from __future__ import annotations

from nianbao.report.tables import RowRead
from nianbao.report.validate import check
from nianbao.template import APPLICANT_COLUMNS

_COLUMN_RULES = {"balance", "handled_total"}


def resolve_by_columns(reads: dict[str, RowRead]) -> None:
    """Adopt, for each ambiguous row, the one placement that breaks fewer column sums than every other."""
    changed = True
    while changed:
        changed = False
        for key, read in reads.items():
            if len(read.readings) < 2:
                continue
            scores = {reading: _violations(reads, key, reading) for reading in read.readings}
            best = min(scores.values())
            winners = [r for r, s in scores.items() if s == best]
            if len(winners) == 1 and len(scores) > 1:
                read.cells, read.readings = winners[0], ()
                for finding in read.findings:
                    if finding.rule == "cell_count":
                        finding.message += "; placed by the table's column sums"
                changed = True


def _violations(reads: dict[str, RowRead], key: str, reading) -> int:
    apps = {k: dict(zip(APPLICANT_COLUMNS, reading if k == key else r.cells, strict=True)) for k, r in reads.items()}
    return sum(1 for f in check(apps, {}) if f.rule in _COLUMN_RULES)
