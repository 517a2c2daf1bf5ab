"""A report page's attachments wherever real sites put them, and whether the page itself holds the report."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy.http import TextResponse

from crawler.pagetext import visible_text
from nianbao.document.html import find_attachments as reader_attachments
from nianbao.document.selectors import ATTACHMENT_EXTENSIONS

PAGE_EXTENSIONS = (".html", ".htm", ".shtml", ".xhtml")
# A page that prints these holds the report; one that does not is only a link to the attachment.
SECTION_WORDS = ("总体情况", "主动公开", "收到和处理", "行政复议", "存在的主要问题", "其他需要报告")
MIN_SECTION_WORDS = 2
MIN_TABLE_ROWS = 5
# Only these kinds, typed by their bytes, are report documents; an HTML error page from a servlet is not.
DOCUMENT_KINDS = ("pdf", "docx", "ole", "ofd")


@dataclass(frozen=True)
class Attachment:
    url: str
    name: str  # the link text, e.g. "托里县2024年政府信息公开工作年度报告.pdf"


def find_attachments(response: TextResponse) -> list[Attachment]:
    """What the HTML reader recognises (附件 links, files, servlets, iframes, pdf.js), plus links announced as 附件."""
    names = _link_names(response)
    urls = [*reader_attachments(response.selector.root, response.url), *_announced(response, names)]
    return [Attachment(url, names.get(url, "")) for url in dict.fromkeys(urls) if url != response.url]


def page_holds_report(response: TextResponse) -> bool:
    text = visible_text(response)
    if sum(word in text for word in SECTION_WORDS) >= MIN_SECTION_WORDS:
        return True
    return any(len(table.css("tr")) >= MIN_TABLE_ROWS for table in response.css("table"))


def _link_names(response: TextResponse) -> dict[str, str]:
    names: dict[str, str] = {}
    for anchor in response.css("a[href]"):
        text = " ".join((anchor.attrib.get("title") or "".join(anchor.css("::text").getall())).split())
        names.setdefault(response.urljoin(anchor.attrib["href"].strip()), text)
    return names


def _announced(response: TextResponse, names: dict[str, str]):
    """Servlet links the reader's patterns miss: "附件：<a href=/servlet/FileServlet?fileId=3>….pdf</a>"."""
    for anchor in response.xpath("//text()[contains(., '附件')]/following-sibling::a[1] | //a[contains(., '附件')]"):
        url = response.urljoin(anchor.attrib.get("href", "").strip())
        if urlsplit(url).scheme in ("http", "https") and not urlsplit(url).path.lower().endswith(PAGE_EXTENSIONS):
            yield url
    for url, name in names.items():
        if name.lower().endswith(ATTACHMENT_EXTENSIONS):
            yield url
