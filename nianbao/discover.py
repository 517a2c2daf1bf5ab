"""`nianbao sites discover URL`: the discovery spider (crawler/spiders/discover.py) run on one portal, its columns
written as registry rows for a person to review and import: the site's own government, and each department or
township whose platform on the site has an annual-report column; with the evidence (the link texts that led there)
and the number of reports each lists."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from pypinyin import lazy_pinyin
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings
from sqlalchemy.orm import Session

from crawler.spiders.discover import DiscoveredColumn
from nianbao.divisions import place_name
from nianbao.logs import configured
from nianbao.suggest import guess_level, registry_id, rows_csv
from storage.registry import agencies_for_listing

SITE_NAME_ENDS = ("门户网站", "政府网站", "网站", "门户", "政府网")


@dataclass(frozen=True)
class Proposal:
    id: str
    name: str
    level: str
    parent: str
    listing_url: str  # one or more, separated by spaces, as in the registry
    origin: str  # "discovered"
    evidence: str  # 首页 > 政务公开 > 政府信息公开年报
    reports: int  # annual reports its columns list on their first pages
    level_guess: str  # the word of the name that decided its level
    registered: str = ""  # the agencies a listing page is already registered for (registered_for)


@dataclass(frozen=True)
class Discovery:
    proposals: list[Proposal]
    pages: int  # requests made, robots.txt included
    site_name: str


def discover(url: str, parent: str | None = None, max_pages: int = 60, overrides: dict | None = None) -> Discovery:
    return discover_many([url], parent, max_pages, overrides)[url]


def discover_many(urls: list[str], parent: str | None = None, max_pages: int = 60, overrides: dict | None = None
                  ) -> dict[str, Discovery]:
    """Discovery from each portal, all in one Scrapy process (its reactor runs once), each as polite as a crawl."""
    result = {}
    for url, (columns, stats, spider) in _run(urls, max_pages, overrides or {}).items():
        site = site_agency_name(spider.site_name)
        result[url] = Discovery(proposals(columns, site, parent), stats.get("downloader/request_count", 0), site)
    return result


def site_agency_name(site_name: str) -> str:
    """The government a portal belongs to, from its SiteName or title: 托里县人民政府门户网站 → 托里县人民政府."""
    name = re.split(r"[|｜_\\-—–·\s]+", site_name.strip())[0] if site_name.strip() else ""
    for end in SITE_NAME_ENDS:
        if name.endswith(end) and len(name) > len(end):
            name = name[: -len(end)]
    return name


def proposals(columns: list[DiscoveredColumn], site: str, parent: str | None) -> list[Proposal]:
    """One row per agency: the site's own (its columns not under a department's or township's platform) first."""
    taken: set[str] = set()
    place = "".join(lazy_pinyin(place_name(site))) or "site"
    site_id = f"{parent}-{place}" if parent else place  # 托里县 → tuolixian
    taken.add(site_id)
    grouped: dict[str, list[DiscoveredColumn]] = {}
    for column in columns:
        grouped.setdefault(_agency_name(column, site), []).append(column)
    rows = []
    for name, found in sorted(grouped.items(), key=lambda item: (item[0] != site, item[0])):
        level, word = guess_level(name)
        own = name == site
        agency_id = site_id if own else registry_id(site_id, site, name, taken)
        rows.append(Proposal(agency_id, name, level, (parent or "") if own else site_id,
                             " ".join(dict.fromkeys(c.url for c in found)), "discovered",
                             " | ".join(" > ".join(("首页", *c.path)) for c in found), sum(c.reports for c in found),
                             word))
    return rows


def registered_for(session: Session, rows: list[Proposal]) -> list[Proposal]:
    """The rows, each naming the agencies already registered with one of its listing pages."""
    return [replace(row, registered=" ".join(sorted({agency.id for url in row.listing_url.split()
                                                      for agency in agencies_for_listing(session, url)})))
            for row in rows]


def as_csv(rows: list[Proposal]) -> str:
    return rows_csv(Proposal, rows)


def _agency_name(column: DiscoveredColumn, site: str) -> str:
    """The site's government, or the department or township whose platform the column is on: as its reports'
    titles name it, else the site's place and the link text (财政局 on 托里县's site → 托里县财政局)."""
    if column.agency is None:
        return site
    if column.report_agencies:
        return column.report_agencies[0]
    place = place_name(site)
    return column.agency if column.agency.startswith(place) else place + column.agency


def _run(urls: list[str], max_pages: int, overrides: dict) -> dict[str, tuple]:
    settings = get_project_settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    settings.set("LOG_INSTALL_ROOT_HANDLER", not configured(), priority="cmdline")
    process = CrawlerProcess(settings)
    runs = {}
    for url in dict.fromkeys(urls):
        crawler = process.create_crawler("discover")
        found: list[DiscoveredColumn] = []
        crawler.signals.connect(lambda item, found=found, **_: found.append(item), signal=signals.item_scraped,
                                weak=False)
        process.crawl(crawler, url=url, max_pages=max_pages)
        runs[url] = (crawler, found)
    process.start()
    return {url: (found, dict(crawler.stats.get_stats()), crawler.spider) for url, (crawler, found) in runs.items()}
