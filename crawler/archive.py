"""The evidence archive: every response the crawl receives goes into the run's WARC files (crawler.warc), indexed
in the database (storage.archive), so that what the audit says can be shown from what the sites sent."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from sqlalchemy.orm import Session
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from crawler.database import CrawlDatabase, first_line
from crawler.run import RunKeeper
from crawler.warc import Exchange, Original, WarcFiles, build_records
from storage.archive import archive_dir, original_response, record_archived
from storage.db import read_only

logger = logging.getLogger(__name__)
# Credentials never go into the archive (a proxy's are added to each request by Scrapy's HttpProxyMiddleware).
SECRET_HEADERS = frozenset({b"Authorization", b"Proxy-Authorization", b"Cookie"})


class EvidenceArchiveMiddleware:
    """Downloader middleware next to the downloader (950): it sees each request with every header the others added,
    and each response as it came, before decompression, redirects, retries, challenge checks or the replay of an
    unchanged listing.

    Records are built and appended on threads of its own: gzipping a 20 MB PDF takes about half a second, far too
    long for the reactor. The response waits for its records (so at most the downloader's concurrency of them are
    in memory), not for their index row. A failure is a warning and a stats count, never the response's."""

    def __init__(self, crawler, settings):
        self.crawler = crawler
        self.stats = crawler.stats
        self.database = CrawlDatabase.of(crawler)
        self.directory = archive_dir(settings.get("NIANBAO_DATABASE_URL") or None,
                                     settings.get("NIANBAO_ARCHIVE_DIR") or None)
        self.max_bytes = settings.getint("NIANBAO_ARCHIVE_MAX_MB", 1024) * 2**20
        self.user_agent = settings.get("USER_AGENT", "")
        self.run_id: int | None = None
        self.files: WarcFiles | None = None
        self.failures = 0
        self.pool = ThreadPool(minthreads=0, maxthreads=2, name="nianbao-archive")
        self.pool.start()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NIANBAO_ARCHIVE", True):
            raise NotConfigured("the evidence archive is off (NIANBAO_ARCHIVE)")
        return cls(crawler, crawler.settings)

    async def process_response(self, request: Request, response: Response) -> Response:
        if urlsplit(response.url).scheme not in ("http", "https"):
            return response  # the spider's own data: request
        from twisted.internet import reactor  # the one the crawl installed

        try:
            entry = await maybe_deferred_to_future(
                deferToThreadPool(reactor, self.pool, self._archive, exchange_of(request, response), self._files()))
        except Exception as error:
            self._failed(response.url, error)
            return response
        entry |= {"run_id": self.run_id, "listing_url": request.meta.get("listing")}
        self.stats.inc_value(f"nianbao/archive/{entry['record_type']}")
        deferred_from_coro(self._index(entry))
        return response

    def _files(self) -> WarcFiles:
        """The run's files, opened with the first response: the run has its id by then."""
        if self.files is None:
            self.run_id = RunKeeper.of(self.crawler).run_id
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
            info = {"software": f"nianbao (Scrapy {scrapy.__version__}, warcio)", "format": "WARC File Format 1.1",
                    "isPartOf": f"nianbao crawl run {self.run_id}", "robots": "obey",
                    "http-header-user-agent": self.user_agent}
            self.files = WarcFiles(self.directory, f"nianbao-{self.run_id or 0:06d}-{stamp}", self.max_bytes, info)
        return self.files

    def _archive(self, exchange: Exchange, files: WarcFiles) -> dict[str, Any]:
        """On an archive thread: the records built and appended; their index row, less the run and listing."""
        # A POSTed URL (Hanweb's dataproxy.jsp) answers many pages: which one a 304 confirms is not known by URL.
        original = self._original(exchange.url) if exchange.status == 304 and exchange.method == "GET" else None
        records = build_records(exchange, original)
        name, offset = files.append(records.blob)
        return {"url": exchange.url, "status": exchange.status, "fetched_at": exchange.fetched_at,
                "record_type": records.record_type, "record_id": records.record_id, "file": name, "offset": offset,
                "length": records.length, "payload_sha256": records.payload_sha256,
                "payload_digest": records.payload_digest}

    def _original(self, url: str) -> Original | None:
        # Read-only: on SQLite a read that took the write lock would queue behind the crawl's writer.
        with Session(read_only(self.database.engine)) as session:
            found = original_response(session, url)
            if found is None:
                return None
            return Original(found.record_id, found.url, found.fetched_at, found.payload_digest, found.payload_sha256)

    async def _index(self, entry: dict[str, Any]) -> None:
        try:
            await self.database.store(record_archived, [entry])
        except Exception as error:
            self._failed(entry["url"], error, what="index")

    def _failed(self, url: str, error: BaseException, what: str = "archive") -> None:
        """Loud once, then counted: a full disk must not bury the log under a line per response."""
        self.failures += 1
        self.stats.inc_value(f"nianbao/archive/{what}_failed")
        log = logger.warning if self.failures == 1 else logger.info
        log("could not %s %s in the evidence archive: %s", what, url, first_line(error))

    def spider_closed(self, spider) -> None:
        self.pool.stop()
        if self.files is not None:
            self.files.close()
        if self.failures:
            logger.warning("%d response(s) missing from the evidence archive in %s (see nianbao/archive/* stats)",
                           self.failures, self.directory)


def exchange_of(request: Request, response: Response) -> Exchange:
    ip_address = getattr(response, "ip_address", None)
    sent = _pairs(request.headers, leave_out=SECRET_HEADERS)
    return Exchange(url=response.url, method=request.method, request_headers=sent,
                    request_body=request.body, status=response.status, reason=_reason(response.status),
                    protocol=response.protocol or "HTTP/1.1", response_headers=_pairs(response.headers),
                    body=response.body, fetched_at=datetime.now(UTC),
                    ip_address=str(ip_address) if ip_address else None)


def _pairs(headers: Headers, leave_out: frozenset[bytes] = frozenset()) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in headers.items() if name not in leave_out for value in values]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
