"""A bug of ours in a spider callback costs that page, said: never a report lost without a word."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.attribution import Attribution
from crawler.items import FetchedDocument, ReportItem
from crawler.middlewares import CallbackFailureMiddleware
from crawler.outcomes import ListingState
from crawler.platforms.base import Record
from crawler.spiders.annual_reports import FoundReport, ReportsSpider

LISTING = "http://127.0.0.1:8000/xxgk/nb/index.html"
TITLE = "托里县人民政府2024年政府信息公开工作年度报告"


def _middleware(tmp_path) -> tuple[CallbackFailureMiddleware, ReportsSpider]:
    crawler = get_crawler(ReportsSpider, {"NIANBAO_DATABASE_URL": f"sqlite:///{tmp_path / 'n.sqlite'}"})
    crawler.spider = ReportsSpider.from_crawler(crawler)
    return CallbackFailureMiddleware.from_crawler(crawler), crawler.spider


def _failing(request: Request) -> HtmlResponse:
    return HtmlResponse(request.url, body=b"<html></html>", request=request)


def test_a_report_page_whose_callback_raises_is_still_an_item(tmp_path):
    middleware, _ = _middleware(tmp_path)
    found = FoundReport("xj-tuoli-county", LISTING, Record(TITLE, "http://127.0.0.1:8000/nb/1.html", "2025-01-20"),
                        Attribution("xj-tuoli-county", "托里县人民政府"))
    request = Request(found.record.url, cb_kwargs={"found": found})
    [item] = middleware.process_spider_exception(_failing(request), ValueError("a bug"))
    assert (item.agency_id, item.year, item.documents) == ("xj-tuoli-county", 2024, [])
    assert item.error == f"the crawler failed on {found.record.url}: ValueError: a bug"


def test_an_attachment_whose_callback_raises_finishes_its_report(tmp_path):
    middleware, _ = _middleware(tmp_path)
    page = FetchedDocument("http://127.0.0.1:8000/nb/1.html", "html", body=b"<html>report</html>")
    item = ReportItem("s", "s", "甲县", 2024, TITLE, page.url, LISTING, documents=[page])
    request = Request("http://127.0.0.1:8000/f/a.pdf", cb_kwargs={"item": item, "attachment": None, "pending": []})
    [finished] = middleware.process_spider_exception(_failing(request), KeyError("x"))
    assert finished is item and finished.main_url == page.url and "KeyError" in finished.error


def test_a_listing_page_whose_callback_raises_proves_no_absence(tmp_path):
    middleware, spider = _middleware(tmp_path)
    spider.listings[LISTING] = ListingState(LISTING)
    request = Request(LISTING, meta={"listing": LISTING})
    assert middleware.process_spider_exception(_failing(request), IndexError("y")) is None
    outcome, failure_class, detail = spider.listings[LISTING].outcome()
    assert (outcome, failure_class) == ("unreachable", "crawler_error") and "IndexError: y" in detail
