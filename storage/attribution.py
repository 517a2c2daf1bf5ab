"""Reports stored under an agency's name before the agency was registered: filed under its id once it is, matched
by name as the audit matches them (NFKC, white space ignored)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nianbao.audit.model import name_key
from storage.db import in_chunks
from storage.models import Report, UnstoredReport
from storage.reports import agency_key


@dataclass(frozen=True)
class Attribution:
    attributed: int  # reports now filed under a registered agency
    left: int  # reports under its name that stay unattributed: the agency already has a report of that year


def attribute_reports(session: Session, agencies: Iterable[tuple[str, str]]) -> Attribution:
    """File the unattributed reports published under these agencies' names (id, name) under their ids, as the
    audit would match them (NFKC, white space ignored)."""
    by_name = {name_key(name): agency_id for agency_id, name in agencies}
    if not by_name:
        return Attribution(0, 0)
    taken = {row for ids in in_chunks(list(by_name.values()))
             for row in session.execute(select(Report.agency_id, Report.year).where(Report.agency_id.in_(ids)))}
    attributed = left = 0
    unattributed = session.scalars(select(Report).where(Report.agency_id.is_(None)).order_by(Report.id))
    for report in unattributed:
        agency_id = by_name.get(name_key(report.agency_name))
        if agency_id is None:
            continue
        if (agency_id, report.year) in taken:
            left += 1
            continue
        report.agency_id, report.agency_key = agency_id, agency_key(agency_id, report.agency_name)
        taken.add((agency_id, report.year))
        attributed += 1
    for unstored in session.scalars(select(UnstoredReport).where(UnstoredReport.agency_id.is_(None),
                                                                 UnstoredReport.agency_name.is_not(None))):
        unstored.agency_id = by_name.get(name_key(unstored.agency_name))
    session.flush()
    return Attribution(attributed, left)
