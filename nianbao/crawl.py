"""`nianbao crawl`: one Scrapy run over the registered sites (all, or those named), into the database."""

from __future__ import annotations

from dataclasses import dataclass

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings
from sqlalchemy.orm import Session

from nianbao.logs import configured
from storage.db import database_url, make_engine, upgrade
from storage.registry import list_agencies


@dataclass
class CrawlSummary:
    run_id: int | None
    sites: list[str]
    left: dict[str, str]  # sites another crawl held, with the holder
    finish_reason: str
    stats: dict

    def line(self) -> str:
        """One line for the terminal: the run, its sites' outcomes, what happened to the reports."""
        s = self.stats
        outcomes = {}
        for key, value in s.items():
            if key.startswith("nianbao/outcome/"):
                outcomes[key.rsplit("/", 1)[1]] = value
        counts = ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())) or "no outcome"
        reports = ", ".join(f"{s.get(f'nianbao/stored/{w}', 0)} {w}"
                            for w in ("new", "revised", "unchanged", "kept", "not_stored"))
        if s.get("nianbao/stored/queued"):
            reports += f", {s['nianbao/stored/queued']} stored to parse on the workers"
        return f"run {self.run_id}: {len(self.sites) - len(self.left)} sites ({counts}); reports: {reports}"


class UnknownSites(ValueError):
    """Sites named to crawl that cannot be: not registered, or disabled."""


def crawl(url: str | None, site_ids: list[str], trigger: str = "manual", overrides: dict | None = None) -> CrawlSummary:
    """Crawl the sites (every registered one with a listing page when none are named); the crawl itself locks them
    (crawler.run), leaving alone those another crawl is running."""
    url = database_url(url)
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            agencies = list_agencies(session)
    finally:
        engine.dispose()
    unknown = sorted(set(site_ids) - {a.id for a in agencies})
    if unknown:
        raise UnknownSites(f"unknown site id(s): {', '.join(unknown)} (see `nianbao sites list`)")
    disabled = sorted(set(site_ids) & {a.id for a in agencies if not a.enabled})
    if disabled:
        raise UnknownSites(f"disabled site(s): {', '.join(disabled)} (`nianbao sites enable ID` to crawl again)")
    wanted = site_ids or [a.id for a in agencies if a.listing_urls and a.enabled]
    if not wanted:
        return CrawlSummary(None, [], {}, "nothing to crawl", {})
    stats = _run_spider(url, wanted, trigger, overrides or {})
    left = {key.removeprefix("nianbao/left/"): holder for key, holder in stats.items()
            if key.startswith("nianbao/left/")}
    return CrawlSummary(stats.get("nianbao/run_id"), wanted, left, stats.get("finish_reason", "?"), stats)


def _run_spider(url: str, site_ids: list[str], trigger: str, overrides: dict) -> dict:
    settings = get_project_settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("NIANBAO_DATABASE_URL", url, priority="cmdline")
    settings.set("NIANBAO_TRIGGER", trigger, priority="cmdline")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    # Under `nianbao` (nianbao.logs) or an embedding program, the root logger's handlers are already chosen.
    settings.set("LOG_INSTALL_ROOT_HANDLER", not configured(), priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler("reports")
    process.crawl(crawler, site=",".join(site_ids))
    process.start()
    return dict(crawler.stats.get_stats())
