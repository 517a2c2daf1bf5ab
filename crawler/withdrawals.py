"""Withdrawn reports, noticed by the crawl: a stored report whose page is no longer on a listing that was read whole
is asked for (on its re-check night, conditionally); a 404 or 410 means the site withdrew it. One that is listed or
answers again is no longer withdrawn. A page merely past the listing's last read page answers 200: not withdrawn."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from storage.withdrawals import current_report_urls

GONE = (404, 410)


@dataclass
class WithdrawalCheck:
    """What the crawl learnt of a stored report's page: gone (withdrawn) or there (listed, or answering)."""

    site_id: str
    url: str
    gone: bool
    reason: str = ""


def load_stored_pages(engine: Engine, site_ids: list[str]) -> dict[str, dict[str, bool]]:
    """Per site, its current reports' pages, each with whether it is marked withdrawn now."""
    with Session(engine) as session:
        return current_report_urls(session, site_ids)
