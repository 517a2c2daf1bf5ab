"""Publishing platforms, one small strategy each, chosen by what a listing page shows rather than per-site flags."""

from __future__ import annotations

from scrapy.http import TextResponse

from crawler.platforms.base import MIN_RECORD_TITLE, Platform, Record
from crawler.platforms.cluster import Cluster
from crawler.platforms.hanweb import Hanweb
from crawler.platforms.nextpage import NextPage
from crawler.platforms.query import Query
from crawler.platforms.trs import TRS

__all__ = ["MIN_RECORD_TITLE", "PLATFORMS", "Platform", "Record", "detect", "named"]

# Most specific first: a Hanweb page can carry a 下一页 link too; the plain single page is the fallback.
PLATFORMS: tuple[Platform, ...] = (Hanweb(), TRS(), Cluster(), Query(), NextPage(), Platform())


def detect(response: TextResponse) -> Platform:
    return next(platform for platform in PLATFORMS if platform.detect(response))


def named(name: str) -> Platform:
    return next(platform for platform in PLATFORMS if platform.name == name)
