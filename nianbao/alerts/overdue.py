"""Agencies newly overdue: `missing` in the audit as the database stood at one moment but not at an earlier one.

The audit itself decides (nianbao.audit: deadlines, proven absence); this only feeds it the database as of a moment:
each agency's latest site outcome recorded by then, the reports first fetched by then, deadlines judged on that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nianbao.audit import audit
from nianbao.audit.load import load, load_unstored
from nianbao.audit.model import Agency, AgencyAudit, Settings, SiteState, StoredReport, UnstoredReport
from storage.models import ListingPage, Report, ReportVersion, SiteOutcome

TIMEZONE = ZoneInfo("Asia/Shanghai")  # deadlines are days in China


@dataclass(frozen=True)
class Overdue:
    agency_id: str
    name: str
    level: str
    deadline: date


def local_date(moment: datetime) -> date:
    return moment.astimezone(TIMEZONE).date()


def overdue_year(moment: datetime) -> int:
    """The reporting year a run cares about: the latest whose deadlines have passed or are running."""
    return local_date(moment).year - 1


def newly_overdue(session: Session, year: int, before: datetime, now: datetime, settings: Settings) -> list[Overdue]:
    agencies, reports, _ = load(session, year)
    inputs = _Inputs(agencies, reports, load_unstored(session, year), _first_fetches(session, year))
    was_missing = {row.agency_id for row in _missing(session, inputs, year, before, settings)}
    return [Overdue(row.agency_id, row.name, row.level, row.deadline)
            for row in _missing(session, inputs, year, now, settings) if row.agency_id not in was_missing]


@dataclass(frozen=True)
class _Inputs:
    agencies: list[Agency]
    reports: list[StoredReport]
    unstored: list[UnstoredReport]
    first_fetched: dict[int, datetime]  # current version id -> when its report was first fetched


def _missing(session: Session, inputs: _Inputs, year: int, moment: datetime, settings: Settings) -> list[AgencyAudit]:
    reports = [r for r in inputs.reports if inputs.first_fetched[r.version_id] <= moment]
    unstored = [u for u in inputs.unstored if u.attempted_at is None or u.attempted_at <= moment]
    result = audit(inputs.agencies, reports, _site_states(session, inputs.agencies, moment), year,
                   local_date(moment), settings, unstored, copy_scores=_unscored)
    return [row for row in result.rows if row.status == "missing"]


def _unscored(pairs) -> list[None]:
    return [None] * len(pairs)  # the copy check changes no status: not worth reading the sketches


def _first_fetches(session: Session, year: int) -> dict[int, datetime]:
    stmt = (select(Report.current_version_id, func.min(ReportVersion.fetched_at))
            .join(ReportVersion, ReportVersion.report_id == Report.id)
            .where(Report.year.in_([year - 1, year]), Report.current_version_id.is_not(None))
            .group_by(Report.id, Report.current_version_id))
    return {version_id: first for version_id, first in session.execute(stmt)}


def _site_states(session: Session, agencies: list[Agency], moment: datetime) -> list[SiteState]:
    """Each agency's latest outcome recorded by `moment`, under its id or one of its listing pages, as
    storage.audit_reads.agency_rows reads the latest of all."""
    latest = (select(func.max(SiteOutcome.id)).where(SiteOutcome.recorded_at <= moment)
              .group_by(SiteOutcome.site_key))
    outcomes = {key: (row_id, outcome) for key, row_id, outcome in session.execute(
        select(SiteOutcome.site_key, SiteOutcome.id, SiteOutcome.outcome).where(SiteOutcome.id.in_(latest)))}
    pages: dict[str, list[str]] = {}
    for agency_id, url in session.execute(select(ListingPage.agency_id, ListingPage.url)):
        pages.setdefault(agency_id, []).append(url)
    states = []
    for agency in agencies:
        seen = [outcomes[key] for key in (agency.id, *pages.get(agency.id, ())) if key in outcomes]
        states.append(SiteState(agency.id, max(seen)[1] if seen else None))
    return states
