"""Site clusters (Xinjiang, Gansu, Jiangxi): /<site>/c<N>/list.shtml, list_2.shtml, …"""

from __future__ import annotations

import re

from scrapy import Request

from crawler.platforms.base import Platform

LIST_PAGE = re.compile(r"list_(\d+)\.shtml")


class Cluster(Platform):
    name = "cluster"

    def detect(self, response):
        return bool(LIST_PAGE.search(response.text))

    def pages(self, response, page, max_pages):
        # Pagers show a window of numbers plus 尾页; the largest number seen on any page bounds the list.
        last = max((int(n) for n in LIST_PAGE.findall(response.text)), default=1)
        for number in range(2, min(last, max_pages) + 1):
            yield Request(response.urljoin(f"list_{number}.shtml")), number
