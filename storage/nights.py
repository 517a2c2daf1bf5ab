"""Reading the crawl's runs back: the recent runs with what each found, and a queued night on many machines (its
hosts waiting, running, done or failed, its sites, the machines seen, and the tasks that failed with their error)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from storage.models import CrawlRun, PendingParse, SiteOutcome
from storage.runs import INCOMPLETE

CRAWL_TASK = "nianbao:crawl_host"  # nianbao.queue's tasks in Procrastinate's jobs table
DIGEST_TASK = "nianbao:night_digest"
STANDING = ("todo", "doing", "succeeded")  # a failed or cancelled job of the night may be queued again
JOB_STATES = {"todo": "waiting", "doing": "running", "succeeded": "done", "failed": "failed", "cancelled": "failed",
              "aborted": "failed", "aborting": "running"}


@dataclass(frozen=True)
class RunLine:
    id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    trigger: str
    machine: str  # the host name of the process that ran it
    found: int  # sites where it found the reports
    failed: int  # sites where it did not (unreachable, blocked, layout changed, nothing found)
    unfinished: int  # sites it took and never recorded
    night: str | None
    task: str | None
    message: str | None


@dataclass
class Night:
    night: str
    hosts: dict[str, int] = field(default_factory=dict)  # waiting / running / done / failed → hosts
    sites_queued: int = 0
    sites_found: int = 0
    sites_failed: int = 0
    machines: list[str] = field(default_factory=list)
    started_at: datetime | None = None
    last_finished_at: datetime | None = None
    reports_to_parse: int = 0  # stored by the night's crawls, waiting for a worker's parse task
    failed_tasks: list[RunLine] = field(default_factory=list)  # runs of the night that failed or were cut short

    @property
    def sites_waiting(self) -> int:
        return max(self.sites_queued - self.sites_found - self.sites_failed, 0)

    @property
    def over(self) -> bool:
        """Every host's task has ended (done, or failed for good) and every report stored is parsed."""
        return bool(self.hosts) and not (self.hosts.get("waiting") or self.hosts.get("running")
                                         or self.reports_to_parse)


def machine_of(holder: str | None) -> str:
    """storage.locks.process_holder is "host/pid-namespace:pid": the machine is the host."""
    return (holder or "?").rpartition(":")[0].split("/")[0] or "?"


def recent_runs(session: Session, limit: int = 20, night: str | None = None) -> list[RunLine]:
    stmt = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
    if night is not None:
        stmt = stmt.where(CrawlRun.night == night)
    runs = session.scalars(stmt).all()
    counts = _outcome_counts(session, [run.id for run in runs])
    return [_line(run, counts.get(run.id, {})) for run in runs]


def _outcome_counts(session: Session, run_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    if not run_ids:
        return counts
    rows = session.execute(select(SiteOutcome.run_id, SiteOutcome.outcome, func.count())
                           .where(SiteOutcome.run_id.in_(run_ids)).group_by(SiteOutcome.run_id, SiteOutcome.outcome))
    for run_id, outcome, count in rows:
        counts.setdefault(run_id, {})[outcome] = count
    return counts


def _line(run: CrawlRun, counts: dict[str, int]) -> RunLine:
    found, unfinished = counts.get("found", 0), counts.get(INCOMPLETE, 0)
    failed = sum(counts.values()) - found - unfinished
    return RunLine(run.id, run.started_at, run.finished_at, run.status, run.trigger, machine_of(run.holder), found,
                   failed, unfinished, run.night, run.task, run.message)


def latest_night(session: Session) -> str | None:
    """The night most recently queued (PostgreSQL with the queue), else the latest night a run recorded."""
    if _has_queue(session):
        queued = session.execute(text("SELECT args->>'night' FROM procrastinate_jobs WHERE task_name = :task "
                                      "ORDER BY id DESC LIMIT 1"), {"task": CRAWL_TASK}).scalar()
        if queued:
            return queued
    return session.scalar(select(CrawlRun.night).where(CrawlRun.night.is_not(None)).order_by(CrawlRun.id.desc()))


def night_summary(session: Session, night: str) -> Night:
    summary = Night(night)
    if _has_queue(session):
        rows = session.execute(text(
            "SELECT status::text, count(*), coalesce(sum(jsonb_array_length(args->'sites')), 0) "
            "FROM procrastinate_jobs WHERE task_name = :task AND args->>'night' = :night GROUP BY 1"),
            {"task": CRAWL_TASK, "night": night})
        for status, hosts, sites in rows:
            state = JOB_STATES.get(status, status)
            summary.hosts[state] = summary.hosts.get(state, 0) + hosts
            summary.sites_queued += sites
    runs = session.scalars(select(CrawlRun).where(CrawlRun.night == night).order_by(CrawlRun.id)).all()
    if not runs:
        return summary
    summary.machines = sorted({machine_of(run.holder) for run in runs})
    summary.started_at = min(run.started_at for run in runs)
    finished = [run.finished_at for run in runs if run.finished_at]
    summary.last_finished_at = max(finished) if finished else None
    summary.sites_found, summary.sites_failed = _latest_site_outcomes(session, night)
    summary.reports_to_parse = session.scalar(select(func.count()).select_from(PendingParse).where(
        PendingParse.run_id.in_([run.id for run in runs])))
    counts = _outcome_counts(session, [run.id for run in runs if run.status in ("failed", "interrupted")])
    summary.failed_tasks = [_line(run, counts.get(run.id, {})) for run in runs
                            if run.status in ("failed", "interrupted")]
    return summary


def _latest_site_outcomes(session: Session, night: str) -> tuple[int, int]:
    """Sites whose latest outcome in the night's runs found their reports, and those where it did not."""
    runs = select(CrawlRun.id).where(CrawlRun.night == night)
    latest = select(func.max(SiteOutcome.id)).where(SiteOutcome.run_id.in_(runs)).group_by(SiteOutcome.site_key)
    rows = session.execute(select(SiteOutcome.outcome, func.count()).where(SiteOutcome.id.in_(latest))
                           .group_by(SiteOutcome.outcome)).all()
    found = sum(count for outcome, count in rows if outcome == "found")
    failed = sum(count for outcome, count in rows if outcome not in ("found", INCOMPLETE))
    return found, failed


def standing_hosts(session: Session, night: str) -> set[str]:
    """Hosts the night already has a job for that is queued, running or done."""
    rows = session.execute(text(
        "SELECT args->>'host' FROM procrastinate_jobs WHERE task_name = :task AND args->>'night' = :night "
        "AND status::text = ANY(:standing)"), {"task": CRAWL_TASK, "night": night, "standing": list(STANDING)})
    return {host for (host,) in rows}


def _has_queue(session: Session) -> bool:
    bind = session.connection()
    return bind.dialect.name == "postgresql" and inspect(bind).has_table("procrastinate_jobs")


def standing_digest(session: Session, night: str) -> bool:
    """The night already has its digest task, waiting, running or done."""
    return bool(session.execute(text(
        "SELECT 1 FROM procrastinate_jobs WHERE task_name = :task AND args->>'night' = :night "
        "AND status::text = ANY(:standing) LIMIT 1"), {"task": DIGEST_TASK, "night": night,
                                                        "standing": list(STANDING)}).first())


def hosts_failed_for_good(session: Session, night: str) -> int:
    """Hosts of the night whose crawl task failed with none of theirs queued, running or done since (a failed job
    queued again that then succeeded is no failure of the night)."""
    if not _has_queue(session):
        return 0
    return session.execute(text(
        "SELECT count(DISTINCT j.args->>'host') FROM procrastinate_jobs j WHERE j.task_name = :task "
        "AND j.args->>'night' = :night AND j.status::text IN ('failed', 'cancelled', 'aborted') AND NOT EXISTS ("
        "SELECT 1 FROM procrastinate_jobs k WHERE k.task_name = j.task_name AND k.args->>'night' = :night "
        "AND k.args->>'host' = j.args->>'host' AND k.status::text = ANY(:standing))"),
        {"task": CRAWL_TASK, "night": night, "standing": list(STANDING)}).scalar()
