"""How crawling a site went, judged from its listing pages: ok, nothing_found, layout_changed, blocked, unreachable,
each with a finer failure class saying what exactly went wrong (stored beside it, listed by `nianbao sites health`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as tx
from twisted.python.failure import Failure

from crawler.addresses import RefusedAddress

OK = "ok"
NOTHING_FOUND = "nothing_found"  # a list was read but it holds no report link
LAYOUT_CHANGED = "layout_changed"  # no recognisable list, or the registered page is gone
UNREACHABLE = "unreachable"  # timeouts, refused connections, 5xx after the retries
BLOCKED = "blocked"  # 412 / JavaScript challenges, 403, robots.txt
# The worst of several listing pages decides; absence of a report is proven only when every page was read.
SEVERITY = (OK, NOTHING_FOUND, LAYOUT_CHANGED, UNREACHABLE, BLOCKED)
BLOCKING_STATUSES = (401, 403, 412, 521)
GONE_STATUSES = (404, 410)

# Failure classes beside the outcomes above (storage.models.FAILURE_CLASSES lists them all): what the site did.
DNS_FAILURE = "dns_failure"
REFUSED = "refused"
TIMEOUT = "timeout"
CONNECTION_FAILED = "connection_failed"  # reset, cut short, TLS: the connection failed some other way
HTTP_4XX_GONE = "http_4xx_gone"
HTTP_5XX = "http_5xx"
REDIRECTED_OFFSITE = "redirected_offsite"
CRAWLER_ERROR = "crawler_error"  # a bug of ours on a listing page
# Scrapy wraps Twisted's errors in its own since 2.13; both, since either may come depending on the handler.
_TRANSPORT_CLASSES = (
    ((CannotResolveHostError, tx.DNSLookupError), DNS_FAILURE),
    ((DownloadConnectionRefusedError, tx.ConnectionRefusedError, ConnectionRefusedError), REFUSED),
    ((DownloadTimeoutError, tx.TimeoutError, tx.TCPTimedOutError, TimeoutError), TIMEOUT),
)


class Verdict(NamedTuple):
    """A listing's or a site's outcome, its failure class (None when it went well) and a one-line reason."""

    outcome: str
    failure_class: str | None
    detail: str


class BlockedPage(IgnoreRequest):
    """A challenge page (HTTP 412, a JavaScript check) came instead of the content."""


class OffsiteRedirect(IgnoreRequest):
    """The site redirected a request off the registered hosts; we do not follow, and say so."""


class TruncatedBody(Exception):
    """A body sent without a length ended before its end (no closing tag, no %%EOF): a cut, not a document."""


@dataclass
class ListingState:
    """What one registered listing page and its pagination yielded during this run."""

    url: str
    platforms: set[str] = field(default_factory=set)
    pages: int = 0
    records: int = 0  # titled links on its pages
    reports: int = 0  # of them, report links we can follow
    failure: Verdict | None = None
    # What the first page says it is when that is not a list of reports (crawler.columns): with no report on it,
    # the registered page now serves another column, and its silence proves nothing.
    foreign_column: str | None = None

    def fail(self, verdict: Verdict) -> None:
        if self.failure is None or SEVERITY.index(verdict.outcome) > SEVERITY.index(self.failure.outcome):
            self.failure = verdict

    def outcome(self) -> Verdict:
        if self.failure:
            return self.failure
        if self.records == 0:
            return Verdict(LAYOUT_CHANGED, LAYOUT_CHANGED, f"no list of links on {self.url}")
        if self.reports == 0 and self.foreign_column:
            return Verdict(LAYOUT_CHANGED, LAYOUT_CHANGED,
                           f"{self.url} is now {self.foreign_column}: {self.records} links, none a report")
        if self.reports == 0:
            return Verdict(NOTHING_FOUND, NOTHING_FOUND, f"{self.records} links on {self.pages} page(s), none a report")
        return Verdict(OK, None, f"{self.reports} report link(s) on {self.pages} page(s)")


def worst(verdicts: list[Verdict]) -> Verdict:
    return max(verdicts, key=lambda verdict: SEVERITY.index(verdict.outcome))


def is_refused_by_us(failure: Failure) -> bool:
    """Dropped on our side (robots.txt, offsite), not failed at the site; HttpError is an IgnoreRequest too, and a
    refused address is the site pointing somewhere it must not."""
    refused_here = (HttpError, BlockedPage, RefusedAddress)
    return isinstance(failure.value, IgnoreRequest) and not isinstance(failure.value, refused_here)


def classify_failure(failure: Failure) -> Verdict:
    """The outcome a failed listing request means for its site, its failure class and a one-line reason."""
    error = failure.value
    url = getattr(failure, "request", None) and failure.request.url
    if isinstance(error, HttpError):
        return _classify_status(error.response.status, url)
    if isinstance(error, OffsiteRedirect):  # the registered page now lives elsewhere: the registry needs mending
        return Verdict(LAYOUT_CHANGED, REDIRECTED_OFFSITE, f"{error} ({url})")
    if isinstance(error, IgnoreRequest):  # BlockedPage, robots.txt, a refused address
        return Verdict(BLOCKED, BLOCKED, f"{error} ({url})")
    failure_class = next((name for types, name in _TRANSPORT_CLASSES if isinstance(error, types)), CONNECTION_FAILED)
    return Verdict(UNREACHABLE, failure_class, f"{type(error).__name__}: {error} ({url})")


def _classify_status(status: int, url: str | None) -> Verdict:
    if status in BLOCKING_STATUSES:
        return Verdict(BLOCKED, BLOCKED, f"HTTP {status} at {url}")
    if status in GONE_STATUSES:
        return Verdict(LAYOUT_CHANGED, HTTP_4XX_GONE, f"HTTP {status} at {url}: the registered page is gone")
    if status >= 500 or status in (408, 429):
        # 408: the server timed the request out; 429: it turns us away for now.
        failure_class = {408: TIMEOUT, 429: BLOCKED}.get(status, HTTP_5XX)
        return Verdict(UNREACHABLE, failure_class, f"HTTP {status} at {url} after retries")
    return Verdict(LAYOUT_CHANGED, HTTP_4XX_GONE if status >= 400 else LAYOUT_CHANGED, f"HTTP {status} at {url}")
