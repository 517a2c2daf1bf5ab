"""`nianbao worker`: Procrastinate's worker on the night's queues, plus what makes a fleet dependable: jobs whose
worker stopped sending heartbeats (killed, machine lost) are put back in the queue by any live worker."""

from __future__ import annotations

import asyncio
import logging
import os

import procrastinate

from nianbao.queue.app import prepared_app
from nianbao.queue.tasks import record_failed_task, task_label
from storage.db import database_url, make_engine
from storage.nights import CRAWL_TASK

logger = logging.getLogger(__name__)
# NIANBAO_WORKER_STALLED_AFTER: seconds without a worker's heartbeat (sent every sixth of it) before any live worker
# queues its jobs again.
STALLED_AFTER_SECONDS = float(os.environ.get("NIANBAO_WORKER_STALLED_AFTER", "60"))
SHUTDOWN_GRACE_SECONDS = 5  # on SIGTERM, running crawls are then stopped (they record their runs as interrupted)


def run_worker(url: str | None, concurrency: int, queues: list[str] | None = None, name: str | None = None) -> None:
    url = database_url(url)
    engine = make_engine(url)
    try:
        app = prepared_app(engine, url)
    finally:
        engine.dispose()
    asyncio.run(_work(app, url, concurrency, queues, name))


async def _work(app: procrastinate.App, url: str, concurrency: int, queues: list[str] | None, name: str | None):
    async with app.open_async():
        recovery = asyncio.create_task(_retry_stalled_jobs(app, url))
        try:
            await app.run_worker_async(
                queues=queues, concurrency=concurrency, name=name, additional_context={"db_url": url},
                update_heartbeat_interval=STALLED_AFTER_SECONDS / 6, stalled_worker_timeout=STALLED_AFTER_SECONDS,
                shutdown_graceful_timeout=SHUTDOWN_GRACE_SECONDS)
        finally:
            recovery.cancel()


async def _retry_stalled_jobs(app: procrastinate.App, url: str) -> None:
    while True:
        await asyncio.sleep(STALLED_AFTER_SECONDS / 2)
        try:
            for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_SECONDS):
                logger.warning("job %s (%s) was running on a worker that stopped: queued again", job.id, job.task_name)
                await app.job_manager.retry_job(job)
                await asyncio.to_thread(_record_stalled, url, job)
        except Exception as error:  # the database is away for a moment: the next round tries again
            logger.warning("could not check for stalled jobs: %s", error)


def _record_stalled(url: str, job) -> None:
    """The night shows the attempt a lost worker took with it (its run, if it opened one, closed as failed)."""
    args = job.task_kwargs
    if job.task_name == CRAWL_TASK and {"host", "night"} <= set(args):
        record_failed_task(url, args.get("trigger", "scheduled"), args["night"],
                           task_label(args["host"], job.id, job.attempts),
                           "the worker running it stopped sending heartbeats (killed, or its machine lost); "
                           "queued again")
