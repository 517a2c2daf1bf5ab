"""Listing pages as each publishing platform renders them, paginated; one function per platform family."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from tests.fixtureweb.documents import list_items, listing_page
from tests.fixtureweb.server import Host, Resource
from tests.fixtureweb.spec import SiteSpec


@dataclass(frozen=True)
class Entry:
    title: str
    href: str  # as the listing writes it: relative, absolute path or full URL
    date: str


def add_listing(host: Host, site: SiteSpec, entries: list[Entry]) -> None:
    PLATFORMS[site.platform](host, site, entries)
    if site.behaviour in ("flaky", "down"):
        host.resources[site.listing].fail_first = 1 if site.behaviour == "flaky" else 10**9


def _chunks(entries: list[Entry], size: int) -> list[list[Entry]]:
    return [entries[i : i + size] for i in range(0, len(entries), size)] or [[]]


def _folder(site: SiteSpec) -> str:
    return site.listing.rsplit("/", 1)[0]


def _page(host: Host, site: SiteSpec, target: str, items_html: str, pager_html: str) -> None:
    body = listing_page(site.name, "政府信息公开年报", items_html, pager_html, site.encoding)
    host.add(target, Resource(body, _content_type(site.listing_charset)))


def _content_type(charset: str | None) -> str:
    return f"text/html; charset={charset}" if charset else "text/html"


def trs(host: Host, site: SiteSpec, entries: list[Entry]) -> None:
    """index.html, index_1.html, …; the pager is a createPageHTML(<pages>, <current>, "index", "html") call."""
    pages = _chunks(entries, site.per_page)
    for number, chunk in enumerate(pages):
        pager = f'<script type="text/javascript">createPageHTML({len(pages)}, {number}, "index", "html");</script>'
        name = "index.html" if number == 0 else f"index_{number}.html"
        _page(host, site, f"{_folder(site)}/{name}", list_items(chunk), pager)
    host.resources[f"{_folder(site)}/"] = host.resources[f"{_folder(site)}/index.html"]


def hanweb(host: Host, site: SiteSpec, entries: list[Entry]) -> None:
    """/col/col<N>/index.html with the first records inline; the rest from dataproxy.jsp as XML."""
    column = re.search(r"col(\d+)", site.listing).group(1)
    unit = f"5{column}"
    records = [list_items([entry]).removeprefix('<ul class="list">\n').removesuffix("\n</ul>") for entry in entries]
    proxy = (
        f"/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=3&path=/&columnid={column}&unitid={unit}"
        f"&webname={site.name}&permissiontype=0"
    )
    inline = "".join(f"<record><![CDATA[{r}]]></record>" for r in records[: site.per_page])
    items = (
        f'<div id="{unit}"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="{proxy}"></a>]]>'
        f"</nextgroup><recordset>{inline}</recordset></datastore></script></div>\n"
        '<script language="javascript" src="/module/web/jpage/jpage.js"></script>\n'
        f'<script>$(document).ready(function(){{$("#{unit}").jpage({{dataStore: dataStore, perPage: '
        f'{site.per_page}, totalRecord: {len(records)}, proxyUrl: "/module/web/jpage/dataproxy.jsp", '
        "groupSize: 3});});</script>"
    )
    _page(host, site, site.listing, items, "")

    def dataproxy(params: dict[str, str]) -> bytes:
        if params.get("columnid") != column:
            return b'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>0</totalrecord></datastore>'
        start, end = int(params.get("startrecord", 1)), int(params.get("endrecord", site.per_page))
        chosen = "".join(f"<record><![CDATA[{r}]]></record>\n" for r in records[start - 1 : end])
        pages = -(-len(records) // site.per_page)
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<datastore><nextgroup><![CDATA[]]></nextgroup>'
            f"<recordset>\n{chosen}</recordset><totalrecord>{len(records)}</totalrecord>"
            f"<totalpage>{pages}</totalpage></datastore>"
        ).encode()

    host.add("/module/web/jpage/dataproxy.jsp", Resource(b"", "text/xml; charset=UTF-8", dynamic=dataproxy))


def cluster(host: Host, site: SiteSpec, entries: list[Entry]) -> None:
    """list.shtml, list_2.shtml, …; the pager shows 首页, numbers, 下一页 and 尾页."""
    pages = _chunks(entries, site.per_page)
    names = ["list.shtml", *(f"list_{n}.shtml" for n in range(2, len(pages) + 1))]
    for number, chunk in enumerate(pages):
        links = [f'<a href="{names[0]}">首页</a>']
        links += [f'<a href="{names[n]}">{n + 1}</a>' for n in range(len(pages)) if n != number]
        if number + 1 < len(pages):
            links.append(f'<a href="{names[number + 1]}">下一页</a>')
        links.append(f'<a href="{names[-1]}">尾页</a>')
        _page(host, site, f"{_folder(site)}/{names[number]}", list_items(chunk), " ".join(links))


def nextpage(host: Host, site: SiteSpec, entries: list[Entry]) -> None:
    """A pager with only 上一页 / 下一页 links and "第 i 页/共 n 页"."""
    pages = _chunks(entries, site.per_page)
    names = [site.listing, *(f"{_folder(site)}/list-{n}.htm" for n in range(2, len(pages) + 1))]
    for number, chunk in enumerate(pages):
        pager = f"<span>第{number + 1}页/共{len(pages)}页</span> "
        if number > 0:
            pager += f'<a href="{names[number - 1]}">上一页</a> '
        if number + 1 < len(pages):
            pager += f'<a href="{names[number + 1]}">下一页</a>'
        _page(host, site, names[number], list_items(chunk), pager)


def query(host: Host, site: SiteSpec, entries: list[Entry]) -> None:
    """One server page answering ?pageNum=N, with numbered pager links and 尾页."""
    pages = _chunks(entries, site.per_page)
    for number, chunk in enumerate(pages, start=1):
        links = [f'<a href="?pageNum={n}">{n}</a>' for n in range(1, len(pages) + 1) if n != number]
        links.append(f'<a href="?pageNum={len(pages)}">尾页</a>')
        target = site.listing if number == 1 else f"{site.listing}?pageNum={number}"
        _page(host, site, target, list_items(chunk, "li"), " ".join(links))


def shell(host: Host, site: SiteSpec, entries: list[Entry]) -> None:
    """A redesign that renders the column in the browser: no list in the page at all."""
    app = '<div id="app"></div><script src="/static/js/app.3f9a1c.js"></script>'
    _page(host, site, site.listing, app, f"<noscript>{escape('请开启浏览器的脚本功能')}</noscript>")


PLATFORMS = {"trs": trs, "hanweb": hanweb, "cluster": cluster, "nextpage": nextpage, "query": query, "shell": shell}
