"""What every platform strategy shares: list records read from a page's links, and the page number cap."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from parsel import Selector
from scrapy import Request
from scrapy.http import TextResponse

DATE = re.compile(r"((?:19|20)\d{2})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})")
# Menu entries ("首页", "政务公开") are short; list records are article titles.
MIN_RECORD_TITLE = 8


@dataclass(frozen=True)
class Record:
    title: str
    url: str
    date: str | None = None  # YYYY-MM-DD shown beside the link


class Platform:
    """A publishing platform: how to recognise its listing pages, read their records and reach the next pages."""

    name = "single"

    def detect(self, response: TextResponse) -> bool:
        return True

    def records(self, response: TextResponse) -> list[Record]:
        return anchor_records(response.selector, response.urljoin)

    def pages(self, response: TextResponse, page: int, max_pages: int) -> Iterable[tuple[Request, int]]:
        """Requests for further listing pages, each with its page number (1 is the registered page)."""
        return ()


def anchor_records(selector: Selector, urljoin) -> list[Record]:
    """Every titled link of a page or fragment; the title attribute first, since list text is often cut short."""
    out = []
    for anchor in selector.css("a[href]"):
        href = (anchor.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        title = " ".join((anchor.attrib.get("title") or "".join(anchor.css("::text").getall())).split())
        if len(title) < MIN_RECORD_TITLE:
            continue
        out.append(Record(title=title, url=urljoin(href), date=_date_beside(anchor)))
    return out


def _date_beside(anchor: Selector) -> str | None:
    for scope in (anchor, *anchor.xpath("ancestor::*[self::li or self::tr or self::dd or self::div][1]")):
        match = DATE.search(" ".join(scope.css("::text").getall()))
        if match:
            year, month, day = match.groups()
            return f"{year}-{int(month):02d}-{int(day):02d}"
    return None
