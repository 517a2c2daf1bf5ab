"""Portal home pages for discovery (`nianbao sites discover`): four counties whose annual-report columns are reached
through their own navigation in the styles of the platforms the crawl covers: TRS menus in `<ul>` lists, Hanweb
menus in tables, a site cluster whose menus a script builds (the links still in the page), and a county platform
with its departments' and townships' sub-platforms. Beside every real column sit look-alikes: 政府工作报告, 统计年报,
统计公报, 财政预决算. Each portal's expected proposals are given with it."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from tests.fixtureweb.build import build_web
from tests.fixtureweb.server import FixtureWeb, Resource
from tests.fixtureweb.spec import Agency, ReportSpec, SiteSpec

HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Expected:
    name: str
    level: str
    listing: str  # path on the portal's host
    evidence: str


@dataclass(frozen=True)
class Portal:
    host: str
    home: str  # path of the page discovery starts from
    expected: tuple[Expected, ...]
    lookalikes: tuple[str, ...]  # paths discovery must not even fetch

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.home}"


def page(site: str, column: str, body: str) -> bytes:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="SiteName" content="{escape(site)}">'
            f'<meta name="ColumnName" content="{escape(column)}"><title>{escape(column)}_{escape(site)}门户网站</title>'
            f"</head><body><div class=\"header\"><h1>{escape(site)}</h1></div>{body}"
            f"<div id=\"bottom\">主办单位：{escape(site)}办公室</div></body></html>").encode()


def ul(links: list[tuple[str, str]]) -> str:
    return "<ul>" + "".join(f'<li><a href="{href}">{escape(text)}</a></li>' for text, href in links) + "</ul>"


def table(links: list[tuple[str, str]]) -> str:
    cells = "".join(f'<td><a href="{href}" target="_blank">{escape(text)}</a></td>' for text, href in links)
    return f'<table class="menu"><tr>{cells}</tr></table>'


def _county(n: str) -> tuple[str, str]:
    return f"示例{n}县", f"示例{n}县人民政府"


def _site(host: str, platform: str, listing: str, agency: Agency, seed: str, extra: list[str] = ()) -> SiteSpec:
    entries: list = [ReportSpec(agency.name, 2024, seed), ReportSpec(agency.name, 2023, seed), *extra]
    return SiteSpec(host=host, name=agency.name, platform=platform, listing=listing, agencies=[agency],
                    entries=entries, per_page=5)


def _lookalike(title: str, column: str, site: str) -> bytes:
    items = "".join(f'<li><a href="./{year}.html" title="{year}年{title}">{year}年{title}</a>'
                    f"<span>{year + 1}-03-01</span></li>" for year in (2024, 2023))
    return page(site, column, f'<ul class="list">{items}</ul>')


def trs_portal() -> tuple[list[SiteSpec], dict[str, bytes], Portal]:
    host, (_, name) = "www.portal-a.gov.test", _county("子")
    listing = "/zfxxgk/zfxxgknb/index.html"
    sites = [_site(host, "trs", listing, Agency("a", name, "county"), "tuoli-county-2024",
                   [f"《{name}2024年政府信息公开工作年度报告》解读"])]
    pages = {
        "/index.html": page(name, "首页", '<div class="nav">' + ul([
            ("首页", "/index.html"), ("新闻中心", "/xwzx/index.html"), ("政务公开", "/zwgk/index.html"),
            ("办事服务", "/bsfw/index.html"), ("互动交流", "/hdjl/index.html")]) + "</div>"),
        "/zwgk/index.html": page(name, "政务公开", '<div class="left">' + ul([
            ("政府信息公开指南", "/zwgk/zn/index.html"), ("政府信息公开年报", listing),
            ("政府工作报告", "/zwgk/gzbg/index.html"), ("统计年报", "/zwgk/tjnb/index.html"),
            ("财政预决算", "/zwgk/czyjs/index.html")]) + "</div>"),
        "/zwgk/gzbg/index.html": _lookalike("政府工作报告", "政府工作报告", name),
        "/zwgk/tjnb/index.html": _lookalike("统计年报", "统计年报", name),
        "/zwgk/czyjs/index.html": _lookalike("部门预算公开", "财政预决算", name),
    }
    expected = (Expected(name, "county", listing, "首页 > 政务公开 > 政府信息公开年报"),)
    return sites, pages, Portal(host, "/index.html", expected, ("/zwgk/gzbg/index.html", "/zwgk/tjnb/index.html",
                                                                "/zwgk/czyjs/index.html"))


def hanweb_portal() -> tuple[list[SiteSpec], dict[str, bytes], Portal]:
    host, (_, name) = "www.portal-b.gov.test", _county("丑")
    listing = "/col/col4521/index.html"
    sites = [_site(host, "hanweb", listing, Agency("b", name, "county"), "tacheng-city-2024")]
    pages = {
        "/index.html": page(name, "首页", table([
            ("网站首页", "/index.html"), ("信息公开", "/col/col100/index.html"), ("统计信息", "/col/col101/index.html"),
            ("在线服务", "/col/col102/index.html")])),
        "/col/col100/index.html": page(name, "信息公开", table([
            ("信息公开指南", "/col/col4519/index.html"), ("年度报告", listing), ("统计公报", "/col/col4530/index.html"),
            ("预决算公开", "/col/col4531/index.html")])),
        "/col/col101/index.html": _lookalike("国民经济和社会发展统计公报", "统计信息", name),
        "/col/col4530/index.html": _lookalike("国民经济和社会发展统计公报", "统计公报", name),
        "/col/col4531/index.html": _lookalike("部门决算公开", "预决算公开", name),
    }
    expected = (Expected(name, "county", listing, "首页 > 信息公开 > 年度报告"),)
    return sites, pages, Portal(host, "/index.html", expected, ("/col/col101/index.html", "/col/col4530/index.html",
                                                                "/col/col4531/index.html"))


def cluster_portal() -> tuple[list[SiteSpec], dict[str, bytes], Portal]:
    host, (_, name) = "www.portal-c.gov.test", _county("寅")
    listing = "/county4003/c400301/list.shtml"
    sites = [_site(host, "cluster", listing, Agency("c", name, "county"), "jiaxian-county-2024")]
    menu = ('<div id="menu"></div><script type="text/javascript">var menus = [{"name": "首页", "url": "/"}, '
            '{"name": "政府信息公开", "url": "/xxgk/index.shtml"}, '
            '{"name": "政府工作报告", "url": "/gzbg/index.shtml"}];'
            "menus.forEach(function (m) { document.getElementById('menu').innerHTML += "
            "'<a href=\"' + m.url + '\">' + m.name + '</a>'; });</script>")
    platform = ('<script>document.write(\'<ul><li><a href="/xxgk/zn.shtml">公开指南</a></li>'
                f'<li><a href="{listing}">政府信息公开年报</a></li>'
                '<li><a href="/xxgk/tjgb.shtml">统计公报</a></li></ul>\');</script>')
    pages = {
        "/index.shtml": page(name, "首页", menu),
        "/xxgk/index.shtml": page(name, "政府信息公开", platform),
        "/gzbg/index.shtml": _lookalike("政府工作报告", "政府工作报告", name),
        "/xxgk/tjgb.shtml": _lookalike("统计公报", "统计公报", name),
    }
    expected = (Expected(name, "county", listing, "首页 > 政府信息公开 > 政府信息公开年报"),)
    return sites, pages, Portal(host, "/index.shtml", expected, ("/gzbg/index.shtml", "/xxgk/tjgb.shtml"))


def platform_portal() -> tuple[list[SiteSpec], dict[str, bytes], Portal]:
    """A county platform: the county's own 年报 column, and a 部门 and a 乡镇 section whose entries are the
    departments' and townships' platforms, each with its own 年报 column."""
    host, (place, name) = "www.portal-d.gov.test", _county("卯")
    own = "/xxgk/nb/index.html"
    agencies = [("财政局", "czj", "department", "hatu-town-2024"), ("教育局", "jyj", "department", "tuoli-county-2024"),
                ("城关镇人民政府", "cgz", "township", "hatu-town-2024")]
    sites = [_site(host, "trs", own, Agency("d", name, "county"), "jiaxian-county-2024")]
    pages = {
        "/index.html": page(name, "首页", ul([("首页", "/index.html"), ("政府信息公开", "/xxgk/index.html")])),
        "/xxgk/index.html": page(name, "政府信息公开", ul([
            ("政府信息公开年报", own), ("部门信息公开", "/xxgk/bm/index.html"), ("乡镇信息公开", "/xxgk/xz/index.html"),
            ("政府工作报告", "/xxgk/gzbg/index.html")])),
        "/xxgk/gzbg/index.html": _lookalike("政府工作报告", "政府工作报告", name),
    }
    sections = {"department": ("/xxgk/bm", []), "township": ("/xxgk/xz", [])}
    expected = [Expected(name, "county", own, "首页 > 政府信息公开 > 政府信息公开年报")]
    for short, code, level, seed in agencies:
        folder, links = sections[level]
        full = place + short
        shown = short.removesuffix("人民政府")
        links.append((shown, f"{folder}/{code}/index.html"))
        listing = f"{folder}/{code}/nb/index.html"
        sites.append(_site(host, "trs", listing, Agency(f"d-{code}", full, level, "d"), seed))
        pages[f"{folder}/{code}/index.html"] = page(full, full, ul([
            ("政府信息公开指南", f"{folder}/{code}/zn.html"), ("政府信息公开年报", listing)]))
        section = "部门信息公开" if level == "department" else "乡镇信息公开"
        expected.append(Expected(full, level, listing, f"首页 > 政府信息公开 > {section} > {shown} > 政府信息公开年报"))
    pages["/xxgk/bm/index.html"] = page(name, "部门信息公开", ul(sections["department"][1]))
    pages["/xxgk/xz/index.html"] = page(name, "乡镇信息公开", ul(sections["township"][1]))
    return sites, pages, Portal(host, "/index.html", tuple(expected), ("/xxgk/gzbg/index.html",))


def moved_portal() -> tuple[list[SiteSpec], dict[str, bytes], Portal]:
    """A county whose registered listing (MOVED_FROM) is gone: its column now lives elsewhere, reached from home."""
    host, (_, name) = "www.portal-e.gov.test", _county("辰")
    listing = "/zfxxgk/xxgknb/index.html"
    sites = [_site(host, "trs", listing, Agency("e", name, "county"), "tuoli-county-2024")]
    pages = {
        "/index.html": page(name, "首页", ul([("首页", "/index.html"), ("政府信息公开", "/zfxxgk/index.html")])),
        "/zfxxgk/index.html": page(name, "政府信息公开", ul([("政府信息公开年报", listing),
                                                             ("政府工作报告", "/zfxxgk/gzbg/index.html")])),
    }
    expected = (Expected(name, "county", listing, "首页 > 政府信息公开 > 政府信息公开年报"),)
    return sites, pages, Portal(host, "/index.html", expected, ("/zfxxgk/gzbg/index.html",))


MOVED_FROM = "/zwgk/nb/index.html"  # the moved portal's listing as registered, answering 404 now


def portal_web(parts=None) -> tuple[FixtureWeb, list[Portal]]:
    parts = parts or [trs_portal(), hanweb_portal(), cluster_portal(), platform_portal()]
    web = build_web([site for sites, _, _ in parts for site in sites])
    for _, pages, portal in parts:
        for path, body in pages.items():
            web.hosts[portal.host].add(path, Resource(body, HTML))
        web.hosts[portal.host].add("/", web.hosts[portal.host].resources[portal.home])
    return web, [portal for _, _, portal in parts]
