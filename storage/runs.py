"""Crawl runs and what each run found per site, plus agency names seen on listing pages that nobody registered."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.db import dialect_insert
from storage.models import OUTCOMES, RUN_STATUSES, TRIGGERS, CrawlRun, SiteOutcome, UnknownAgency, utcnow

COUNTS = ("pages", "reports_found", "reports_new", "reports_revised", "errors")


def start_run(session: Session, trigger: str) -> int:
    """Open a run ("manual" or "scheduled") and return its id."""
    _require(trigger, TRIGGERS, "trigger")
    run = CrawlRun(trigger=trigger, status="running", started_at=utcnow())
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, status: str) -> None:
    """Close a run as "completed", "failed" or "interrupted"."""
    _require(status, RUN_STATUSES, "run status")
    result = session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(status=status, finished_at=utcnow()))
    if result.rowcount != 1:
        raise LookupError(f"no crawl run {run_id}")


def record_site_outcome(
    session: Session,
    run_id: int,
    site_key: str,
    outcome: str,
    *,
    message: str | None = None,
    **counts: int,
) -> None:
    """Record what a run found at a site (an agency id or a listing URL); recording it again in the run replaces it.

    counts: any of pages, reports_found, reports_new, reports_revised, errors (missing ones are 0).
    """
    _require(outcome, OUTCOMES, "outcome")
    unknown = set(counts) - set(COUNTS)
    if unknown:
        raise TypeError(f"unknown counts: {', '.join(sorted(unknown))} (expected {', '.join(COUNTS)})")
    values = {name: counts.get(name, 0) for name in COUNTS}
    values |= {"outcome": outcome, "message": message, "recorded_at": utcnow()}
    stmt = dialect_insert(session, SiteOutcome.__table__).values(run_id=run_id, site_key=site_key, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["run_id", "site_key"], set_=values))


def last_outcomes(session: Session) -> dict[str, SiteOutcome]:
    """The latest recorded outcome of every site key."""
    latest = select(func.max(SiteOutcome.id)).group_by(SiteOutcome.site_key)
    rows = session.scalars(select(SiteOutcome).where(SiteOutcome.id.in_(latest)))
    return {row.site_key: row for row in rows}


def outcome_history(session: Session, site_key: str, limit: int = 5) -> list[SiteOutcome]:
    """A site's latest outcomes, newest first (the audit calls a site unreachable from its last attempts)."""
    stmt = select(SiteOutcome).where(SiteOutcome.site_key == site_key).order_by(SiteOutcome.id.desc()).limit(limit)
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
