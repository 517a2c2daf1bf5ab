"""Turns site specs into a FixtureWeb: article pages and attachments at each platform's URL patterns, then listings."""

from __future__ import annotations

import hashlib
from html import escape
from urllib.parse import quote

from tests.fixtureweb.documents import docx_bytes, link_page, news_page, ofd_bytes, pdf_bytes, report_data, report_page
from tests.fixtureweb.listings import Entry, add_listing
from tests.fixtureweb.server import FixtureWeb, Host, Resource
from tests.fixtureweb.spec import ReportSpec, SiteSpec

PDF = "application/pdf"
OCTET = "application/octet-stream"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def build_web(sites: list[SiteSpec]) -> FixtureWeb:
    hosts: dict[str, Host] = {}
    for site in sites:
        host = hosts.setdefault(site.host, Host(site.host))
        host.robots = site.robots
        if site.behaviour in ("slow", "blocked"):
            host.behaviour, host.delay = site.behaviour, 10.0
        entries = [_place(hosts, site, number, entry) for number, entry in enumerate(site.entries)]
        add_listing(host, site, entries)
    return FixtureWeb(list(hosts.values()))


def report_urls(site: SiteSpec) -> dict[str, str]:
    """Title → URL of every entry of a site, as build_web places them."""
    return {_title(entry): _url(site, number, entry) for number, entry in enumerate(site.entries)}


def _title(entry: ReportSpec | str) -> str:
    return entry if isinstance(entry, str) else entry.title


def _date(number: int, entry: ReportSpec | str) -> str:
    year = entry.year + 1 if isinstance(entry, ReportSpec) else 2025
    return f"{year}-{1 + number % 3:02d}-{10 + number % 18:02d}"


def _url(site: SiteSpec, number: int, entry: ReportSpec | str) -> str:
    host = entry.host if isinstance(entry, ReportSpec) and entry.host else site.host
    if isinstance(entry, ReportSpec) and entry.path:
        return f"http://{host}{entry.path}"
    y, m, d = _date(number, entry).split("-")
    serial = 8001 + number
    folder = site.listing.rsplit("/", 1)[0]
    if isinstance(entry, ReportSpec) and entry.form == "direct-pdf":
        return f"http://{host}{folder}/{y}{m}/P0{y}{m}{d}{serial}.pdf"
    if site.platform == "trs":
        return f"http://{host}{folder}/{y}{m}/t{y}{m}{d}_{serial}.html"
    if site.platform == "hanweb":
        column = site.listing.split("/col/col")[1].split("/")[0]
        return f"http://{host}/art/{y}/{int(m)}/{int(d)}/art_{column}_{serial}.html"
    if site.platform == "cluster":
        return f"http://{host}{folder}/{y}{m}/{hashlib.md5(f'{host}{serial}'.encode()).hexdigest()}.shtml"
    return f"http://{host}{folder}/content_{serial}.html"


def _href(site: SiteSpec, url: str) -> str:
    """Listings link their own articles relatively (TRS, clusters) or by path; other hosts by full URL."""
    own = f"http://{site.host}"
    if not url.startswith(own + "/"):
        return url
    path = url[len(own) :]
    folder = site.listing.rsplit("/", 1)[0] + "/"
    if site.platform in ("trs", "cluster") and path.startswith(folder):
        return "./" + path[len(folder) :]
    return path


def _place(hosts: dict[str, Host], site: SiteSpec, number: int, entry: ReportSpec | str) -> Entry:
    url, date = _url(site, number, entry), _date(number, entry)
    host = hosts.setdefault(url.split("/")[2], Host(url.split("/")[2]))
    path = url.split("/", 3)[3]
    html = f"text/html; charset={site.article_charset}" if site.article_charset else "text/html"
    if isinstance(entry, str):
        host.add("/" + path, Resource(lambda: news_page(site.name, entry, date, site.encoding), html))
    else:
        _add_report(host, "/" + path, site, entry, date, html, number)
    return Entry(_title(entry), _href(site, url), date)


def _add_report(host: Host, path: str, site: SiteSpec, spec: ReportSpec, date: str, html: str, serial: int) -> None:
    report = report_data(spec.seed, spec.agency, spec.year, spec.title, date)
    revised = report_data(spec.seed, spec.agency, spec.year, spec.title, date, revised=True) if spec.revised else None
    folder, enc, name = path.rsplit("/", 1)[0], site.encoding, escape(spec.title)
    file_id = hashlib.md5(f"{host.name}{path}".encode()).hexdigest()[:20]
    if spec.form == "gone":
        return
    if spec.form == "direct-pdf":
        host.add(path, Resource(lambda: pdf_bytes(report), PDF))
    elif spec.form in ("page", "page+pdf"):
        href = f"./P0{file_id}.pdf" if spec.form == "page+pdf" else None
        if href:
            host.add(f"{folder}/P0{file_id}.pdf", Resource(lambda: pdf_bytes(report), PDF))
        host.add(
            path,
            Resource(
                lambda: report_page(report, enc, href),
                html,
                revised=revised and (lambda: report_page(revised, enc, href)),
            ),
        )
    else:
        link, target, resource = _attachment(spec.form, report, file_id, name)
        host.add(target, resource)
        host.add(
            path,
            Resource(
                lambda: link_page(report, enc, link),
                html,
                revised=revised and (lambda: link_page(revised, enc, link, revised=True)),
            ),
        )


def _attachment(form: str, report: dict, file_id: str, name: str) -> tuple[str, str, Resource]:
    """(the article's link HTML, the file's target, the file) for the link-only forms."""
    if form == "servlet-pdf":  # no extension anywhere in the URL: only the bytes say it is a PDF
        target = f"/servlet/FileServlet?fileId={file_id}"
        return (
            f'<p>附件：<a href="{target}">{name}</a></p>',
            target,
            Resource(lambda: pdf_bytes(report), OCTET, disposition=f"{file_id}.pdf"),
        )
    if form == "docx":
        target = f"/uploadfiles/{file_id}.docx"
        return (f'<p>附件：<a href="{target}">{name}.docx</a></p>', target, Resource(lambda: docx_bytes(report), DOCX))
    if form == "ofd":
        target = f"/uploadfiles/{file_id}.ofd"
        return (f'<p>附件：<a href="{target}">{name}.ofd</a></p>', target, Resource(lambda: ofd_bytes(report), OCTET))
    target = f"/module/download/downfile.jsp?classid=0&filename={file_id}.pdf"
    viewer = "/module/jslib/pdfjs/web/viewer.html?file=" + quote(target, safe="")
    return (
        f'<iframe src="{viewer}" width="100%" height="800"></iframe>',
        target,
        Resource(lambda: pdf_bytes(report), OCTET, disposition=f"{file_id}.pdf"),
    )
