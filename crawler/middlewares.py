"""Downloader middlewares: encoding repair, challenge-page detection, conditional requests, spaced-out retries."""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import get_meta_refresh

from crawler.database import CrawlDatabase, remember_listing, stored_listing
from crawler.encoding import is_text, page_encoding
from crawler.fetchstate import FetchState, Validators, fetch_key
from crawler.items import header_text
from crawler.outcomes import BlockedPage, OffsiteRedirect, TruncatedBody
from crawler.pagetext import visible_text

# Anti-crawler products seen on government sites: 瑞数 ($_ts, HTTP 412), 加速乐 (__jsl_clearance, HTTP 521),
# 网站卫士 (wzws_cid), 云锁 (yunsuo_session_verify). Their pages are small, mostly script.
CHALLENGE_STATUSES = (412, 521)
CHALLENGE_MARKERS = ("$_ts", "__jsl_clearance", "wzws_cid", "yunsuo_session_verify", "请开启JavaScript", "安全验证")
MAX_CHALLENGE_BYTES = 32 * 1024
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
MAX_CHALLENGE_TEXT = 200
UNCHANGED_LISTING = "nianbao_unchanged_listing"  # response flag: a listing page replayed from storage after a 304


class _CountingMiddleware:
    """A middleware that only needs the crawl's stats."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)


class EncodingFixMiddleware(_CountingMiddleware):
    """Decodes pages by what their bytes are when the charset header is missing or wrong (GBK as GB18030)."""

    def process_response(self, request: Request, response: Response) -> Response:
        # Scrapy makes PDFs TextResponses too; and bytes that are all ASCII read the same in any encoding.
        if not isinstance(response, TextResponse) or response.body.isascii() or not is_text(response.body):
            return response
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        encoding = page_encoding(response.body, content_type)
        if encoding == response.encoding:
            return response
        self.stats.inc_value(f"nianbao/encoding_fixed/{encoding}")
        return response.replace(encoding=encoding)


class BlockedPageMiddleware(_CountingMiddleware):
    """Turns HTTP 412 and JavaScript challenge pages into BlockedPage errors, so the site is recorded as blocked."""

    def process_response(self, request: Request, response: Response) -> Response:
        if looks_blocked(response):
            self.stats.inc_value("nianbao/blocked_pages")
            raise BlockedPage(f"HTTP {response.status} challenge page at {response.url}")
        return response


def looks_blocked(response: Response) -> bool:
    if response.status in CHALLENGE_STATUSES:
        return True
    if not isinstance(response, TextResponse) or len(response.body) > MAX_CHALLENGE_BYTES:
        return False
    text = response.text
    if not any(marker in text for marker in CHALLENGE_MARKERS):
        return False
    visible = visible_text(response, separator="")
    return len(visible.strip()) < MAX_CHALLENGE_TEXT


class TruncatedBodyMiddleware:
    """A body that came without Content-Length and ended with the connection ("partial") is checked for its end;
    a cut one is fetched again, then failed, so a truncated page never becomes a report's new version."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if "partial" not in response.flags or response.status != 200 or not looks_cut(response.body):
            return response
        self.crawler.stats.inc_value("nianbao/truncated_bodies")
        reason = f"the body of {response.url} ends early ({len(response.body)} bytes, no Content-Length)"
        retry = get_retry_request(request, spider=self.crawler.spider, reason="truncated body")
        if retry is not None:
            return retry
        raise TruncatedBody(reason)


class OffsiteRedirectMiddleware:
    """A redirect off the registered hosts fails its request (its errback says where it led). Scrapy's offsite
    filter would drop the redirected request at scheduling without a word, and a listed report would vanish."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        followable = getattr(self.crawler.spider, "followable", None)
        target = self.redirect_target(request, response)
        if target is None or followable is None or followable(target):
            return response
        self.crawler.stats.inc_value("nianbao/offsite_redirects")
        raise OffsiteRedirect(f"redirected off the site to {target}")

    def redirect_target(self, request: Request, response: Response) -> str | None:
        location = response.headers.get(b"Location")
        if response.status not in REDIRECT_STATUSES or not location:
            return None
        return urljoin(request.url, location.decode("latin-1"))


class OffsiteMetaRefreshMiddleware(OffsiteRedirectMiddleware):
    """The same for a `<meta http-equiv="refresh">` that Scrapy's MetaRefreshMiddleware (580) would follow off the
    site: the old portal's index page pointing at a new domain. It reads the page, so it sits after decompression."""

    def __init__(self, crawler):
        super().__init__(crawler)
        settings = crawler.settings
        self.enabled = settings.getbool("METAREFRESH_ENABLED")
        self.ignore_tags = settings.getlist("METAREFRESH_IGNORE_TAGS")
        self.max_delay = settings.getint("METAREFRESH_MAXDELAY")

    def redirect_target(self, request: Request, response: Response) -> str | None:
        if not self.enabled or request.meta.get("dont_redirect") or not isinstance(response, HtmlResponse):
            return None
        interval, url = get_meta_refresh(response, ignore_tags=self.ignore_tags)
        return url if url and interval < self.max_delay else None


class CallbackFailureMiddleware:
    """Spider middleware: an exception in a callback goes to the spider's callback_failed, which turns it into what
    the page was for (a report item with the cause, a failed listing) instead of a traceback and a silent gap."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_spider_exception(self, response: Response, exception: Exception):
        handle = getattr(self.crawler.spider, "callback_failed", None)
        return None if handle is None else handle(response.request, exception)


class ReleaseParsedPageMiddleware:
    """Spider middleware: once a callback is done with a page, the page lets go of its parsed tree.

    Scrapy caches a page's selector on the response and the selector points back at the response: a reference cycle
    that only Python's cycle collector frees. Its full passes grow rarer as the heap grows, so at national size finished
    pages (body, decoded text and a libxml2 tree that the collector does not even count) piled up with the crawl's
    size. Dropping the cached selector breaks the cycle, and reference counting frees the page on the spot.
    """

    def process_spider_output(self, response: Response, result):
        try:
            yield from result
        finally:
            _drop_selector(response)

    async def process_spider_output_async(self, response: Response, result):
        try:
            async for output in result:
                yield output
        finally:
            _drop_selector(response)


def _drop_selector(response: Response) -> None:
    if isinstance(response, TextResponse):
        response._cached_selector = None  # Scrapy's own cache slot; rebuilt on the next use of response.selector


# How each kind of document ends: HTML with its closing tag, PDF with %%EOF, ZIP (DOCX) with its central directory.
_TAIL_BYTES = 4096
_HTML_ENDS = (b"</html>", b"</body>")


def looks_cut(body: bytes) -> bool:
    """Whether a body whose length nobody announced stops before its format's end (unknown formats are trusted)."""
    head, tail = body[:1024].lstrip().lower(), body[-_TAIL_BYTES:]
    if head.startswith(b"%pdf") or b"%PDF-" in body[:1024]:
        return b"%%EOF" not in tail
    if head.startswith(b"pk\x03\x04"):
        return b"PK\x05\x06" not in body[-65_600:]  # the end record sits within 64 KiB (its comment) of the end
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return not any(end in tail.lower() for end in _HTML_ENDS)
    return False


class ConditionalRequestsMiddleware:
    """If-None-Match / If-Modified-Since on listing pages, report pages and attachments stored before (meta
    nianbao_conditional).

    The validators are read once when the spider opens; the store pipeline and StoredListingMiddleware record new ones.
    """

    def __init__(self, validators: dict[str, Validators]):
        self.validators = validators

    @classmethod
    def from_crawler(cls, crawler):
        return cls(FetchState.of(crawler).validators)

    def process_request(self, request: Request) -> None:
        if not request.meta.get("nianbao_conditional"):
            return
        known = self.validators.get(fetch_key(request))
        if not known:
            return
        if known.get("etag"):
            request.headers.setdefault(b"If-None-Match", known["etag"])
        if known.get("last_modified"):
            request.headers.setdefault(b"If-Modified-Since", known["last_modified"])


class StoredListingMiddleware:
    """Listing pages remembered: each one read whole is stored (as UTF-8 text) with its validators, and one that
    answers 304 is replayed from storage, flagged UNCHANGED_LISTING, so the spider reads the same list again and
    pagination goes on. A listing whose stored copy is gone is asked for again, unconditionally."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.database = CrawlDatabase.of(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if "listing" not in request.meta:
            return response
        key = fetch_key(request)
        if response.status == 304:
            body = await self.database.store(stored_listing, key)
            if body is None:
                self.crawler.stats.inc_value("nianbao/listings/stored_copy_missing")
                meta = {k: v for k, v in request.meta.items() if k != "nianbao_conditional"}
                headers = {k: v for k, v in request.headers.items()
                           if k not in (b"If-None-Match", b"If-Modified-Since")}
                return request.replace(meta=meta, headers=headers, dont_filter=True)
            self.crawler.stats.inc_value("nianbao/listings/unchanged")
            return HtmlResponse(url=response.url, body=body, encoding="utf-8", request=request,
                                flags=[*response.flags, UNCHANGED_LISTING])
        if response.status == 200 and isinstance(response, TextResponse):
            await self.database.store(remember_listing, key, response.text.encode("utf-8"),
                                      etag=header_text(response, b"ETag"),
                                      last_modified=header_text(response, b"Last-Modified"))
        return response


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, spaced out (base, 2×base, 4×base … seconds) so a struggling county server can recover."""

    backoff = 2.0
    backoff_max = 60.0

    @classmethod
    def from_crawler(cls, crawler):
        middleware = super().from_crawler(crawler)
        middleware.backoff = crawler.settings.getfloat("NIANBAO_RETRY_BACKOFF", cls.backoff)
        middleware.backoff_max = crawler.settings.getfloat("NIANBAO_RETRY_BACKOFF_MAX", cls.backoff_max)
        return middleware

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        return await self._spaced(super().process_response(request, response))

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        return await self._spaced(super().process_exception(request, exception))

    async def _spaced(self, result):
        if isinstance(result, Request):
            await sleep(min(self.backoff * 2 ** (result.meta.get("retry_times", 1) - 1), self.backoff_max))
        return result
