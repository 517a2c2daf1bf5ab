"""What the spider yields: found reports with their documents, unchanged markers, and each site's outcome."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from scrapy.http import Response, TextResponse

from nianbao.document import sniff


@dataclass
class FetchedDocument:
    """One downloaded file: the article page or an attachment, typed by its bytes (sniff), not by its URL."""

    url: str
    kind: str | None  # sniff(): pdf, docx, ole, zip, html, text; None when unchanged (no bytes came)
    body: bytes = b""
    encoding: str | None = None  # how the crawler decoded a page (GBK pages come as gb18030); None for binaries
    etag: str | None = None
    last_modified: str | None = None
    name: str = ""  # the link text an attachment was offered under
    unchanged: bool = False  # answered 304: the stored copy is current, body is empty
    sha256: str | None = None  # set once the body is stored (attachments are, as they arrive); body is then empty
    size: int = 0  # bytes received

    @classmethod
    def from_response(cls, response: Response, name: str = "") -> FetchedDocument:
        if response.status == 304:
            return cls(url=response.url, kind=None, name=name, unchanged=True)
        kind = sniff(response.body, name or response.url)
        textual = isinstance(response, TextResponse) and kind in ("html", "text")
        return cls(
            url=response.url,
            kind=kind,
            body=response.body,
            encoding=response.encoding if textual else None,
            etag=header_text(response, b"ETag"),
            last_modified=header_text(response, b"Last-Modified"),
            name=name,
            size=len(response.body),
        )


@dataclass
class ReportItem:
    """A report found on a listing page, with every document downloaded for it; main_url names the one to parse."""

    site_id: str  # the registered agency that owns the listing page the link was on
    agency_id: str | None  # the agency the report is attributed to; None when it is not registered
    agency_name: str | None  # as printed in the title (or matched in the body)
    year: int | None
    title: str
    url: str
    listing_url: str
    published: str | None = None  # the date shown beside the link, YYYY-MM-DD
    main_url: str | None = None  # the page, or its attachment when the page is only a link to it
    documents: list[FetchedDocument] = field(default_factory=list)
    error: str | None = None  # why a document of this report could not be downloaded
    attachments_skipped: int = 0  # over the per-report cap on attachments (count or bytes)
    # Filled by the pipelines: the main document read (transient), its parse JSON, why it could not be read,
    # and what storing it did (new, unchanged, revised, kept).
    document: object = field(default=None, repr=False)
    parsed: dict | None = field(default=None, repr=False)
    text_sketch: bytes | None = field(default=None, repr=False)  # made beside the parse, in the reader process
    parse_error: str | None = None
    stored: str | None = None

    def main_document(self) -> FetchedDocument | None:
        return next((d for d in self.documents if d.url == self.main_url), None)

    def to_pending(self) -> dict:
        """The fields a parse task needs (nianbao.pending), once every document's bytes are stored: no bodies."""
        kept = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _PARSE_RESULTS}
        kept["documents"] = [{**asdict(d), "body": ""} for d in self.documents]
        return kept

    @classmethod
    def from_pending(cls, kept: dict) -> ReportItem:
        documents = [FetchedDocument(**{**d, "body": b""}) for d in kept["documents"]]
        return cls(**{**kept, "documents": documents})


_PARSE_RESULTS = ("document", "parsed", "text_sketch", "parse_error", "stored")


@dataclass
class UnchangedItem:
    """A report page known unchanged: it answered 304 Not Modified, or (checked False) it was listed again on a
    listing page that answered 304 and is not due for a re-check. Nothing to parse."""

    site_id: str
    agency_id: str | None
    agency_name: str | None
    year: int | None
    title: str
    url: str
    listing_url: str
    checked: bool = True


@dataclass
class SiteOutcome:
    """How crawling one registered site went, emitted once per crawled site when the crawl is done."""

    site_id: str
    outcome: str  # ok, nothing_found, layout_changed, blocked, unreachable
    failure_class: str | None  # what went wrong, finer (crawler.outcomes); None when it went well
    detail: str
    listing_urls: list[str]
    platforms: list[str]
    listing_pages: int  # listing pages read (all pagination pages)
    report_links: int  # report links on its listing pages, whoever they belong to
    reports: int  # reports attributed to this site, from any listing


def header_text(response: Response, name: bytes) -> str | None:
    """A response header as text (headers are bytes; validators are sent back verbatim)."""
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
