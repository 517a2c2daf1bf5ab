"""Reports a queued crawl stored to be parsed by any worker (nianbao.pending): kept, taken and read by the audit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import PendingParse


def add_pending(session: Session, run_id: int, *, site_id: str, agency_id: str | None, agency_name: str | None,
                year: int | None, url: str, item: dict[str, Any]) -> int:
    """Leave a report for a parse task. A report page already waiting is replaced (a new row: a parse task holding
    the old one finds it gone and stores nothing), so only its newest bytes are parsed."""
    session.execute(delete(PendingParse).where(PendingParse.url == url))
    row = PendingParse(run_id=run_id, site_id=site_id, agency_id=agency_id, agency_name=agency_name, year=year,
                       url=url, item=item)
    session.add(row)
    session.flush()
    return row.id


def unqueued(session: Session, sites: Sequence[str]) -> list[int]:
    """The waiting parses of these sites that no parse task was deferred for yet."""
    return list(session.scalars(select(PendingParse.id).where(
        PendingParse.site_id.in_(list(sites)), PendingParse.queued.is_(False)).order_by(PendingParse.id)))


def mark_queued(session: Session, ids: Sequence[int]) -> None:
    session.execute(update(PendingParse).where(PendingParse.id.in_(list(ids))).values(queued=True))


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


def pending_count(session: Session) -> tuple[int, Any]:
    """How many reports wait to be parsed, and since when the oldest has."""
    count, oldest = session.execute(select(func.count(), func.min(PendingParse.stored_at))).one()
    return count, oldest
