"""Queue a night's crawl: one crawl_host job per host, never twice for one night (a job already queued, running or
done for the host that night stands; Procrastinate's queueing lock stops two enqueuers racing), and for a scheduled
night its one digest."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field

from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.orm import Session

from nianbao.crawl import UnknownSites
from nianbao.queue.app import prepared_app
from nianbao.queue.hosts import sites_by_host
from nianbao.queue.tasks import DIGEST_CHECK_SECONDS
from storage.db import make_engine
from storage.nights import CRAWL_TASK, DIGEST_TASK, standing_digest, standing_hosts
from storage.registry import list_agencies

REPARSE_TASK = "nianbao:reparse_batch"


@dataclass
class Enqueued:
    night: str
    queued: dict[str, int] = field(default_factory=dict)  # host → sites, queued now
    standing: list[str] = field(default_factory=list)  # hosts the night already had

    def line(self) -> str:
        sites = sum(self.queued.values())
        return (f"night {self.night}: {len(self.queued)} hosts queued ({sites} sites), "
                f"{len(self.standing)} already queued or done")


def enqueue_night(url: str | None, night: str, trigger: str = "scheduled", only: list[str] | None = None
                  ) -> Enqueued:
    engine = make_engine(url)
    try:
        app = prepared_app(engine, url)
        with Session(engine) as session:
            hosts = sites_by_host(list_agencies(session))
            standing = standing_hosts(session, night)
            digest_standing = standing_digest(session, night)
    finally:
        engine.dispose()
    if only is not None:
        crawlable = {site for sites in hosts.values() for site in sites}
        unknown = sorted(set(only) - crawlable)
        if unknown:
            raise UnknownSites(f"not registered, disabled or without a listing page: {', '.join(unknown)}")
        hosts = {host: [s for s in sites if s in only] for host, sites in hosts.items()}
        hosts = {host: sites for host, sites in hosts.items() if sites}
    result = Enqueued(night)
    with app.open():
        for host, sites in hosts.items():
            if host in standing:
                result.standing.append(host)
                continue
            job = app.tasks[CRAWL_TASK].configure(lock=f"host:{host}", queueing_lock=f"crawl:{night}:{host}")
            try:
                job.defer(host=host, sites=sites, night=night, trigger=trigger)
            except AlreadyEnqueued:
                result.standing.append(host)
                continue
            result.queued[host] = len(sites)
        if trigger == "scheduled" and result.queued and not digest_standing:
            _queue_digest(app, night)
    return result


def _queue_digest(app, night: str) -> None:
    """The night's one digest, sent by a worker once the night is over (nianbao.queue.tasks.night_digest)."""
    every = float(os.environ.get("NIANBAO_DIGEST_CHECK_SECONDS", DIGEST_CHECK_SECONDS))
    task = app.tasks[DIGEST_TASK].configure(schedule_in={"seconds": every}, queueing_lock=f"digest:{night}")
    with contextlib.suppress(AlreadyEnqueued):
        task.defer(night=night)


def enqueue_reparse(url: str | None, version_ids: list[int], batch: int) -> int:
    """Queue the versions for re-parsing on the workers, `batch` per task; how many tasks."""
    engine = make_engine(url)
    try:
        app = prepared_app(engine, url)
    finally:
        engine.dispose()
    batches = [version_ids[i:i + batch] for i in range(0, len(version_ids), batch)]
    with app.open():
        for ids in batches:
            app.tasks[REPARSE_TASK].defer(version_ids=ids)
    return len(batches)
