"""Proposed new listing pages for agencies whose registered ones keep failing (`nianbao sites rediscover`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import dialect_insert
from storage.models import ListingPage, ListingProposal, utcnow


@dataclass(frozen=True)
class Proposal:
    url: str
    evidence: str
    proposed_at: datetime


def propose(session: Session, agency_id: str, url: str, evidence: str) -> None:
    """Record (or renew) a proposal; the registry is left as it is."""
    now = utcnow()
    stmt = dialect_insert(session, ListingProposal.__table__).values(agency_id=agency_id, url=url, evidence=evidence,
                                                                     proposed_at=now)
    session.execute(stmt.on_conflict_do_update(index_elements=["agency_id", "url"],
                                               set_={"evidence": evidence, "proposed_at": now}))


def open_proposals(session: Session) -> dict[str, list[Proposal]]:
    """By agency, newest first: the proposals whose page the agency does not list yet (one taken into the registry
    is done)."""
    registered = set(session.execute(select(ListingPage.agency_id, ListingPage.url)).tuples())
    result: dict[str, list[Proposal]] = {}
    for row in session.scalars(select(ListingProposal).order_by(ListingProposal.proposed_at.desc(),
                                                                ListingProposal.id)):
        if (row.agency_id, row.url) not in registered:
            result.setdefault(row.agency_id, []).append(Proposal(row.url, row.evidence, row.proposed_at))
    return result
