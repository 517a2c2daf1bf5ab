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

logger = logging.getLogger(__name__)
tasks = procrastinate.Blueprint()
CRAWL_QUEUE = "crawl"
# NIANBAO_HOST_CRAWL_TIMEOUT: seconds one host's crawl may take before it is killed and its task retried.
DEFAULT_TIMEOUT = 3 * 3600


class CrawlIncomplete(Exception):
    """The host's crawl ended without every site done: the task fails and Procrastinate retries it."""


@tasks.task(name="crawl_host", queue=CRAWL_QUEUE, pass_context=True,
            retry=procrastinate.RetryStrategy(max_attempts=4, linear_wait=300))
async def crawl_host(context: procrastinate.JobContext, host: str, sites: list[str], night: str,
                     trigger: str = "scheduled") -> dict:
    """Crawl every site of one host. The job's lock is the host, so no two workers ever crawl it at once."""
    db_url = context.additional_context["db_url"]
    timeout = float(os.environ.get("NIANBAO_HOST_CRAWL_TIMEOUT", DEFAULT_TIMEOUT))
    summary = await _crawl_in_child(db_url, sites, trigger, timeout)
    if summary["finish_reason"] != "finished":
        raise CrawlIncomplete(f"{host}: run {summary['run_id']} ended {summary['finish_reason']}")
    if summary["left"]:
        held = ", ".join(f"{site} ({holder})" for site, holder in sorted(summary["left"].items()))
        raise CrawlIncomplete(f"{host}: sites another crawl held, to retry: {held}")
    logger.info("%s (night %s): run %s, %d sites", host, night, summary["run_id"], len(sites))
    return summary


async def _crawl_in_child(db_url: str, sites: list[str], trigger: str, timeout: float) -> dict:
    """nianbao.queue.child in a process that dies with this one (a killed worker leaves no crawl behind)."""
    command = [sys.executable, "-m", "nianbao.queue.child", str(os.getpid()), db_url, trigger, *sites]
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
        raise CrawlIncomplete(f"the crawl process exited {child.returncode}")
    return json.loads(lines[-1])
