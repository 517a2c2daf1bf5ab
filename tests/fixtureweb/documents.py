"""The simulated sites' documents: report pages, link-only pages, PDF and DOCX attachments, news, listing chrome."""

from __future__ import annotations

import copy
import re
import tempfile
from html import escape
from pathlib import Path

from tests.render.docx import render_docx
from tests.render.html import ATTACHMENT_HREF, render_html
from tests.render.ofd import render_ofd
from tests.render.pdf import render_pdf
from tests.render.report_data import seed_report

ATTACH_BLOCK = re.compile(rb'\s*<div class="attach">.*?</div>', re.S)
CORRECTION = "（2025年2月更正：表三第一行数据录入有误，已更正。）"


# The cells a revised report corrects, as its note says: one more application from a natural person, granted.
CORRECTED_ROWS = ("new", "granted", "handled_total")


def report_data(seed: str, agency: str, year: int, title: str, published: str, revised: bool = False) -> dict:
    """A seed report's values under another agency's name and title; revised adds a correction note and makes the
    correction in table 三 (CORRECTED_ROWS, natural persons and the row totals), keeping its arithmetic."""
    report = copy.deepcopy(seed_report(seed))
    report.update(agency=agency, year=year, title=title, published=published)
    if revised:
        report["sections"][6] = [*report["sections"].get(6, []), CORRECTION]
        for row in CORRECTED_ROWS:
            cells = report["applications"][row]
            for column in ("natural_person", "total"):
                if cells.get(column) is not None:
                    cells[column] += 1
    return report


def report_page(report: dict, encoding: str, attachment_href: str | None = None) -> bytes:
    """The report itself as an article page; with attachment_href it also links the same report as a PDF."""
    page = render_html(report, encoding=encoding, declare_charset=encoding == "utf-8")
    if attachment_href is None:
        return ATTACH_BLOCK.sub(b"", page)
    return page.replace(ATTACHMENT_HREF.encode(), attachment_href.encode())


def link_page(report: dict, encoding: str, link_html: str, revised: bool = False) -> bytes:
    """An article that is only a pointer to the report file (a link, an iframe): what many towns publish."""
    note = f"<p>{CORRECTION}</p>" if revised else ""
    body = f'<p>现将《{escape(report["title"])}》予以公布。</p>{note}\n<div class="attach">{link_html}</div>'
    return _article(report["agency"], report["title"], report["published"], body, encoding)


def news_page(site_name: str, title: str, published: str, encoding: str) -> bytes:
    body = f"<p>{escape(title)}。会议强调，要进一步提高政务公开工作质量。</p>"
    return _article(site_name, title, published, body, encoding)


def pdf_bytes(report: dict) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return render_pdf(report, Path(folder) / "report.pdf").read_bytes()


def ofd_bytes(report: dict) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return render_ofd(report, Path(folder) / "report.ofd").read_bytes()


def docx_bytes(report: dict) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return render_docx(report, Path(folder) / "report.docx").read_bytes()


def listing_page(site_name: str, column: str, items_html: str, pager_html: str, encoding: str) -> bytes:
    """A column page: the site's header and menu (short links), the list, and the pager."""
    page = f"""<!DOCTYPE html>
<html><head>{_declaration(encoding)}<title>{escape(column)}_{escape(site_name)}</title></head>
<body>
<div class="header"><h1>{escape(site_name)}</h1></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/hdjl/">互动交流</a></li></ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; {escape(column)}</div>
<div class="list-box">
{items_html}
</div>
<div class="pager">{pager_html}</div>
<div id="bottom"><p>主办单位：{escape(site_name)}办公室 网站标识码：6542000001</p></div>
</body></html>"""
    return page.encode(encoding, errors="xmlcharrefreplace")


def list_items(entries, tag: str = "li") -> str:
    """The list records: the full title in the title attribute, the text cut as county templates cut it."""
    rows = []
    for entry in entries:
        text = entry.title if len(entry.title) <= 28 else entry.title[:26] + "..."
        rows.append(
            f'<{tag}><a href="{escape(entry.href)}" title="{escape(entry.title)}" target="_blank">'
            f'{escape(text)}</a><span class="date">{entry.date}</span></{tag}>'
        )
    return '<ul class="list">\n' + "\n".join(rows) + "\n</ul>"


def _article(site_name: str, title: str, published: str, body: str, encoding: str) -> bytes:
    page = f"""<!DOCTYPE html>
<html><head>{_declaration(encoding)}<title>{escape(title)}_{escape(site_name)}</title></head>
<body>
<div class="header"><h1>{escape(site_name)}</h1></div>
<div class="position">您的位置：<a href="/">首页</a> &gt; 正文</div>
<h2 class="article-title">{escape(title)}</h2>
<div class="article-info">发布日期：{published}</div>
<div id="zoom">{body}</div>
</body></html>"""
    return page.encode(encoding, errors="xmlcharrefreplace")


def _declaration(encoding: str) -> str:
    # GBK sites of the fixture declare nothing anywhere: the crawler must find the encoding from the bytes.
    return '<meta charset="utf-8">' if encoding == "utf-8" else ""
