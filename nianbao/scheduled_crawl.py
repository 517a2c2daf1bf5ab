"""The scheduled crawl job: one `nianbao crawl` in a fresh process, with a time limit, its outcome recorded."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from nianbao.alerts.notify import after_scheduled_crawl
from storage.db import make_engine, session_factory
from storage.models import CrawlRun, utcnow
from storage.runs import finish_run, start_run

log = logging.getLogger("nianbao.scheduler")

TERM_GRACE_SECONDS = 30  # a crawl told to stop gets this long to record its outcomes before it is killed


def crawl_command(url: str, enqueue: bool = False) -> list[str]:
    """The crawl the job runs (Twisted's reactor cannot restart, so every crawl gets its own process); with enqueue,
    the command that queues the night's hosts for the workers and returns."""
    return [sys.executable, "-m", "nianbao", "crawl", "--trigger", "scheduled", *(["--enqueue"] if enqueue else []),
            "--db", url]


class _Crawls:
    """The crawl processes this scheduler started, so that a shutdown can stop them and start no more."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set[subprocess.Popen] = set()
        self.closed = False  # True while the scheduler shuts down

    def start(self, argv: list[str]) -> subprocess.Popen | None:
        with self.lock:
            if self.closed:
                return None
            # A session of its own: the crawl and everything it starts form one process group to stop together,
            # and a Ctrl-C at the terminal reaches the scheduler, which decides what happens to the crawl.
            process = subprocess.Popen(argv, start_new_session=True)
            self.running.add(process)
            return process

    def finished(self, process: subprocess.Popen) -> None:
        with self.lock:
            self.running.discard(process)

    @contextlib.contextmanager
    def stopped(self) -> Iterator[None]:
        """Stop the running crawls and start none until the block ends."""
        with self.lock:
            self.closed = True
            running = list(self.running)
        try:
            for process in running:
                log.info("stopping crawl pid %d", process.pid)
                end_process_group(process)
            yield
        finally:
            self.closed = False


crawls = _Crawls()
_one_at_a_time = threading.Lock()  # the nightly job and a --run-now job never overlap


def end_process_group(process: subprocess.Popen) -> None:
    """SIGTERM the crawl's process group (Scrapy then closes down cleanly), SIGKILL whatever is left after a grace."""
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(TERM_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        log.warning("crawl pid %d ignored SIGTERM for %d s; killing it", process.pid, TERM_GRACE_SECONDS)
    _signal_group(process, signal.SIGKILL)  # also the leader's children, should any outlive it
    process.wait()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group has already gone
        os.killpg(process.pid, signum)


def run_nightly_crawl(url: str, timeout_seconds: float = 6 * 3600, command: list[str] | None = None,
                      enqueue: bool = False) -> int | None:
    """The scheduled job: run the crawl in a fresh process; the exit code, or None when it could not start.

    The crawl records its own run. When it fails, times out or is stopped, its run is closed as "failed" or
    "interrupted" here, or one is recorded when the process died before recording any. Then the run's digest goes
    to NIANBAO_NOTIFY (nianbao.alerts); an alert that cannot be sent is logged, never raised. With enqueue the job
    only queues the night (the runs happen later, on the workers; a worker sends its one digest once it is over).
    Either way the sites that keep failing then have their home pages searched again (rediscover_failing).
    """
    if not _one_at_a_time.acquire(blocking=False):
        log.warning("a crawl this scheduler started is still running; not starting another")
        return None
    since = utcnow()
    try:
        code = _crawl_once(url, timeout_seconds, command or crawl_command(url, enqueue))
    finally:
        _one_at_a_time.release()
    if code is not None:  # after the lock is released: a slow alert never holds up the next crawl
        if not enqueue:
            after_scheduled_crawl(url, since)
        rediscover_failing(url)
    return code


def rediscover_failing(url: str, timeout_seconds: float = 1800) -> int | None:
    """When some site's listing has failed NIANBAO_REDISCOVER_AFTER (3) runs in a row, search its home page again
    (`nianbao sites rediscover`, in a process of its own) for a new listing page to propose. Never raises."""
    from nianbao.rediscover import DEFAULT_AFTER, failing

    try:
        after = int(os.environ.get("NIANBAO_REDISCOVER_AFTER", DEFAULT_AFTER))
        engine = make_engine(url)
        try:
            with session_factory(engine)() as session:
                if not failing(session, after):
                    return None
        finally:
            engine.dispose()
    except (SQLAlchemyError, ValueError) as error:
        log.error("failing sites not searched again: %s", str(error).splitlines()[0])
        return None
    process = crawls.start([sys.executable, "-m", "nianbao", "sites", "rediscover", "--after", str(after),
                            "--db", url])
    if process is None:
        return None
    try:
        return process.wait(timeout_seconds)
    except subprocess.TimeoutExpired:
        log.error("searching failing sites again ran over %d s; stopped", timeout_seconds)
        end_process_group(process)
        return process.returncode
    finally:
        crawls.finished(process)


def _crawl_once(url: str, timeout_seconds: float, argv: list[str]) -> int | None:
    since = utcnow()
    shown = [_hide_password(arg) for arg in argv]
    process = crawls.start(argv)
    if process is None:
        log.info("the scheduler is stopping; crawl not started")
        return None
    log.info("crawl started, pid %d: %s", process.pid, " ".join(shown))
    timed_out = False
    try:
        code = process.wait(timeout_seconds)
    except subprocess.TimeoutExpired:
        log.error(
            "crawl pid %d ran over its time limit (%s); stopping its process group",
            process.pid,
            dt.timedelta(seconds=round(timeout_seconds)),
        )
        end_process_group(process)
        code, timed_out = process.returncode, True
    finally:
        crawls.finished(process)
    if timed_out or crawls.closed:
        log.warning(
            "crawl pid %d %s (exit code %d)",
            process.pid,
            "timed out" if timed_out else "stopped with the scheduler",
            code,
        )
        _close_unfinished_runs(url, since, "interrupted")
    elif code != 0:
        log.error("crawl pid %d failed with exit code %d", process.pid, code)
        _close_unfinished_runs(url, since, "failed")
    else:
        log.info("crawl pid %d finished, exit code 0", process.pid)
    return code


def _close_unfinished_runs(url: str, since: dt.datetime, status: str) -> None:
    """Close the scheduled runs the crawl left open since it started; record one if it left none at all."""
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session, session.begin():
            since_start = (CrawlRun.trigger == "scheduled") & (CrawlRun.started_at >= since)
            runs = session.scalars(select(CrawlRun).where(since_start)).all()
            if not runs:
                run_id = start_run(session, "scheduled")
                finish_run(session, run_id, status)
                log.info("recorded crawl run %d as %s", run_id, status)
            for run in runs:
                if run.status == "running":
                    finish_run(session, run.id, status)
                    log.info("closed crawl run %d as %s", run.id, status)
    except SQLAlchemyError as error:
        log.error("could not record the crawl's outcome: %s", str(error).splitlines()[0])
    finally:
        engine.dispose()


def _hide_password(arg: str) -> str:
    return make_url(arg).render_as_string(hide_password=True) if "://" in arg else arg
