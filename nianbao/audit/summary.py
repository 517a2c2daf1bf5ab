"""Counts of the audit's rows by status, by level and by region."""

from __future__ import annotations

from collections.abc import Sequence

from nianbao.audit.model import LEVELS, STATUSES, AgencyAudit, Summary


def _zeros() -> dict[str, int]:
    return dict.fromkeys(STATUSES, 0)


def summarize(rows: Sequence[AgencyAudit], unattributed_reports: int = 0) -> Summary:
    by_status = _zeros()
    by_level = {level: _zeros() for level in LEVELS if any(r.level == level for r in rows)}
    by_region: dict[str, dict[str, int]] = {}
    region_names: dict[str, str] = {}
    for row in rows:  # rows come in tree order, so regions keep it
        by_status[row.status] += 1
        by_level[row.level][row.status] += 1
        by_region.setdefault(row.region_id, _zeros())[row.status] += 1
        region_names[row.region_id] = row.region_name
    return Summary(
        total=len(rows), by_status=by_status, by_level=by_level, by_region=by_region, region_names=region_names,
        with_errors=sum(r.errors > 0 for r in rows), with_checks=sum(bool(r.checks) for r in rows),
        unattributed_reports=unattributed_reports,
    )
