"""The crawl's one way to its database: one engine per crawl (schema upgraded once), and writes, batched on a writer
thread (crawler.writer), that ride out a short outage but stop the crawl when the database stays away, so that
nothing unstored is ever counted as found."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from crawler.items import FetchedDocument
from crawler.writer import BatchWriter
from storage.db import make_engine, upgrade
from storage.documents import get_document, store_document
from storage.fetches import get_fetch, record_fetch

T = TypeVar("T")
logger = logging.getLogger(__name__)
STORAGE_FAILED = "storage_failed"  # the close reason of a crawl that could not store


class StorageUnavailable(Exception):
    """The database could not be written for longer than the retry budget; the crawl is stopping."""


def engine_for(settings: BaseSettings) -> Engine:
    """A new engine for the crawl's database (default: the SQLite file of storage.db); the caller disposes it."""
    engine = make_engine(settings.get("NIANBAO_DATABASE_URL") or None)
    try:
        upgrade(engine)
    except BaseException:
        engine.dispose()  # an outage at start is retried: each try must not leave a pool behind
        raise
    return engine


def is_outage(error: BaseException) -> bool:
    """A failure of the database itself (gone, restarting, disk full, locked), not of the data: worth a retry."""
    return isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated)


class CrawlDatabase:
    """Shared by the spider, the pipelines and the run keeper of one crawl (CrawlDatabase.of(crawler))."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.retry_seconds = crawler.settings.getfloat("NIANBAO_STORAGE_RETRY_SECONDS", 60)
        self.failure: str | None = None  # why the crawl stopped storing, once it has
        self._engine: Engine | None = None
        self._writer = BatchWriter(lambda: self.engine, is_outage)

    @classmethod
    def of(cls, crawler) -> CrawlDatabase:
        if getattr(crawler, "_nianbao_database", None) is None:
            crawler._nianbao_database = cls(crawler)
        return crawler._nianbao_database

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = engine_for(self.crawler.settings)
        return self._engine

    def opened(self) -> Engine:
        """The engine, through an outage at start of up to NIANBAO_STORAGE_RETRY_SECONDS (a database restarting at
        night); past that one clear error and StorageUnavailable: the crawl cannot start, nor record a run."""
        deadline, delay = time.monotonic() + self.retry_seconds, 0.5
        while True:
            try:
                return self.engine
            except Exception as error:
                if not is_outage(error):
                    raise
                if time.monotonic() + delay > deadline:
                    cause = f"the crawl cannot start, the database is unreachable: {first_line(error)}"
                    logger.error("%s (no run could be recorded)", cause)
                    raise StorageUnavailable(cause) from None
            time.sleep(delay)
            delay = min(delay * 2, 5)

    @contextmanager
    def transaction(self):
        with Session(self.engine) as session, session.begin():
            yield session

    def run(self, work: Callable[..., T], *args, **kwargs) -> T:
        """work(session, *args, **kwargs) in one transaction, once."""
        with self.transaction() as session:
            return work(session, *args, **kwargs)

    def run_with_retries(self, work: Callable[..., T], *args, seconds: float = 10) -> T:
        """run() that blocks through an outage of up to `seconds`: for the run's own records at start and end."""
        deadline = time.monotonic() + seconds
        delay = 0.5
        while True:
            try:
                return self.run(work, *args)
            except Exception as error:
                if not is_outage(error) or time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 5)

    async def store(self, work: Callable[..., T], *args, **kwargs) -> T:
        """work(session, *args, **kwargs) on the writer thread, atomic, batched with the other writes queued meanwhile;
        through an outage of up to NIANBAO_STORAGE_RETRY_SECONDS; past that the crawl is stopped (close reason
        storage_failed) and StorageUnavailable raised."""
        if self.failure:
            raise StorageUnavailable(self.failure)
        deadline = time.monotonic() + self.retry_seconds
        delay, attempt = 0.5, 0
        while True:
            stored, answer = await maybe_deferred_to_future(self._writer.submit(work, *args, **kwargs))
            if stored:
                return answer
            if not is_outage(answer):
                raise answer
            attempt += 1
            cause = f"the database failed: {first_line(answer)}"
            if self.failure or time.monotonic() + delay > deadline:
                self.give_up(cause)
                raise StorageUnavailable(self.failure or cause) from answer
            if attempt == 1:
                logger.warning("%s; retrying for up to %.0f s", cause, self.retry_seconds)
            self.crawler.stats.inc_value("nianbao/storage_retries")
            await sleep(delay)
            delay = min(delay * 2, 8)

    def give_up(self, cause: str) -> None:
        """Stop the crawl once: a crawl that cannot store must not go on downloading, nor end as completed."""
        if self.failure:
            return
        self.failure = cause
        logger.error("stopping the crawl: %s", cause)
        self.crawler.stats.set_value("nianbao/storage_failure", cause)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=STORAGE_FAILED))

    def finish_writes(self) -> None:
        """Write what is queued, then stop the writer thread (a later store() starts it again)."""
        self._writer.close()

    def dispose(self) -> None:
        self.finish_writes()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def stored_body(session: Session, document: FetchedDocument) -> bytes | None:
    """The bytes of a document kept in the database: stored as it arrived, or earlier when it answered 304."""
    return document_bytes(session, document.sha256) if document.sha256 else fetched_bytes(session, document.url)


def fetched_bytes(session: Session, key: str) -> bytes | None:
    """The bytes stored for a fetch (a URL, or a listing's fetch key) when it last came whole."""
    fetch = get_fetch(session, key)
    return document_bytes(session, fetch.sha256) if fetch and fetch.sha256 else None


def document_bytes(session: Session, digest: str) -> bytes | None:
    stored = get_document(session, digest)
    return bytes(stored.data) if stored else None


def remember_listing(session: Session, key: str, body: bytes, *, etag: str | None, last_modified: str | None) -> None:
    """Keep a listing page's text with its validators, for the night it answers 304 (StoredListingMiddleware)."""
    digest = store_document(session, body, content_type="html")
    record_fetch(session, key, status=200, etag=etag, last_modified=last_modified, sha256=digest)


def stored_listing(session: Session, key: str) -> bytes | None:
    """The listing page kept under this fetch key, noting that it was asked for again (it answered 304)."""
    body = fetched_bytes(session, key)
    if body is not None:
        record_fetch(session, key, status=304)
    return body
