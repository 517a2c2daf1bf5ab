"""The plain data a simulated web is generated from: sites, the agencies registered on them, what they publish."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

# How a report reaches the reader (DOMAIN.md "What the sources look like"):
#   page         the article page is the report (Word-pasted HTML tables)
#   page+pdf     the article page is the report and links the same report as a PDF
#   servlet-pdf  the article only links the PDF, through a download servlet URL without extension
#   docx         the article only links a .docx
#   pdfjs        the article embeds a pdf.js viewer whose file= parameter is a download servlet
#   direct-pdf   the listing links the PDF itself
#   ofd          the article only links an .ofd (the national fixed-layout format)
#   gone         the listing still links it, the article was deleted (404)
FORMS = ("page", "page+pdf", "servlet-pdf", "docx", "pdfjs", "direct-pdf", "gone", "ofd")


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    level: str
    parent: str = ""


@dataclass
class ReportSpec:
    agency: str  # the agency the content speaks for (the page's site name, the report body)
    year: int
    seed: str  # which seed report's values fill it
    form: str = "page"
    title: str = ""  # as listed; default "<agency><year>年政府信息公开工作年度报告"
    revised: bool = False  # the server holds a corrected version that FixtureWeb.revise() publishes
    path: str = ""  # article path instead of the platform's pattern (e.g. under a robots.txt Disallow)
    host: str = ""  # article host instead of the site's (a spam clone)

    def __post_init__(self) -> None:
        assert self.form in FORMS, self.form
        self.title = self.title or f"{self.agency}{self.year}年政府信息公开工作年度报告"


@dataclass
class SiteSpec:
    host: str
    name: str  # the site's name in its header
    platform: str  # trs, hanweb, cluster, nextpage, query, shell
    listing: str  # path of the registered listing page
    agencies: list[Agency]  # registered with this listing page
    entries: list[ReportSpec | str] = field(default_factory=list)  # listing order; a str is a non-report title
    per_page: int = 4
    encoding: str = "utf-8"
    listing_charset: str | None = "utf-8"  # charset in the Content-Type header; None: no charset at all
    article_charset: str | None = "utf-8"
    behaviour: str = ""  # "", "flaky" (the listing answers 500 once), "down" (always 500), "slow", "blocked"
    robots: str = "User-agent: *\nDisallow:\n"

    @property
    def listing_url(self) -> str:
        return f"http://{self.host}{self.listing}"


def registry_rows(sites: list[SiteSpec]) -> list[dict[str, str]]:
    return [
        {"id": a.id, "name": a.name, "level": a.level, "parent": a.parent, "listing_url": site.listing_url}
        for site in sites
        for a in site.agencies
    ]


def registry_csv(sites: list[SiteSpec]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["id", "name", "level", "parent", "listing_url"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(registry_rows(sites))
    return out.getvalue()
