"""Any pager with a "下一页" link: follow it one page at a time."""

from __future__ import annotations

from scrapy import Request

from crawler.platforms.base import Platform

NEXT_WORDS = ("下一页", "下页", "后一页", "next")


class NextPage(Platform):
    name = "nextpage"

    def detect(self, response):
        return _next_href(response) is not None

    def pages(self, response, page, max_pages):
        href = _next_href(response)
        if href and page < max_pages:
            yield Request(response.urljoin(href)), page + 1


def _next_href(response) -> str | None:
    for anchor in response.css("a[href]"):
        text = "".join(anchor.css("::text").getall()).strip().lower()
        href = anchor.attrib["href"].strip()
        if any(word in text for word in NEXT_WORDS) and href and not href.startswith(("javascript:", "#")):
            return href
    return None
