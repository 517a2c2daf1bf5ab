"""The one spider: every registered listing page, its pagination, the reports it lists and their attachments."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urldefrag, urlsplit

from scrapy import Request, Spider, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.attachments import DOCUMENT_KINDS, Attachment, find_attachments, page_holds_report
from crawler.attribution import Attribution, Attributor
from crawler.columns import foreign_column, moved_home
from crawler.database import CrawlDatabase, StorageUnavailable
from crawler.fetchstate import FetchState, is_due
from crawler.items import FetchedDocument, ReportItem, SiteOutcome, UnchangedItem
from crawler.links import is_report_title, report_year
from crawler.middlewares import UNCHANGED_LISTING
from crawler.outcomes import (
    CRAWLER_ERROR,
    LAYOUT_CHANGED,
    NOTHING_FOUND,
    OK,
    UNREACHABLE,
    ListingState,
    OffsiteRedirect,
    Verdict,
    classify_failure,
    is_refused_by_us,
    worst,
)
from crawler.pagetext import visible_text
from crawler.platforms import Record, detect, named
from crawler.sites import Site, load_sites, select_sites
from crawler.withdrawals import GONE, WithdrawalCheck, load_stored_pages
from storage.documents import store_document

CONDITIONAL = {"nianbao_conditional": True, "handle_httpstatus_list": [304]}


@dataclass
class FoundReport:
    """A report link read from a listing page, carried to the page's callback."""

    site_id: str
    listing_url: str
    record: Record
    attribution: Attribution | None  # from the title; None when the title names no agency


class ReportsSpider(Spider):
    name = "reports"

    def __init__(self, site: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.site_arg = site

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        # One engine (and one schema upgrade) for the whole crawl: the spider, pipelines and run keeper share it.
        spider.database = CrawlDatabase.of(crawler)
        spider.setup(load_sites(spider.database.opened()), settings.getint("NIANBAO_MAX_LISTING_PAGES"))
        # NIANBAO_MAX_ATTACHMENTS / _MAX_ATTACHMENT_MB: what one report page may make us download.
        spider.max_attachments = settings.getint("NIANBAO_MAX_ATTACHMENTS", 10)
        spider.max_attachment_bytes = settings.getint("NIANBAO_MAX_ATTACHMENT_MB", 100) * 2**20
        # NIANBAO_RECHECK_DAYS: how often a report page listed on an unchanged listing page is asked for again.
        spider.recheck_days = settings.getint("NIANBAO_RECHECK_DAYS", 7)
        spider.checked_at = FetchState.of(crawler).checked_at
        spider.stored_pages = load_stored_pages(spider.database.engine, [site.id for site in spider.targets])
        crawler.signals.connect(spider.send_outcomes_when_idle, signal=signals.spider_idle)
        return spider

    def setup(self, sites: list[Site], max_pages: int) -> None:
        self.attributor = Attributor(sites)
        self.targets = select_sites(sites, self.site_arg)
        self.max_pages = max_pages
        # Only the registered sites' own hosts: spam domains copy government pages and their links.
        self.allowed_domains = sorted({_domain(url) for site in sites for url in site.listing_urls} - {""})
        self.listings: dict[str, ListingState] = {}
        self.seen_reports: set[str] = set()
        self.attributed: Counter[str] = Counter()
        self.outcomes_sent = False
        self.withdrawals_checked = False

    async def start(self):
        for site in self.targets:
            if not site.listing_urls:
                self.logger.warning("site %s has no listing page registered", site.id)
                self.crawler.stats.inc_value("nianbao/sites_without_listing")
            for url in site.listing_urls:
                if url in self.listings:  # a listing shared by several agencies is read once
                    continue
                self.listings[url] = ListingState(url)
                try:
                    request = Request(url)
                except ValueError as error:  # "www.x.gov.cn/…" without a scheme, typed into the registry
                    invalid = f"invalid listing URL {url!r}: {error}"
                    self.listings[url].fail(Verdict(LAYOUT_CHANGED, LAYOUT_CHANGED, invalid))
                    continue
                self.crawler.stats.inc_value("nianbao/listings_total")
                yield self._listing_request(request, url, 1, None)

    # Listing pages

    def _listing_request(self, request: Request, root: str, page: int, platform: str | None) -> Request:
        meta = {**request.meta, **CONDITIONAL, "listing": root, "page": page, "platform": platform}
        return request.replace(callback=self.parse_listing, errback=self.listing_failed, meta=meta)

    def parse_listing(self, response: Response):
        root, page = response.meta["listing"], response.meta["page"]
        state = self.listings[root]
        if page == 1:
            self.crawler.stats.inc_value("nianbao/listings_answered")
        if not isinstance(response, TextResponse):
            state.fail(Verdict(LAYOUT_CHANGED, LAYOUT_CHANGED, f"{response.url} is not a page"))
            return
        if page == 1:
            self._check_column(response, root, state)
        platform = named(response.meta["platform"]) if response.meta["platform"] else detect(response)
        state.platforms.add(platform.name)
        state.pages += 1
        self.crawler.stats.inc_value("nianbao/listing_pages")
        records = platform.records(response)
        state.records += len(records)
        unchanged = UNCHANGED_LISTING in response.flags
        for record in records:
            if is_report_title(record.title):
                yield from self._report_link(record, root, state, unchanged)
        for request, number in platform.pages(response, page, self.max_pages):
            yield self._listing_request(request, root, number, platform.name)

    def _check_column(self, response: TextResponse, root: str, state: ListingState) -> None:
        """The registered listing now answering with the home page is a failure whatever links it shows; another
        column's page is judged at the end, by whether it held a report (ListingState.outcome)."""
        home = moved_home(response, root)
        if home:
            self._fail_listing(root, Verdict(LAYOUT_CHANGED, LAYOUT_CHANGED, home))
            return
        state.foreign_column = foreign_column(response, self.attributor.owner_names(root))

    def listing_failed(self, failure: Failure) -> None:
        verdict = classify_failure(failure)
        root = failure.request.meta["listing"]
        self.crawler.stats.inc_value(f"nianbao/listing_failed/{verdict.failure_class}")
        if failure.request.meta["page"] == 1:
            self.crawler.stats.inc_value("nianbao/listings_answered")
        self._fail_listing(root, verdict)

    def _fail_listing(self, root: str, verdict: Verdict) -> None:
        self.listings[root].fail(verdict)
        # The one line a failing site gets on the console (Scrapy's own retry and robots.txt reports are not shown),
        # with the failure class where it says more than the outcome: "unreachable (dns_failure)", "blocked".
        outcome, failure_class, detail = verdict
        said = outcome if failure_class == outcome else f"{outcome} ({failure_class})"
        self.logger.warning("%s: %s: %s", self.attributor.owner(root) or root, said, detail)

    def _report_link(self, record: Record, root: str, state: ListingState, listing_unchanged: bool):
        url = urldefrag(record.url).url
        if not self.followable(url):
            self.crawler.stats.inc_value("nianbao/offsite_report_links")
            self.logger.info("not following offsite report link %s on %s", url, root)
            return
        state.reports += 1
        if url in self.seen_reports:
            return
        self.seen_reports.add(url)
        found = FoundReport(
            site_id=self.attributor.owner(root) or "",
            listing_url=root,
            record=Record(record.title, url, record.date),
            attribution=self.attributor.from_title(record.title, root),
        )
        if listing_unchanged and not self._due(url):
            self.crawler.stats.inc_value("nianbao/reports/not_due")
            yield UnchangedItem(**self._identity(found), checked=False)
            return
        yield Request(
            url, callback=self.parse_report, errback=self.report_failed, meta=CONDITIONAL, cb_kwargs={"found": found}
        )

    def _due(self, url: str) -> bool:
        """A report stored before, listed on an unchanged listing, is asked for again only on its re-check night."""
        checked = self.checked_at.get(url)
        return checked is None or is_due(url, checked, datetime.now(UTC), self.recheck_days)

    def followable(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return any(host == domain or host.endswith("." + domain) for domain in self.allowed_domains)

    # Report pages and their attachments

    def parse_report(self, response: Response, found: FoundReport):
        if response.status == 304:
            self.crawler.stats.inc_value("nianbao/reports/unchanged")
            yield self._unchanged(found)
            return
        page = FetchedDocument.from_response(response)
        attachments: list[Attachment] = []
        holds_report = True
        if page.kind == "html" and isinstance(response, TextResponse):
            found.attribution = found.attribution or self._attribute_by_page(response, found.listing_url)
            attachments = [a for a in find_attachments(response) if self.followable(a.url)]
            holds_report = page_holds_report(response)
        item = self._report_item(found, documents=[page])
        item.main_url = page.url if holds_report or not attachments else None
        yield from self._next_attachment(item, attachments)

    def _attribute_by_page(self, response: TextResponse, listing_url: str) -> Attribution | None:
        headings = " ".join(response.selector.root.xpath("//title//text() | //h1//text() | //h2//text()"))
        body = visible_text(response)
        return self.attributor.from_text(headings, listing_url) or self.attributor.from_text(body, listing_url)

    def _next_attachment(self, item: ReportItem, pending: list[Attachment]):
        attachments = item.documents[1:]
        if pending and (len(attachments) >= self.max_attachments
                        or sum(d.size for d in attachments) >= self.max_attachment_bytes):
            item.attachments_skipped = len(pending)
            self.crawler.stats.inc_value("nianbao/attachments/over_cap", len(pending))
            self.logger.warning("report %s: %d attachment(s) left out, over the cap of %d files / %d MiB",
                                item.url, len(pending), self.max_attachments, self.max_attachment_bytes // 2**20)
            pending = []
        if not pending:
            yield self._finish(item)
            return
        attachment, rest = pending[0], pending[1:]
        # dont_filter: two pages may link one file, and a dropped duplicate would leave this report unfinished.
        yield Request(
            attachment.url,
            callback=self.parse_attachment,
            errback=self.attachment_failed,
            dont_filter=True,
            meta=CONDITIONAL,
            cb_kwargs={"item": item, "attachment": attachment, "pending": rest},
        )

    async def parse_attachment(self, response: Response, item: ReportItem, attachment: Attachment, pending):
        document = FetchedDocument.from_response(response, name=attachment.name)
        if document.unchanged or document.kind in DOCUMENT_KINDS:
            if not document.unchanged:
                # Into storage as it arrives: a page with sixty large files never holds them all in memory.
                try:
                    document.sha256 = await self.database.store(store_document, document.body,
                                                                content_type=document.kind)
                except StorageUnavailable:
                    return  # the crawl is stopping; the run records this site as unfinished
                document.body = b""
            item.documents.append(document)
            self.crawler.stats.inc_value(f"nianbao/attachments/{document.kind or 'unchanged'}")
        else:
            self.crawler.stats.inc_value(f"nianbao/attachments/ignored_{document.kind}")
            self.logger.info("attachment %s of %s is %s, not a document", response.url, item.url, document.kind)
        for result in self._next_attachment(item, pending):
            yield result

    def attachment_failed(self, failure: Failure):
        kwargs = failure.request.cb_kwargs
        if isinstance(failure.value, OffsiteRedirect):  # said, and asked again next time: the site may mend it
            kwargs["item"].error = f"attachment {failure.request.url}: {failure.value}"
        elif not is_refused_by_us(failure):
            kwargs["item"].error = f"attachment {failure.request.url}: {classify_failure(failure).detail}"
            self.logger.warning("report %s: %s", kwargs["item"].url, kwargs["item"].error)
        yield from self._next_attachment(kwargs["item"], kwargs["pending"])

    def report_failed(self, failure: Failure):
        """A listed report that could not be fetched is still an item: stored as listed-but-not-stored, with the
        cause, so the audit never calls its agency missing."""
        found = failure.request.cb_kwargs["found"]
        item = self._report_item(found, documents=[])
        if is_refused_by_us(failure):  # robots.txt forbids it, a redirect left the site, a refused address
            self.crawler.stats.inc_value("nianbao/reports/skipped")
            item.error = f"not fetched: {failure.value} ({failure.request.url})"
        else:
            self.crawler.stats.inc_value("nianbao/reports/failed")
            item.error = classify_failure(failure).detail
        self.logger.warning("report %s: %s", item.url, item.error)
        yield item

    def callback_failed(self, request: Request, error: Exception) -> list | None:
        """A bug of ours on one page costs that page, said (CallbackFailureMiddleware): a report is still an item with
        the cause, a listing page fails its listing, so neither is ever read as an absence."""
        cause = f"the crawler failed on {request.url}: {type(error).__name__}: {error}"
        self.crawler.stats.inc_value("nianbao/callback_errors")
        self.logger.error("%s", cause, exc_info=error)
        kwargs = request.cb_kwargs
        if "found" in kwargs:
            item = self._report_item(kwargs["found"], documents=[])
        elif "item" in kwargs:
            item = kwargs["item"]
        else:
            if "listing" in request.meta:  # the list was not read whole: unreachable, as far as absence goes
                self.listings[request.meta["listing"]].fail(Verdict(UNREACHABLE, CRAWLER_ERROR, cause))
            return None
        item.error = cause
        return [self._finish(item) if item.documents else item]

    def _finish(self, item: ReportItem) -> ReportItem:
        if item.main_url is None:  # the page is only a link: its first document attachment is the report
            main = next((d for d in item.documents[1:] if d.unchanged or d.kind in DOCUMENT_KINDS), item.documents[0])
            item.main_url = main.url
        self.crawler.stats.inc_value("nianbao/reports/downloaded")
        return item

    def _report_item(self, found: FoundReport, documents: list[FetchedDocument]) -> ReportItem:
        return ReportItem(**self._identity(found), published=found.record.date, documents=documents)

    def _unchanged(self, found: FoundReport) -> UnchangedItem:
        return UnchangedItem(**self._identity(found))

    def _identity(self, found: FoundReport) -> dict:
        """What every item about a found report says: whose it is, which year, where it was listed."""
        attribution = self._final_attribution(found)
        return {
            "site_id": found.site_id, "agency_id": attribution.agency_id, "agency_name": attribution.agency_name,
            "year": report_year(found.record.title), "title": found.record.title, "url": found.record.url,
            "listing_url": found.listing_url,
        }

    def _final_attribution(self, found: FoundReport) -> Attribution:
        attribution = found.attribution or self.attributor.sole_owner(found.listing_url) or Attribution(None, None)
        self.attributed[attribution.agency_id or ""] += 1
        if attribution.agency_id is None:
            self.crawler.stats.inc_value("nianbao/reports/unknown_agency")
        return attribution

    # Site outcomes, once everything else is done

    def send_outcomes_when_idle(self) -> None:
        if self.outcomes_sent:
            return
        if not self.withdrawals_checked:  # first the stored reports that left their listings, then the outcomes
            self.withdrawals_checked = True
            self.crawler.engine.crawl(Request("data:,", callback=self.check_withdrawals, dont_filter=True))
            raise DontCloseSpider
        self.outcomes_sent = True
        # Items can only come from callbacks: one local data: request carries the outcomes out.
        self.crawler.engine.crawl(Request("data:,", callback=self.site_outcomes, dont_filter=True))
        raise DontCloseSpider

    # Withdrawn reports (crawler/withdrawals.py)

    def check_withdrawals(self, response: Response):
        now = datetime.now(UTC)
        for site in self.targets:
            states = [self.listings[url] for url in site.listing_urls if url in self.listings]
            if not states or any(state.outcome().outcome not in (OK, NOTHING_FOUND) for state in states):
                continue  # a listing not read whole proves nothing about what left it
            for url, withdrawn in self.stored_pages.get(site.id, {}).items():
                if url in self.seen_reports:
                    if withdrawn:
                        yield WithdrawalCheck(site.id, url, gone=False)
                elif withdrawn or is_due(url, self.checked_at.get(url, now), now, self.recheck_days):
                    yield Request(url, callback=self.withdrawal_answered, errback=self.withdrawal_unanswered,
                                  meta={**CONDITIONAL, "handle_httpstatus_list": [304, *GONE],
                                        "withdrawal_of": site.id},
                                  dont_filter=True)

    def withdrawal_answered(self, response: Response):
        site_id = response.meta["withdrawal_of"]
        url = response.request.url
        if response.status in GONE:
            self.crawler.stats.inc_value("nianbao/withdrawn")
            yield WithdrawalCheck(site_id, url, gone=True,
                                  reason=f"HTTP {response.status} at {url}; no longer on its listing page(s)")
        else:
            yield WithdrawalCheck(site_id, url, gone=False)

    def withdrawal_unanswered(self, failure: Failure) -> None:
        """No answer proves nothing: the report stays as it was."""
        self.logger.info("withdrawal check of %s unanswered: %s", failure.request.url, failure.value)

    def site_outcomes(self, response: Response):
        stats = self.crawler.stats
        for site in self.targets:
            states = [self.listings[url] for url in site.listing_urls]
            if not states:
                continue
            verdict = worst([state.outcome() for state in states])
            stats.set_value(f"nianbao/site/{site.id}/outcome", verdict.outcome)
            stats.inc_value(f"nianbao/outcome/{verdict.outcome}")
            yield SiteOutcome(
                site_id=site.id,
                outcome=verdict.outcome,
                failure_class=verdict.failure_class,
                detail=verdict.detail,
                listing_urls=list(site.listing_urls),
                platforms=sorted(set().union(*(state.platforms for state in states))),
                listing_pages=sum(state.pages for state in states),
                report_links=sum(state.reports for state in states),
                reports=self.attributed[site.id],
            )


def _domain(url: str) -> str:
    """The host a listing lives on, without "www.", so the site's other subdomains (file servers) are followed."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")
