"""Parse tasks: the reports a queued crawl stored and left to parse (storage.pending), read on any worker in its
reader pool (pipelines.documents.read_report) and stored as the crawl would have (pipelines.store.write_report).
A crawl on one machine reads its reports in the same pool, inline; the queue only moves the reading elsewhere."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from crawler.database import first_line, is_outage, stored_body
from crawler.items import ReportItem
from nianbao.isolated import DocumentPool, read_each
from pipelines.documents import read_report
from pipelines.store import write_report
from storage.pending import get_pending, take
from storage.runs import record_unstored

logger = logging.getLogger(__name__)
BATCH = 50  # waiting reports per parse task: a PDF is about a second of CPU
GONE, NOT_STORED = "gone", "not_stored"


def parse_pending(url: str, pending_ids: Sequence[int]) -> Counter[str]:
    """Parse and store the waiting reports; how many came out new, revised, unchanged, kept, not stored or gone
    (taken by another task, or replaced by a newer crawl's bytes)."""
    return asyncio.run(read_each(url, pending_ids, _parse_one, BATCH))


async def _parse_one(engine, pool: DocumentPool, pending_id: int) -> str:
    with Session(engine) as session:
        row = get_pending(session, pending_id)
        if row is None:
            return GONE
        item, run_id, fetched_at = ReportItem.from_pending(row.item), row.run_id, row.stored_at
        try:
            body = stored_body(session, item.main_document())
        except SQLAlchemyError as error:
            if is_outage(error):
                raise
            body = None
    await read_report(pool, item, body)
    with Session(engine) as session, session.begin():
        if take(session, pending_id) is None:
            return GONE
        year = item.year or (item.parsed or {}).get("year")
        if year is None:
            return _unstored(session, run_id, item, None, "no year in its title or text")
        try:
            with session.begin_nested():
                return write_report(session, item, year, fetched_at)
        except Exception as error:  # a data error in this report only: noted, so the audit never reads it absent
            if is_outage(error):
                raise
            return _unstored(session, run_id, item, year, f"could not be stored: {first_line(error)}")


def _unstored(session: Session, run_id: int, item: ReportItem, year: int | None, cause: str) -> str:
    logger.warning("report %s not stored: %s", item.url, cause)
    record_unstored(session, run_id, site_id=item.site_id, agency_id=item.agency_id, agency_name=item.agency_name,
                    year=year, title=item.title, url=item.url, listing_url=item.listing_url, cause=cause)
    return NOT_STORED


def line(counts: Counter[str]) -> str:
    total = sum(counts.values())
    parts = ", ".join(f"{counts.get(key, 0)} {key}"
                      for key in ("new", "revised", "unchanged", "kept", NOT_STORED, GONE))
    return f"parsed {total} waiting report(s): {parts}"
