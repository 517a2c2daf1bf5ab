"""What one crawl run brought, as plain data: new reports, revisions with their changed cells, withdrawals, agencies
newly overdue, sites that turned from good to failing, and whether the run itself failed.

A report version belongs to a run when it was fetched between the run's start and end: versions carry no run id.
"Before" is the previous finished run of the same trigger, so a manual crawl in between never swallows a change from
the nightly digest.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from nianbao.alerts.overdue import Overdue, local_date, newly_overdue, overdue_year
from nianbao.audit.compute import PROVING_OUTCOMES
from nianbao.audit.model import Settings as AuditSettings
from nianbao.revisions import CellChange, is_revision
from storage.models import Agency, CrawlRun, Report, ReportVersion, SiteOutcome, utcnow
from storage.nights import hosts_failed_for_good, night_summary

GOOD_OUTCOMES = tuple(sorted(PROVING_OUTCOMES))  # the site was read: found, or listed no report
# "incomplete" says the run never finished the site, not that the site fails: the run's own failure reports that.
NOT_A_SITE_FAILURE = (*GOOD_OUTCOMES, "incomplete")
FAILED_RUN_STATUSES = ("failed", "interrupted")


@dataclass(frozen=True)
class Run:
    id: int
    trigger: str
    status: str
    started_at: datetime
    finished_at: datetime
    message: str | None
    night: str | None = None  # a queued night: its runs on many machines, read as one (gather_night)


@dataclass(frozen=True)
class NewReport:
    agency_id: str | None
    agency_name: str
    year: int
    title: str | None
    source_url: str


@dataclass(frozen=True)
class Revision:
    agency_id: str | None
    agency_name: str
    year: int
    version: int
    changes: dict  # nianbao.revisions.changes_record
    source_url: str

    @property
    def cells(self) -> list[CellChange]:
        return [CellChange(*cell) for cell in self.changes["cells"]]


@dataclass(frozen=True)
class Withdrawal:
    agency_id: str | None
    agency_name: str
    year: int
    reason: str | None
    source_url: str | None


@dataclass(frozen=True)
class FailingSite:
    site_key: str  # an agency id or a listing URL
    name: str | None  # the agency's, when the key is one
    was: str  # the outcome of the previous run
    failure: str  # the failure class, or the outcome where none was recorded


@dataclass(frozen=True)
class Digest:
    run: Run
    overdue_year: int
    new: list[NewReport]
    revised: list[Revision]
    withdrawn: list[Withdrawal]
    overdue: list[Overdue]
    failing: list[FailingSite]

    @property
    def run_failed(self) -> bool:
        return self.run.status in FAILED_RUN_STATUSES

    @property
    def empty(self) -> bool:
        return not (self.run_failed or self.new or self.revised or self.withdrawn or self.overdue or self.failing)

    @property
    def day(self) -> date:
        return local_date(self.run.finished_at)


def gather(session: Session, run_id: int | None = None, settings: AuditSettings | None = None) -> Digest:
    """The digest of a finished run (default: the latest one); LookupError when there is none."""
    run = find_run(session, run_id)
    year = overdue_year(run.finished_at)
    before = _previous_end(session, run) or run.started_at
    return Digest(run, year, _new_reports(session, run), _revisions(session, run), _withdrawals(session, run),
                  newly_overdue(session, year, before, run.finished_at, settings or AuditSettings()),
                  _failing_sites(session, run))


def gather_night(session: Session, night: str, settings: AuditSettings | None = None) -> Digest:
    """The digest of a queued night: all its runs (every host, every attempt) and the parses that followed, as one
    run from the first start to now; the night failed when a host's task failed for good. LookupError: no runs."""
    runs = session.scalars(select(CrawlRun).where(CrawlRun.night == night).order_by(CrawlRun.id)).all()
    if not runs:
        raise LookupError(f"no crawl run of night {night}")
    failed = hosts_failed_for_good(session, night)
    message = f"{failed} host(s) could not be crawled: " + "; ".join(
        " ".join((run.message or "").split()) for run in night_summary(session, night).failed_tasks[-3:]
    ) if failed else None
    run = Run(runs[-1].id, "scheduled", "failed" if failed else "completed", runs[0].started_at, utcnow(), message,
              night)
    year = overdue_year(run.finished_at)
    before = _previous_end(session, replace(run, id=runs[0].id)) or run.started_at
    return Digest(run, year, _new_reports(session, run), _revisions(session, run), _withdrawals(session, run),
                  newly_overdue(session, year, before, run.finished_at, settings or AuditSettings()),
                  _night_failing(session, [r.id for r in runs]))


def _night_failing(session: Session, run_ids: list[int]) -> list[FailingSite]:
    """Sites whose latest outcome in the night is a failure and whose last outcome before the night (its previous
    scheduled run) had read them: an attempt that failed and was retried is neither the failure nor the before."""
    latest: dict[str, tuple[str, str | None]] = {}
    for key, outcome, failure in session.execute(
            select(SiteOutcome.site_key, SiteOutcome.outcome, SiteOutcome.failure_class)
            .where(SiteOutcome.run_id.in_(run_ids)).order_by(SiteOutcome.id)):
        latest[key] = (outcome, failure)
    failing = sorted(key for key, (outcome, _) in latest.items() if outcome not in NOT_A_SITE_FAILURE)
    result = []
    for start in range(0, len(failing), 500):  # bounded IN lists
        keys = failing[start:start + 500]
        previous = (select(SiteOutcome.site_key, func.max(SiteOutcome.run_id).label("run_id"))
                    .join(CrawlRun, CrawlRun.id == SiteOutcome.run_id)
                    .where(SiteOutcome.site_key.in_(keys), SiteOutcome.run_id < min(run_ids),
                           CrawlRun.trigger == "scheduled", CrawlRun.finished_at.is_not(None))
                    .group_by(SiteOutcome.site_key).subquery())
        stmt = (select(SiteOutcome.site_key, Agency.name, SiteOutcome.outcome)
                .join(previous, (previous.c.site_key == SiteOutcome.site_key)
                      & (previous.c.run_id == SiteOutcome.run_id))
                .outerjoin(Agency, Agency.id == SiteOutcome.site_key))
        for key, name, was in session.execute(stmt):
            if was in GOOD_OUTCOMES:
                outcome, failure = latest[key]
                result.append(FailingSite(key, name, was, failure or outcome))
    return sorted(result, key=lambda site: site.site_key)


def find_run(session: Session, run_id: int | None) -> Run:
    if run_id is None:
        row = session.scalars(select(CrawlRun).where(CrawlRun.finished_at.is_not(None))
                              .order_by(CrawlRun.id.desc()).limit(1)).first()
        if row is None:
            raise LookupError("no finished crawl run yet")
    else:
        row = session.get(CrawlRun, run_id)
        if row is None:
            raise LookupError(f"no crawl run {run_id}")
        if row.finished_at is None:
            raise LookupError(f"crawl run {run_id} is still running")
    return Run(row.id, row.trigger, row.status, row.started_at, row.finished_at, row.message)


def scheduled_runs_since(session: Session, since: datetime) -> list[int]:
    """The finished scheduled runs that started at or after `since`, oldest first."""
    stmt = select(CrawlRun.id).where(CrawlRun.trigger == "scheduled", CrawlRun.started_at >= since,
                                     CrawlRun.finished_at.is_not(None)).order_by(CrawlRun.id)
    return list(session.scalars(stmt))


def _previous_end(session: Session, run: Run) -> datetime | None:
    stmt = (select(CrawlRun.finished_at)
            .where(CrawlRun.id < run.id, CrawlRun.trigger == run.trigger, CrawlRun.finished_at.is_not(None))
            .order_by(CrawlRun.id.desc()).limit(1))
    return session.scalar(stmt)


def _fetched_in(run: Run):
    return ReportVersion.fetched_at.between(run.started_at, run.finished_at)


def _new_reports(session: Session, run: Run) -> list[NewReport]:
    stmt = (select(Report.agency_id, Report.agency_name, Report.year, ReportVersion.title, ReportVersion.source_url)
            .select_from(ReportVersion).join(Report, Report.id == ReportVersion.report_id)
            .where(ReportVersion.version == 1, _fetched_in(run))
            .order_by(Report.agency_name, Report.year))
    return [NewReport(*row) for row in session.execute(stmt)]


def _revisions(session: Session, run: Run) -> list[Revision]:
    """Versions after the first that changed cells or text, up to the current one: a version kept but not made
    current (a suspect fetch) is no revision of what the report shows, as in the audit's 发布后修改."""
    current = aliased(ReportVersion)
    stmt = (select(Report.agency_id, Report.agency_name, Report.year, ReportVersion.version, ReportVersion.changes,
                   ReportVersion.source_url)
            .select_from(ReportVersion).join(Report, Report.id == ReportVersion.report_id)
            .join(current, current.id == Report.current_version_id)
            .where(ReportVersion.version > 1, ReportVersion.version <= current.version, _fetched_in(run))
            .order_by(Report.agency_name, Report.year, ReportVersion.version))
    return [Revision(*row) for row in session.execute(stmt) if is_revision(row.changes)]


def _withdrawals(session: Session, run: Run) -> list[Withdrawal]:
    stmt = (select(Report.agency_id, Report.agency_name, Report.year, Report.withdrawn_reason,
                   ReportVersion.source_url)
            .select_from(Report).outerjoin(ReportVersion, ReportVersion.id == Report.current_version_id)
            .where(Report.withdrawn_at.between(run.started_at, run.finished_at))
            .order_by(Report.agency_name, Report.year))
    return [Withdrawal(*row) for row in session.execute(stmt)]


def _failing_sites(session: Session, run: Run) -> list[FailingSite]:
    """Sites this run failed whose previous run of the same trigger had read them."""
    now, before = aliased(SiteOutcome), aliased(SiteOutcome)
    previous_run = (select(func.max(SiteOutcome.run_id))
                    .join(CrawlRun, CrawlRun.id == SiteOutcome.run_id)
                    .where(SiteOutcome.site_key == now.site_key, SiteOutcome.run_id < run.id,
                           CrawlRun.trigger == run.trigger)
                    .correlate(now).scalar_subquery())
    stmt = (select(now.site_key, Agency.name, before.outcome, func.coalesce(now.failure_class, now.outcome))
            .select_from(now).join(before, (before.site_key == now.site_key) & (before.run_id == previous_run))
            .outerjoin(Agency, Agency.id == now.site_key)
            .where(now.run_id == run.id, now.outcome.not_in(NOT_A_SITE_FAILURE), before.outcome.in_(GOOD_OUTCOMES))
            .order_by(now.site_key))
    return [FailingSite(*row) for row in session.execute(stmt)]
