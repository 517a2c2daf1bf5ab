"""The nightly crawl on a timer: APScheduler with its jobs in nianbao's database, each crawl in a fresh process."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import sys
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from nianbao.scheduled_crawl import crawls
from storage.db import database_url, make_engine, session_factory, upgrade
from storage.locks import acquire_sites, held_sites, release_sites

log = logging.getLogger("nianbao.scheduler")

TIMEZONE = ZoneInfo("Asia/Shanghai")
JOBS_TABLE = "apscheduler_jobs"  # created by APScheduler; listed in storage.models.FOREIGN_TABLES for Alembic
NIGHTLY_JOB = "nightly-crawl"
NOW_JOB = "crawl-now"
JOB_FUNCTION = "nianbao.scheduled_crawl:run_nightly_crawl"  # stored by reference: the job survives restarts
LEASE_KEY = f"scheduler:{JOBS_TABLE}"  # a row in site_locks: one scheduler per job store


class ScheduleError(Exception):
    """A bad setting or an unusable database at start; the message is one line for the user."""


@dataclass(frozen=True)
class Settings:
    """When the nightly crawl runs, how late it may still start, and how long it may take."""

    crawl_time: dt.time = dt.time(2, 0)
    misfire_grace: dt.timedelta = dt.timedelta(hours=6)
    timeout: dt.timedelta = dt.timedelta(hours=6)
    lease_seconds: int = 60  # how long the scheduler's claim on the job store lasts unrenewed
    enqueue: bool = False  # queue the night for `nianbao worker`s (PostgreSQL) instead of crawling here

    @classmethod
    def from_env(cls, environ: Mapping[str, str], at: str | None = None, enqueue: bool = False) -> Settings:
        """NIANBAO_CRAWL_TIME (HH:MM, or `at`), NIANBAO_MISFIRE_GRACE_HOURS and NIANBAO_CRAWL_TIMEOUT_HOURS."""
        return cls(
            crawl_time=parse_clock(at or environ.get("NIANBAO_CRAWL_TIME") or "02:00"),
            misfire_grace=_hours(environ, "NIANBAO_MISFIRE_GRACE_HOURS", 6),
            timeout=_hours(environ, "NIANBAO_CRAWL_TIMEOUT_HOURS", 6),
            enqueue=enqueue,
        )


def parse_clock(text: str) -> dt.time:
    """HH:MM on a 24-hour clock."""
    try:
        hours, minutes = (int(part) for part in text.strip().split(":"))
        return dt.time(hours, minutes)
    except ValueError:
        raise ScheduleError(f"bad crawl time {text!r}: expected HH:MM, e.g. 02:00") from None


def _hours(environ: Mapping[str, str], name: str, default: float) -> dt.timedelta:
    text = environ.get(name) or str(default)
    try:
        hours = float(text)
    except ValueError:
        hours = 0
    if not hours > 0:
        raise ScheduleError(f"bad {name} {text!r}: expected a positive number of hours")
    return dt.timedelta(hours=hours)


# ---- the scheduler ----------------------------------------------------------------------------------------------


def build_scheduler(engine: Engine) -> BackgroundScheduler:
    """Jobs in the database (the nightly crawl) and in memory (a one-off --run-now), times in Asia/Shanghai."""
    stores = {"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE), "memory": MemoryJobStore()}
    return BackgroundScheduler(jobstores=stores, timezone=TIMEZONE)


def schedule_nightly(
    scheduler: BackgroundScheduler, url: str, settings: Settings, command: list[str] | None = None
) -> Job:
    """Add or replace the nightly crawl job (a fixed id: restarting never duplicates it); the scheduler is started."""
    stored = scheduler.get_job(NIGHTLY_JOB, jobstore="default")
    when = settings.crawl_time
    trigger = CronTrigger(hour=when.hour, minute=when.minute, second=when.second, timezone=TIMEZONE)
    # replace_existing alone computes a fresh next run time and so drops a run missed while the scheduler was down
    # (apscheduler#696); keeping an overdue one lets the misfire grace decide whether it still runs, once (coalesce).
    overdue = bool(stored and stored.next_run_time and stored.next_run_time <= dt.datetime.now(TIMEZONE))
    return scheduler.add_job(
        JOB_FUNCTION,
        trigger,
        id=NIGHTLY_JOB,
        name="nightly crawl",
        jobstore="default",
        replace_existing=True,
        **_job_options(url, settings, command),
        **({"next_run_time": stored.next_run_time} if overdue else {}),
    )


def schedule_now(scheduler: BackgroundScheduler, url: str, settings: Settings, command: list[str] | None = None) -> Job:
    """A one-off crawl right away, kept in memory only: a restart does not repeat it."""
    return scheduler.add_job(
        JOB_FUNCTION,
        DateTrigger(timezone=TIMEZONE),
        id=NOW_JOB,
        name="crawl now",
        jobstore="memory",
        replace_existing=True,
        **_job_options(url, settings, command),
    )


def _job_options(url: str, settings: Settings, command: list[str] | None) -> dict:
    kwargs: dict = {"timeout_seconds": settings.timeout.total_seconds()}
    if command:
        kwargs["command"] = command
    if settings.enqueue:
        kwargs["enqueue"] = True
    grace = max(1, round(settings.misfire_grace.total_seconds()))
    return {"args": [url], "kwargs": kwargs, "coalesce": True, "max_instances": 1, "misfire_grace_time": grace}


class Lease:
    """This scheduler's claim on the job store (a row in site_locks), renewed while it runs."""

    def __init__(self, engine: Engine, seconds: int):
        self.sessions = session_factory(engine)
        self.seconds = seconds
        self.renew_every = seconds / 3
        self.holder = f"scheduler {socket.gethostname()} pid {os.getpid()} {uuid.uuid4().hex[:8]}"

    def take(self) -> bool:
        """Take or renew the lease; False when another scheduler holds it."""
        with self.sessions() as session, session.begin():
            return acquire_sites(session, [LEASE_KEY], self.holder, self.seconds) == [LEASE_KEY]

    def renew(self) -> bool:
        """False only when another scheduler took the lease over; a database hiccup is logged and ridden out."""
        try:
            return self.take()
        except SQLAlchemyError as error:
            log.warning("could not renew the scheduler lease: %s", str(error).splitlines()[0])
            return True

    def other_holder(self) -> str:
        with self.sessions() as session:
            return held_sites(session).get(LEASE_KEY, ("nobody",))[0]

    def release(self) -> None:
        try:
            with self.sessions() as session, session.begin():
                release_sites(session, [LEASE_KEY], self.holder)
        except SQLAlchemyError as error:  # the lease then simply expires
            log.warning("could not release the scheduler lease: %s", str(error).splitlines()[0])


def serve(
    url: str | None,
    settings: Settings,
    stop: threading.Event,
    *,
    run_now: bool = False,
    command: list[str] | None = None,
) -> int:
    """Run the scheduler until stop is set: 0 then, 1 if another scheduler took the job store over meanwhile.

    While another scheduler runs the jobs in this database, wait (a standby) and take over when it stops.
    command replaces the crawl command (tests).
    """
    url = database_url(url)
    engine = make_engine(url)
    try:
        upgrade(engine)
        lease = Lease(engine, settings.lease_seconds)
        if not _wait_for_lease(lease, stop):
            return 0
        try:
            return _run(engine, lease, url, settings, stop, run_now, command)
        finally:
            lease.release()
    finally:
        engine.dispose()


def _wait_for_lease(lease: Lease, stop: threading.Event) -> bool:
    waiting = False
    while not stop.is_set():
        if lease.take():
            return True
        if not waiting:
            log.info("another scheduler (%s) runs the jobs in this database; waiting", lease.other_holder())
            waiting = True
        stop.wait(lease.renew_every)
    return False


def _run(
    engine: Engine,
    lease: Lease,
    url: str,
    settings: Settings,
    stop: threading.Event,
    run_now: bool,
    command: list[str] | None,
) -> int:
    scheduler = build_scheduler(engine)
    scheduler.start(paused=True)  # jobs are set up before any runs
    code = 0
    try:
        job = schedule_nightly(scheduler, url, settings, command)
        if run_now:
            schedule_now(scheduler, url, settings, command)
        scheduler.resume()
        log.info(
            "scheduler started: nightly crawl at %s %s, next run %s",
            settings.crawl_time.strftime("%H:%M"),
            TIMEZONE,
            job.next_run_time.isoformat(),
        )
        while not stop.wait(lease.renew_every):
            if not lease.renew():
                log.error("another scheduler (%s) took over the job store; stopping", lease.other_holder())
                code = 1
                break
    finally:
        log.info("scheduler shutting down")
        shut_down(scheduler)
        log.info("scheduler stopped")
    return code


def shut_down(scheduler: BackgroundScheduler) -> None:
    """Stop starting jobs, stop the running crawl, and wait for its job to record how it ended."""
    scheduler.pause()
    # APScheduler 3 looks for due jobs once more after shutdown(), its executors already gone: a job due then would
    # be marked done without having run (apscheduler#285, #985). Detached, the stores keep their jobs as they are.
    for alias in ("default", "memory"):
        scheduler.remove_jobstore(alias)
    with crawls.stopped():
        scheduler.shutdown(wait=True)  # the jobs of stopped crawls record how they ended


def check_queue(url: str | None) -> None:
    """The queue needs PostgreSQL: say so at start, not at two in the morning."""
    from nianbao.queue.app import QueueUnavailable, conninfo

    try:
        conninfo(url)
    except QueueUnavailable as error:
        raise ScheduleError(str(error)) from None


# ---- the command ------------------------------------------------------------------------------------------------


def run(url: str | None = None, *, at: str | None = None, run_now: bool = False, enqueue: bool = False) -> int:
    """`nianbao schedule`: the scheduler in the foreground until SIGTERM or SIGINT, logging to stderr; the exit code.

    On SIGTERM/SIGINT a running crawl is asked to stop (SIGTERM, then SIGKILL after TERM_GRACE_SECONDS) and its run
    is closed as "interrupted"; the missed nightly run is caught up at the next start if within the grace time.
    """
    settings = Settings.from_env(os.environ, at=at, enqueue=enqueue)
    if enqueue:
        check_queue(url)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%dT%H:%M:%S%z"
    )
    stop = threading.Event()
    received: list[str] = []

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum).name)  # logged below: logging inside a signal handler can deadlock
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    try:
        code = serve(url, settings, stop, run_now=run_now)
    except SQLAlchemyError as error:
        raise ScheduleError(f"cannot use the database: {str(error).splitlines()[0]}") from error
    if received:
        log.info("exiting after %s", received[0])
    return code


if __name__ == "__main__":
    # `python scheduler.py` is `nianbao schedule`.
    from nianbao.cli import app

    app(["schedule", *sys.argv[1:]], prog_name="scheduler.py")
