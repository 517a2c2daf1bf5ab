"""`nianbao sites rediscover`: for every site whose registered listing has failed its last runs, discovery runs again
from the site's home page, and a column it finds for that agency at another address is proposed (storage.proposals),
for `sites health` to show and a person to take into the registry: the registry itself is never changed."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from nianbao.audit.model import name_key
from nianbao.discover import discover_many
from storage.db import make_engine
from storage.health import BrokenSite, broken_sites
from storage.models import ListingPage
from storage.proposals import propose

DEFAULT_AFTER = 3  # runs in a row that did not find a site's reports before its home page is searched again


@dataclass(frozen=True)
class Found:
    agency_id: str
    url: str
    evidence: str


def failing(session: Session, after: int) -> list[tuple[BrokenSite, list[str]]]:
    """The sites that failed at least `after` runs in a row, with their registered listing pages."""
    result = []
    for site in broken_sites(session):
        if site.consecutive_failures >= after:
            pages = [page.url for page in session.query(ListingPage).filter_by(agency_id=site.id)]
            if pages:
                result.append((site, pages))
    return result


def home_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def rediscover(db_url: str, after: int = DEFAULT_AFTER, max_pages: int = 60, overrides: dict | None = None
               ) -> tuple[list[BrokenSite], list[Found]]:
    """The sites searched again, and the new listing pages proposed for them (recorded)."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            sites = failing(session, after)
        if not sites:
            return [], []
        found = discover_many(sorted({home_of(pages[0]) for _, pages in sites}), None, max_pages, overrides)
        proposed = []
        for site, pages in sites:
            for row in found[home_of(pages[0])].proposals:
                if name_key(row.name) != name_key(site.name):
                    continue
                proposed += [Found(site.id, url, row.evidence) for url in row.listing_url.split() if url not in pages]
        with Session(engine) as session, session.begin():
            for item in proposed:
                propose(session, item.agency_id, item.url, item.evidence)
        return [site for site, _ in sites], proposed
    finally:
        engine.dispose()
