"""Server-side paging: the same list page with ?pageNum=N, ?page=N, ?pageNo=N … in its pager links."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy import Request

from crawler.platforms.base import Platform

PAGE_PARAMS = ("pageNum", "page", "pageNo", "pageIndex", "curPage", "currentPage")
PAGE_LINK = re.compile(r"[?&](" + "|".join(PAGE_PARAMS) + r")=(\d+)")


class Query(Platform):
    name = "query"

    def detect(self, response):
        return bool(_page_links(response))

    def pages(self, response, page, max_pages):
        links = _page_links(response)
        if not links:
            return
        param = links[0][0]
        last = max(number for name, number in links if name == param)
        for number in range(2, min(last, max_pages) + 1):
            yield Request(_with_param(response.url, param, number)), number


def _page_links(response) -> list[tuple[str, int]]:
    """(parameter, number) of pager links that lead to the same path as this page."""
    path = urlsplit(response.url).path
    out = []
    for href in response.css("a::attr(href)").getall():
        url = urlsplit(response.urljoin(href))
        match = PAGE_LINK.search("?" + url.query)
        if match and url.path == path:
            out.append((match.group(1), int(match.group(2))))
    return out


def _with_param(url: str, param: str, number: int) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query[param] = str(number)
    return urlunsplit(parts._replace(query=urlencode(query)))
