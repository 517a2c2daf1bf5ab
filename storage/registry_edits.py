"""Changes to registered agencies after import: remove, disable and enable, and the reports that follow an agency
out of the registry. Stored reports are never deleted: a removed agency's reports become unattributed, kept under
the name they were published under (storage.attribution files them again if the agency comes back)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Agency, Report, UnstoredReport
from storage.registry import RegistryError
from storage.reports import agency_key


def remove_agency(session: Session, agency_id: str) -> int:
    """Delete an agency and its listing pages; returns how many of its stored reports became unattributed.

    Refused (RegistryError, nothing changed) for an unknown id, for the parent of other agencies, and when one of
    its reports would collide with an unattributed report of the same name and year.
    """
    agency = _get(session, agency_id)
    children = session.scalars(select(Agency.id).where(Agency.parent_id == agency_id).order_by(Agency.id)).all()
    if children:
        raise RegistryError(f"{agency_id} is the parent of {len(children)} agencies ({', '.join(children[:5])}"
                            f"{' …' if len(children) > 5 else ''}): remove them or give them another parent first")
    reports = session.scalars(select(Report).where(Report.agency_id == agency_id)).all()
    for report in reports:
        key = agency_key(None, report.agency_name)
        if session.scalar(select(Report.id).where(Report.agency_key == key, Report.year == report.year)):
            raise RegistryError(f"{agency_id}: its {report.year} report would collide with an unattributed report "
                                f"of {report.agency_name!r} of the same year; nothing was removed")
    for report in reports:
        report.agency_id, report.agency_key = None, agency_key(None, report.agency_name)
    session.execute(update(UnstoredReport).where(UnstoredReport.agency_id == agency_id).values(agency_id=None))
    session.flush()
    session.delete(agency)
    return len(reports)


def set_enabled(session: Session, agency_id: str, enabled: bool) -> bool:
    """Enable or disable an agency; returns whether that changed anything."""
    agency = _get(session, agency_id)
    changed = agency.enabled != enabled
    agency.enabled = enabled
    return changed


def _get(session: Session, agency_id: str) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise RegistryError(f"no registered agency {agency_id!r} (`nianbao sites list` shows the ids)")
    return agency
