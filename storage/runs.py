"""Crawl runs and what each run found per site, plus agency names seen on listing pages that nobody registered."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nianbao.template import PROVING_OUTCOMES
from storage.db import dialect_insert
from storage.locks import is_dead_here
from storage.models import (
    FAILURE_CLASSES,
    OUTCOMES,
    RUN_STATUSES,
    TRIGGERS,
    CrawlRun,
    SiteOutcome,
    UnknownAgency,
    UnstoredReport,
    utcnow,
)

INCOMPLETE = "incomplete"  # recorded for each site a run takes, until the run records what it found there
COUNTS = ("pages", "reports_found", "reports_new", "reports_revised", "errors")


def start_run(session: Session, trigger: str, holder: str | None = None, night: str | None = None,
              task: str | None = None) -> int:
    """Open a run ("manual" or "scheduled") for the process named holder (storage.locks.process_holder); a queue
    worker's run also names its night and task."""
    _require(trigger, TRIGGERS, "trigger")
    now = utcnow()
    run = CrawlRun(trigger=trigger, status="running", started_at=now, holder=holder, heartbeat_at=now, night=night,
                   task=task)
    session.add(run)
    session.flush()
    return run.id


def beat(session: Session, run_id: int) -> None:
    """The run's process is alive: renew its heartbeat."""
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(heartbeat_at=utcnow()))


def finish_run(session: Session, run_id: int, status: str, message: str | None = None) -> None:
    """Close a run as "completed", "failed" or "interrupted", with why it failed when it did."""
    _require(status, RUN_STATUSES, "run status")
    values = {"status": status, "finished_at": utcnow(), "message": message}
    result = session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(**values))
    if result.rowcount != 1:
        raise LookupError(f"no crawl run {run_id}")


def close_dead_runs(session: Session, stale_after_seconds: float) -> list[int]:
    """Mark "interrupted" the runs left "running" by crawls that died (killed, out of memory, a full disk): their
    process is gone from this host, or their heartbeat is older than stale_after_seconds. Their ids."""
    cutoff = utcnow() - timedelta(seconds=stale_after_seconds)
    running = session.scalars(select(CrawlRun).where(CrawlRun.status == "running")).all()
    dead = [run for run in running
            if (run.holder and is_dead_here(run.holder)) or (run.heartbeat_at or run.started_at) < cutoff]
    for run in dead:
        last = run.heartbeat_at or run.started_at
        run.status, run.finished_at = "interrupted", utcnow()
        run.message = f"the crawl process died (last sign of life {last:%Y-%m-%d %H:%M:%S} UTC)"
    session.flush()
    return [run.id for run in dead]


def record_site_outcome(
    session: Session,
    run_id: int,
    site_key: str,
    outcome: str,
    *,
    message: str | None = None,
    failure_class: str | None = None,
    **counts: int,
) -> None:
    """Record what a run found at a site (an agency id or a listing URL); recording it again in the run replaces it.

    failure_class: what went wrong, finer than the outcome (storage.models.FAILURE_CLASSES).
    counts: any of pages, reports_found, reports_new, reports_revised, errors (missing ones are 0).
    """
    _require(outcome, OUTCOMES, "outcome")
    if failure_class is not None:
        _require(failure_class, FAILURE_CLASSES, "failure class")
    unknown = set(counts) - set(COUNTS)
    if unknown:
        raise TypeError(f"unknown counts: {', '.join(sorted(unknown))} (expected {', '.join(COUNTS)})")
    values = {name: counts.get(name, 0) for name in COUNTS}
    values |= {"outcome": outcome, "failure_class": failure_class, "message": message, "recorded_at": utcnow()}
    stmt = dialect_insert(session, SiteOutcome.__table__).values(run_id=run_id, site_key=site_key, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["run_id", "site_key"], set_=values))


def unfinished_sites(session: Session, run_id: int) -> list[str]:
    """The sites a run took but never recorded an outcome for (it died or stopped first)."""
    stmt = select(SiteOutcome.site_key).where(SiteOutcome.run_id == run_id, SiteOutcome.outcome == INCOMPLETE)
    return sorted(session.scalars(stmt))


def last_outcomes(session: Session) -> dict[str, SiteOutcome]:
    """The latest recorded outcome of every site key."""
    latest = select(func.max(SiteOutcome.id)).group_by(SiteOutcome.site_key)
    rows = session.scalars(select(SiteOutcome).where(SiteOutcome.id.in_(latest)))
    return {row.site_key: row for row in rows}


def outcome_history(session: Session, site_key: str, limit: int = 5) -> list[SiteOutcome]:
    """A site's latest outcomes, newest first (the audit calls a site unreachable from its last attempts)."""
    stmt = select(SiteOutcome).where(SiteOutcome.site_key == site_key).order_by(SiteOutcome.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def record_unstored(session: Session, run_id: int, *, site_id: str, agency_id: str | None, agency_name: str | None,
                    year: int | None, title: str, url: str, listing_url: str, cause: str) -> None:
    """Note a report a listing showed that this run could not store, with the cause (once per run and URL)."""
    values = {"site_id": site_id, "agency_id": agency_id, "agency_name": agency_name, "year": year, "title": title,
              "listing_url": listing_url, "cause": cause, "recorded_at": utcnow()}
    stmt = dialect_insert(session, UnstoredReport.__table__).values(run_id=run_id, url=url, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["run_id", "url"], set_=values))


def unstored_reports(session: Session, year: int) -> list[UnstoredReport]:
    """The reports of a year that were listed but could not be stored, newest attempt first."""
    stmt = select(UnstoredReport).where(UnstoredReport.year == year).order_by(UnstoredReport.id.desc())
    return list(session.scalars(stmt))


def record_unknown_agency(session: Session, name: str, listing_url: str) -> None:
    """Note a reporting agency seen on a listing page that matched no registered agency."""
    now = utcnow()
    stmt = dialect_insert(session, UnknownAgency.__table__).values(
        name=name, listing_url=listing_url, times_seen=1, first_seen=now, last_seen=now
    )
    table = UnknownAgency.__table__.c
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["name", "listing_url"], set_={"last_seen": now, "times_seen": table.times_seen + 1}
        )
    )


def unknown_agencies(session: Session) -> list[UnknownAgency]:
    """Unregistered agency names seen so far, most often seen first."""
    stmt = select(UnknownAgency).order_by(UnknownAgency.times_seen.desc(), UnknownAgency.name)
    return list(session.scalars(stmt))


def _require(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r} (expected one of {', '.join(allowed)})")


def last_confirmed(session: Session) -> dict[str, datetime]:
    """When each site's listing was last read whole by a crawl (found its reports, or listed none): its registry
    row confirmed. Keyed by site (an agency id, or a listing URL)."""
    stmt = (select(SiteOutcome.site_key, func.max(SiteOutcome.recorded_at))
            .where(SiteOutcome.outcome.in_(sorted(PROVING_OUTCOMES))).group_by(SiteOutcome.site_key))
    return dict(session.execute(stmt).all())
