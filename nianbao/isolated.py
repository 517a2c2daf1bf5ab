"""Reading and parsing documents in worker processes, each capped in memory and wall-clock time.

A hostile file (a PDF whose forms fan out, a stream that inflates to gigabytes, a DOCX bomb) or a C extension that
corrupts its heap takes down one worker, never the crawl: the document is recorded unreadable with the cause and the
pool starts a fresh worker. Processes, not threads, so every core reads (the GIL held the crawl to one).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import resource
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import BrokenExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from pebble import ProcessExpired, ProcessPool

from nianbao.document import UnreadableInput, read_document
from nianbao.report.parse import parse_document
from nianbao.similarity import sketch

MIB = 2**20
logger = logging.getLogger(__name__)
# Modules every worker needs, imported once in the fork server rather than in each worker.
_PRELOAD = ["nianbao.isolated", "nianbao.document.pdf", "nianbao.document.html", "nianbao.document.docx"]


@dataclass(frozen=True)
class Limits:
    """Per-document limits; NIANBAO_DOCUMENT_WORKERS, _MEMORY_MB and _TIMEOUT set them from the environment."""

    workers: int = os.cpu_count() or 1
    memory_mb: int = 2048  # address space of one worker: a real report needs a few hundred MiB at most
    timeout: float = 180.0  # seconds to read and parse one document
    tasks_per_worker: int = 200  # a fresh process now and then: no leak or fragmentation builds up over a night

    @classmethod
    def from_env(cls, env=os.environ) -> Limits:
        defaults = cls()
        return cls(
            workers=int(env.get("NIANBAO_DOCUMENT_WORKERS") or defaults.workers),
            memory_mb=int(env.get("NIANBAO_DOCUMENT_MEMORY_MB") or defaults.memory_mb),
            timeout=float(env.get("NIANBAO_DOCUMENT_TIMEOUT") or defaults.timeout),
        )


@dataclass(frozen=True)
class Outcome:
    """The parse JSON, or why there is none (one line)."""

    parsed: dict | None  # for call(): whatever the function returned
    error: str | None = None
    text_sketch: bytes | None = None  # parse(): the text's sketch (nianbao.similarity), made in the worker too


def read_and_parse(data: bytes, name: str, url: str | None, source: str | None) -> tuple[dict, bytes | None]:
    """In a worker: the document's parse JSON and its text's sketch, which storage keeps for the audit's copy check.
    Raises UnreadableInput when it holds no readable report."""
    parsed = parse_document(read_document(data, name=name, url=url), source=source)
    return parsed, sketch(parsed.get("text") or "")


def _limit_memory(megabytes: int) -> None:
    limit = megabytes * MIB
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class _PoolBroken(Exception):
    """The pool itself failed (its workers die as they start), not the document it was given."""


class DocumentPool:
    """A pool of reader processes; started on first use, so a crawl with nothing new to read starts none."""

    def __init__(self, limits: Limits | None = None):
        self.limits = limits or Limits.from_env()
        self._pool: ProcessPool | None = None

    def _started(self) -> ProcessPool:
        if self._pool is None:
            # A fork server, not fork: the crawl runs threads (the reactor's pool, database drivers), and forking a
            # threaded process can copy a held lock into the child.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            self._pool = ProcessPool(
                max_workers=self.limits.workers,
                max_tasks=self.limits.tasks_per_worker,
                initializer=_limit_memory,
                initargs=(self.limits.memory_mb,),
                context=context,
            )
        return self._pool

    async def parse(self, data: bytes, *, name: str = "", url: str | None = None, source: str | None = None) -> Outcome:
        """Read and parse one document in a worker; never raises for what the document does."""
        outcome = await self.call(read_and_parse, data, name, url, source)
        if outcome.parsed is None:
            return outcome
        parsed, text_sketch = outcome.parsed
        return Outcome(parsed, text_sketch=text_sketch)

    async def call(self, function, *args) -> Outcome:
        """function(*args) in a worker, within the limits: its result, or why there is none (one line). A pool that
        broke (its workers dying as they start) is replaced once; if the new one breaks too, that is the cause."""
        try:
            return await self._call(function, args)
        except _PoolBroken as error:
            logger.warning("the reader pool broke (%s); starting a new one", error)
            self.close()
        try:
            return await self._call(function, args)
        except _PoolBroken as error:
            self.close()
            return Outcome(None, f"the reader processes could not run: {error}")

    async def _call(self, function, args: tuple) -> Outcome:
        try:
            future = self._started().schedule(function, args=args, timeout=self.limits.timeout)
        except RuntimeError as error:  # pebble: "Unexpected error within the Pool", "The Pool is not active"
            raise _PoolBroken(str(error)) from error
        try:
            return Outcome(await asyncio.wrap_future(future))
        except UnreadableInput as error:
            return Outcome(None, str(error))
        except FutureTimeout:
            return Outcome(None, f"reading took longer than {self.limits.timeout:.0f} s; the reader was stopped")
        except MemoryError:
            return Outcome(None, f"reading needed more than {self.limits.memory_mb} MiB; the reader was stopped")
        except ProcessExpired as error:
            return Outcome(None, f"the reader process died ({_death(error.exitcode)})")
        except BrokenExecutor as error:  # "All workers expired": the pool, not the document
            raise _PoolBroken(str(error)) from error
        except Exception as error:  # a reader bug must cost one document, not the crawl
            return Outcome(None, f"the reader failed: {type(error).__name__}: {error}")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()
            self._pool.join(timeout=10)
            self._pool = None


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"signal {-exitcode}: out of memory or a crash in a C library"
    return f"exit code {exitcode}"


async def read_each(url: str, ids: Sequence[int], read_one, batch: int = 100) -> Counter[str]:
    """read_one(engine, pool, id) for every id, in this process's reader pool, as many at once as keeps the pool
    busy and memory bounded, `batch` ids a round (a national store is 500,000 versions: not one gather); how many
    of each outcome it returned. Re-parsing stored versions and parsing a queued crawl's reports both read so."""
    from storage.db import make_engine

    engine, pool, counts = make_engine(url), DocumentPool(), Counter()
    slots = asyncio.Semaphore(pool.limits.workers * 2)

    async def one(item: int) -> None:
        async with slots:
            counts[await read_one(engine, pool, item)] += 1

    try:
        for start in range(0, len(ids), batch):
            await asyncio.gather(*(one(item) for item in ids[start:start + batch]))
    finally:
        pool.close()
        engine.dispose()
    return counts
