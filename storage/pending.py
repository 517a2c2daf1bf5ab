"""Reports a queued crawl stored to be parsed by any worker (nianbao.pending): kept, taken and read by the audit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from storage.models import PendingParse, utcnow

# A waiting report whose parse task was deferred this long ago and is still here (the task failed for good, or its
# job was lost) is queued again by the next crawl task of its sites.
REQUEUE_AFTER = timedelta(hours=1)


def pending_key(agency_id: str | None, agency_name: str | None, url: str) -> str:
    """The agency a waiting report is for, as storage.reports keys reports: its id, else its printed name."""
    return agency_id or f"name:{agency_name or url}"


def add_pending(session: Session, run_id: int, *, site_id: str, agency_id: str | None, agency_name: str | None,
                year: int | None, url: str, item: dict[str, Any]) -> int:
    """Leave a report for a parse task. One already waiting for that page and agency is replaced (a new row: a
    parse task holding the old one finds it gone and stores nothing), so only its newest bytes are parsed."""
    key = pending_key(agency_id, agency_name, url)
    session.execute(delete(PendingParse).where(PendingParse.url == url, PendingParse.agency_key == key))
    row = PendingParse(run_id=run_id, site_id=site_id, agency_id=agency_id, agency_name=agency_name, year=year,
                       url=url, agency_key=key, item=item)
    session.add(row)
    session.flush()
    return row.id


def drop_pending(session: Session, url: str, agency_id: str | None, agency_name: str | None) -> None:
    """A crawl that read the page itself stored newer bytes: an older waiting copy must not be parsed after them."""
    session.execute(delete(PendingParse).where(PendingParse.url == url,
                                               PendingParse.agency_key == pending_key(agency_id, agency_name, url)))


def unqueued(session: Session, sites: Sequence[str], now: datetime | None = None) -> list[int]:
    """The waiting parses of these sites with no parse task deferred, or one deferred long ago that left them."""
    stale = (now or utcnow()) - REQUEUE_AFTER
    return list(session.scalars(select(PendingParse.id).where(
        PendingParse.site_id.in_(list(sites)),
        or_(PendingParse.queued_at.is_(None), PendingParse.queued_at < stale)).order_by(PendingParse.id)))


def mark_queued(session: Session, ids: Sequence[int]) -> None:
    session.execute(update(PendingParse).where(PendingParse.id.in_(list(ids))).values(queued_at=utcnow()))


def take(session: Session, pending_id: int) -> PendingParse | None:
    """The waiting parse, deleted in the caller's transaction (the one that stores its result), or None when another
    task took it or a newer crawl replaced it. The row lock makes two tasks with one id store it once."""
    row = session.scalars(select(PendingParse).where(PendingParse.id == pending_id).with_for_update()).one_or_none()
    if row is not None:
        session.delete(row)
    return row


def get_pending(session: Session, pending_id: int) -> PendingParse | None:
    return session.get(PendingParse, pending_id)


def pending_reports(session: Session, year: int) -> list[PendingParse]:
    """The waiting parses that may be reports of the year: of that year, or of a year known only once parsed."""
    stmt = select(PendingParse).where(or_(PendingParse.year == year, PendingParse.year.is_(None)))
    return list(session.scalars(stmt.order_by(PendingParse.id)))
