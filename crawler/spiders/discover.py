"""The discovery spider (`nianbao sites discover`): from a portal's home page, follow the site's own navigation on
its host (disclosure sections, then its departments' and townships' platforms) to the annual-report columns, and
confirm each by what it lists. No database: it proposes registry rows, a person decides."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.http import TextResponse

from crawler.columns import page_meta
from crawler.discovery import kind, lists_agencies, menu_links
from crawler.links import is_report_title, title_agency
from crawler.platforms import detect

MAX_DEPTH = 4  # home → 信息公开 → 部门信息公开 → 财政局 → 年报


@dataclass
class DiscoveredColumn:
    url: str
    path: tuple[str, ...]  # the link texts that led here from the home page
    agency: str | None  # the link text of the department's or township's platform it is under, if any
    site_name: str  # the home page's SiteName (or title)
    column_name: str  # the column's ColumnName meta, or the link text
    reports: int  # annual reports it lists on its first page
    report_agencies: list[str] = field(default_factory=list)  # who their titles name, most often first


class DiscoverSpider(Spider):
    name = "discover"
    @classmethod
    def update_settings(cls, settings):
        """Not a crawl of reports: no pipelines, run, locks, stored pages or evidence archive; the politeness, the
        address guard and the retries of every crawl stay."""
        super().update_settings(settings)
        settings.set("ITEM_PIPELINES", {}, priority="spider")
        for name, off in (("EXTENSIONS", ("crawler.run.RunKeeper", "crawler.progress.Progress")),
                          ("DOWNLOADER_MIDDLEWARES", ("crawler.middlewares.ConditionalRequestsMiddleware",
                                                      "crawler.middlewares.StoredListingMiddleware",
                                                      "crawler.archive.EvidenceArchiveMiddleware"))):
            settings.set(name, {**settings.getdict(name), **dict.fromkeys(off)}, priority="spider")

    def __init__(self, url: str, max_pages: int = 60, **kwargs):
        super().__init__(**kwargs)
        self.home = url
        self.max_pages = int(max_pages)
        self.site_name = ""
        self.host: str | None = None  # the home page's host, once it answered (after its redirects)
        self.asked: set[str] = {url}  # pages asked for: the cost of discovery, each once

    async def start(self):
        yield Request(self.home, callback=self.parse_home, cb_kwargs={"path": (), "agency": None})

    def _request(self, url: str, callback, path: tuple[str, ...], agency: str | None) -> Request | None:
        """A page of the site's own host not asked for yet, within the page budget; None otherwise."""
        if url in self.asked or len(self.asked) >= self.max_pages or urlsplit(url).netloc != self.host:
            return None
        self.asked.add(url)
        return Request(url, callback=callback, cb_kwargs={"path": path, "agency": agency})

    def parse_home(self, response: TextResponse, path, agency):
        meta = page_meta(response)
        title = " ".join(response.css("title::text").get(default="").split())
        self.site_name = meta.get("sitename") or title
        self.host = urlsplit(response.url).netloc  # pages elsewhere (an on-host link redirected away) are not read
        yield from self.parse_section(response, path, agency)

    def parse_section(self, response: TextResponse, path, agency):
        """A page on the way: its annual-report links to confirm, its disclosure hubs (and, in a hub that lists
        agencies, their platforms) to look into."""
        if not isinstance(response, TextResponse) or urlsplit(response.url).netloc != self.host:
            return
        in_agency_list = bool(path) and lists_agencies(path[-1])
        for link in menu_links(response):
            what = kind(link.text)
            here = (*path, link.text)
            if what == "annual":
                request = self._request(link.url, self.confirm, here, agency)
            elif len(here) >= MAX_DEPTH:
                continue
            elif what == "hub":
                request = self._request(link.url, self.parse_section, here, agency)
            elif what == "agency" and in_agency_list:
                request = self._request(link.url, self.parse_section, here, link.text)
            else:
                continue
            if request is not None:
                yield request

    def confirm(self, response: TextResponse, path, agency):
        """A column named for annual reports: kept when it lists some, or says it is their column (a column with
        none yet); its own links to per-agency sub-columns are looked into as well."""
        if not isinstance(response, TextResponse) or urlsplit(response.url).netloc != self.host:
            return
        titles = [record.title for record in detect(response).records(response) if is_report_title(record.title)]
        column = page_meta(response).get("columnname") or path[-1]
        if titles or kind(column) == "annual":
            named = Counter(who for who in map(title_agency, titles) if who)
            yield DiscoveredColumn(response.url, path, agency, self.site_name, column, len(titles),
                                   [who for who, _ in named.most_common()])
        for link in menu_links(response):
            if kind(link.text) == "agency" and len(path) < MAX_DEPTH + 1:
                request = self._request(link.url, self.confirm, (*path, link.text), link.text)
                if request is not None:
                    yield request
