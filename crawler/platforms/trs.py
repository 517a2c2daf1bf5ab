"""TRS WCM: static index.html, index_1.html, … announced by a createPageHTML(<pages>, <current>, …) script call."""

from __future__ import annotations

import re

from scrapy import Request

from crawler.platforms.base import Platform

# createPageHTML(5, 0, "index", "html") and the newer createPageHTML('page_div', 5, 0, 'index', 'html', 73).
CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*(?:['\"][^'\"]*['\"]\s*,\s*)?(\d+)\s*,\s*(\d+)\s*,\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]"
)


class TRS(Platform):
    name = "trs"

    def detect(self, response):
        return bool(CREATE_PAGE.search(response.text))

    def pages(self, response, page, max_pages):
        match = CREATE_PAGE.search(response.text)
        if not match or int(match.group(2)) != 0:
            return  # only the first page announces the others
        total, stem, ext = int(match.group(1)), match.group(3), match.group(4)
        for index in range(1, min(total, max_pages)):
            yield Request(response.urljoin(f"{stem}_{index}.{ext}")), index + 1
