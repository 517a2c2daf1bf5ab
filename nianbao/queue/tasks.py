"""The queue's tasks. crawl_host runs one host's sites in a fresh process (Scrapy's reactor runs once per process)
with a time limit, and fails, to be retried later, when the crawl did not finish or left sites another crawl held."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys

import procrastinate
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from storage.db import make_engine
from storage.locks import process_holder
from storage.models import CrawlRun
from storage.nights import DIGEST_TASK
from storage.pending import mark_queued, unqueued
from storage.runs import finish_run, start_run

logger = logging.getLogger(__name__)
tasks = procrastinate.Blueprint()
CRAWL_QUEUE = "crawl"
PARSE_QUEUE = "parse"
PARSE_TASK = "nianbao:parse_reports"
ALERT_QUEUE = "alerts"
DIGEST_CHECK_SECONDS, DIGEST_WAIT_SECONDS = 300, 24 * 3600  # a night is checked for its end this often, this long
# NIANBAO_HOST_CRAWL_TIMEOUT: seconds one host's crawl may take before it is killed and its task retried.
DEFAULT_TIMEOUT = 3 * 3600


def task_label(host: str, job_id: int | None, attempts: int) -> str:
    """How a crawl task's run is named in the night (nianbao runs): the host, the job, which attempt."""
    return f"{host}, job {job_id}, attempt {attempts + 1}"


class CrawlIncomplete(Exception):
    """The host's crawl ended without every site done: the task fails and Procrastinate retries it."""


@tasks.task(name="crawl_host", queue=CRAWL_QUEUE, pass_context=True,
            retry=procrastinate.RetryStrategy(max_attempts=4, linear_wait=300))
async def crawl_host(context: procrastinate.JobContext, host: str, sites: list[str], night: str,
                     trigger: str = "scheduled") -> dict:
    """Crawl every site of one host. The job's lock is the host, so no two workers ever crawl it at once."""
    db_url = context.additional_context["db_url"]
    timeout = float(os.environ.get("NIANBAO_HOST_CRAWL_TIMEOUT", DEFAULT_TIMEOUT))
    task = task_label(host, context.job.id, context.job.attempts)
    try:
        summary = await _crawl_in_child(db_url, sites, trigger, night, task, timeout)
    except CrawlIncomplete as error:  # the process died before its run could say so: the night must show it
        await asyncio.to_thread(record_failed_task, db_url, trigger, night, task, str(error))
        raise
    finally:  # what the crawl stored, even a crawl cut short, is parsed by any worker
        await _queue_parses(context, db_url, sites)
    if summary["finish_reason"] != "finished":
        raise CrawlIncomplete(f"{host}: run {summary['run_id']} ended {summary['finish_reason']}")
    if summary["left"]:
        held = ", ".join(f"{site} ({holder})" for site, holder in sorted(summary["left"].items()))
        raise CrawlIncomplete(f"{host}: sites another crawl held, to retry: {held}")
    logger.info("%s (night %s): run %s, %d sites", host, night, summary["run_id"], len(sites))
    return summary


@tasks.task(name="reparse_batch", queue=PARSE_QUEUE, pass_context=True,
            retry=procrastinate.RetryStrategy(max_attempts=3, linear_wait=60))
async def reparse_batch(context: procrastinate.JobContext, version_ids: list[int]) -> dict:
    """Read stored originals again with this worker's parser (nianbao.reparse); no download."""
    from nianbao.reparse import line, reparse_versions

    counts = await asyncio.to_thread(reparse_versions, context.additional_context["db_url"], version_ids)
    logger.info("%s", line(counts))
    return dict(counts)


@tasks.task(name="parse_reports", queue=PARSE_QUEUE, pass_context=True,
            retry=procrastinate.RetryStrategy(max_attempts=4, linear_wait=60))
async def parse_reports(context: procrastinate.JobContext, pending_ids: list[int]) -> dict:
    """Parse reports a queued crawl stored (nianbao.pending) and store them as the crawl would have."""
    from nianbao.pending import line, parse_pending

    counts = await asyncio.to_thread(parse_pending, context.additional_context["db_url"], pending_ids)
    logger.info("%s", line(counts))
    return dict(counts)


@tasks.task(name="night_digest", queue=ALERT_QUEUE, pass_context=True,
            retry=procrastinate.RetryStrategy(max_attempts=3, linear_wait=300))
async def night_digest(context: procrastinate.JobContext, night: str, checks: int = 0) -> str:
    """The night's one alert digest (NIANBAO_NOTIFY on the worker), sent once its hosts are crawled and its reports
    parsed: until then the task queues itself again, every NIANBAO_DIGEST_CHECK_SECONDS, for at most a day."""
    from nianbao.alerts.notify import send_night_digest

    db_url = context.additional_context["db_url"]
    every = float(os.environ.get("NIANBAO_DIGEST_CHECK_SECONDS", DIGEST_CHECK_SECONDS))
    if not await asyncio.to_thread(_night_over, db_url, night) and (checks + 1) * every < DIGEST_WAIT_SECONDS:
        later = context.app.tasks[DIGEST_TASK].configure(schedule_in={"seconds": every},
                                                          queueing_lock=f"digest:{night}")
        await later.defer_async(night=night, checks=checks + 1)
        return f"night {night}: not over yet, checked again in {every:g} s"
    done = await asyncio.to_thread(send_night_digest, db_url, night)
    logger.info("%s", done)
    return done


def _night_over(db_url: str, night: str) -> bool:
    from storage.nights import night_summary

    return _in_session(db_url, lambda session: night_summary(session, night).over)


async def _queue_parses(context: procrastinate.JobContext, db_url: str, sites: list[str]) -> None:
    """A parse task per batch of the sites' waiting reports that have none yet. One queued twice is parsed once
    (storage.pending.take); one never queued (the database away now) is queued by the host's next crawl."""
    from nianbao.pending import BATCH

    try:
        ids = await asyncio.to_thread(_in_session, db_url, lambda session: unqueued(session, sites))
        for start in range(0, len(ids), BATCH):
            await context.app.tasks[PARSE_TASK].defer_async(pending_ids=ids[start:start + BATCH])
        await asyncio.to_thread(_in_session, db_url, lambda session: mark_queued(session, ids), True)
    except Exception as error:  # the crawl's own outcome must not be lost to this
        logger.error("could not queue the parsing of %s: %s", ", ".join(sites[:3]), str(error).splitlines()[0])


def _in_session(db_url: str, work, write: bool = False):
    """work(session) on an engine of its own (a task runs in a worker thread), in a transaction when it writes."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            if not write:
                return work(session)
            with session.begin():
                return work(session)
    finally:
        engine.dispose()


async def _crawl_in_child(db_url: str, sites: list[str], trigger: str, night: str, task: str, timeout: float) -> dict:
    """nianbao.queue.child in a process that dies with this one (a killed worker leaves no crawl behind)."""
    command = [sys.executable, "-m", "nianbao.queue.child", str(os.getpid()), db_url, trigger, night, task, *sites]
    child = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    try:
        out, _ = await asyncio.wait_for(child.communicate(), timeout)
    except (TimeoutError, asyncio.CancelledError):
        child.send_signal(signal.SIGTERM)  # Scrapy closes the run as interrupted and frees its locks
        try:
            await asyncio.wait_for(child.wait(), 30)
        except TimeoutError:
            child.kill()
        raise
    lines = out.decode("utf-8", "replace").strip().splitlines()
    if child.returncode != 0 or not lines:
        raise CrawlIncomplete(f"the crawl process exited {child.returncode} (its log is the worker's)")
    return json.loads(lines[-1])


def record_failed_task(db_url: str, trigger: str, night: str, task: str, message: str) -> None:
    """Close the task's run as failed, or record a failed one when the crawl died before opening any."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            runs = session.scalars(select(CrawlRun).where(CrawlRun.task == task)).all()
            for run in runs:
                if run.status == "running":
                    finish_run(session, run.id, "failed", message)
            if not runs:
                finish_run(session, start_run(session, trigger, process_holder(), night, task), "failed", message)
    except SQLAlchemyError as error:
        logger.error("could not record the failed task %s: %s", task, str(error).splitlines()[0])
    finally:
        engine.dispose()
