"""How crawling a site went, judged from its listing pages: ok, nothing_found, layout_changed, blocked, unreachable."""

from __future__ import annotations

from dataclasses import dataclass, field

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
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
    failure: tuple[str, str] | None = None

    def fail(self, outcome: str, detail: str) -> None:
        if self.failure is None or SEVERITY.index(outcome) > SEVERITY.index(self.failure[0]):
            self.failure = (outcome, detail)

    def outcome(self) -> tuple[str, str]:
        if self.failure:
            return self.failure
        if self.records == 0:
            return LAYOUT_CHANGED, f"no list of links on {self.url}"
        if self.reports == 0:
            return NOTHING_FOUND, f"{self.records} links on {self.pages} page(s), none a report"
        return OK, f"{self.reports} report link(s) on {self.pages} page(s)"


def worst(outcomes: list[tuple[str, str]]) -> tuple[str, str]:
    return max(outcomes, key=lambda pair: SEVERITY.index(pair[0]))


def is_refused_by_us(failure: Failure) -> bool:
    """Dropped on our side (robots.txt, offsite), not failed at the site; HttpError is an IgnoreRequest too, and a
    refused address is the site pointing somewhere it must not."""
    refused_here = (HttpError, BlockedPage, RefusedAddress)
    return isinstance(failure.value, IgnoreRequest) and not isinstance(failure.value, refused_here)


def classify_failure(failure: Failure) -> tuple[str, str]:
    """The outcome a failed listing request means for its site, with a one-line reason."""
    error = failure.value
    url = getattr(failure, "request", None) and failure.request.url
    if isinstance(error, HttpError):
        status = error.response.status
        if status in BLOCKING_STATUSES:
            return BLOCKED, f"HTTP {status} at {url}"
        if status in GONE_STATUSES:
            return LAYOUT_CHANGED, f"HTTP {status} at {url}: the registered page is gone"
        if status >= 500 or status in (408, 429):
            return UNREACHABLE, f"HTTP {status} at {url} after retries"
        return LAYOUT_CHANGED, f"HTTP {status} at {url}"
    if isinstance(error, IgnoreRequest):  # BlockedPage, robots.txt
        return BLOCKED, f"{error} ({url})"
    return UNREACHABLE, f"{type(error).__name__}: {error} ({url})"
