"""The crawl's pieces on real fixture pages: platform detection and paging, attachments, encodings, challenges."""

from __future__ import annotations

import asyncio
import gc
import weakref
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import FormRequest, Request
from scrapy.http import HtmlResponse, XmlResponse

from crawler.attachments import find_attachments, page_holds_report
from crawler.encoding import page_encoding
from crawler.middlewares import ReleaseParsedPageMiddleware, looks_blocked
from crawler.platforms import detect, named
from tests.fixtureweb import build_web, report_urls
from tests.fixtureweb.sample import hoboksar, jiaxian, tacheng, tuoli, yumin

TEXT = "托里县2024年政府信息公开工作年度报告"


def _page(web, url: str) -> HtmlResponse:
    resource = web.resource(url)
    return HtmlResponse(
        url, body=resource.content({}), headers={"Content-Type": resource.content_type}, request=Request(url)
    )


@pytest.mark.parametrize(
    ("site", "platform", "next_pages"),
    [
        (tuoli(), "trs", ["/zfxxgk/zfxxgknb/index_1.html", "/zfxxgk/zfxxgknb/index_2.html"]),
        (jiaxian(), "cluster", ["/jiaxian/c100123/list_2.shtml", "/jiaxian/c100123/list_3.shtml"]),
        (hoboksar(), "nextpage", ["/xxgk/ndbg/list-2.htm"]),
        (yumin(), "query", ["/xxgk/gknb/index.jsp?pageNum=2"]),
    ],
    ids=["trs", "cluster", "nextpage", "query"],
)
def test_platform_is_detected_from_the_page_and_pages_follow(site, platform, next_pages):
    web = build_web([site])
    response = _page(web, site.listing_url)
    strategy = detect(response)
    assert strategy.name == platform
    pages = list(strategy.pages(response, 1, 20))
    assert [
        urlsplit(r.url).path + (f"?{urlsplit(r.url).query}" if urlsplit(r.url).query else "") for r, _ in pages
    ] == next_pages
    assert [number for _, number in pages] == list(range(2, 2 + len(next_pages)))
    titles = {record.title for record in strategy.records(response)}
    assert set(list(report_urls(site))[: site.per_page]) <= titles


def test_hanweb_asks_dataproxy_for_groups_of_pages_until_the_total():
    site = tacheng()
    web = build_web([site])
    column = _page(web, site.listing_url)
    hanweb = detect(column)
    assert hanweb.name == "hanweb"
    assert len(hanweb.records(column)) == site.per_page  # the inline first page
    ((request, last_page),) = hanweb.pages(column, 1, 20)
    assert isinstance(request, FormRequest) and request.method == "POST"
    assert parse_qs(urlsplit(request.url).query) == {"startrecord": ["1"], "endrecord": ["9"], "perpage": ["3"]}
    assert parse_qs(request.body.decode())["columnid"] == ["4521"]
    proxy = web.resource(request.url).dynamic
    first = XmlResponse(
        request.url, body=proxy({"columnid": "4521", "startrecord": "1", "endrecord": "9"}), request=request
    )
    assert len(hanweb.records(first)) == 9
    ((following, _),) = hanweb.pages(first, last_page, 20)
    assert "startrecord=10&endrecord=18" in following.url
    rest = XmlResponse(
        following.url, body=proxy({"columnid": "4521", "startrecord": "10", "endrecord": "18"}), request=following
    )
    assert len(hanweb.records(rest)) == 2
    assert list(hanweb.pages(rest, 6, 20)) == []


def test_trs_newer_pager_call_and_page_cap():
    body = b"<script>createPageHTML('page_div', 30, 0, 'index', 'shtml', 450);</script>"
    response = HtmlResponse("http://a.gov.test/ndbg/index.shtml", body=body, encoding="utf-8")
    pages = list(named("trs").pages(response, 1, 5))
    assert [r.url for r, _ in pages][-1] == "http://a.gov.test/ndbg/index_4.shtml"
    assert len(pages) == 4


def test_attachments_wherever_sites_put_them():
    body = """<html><body><div id="zoom"><p>现将报告予以公布。</p>
      <p>附件：<a href="/servlet/FileServlet?fileId=3">托里县年度报告</a></p>
      <p><a href="/uploadfiles/a1.docx">年度报告.docx</a></p>
      <iframe src="/pdfjs/web/viewer.html?file=%2Fmodule%2Fdownload%2Fdownfile.jsp%3Fid%3D9"></iframe>
      <p>相关阅读：<a href="/art/2025/1/2/art_1_2.html">《2024年年度报告》解读</a></p></div></body></html>"""
    response = HtmlResponse("http://a.gov.test/art/1.html", body=body.encode(), encoding="utf-8")
    found = {a.url: a.name for a in find_attachments(response)}
    assert found == {
        "http://a.gov.test/servlet/FileServlet?fileId=3": "托里县年度报告",
        "http://a.gov.test/uploadfiles/a1.docx": "年度报告.docx",
        "http://a.gov.test/module/download/downfile.jsp?id=9": "",
    }
    assert not page_holds_report(response)


def test_report_page_holds_the_report_even_with_a_pdf_copy():
    site = tuoli()
    web = build_web([site])
    response = _page(web, report_urls(site)["托里县人民政府2024年政府信息公开工作年度报告"])
    assert page_holds_report(response)
    assert [a.url.rsplit(".", 1)[1] for a in find_attachments(response)] == ["pdf"]


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (f"<html><body>{TEXT}</body></html>".encode("gbk"), "text/html", "gb18030"),
        (f"<html><body>{TEXT}</body></html>".encode("gbk"), "text/html; charset=ISO-8859-1", "gb18030"),
        (f"<html><body>{TEXT}</body></html>".encode("gbk"), "text/html; charset=utf-8", "gb18030"),
        (f'<meta charset="gb2312"><body>{TEXT}</body>'.encode(), "text/html", "utf-8"),
        ("<html><body>政府資訊公開年報</body></html>".encode("big5"), "text/html; charset=big5", "big5"),
    ],
)
def test_page_encoding_from_the_bytes(body, content_type, expected):
    assert page_encoding(body, content_type).startswith(expected)


@pytest.mark.parametrize(
    ("status", "body", "blocked"),
    [
        (412, b"<html><script>var $_ts={};</script></html>", True),
        (200, b"<html><head><script>$_ts.nsd=1;</script></head><body></body></html>", True),
        (521, b"<script>document.cookie='__jsl_clearance=1'</script>", True),
        (200, ("<html><body><p>" + "本机关落实网络安全验证制度。" * 40 + "</p></body></html>").encode(), False),
        (200, b"<html><body><ul><li><a href='/a'>report</a></li></ul></body></html>", False),
    ],
)
def test_challenge_pages(status, body, blocked):
    response = HtmlResponse("http://a.gov.test/", status=status, body=body, encoding="utf-8")
    assert looks_blocked(response) is blocked


def _freed_without_the_collector(consume) -> bool:
    """Whether a listing page whose selector a callback used is freed by reference counting alone once the spider
    middleware chain has consumed the callback's output (consume(middleware, response, output))."""
    site = tuoli()
    response = _page(build_web([site]), site.listing_url)
    links = response.css("a::attr(href)").getall()  # what a callback does: parse the page, cache its selector
    assert links
    page = weakref.ref(response)
    enabled = gc.isenabled()
    gc.disable()
    try:
        consume(ReleaseParsedPageMiddleware(), response, links)
        del response
        return page() is None
    finally:
        if enabled:
            gc.enable()


def test_a_finished_page_is_freed_at_once_not_left_to_the_cycle_collector():
    def sync(middleware, response, links):
        assert list(middleware.process_spider_output(response, iter(links))) == links

    def asynchronous(middleware, response, links):
        async def output():
            for link in links:
                yield link

        async def drain():
            return [x async for x in middleware.process_spider_output_async(response, output())]

        assert asyncio.run(drain()) == links

    assert _freed_without_the_collector(sync)
    assert _freed_without_the_collector(asynchronous)


def test_without_the_release_a_parsed_page_waits_for_the_cycle_collector():
    """The cycle the middleware breaks is real (Scrapy's cached selector points back at its response)."""
    assert not _freed_without_the_collector(lambda middleware, response, links: None)
