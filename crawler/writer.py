"""The crawl's writes, off the reactor thread and batched: one writer thread per crawl takes every piece of work
queued meanwhile, runs each in its own savepoint and commits them in one transaction (group commit). A report costs
its statements, not a commit of its own, and the reactor never waits on the database while it downloads.

Each piece of work stays atomic: a data error rolls back its savepoint only and is handed back to its caller; an
outage (or a failed commit) fails the whole batch, nothing of which was stored, and each caller decides to retry.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)
MAX_BATCH = 64  # pieces of work per transaction: enough to spread a commit thin, few enough to hold the lock briefly


@dataclass
class _Job:
    work: Callable[..., Any]
    args: tuple
    kwargs: dict
    done: Deferred = field(default_factory=Deferred)


class BatchWriter:
    """Runs work(session, *args, **kwargs) on its own thread; submit() answers with a Deferred that fires, on the
    reactor thread, with (True, result) once the work's batch is committed, or (False, error)."""

    def __init__(self, engine: Callable[[], Engine], is_outage: Callable[[BaseException], bool],
                 deliver: Callable[[Callable, Any], None] | None = None):
        self._engine = engine  # called on the writer thread: the first write may create (and upgrade) the engine
        self._is_outage = is_outage
        self._deliver = deliver or _on_reactor  # deliver(fire, answer) calls fire(answer) where answers belong
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, work: Callable[..., Any], *args, **kwargs) -> Deferred:
        job = _Job(work, args, kwargs)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="nianbao-writer", daemon=True)
                self._thread.start()
        self._jobs.put(job)
        return job.done

    def close(self, timeout: float = 120) -> None:
        """Finish the work queued so far, then stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(None)
            thread.join(timeout)
            if thread.is_alive():
                logger.error("the crawl's writer did not finish within %.0f s; its last writes are lost", timeout)

    def _loop(self) -> None:
        while True:
            batch, stop = self._take()
            if batch:
                self._write(batch)
            if stop:
                return

    def _take(self) -> tuple[list[_Job], bool]:
        """The next job, waiting for it, and every job queued behind it (up to MAX_BATCH); and whether to stop."""
        first = self._jobs.get()
        if first is None:
            return [], True
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                return batch, True
            batch.append(job)
        return batch, False

    def _write(self, batch: list[_Job]) -> None:
        answers: list[tuple[bool, Any]] = []
        try:
            with Session(self._engine()) as session, session.begin():
                for job in batch:
                    answers.append(self._attempt(session, job))
        except Exception as error:  # an outage or a failed commit: nothing of the batch was stored
            answers = [(False, error)] * len(batch)
        for job, answer in zip(batch, answers, strict=True):
            self._deliver(job.done.callback, answer)

    def _attempt(self, session: Session, job: _Job) -> tuple[bool, Any]:
        try:
            with session.begin_nested():
                return True, job.work(session, *job.args, **job.kwargs)
        except Exception as error:
            if self._is_outage(error):
                raise
            return False, error


def _on_reactor(fire: Callable[[Any], Any], answer: Any) -> None:
    from twisted.internet import reactor  # the one the crawl installed, not one installed by importing it early

    reactor.callFromThread(fire, answer)
