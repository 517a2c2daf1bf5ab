"""Hanweb JCMS: /col/col<N>/index.html pages whose records come from /module/web/jpage/dataproxy.jsp as XML."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from parsel import Selector
from scrapy import FormRequest

from crawler.platforms.base import Platform, anchor_records

PROXY_URL = re.compile(r"""(/module/web/jpage/dataproxy\.jsp\?[^"'<>\s\]]+)""")
PER_PAGE = re.compile(r"perPage\s*:\s*['\"]?(\d+)")
RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
TOTAL = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>")
# jpage asks for one group of pages per request; 3 is its default groupSize.
PAGES_PER_REQUEST = 3


class Hanweb(Platform):
    name = "hanweb"

    def detect(self, response):
        return "dataproxy.jsp" in response.text or "<datastore>" in response.text

    def records(self, response):
        # The first records sit in the page inside <script type="text/xml">, the rest arrive as dataproxy XML.
        fragments = RECORD.findall(response.text)
        if not fragments:
            return super().records(response)
        selector = Selector(text="".join(fragments))
        return anchor_records(selector, response.urljoin)

    def pages(self, response, page, max_pages):
        query = response.meta.get("hanweb_query") or _proxy_query(response.text)
        if query is None:
            return
        per_page = response.meta.get("hanweb_per_page") or _per_page(response.text)
        if "hanweb_query" in response.meta:  # a dataproxy answer: ask for the next group if there is one
            total = TOTAL.search(response.text)
            start = page * per_page + 1
            if not total or start > int(total.group(1)):
                return
        else:
            start = 1
        first_page = (start - 1) // per_page + 1
        last_page = min(first_page + PAGES_PER_REQUEST - 1, max_pages)
        if first_page > last_page:
            return
        url = response.urljoin(
            f"/module/web/jpage/dataproxy.jsp?startrecord={start}&endrecord={last_page * per_page}&perpage={per_page}"
        )
        meta = {"hanweb_query": query, "hanweb_per_page": per_page}
        yield FormRequest(url, formdata=query, meta=meta), last_page


def _proxy_query(text: str) -> dict[str, str] | None:
    match = PROXY_URL.search(text.replace("&amp;", "&"))
    if not match:
        return None
    query = dict(parse_qsl(urlsplit(match.group(1)).query, keep_blank_values=True))
    query.pop("page", None)
    return {"col": "1", **query}


def _per_page(text: str) -> int:
    match = PER_PAGE.search(text)
    return int(match.group(1)) if match else 15
