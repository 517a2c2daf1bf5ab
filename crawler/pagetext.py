"""The text a reader sees on a page: the body's text nodes, scripts and styles left out."""

from __future__ import annotations

from scrapy.http import TextResponse

VISIBLE_TEXT = "//body//text()[not(ancestor::script or ancestor::style)]"


def visible_text(response: TextResponse, separator: str = " ") -> str:
    # lxml's own strings, not parsel's: a Selector object per text node of a long report page costs more than the
    # reading it serves.
    return separator.join(response.selector.root.xpath(VISIBLE_TEXT))
