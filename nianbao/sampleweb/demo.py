"""`nianbao demo`: import the bundled sample registry and crawl the sample sites, replayed on localhost."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import as_file, files

from sqlalchemy.orm import Session

from nianbao.crawl import CrawlSummary, crawl
from nianbao.sampleweb.replay import REGISTRY, serve
from storage.registry import ImportResult, import_registry, read_registry

# The sample answers at once from this machine: politeness off, short timeouts, one quick retry for the flaky site.
DEMO_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "DOWNLOAD_TIMEOUT": 10,
    "RETRY_TIMES": 1,
    "NIANBAO_RETRY_BACKOFF": 0.1,
}
# Environment proxy settings that would send the sample hosts elsewhere or around the replay.
PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY")


def import_sample(engine) -> tuple[ImportResult, list[str]]:
    """Import (or re-import, in place) the sample registry; returns the result and the sample's agency ids."""
    with as_file(files(__package__).joinpath(REGISTRY)) as path, Session(engine) as session, session.begin():
        records = read_registry(path, session)
        return import_registry(session, records), [record.id for record in records]


def crawl_sample(db_url: str | None, site_ids: list[str], overrides: dict | None = None) -> CrawlSummary:
    """One crawl of the sample sites only (other registered sites are left alone), through the replay server."""
    with serve() as proxy_url, proxied(proxy_url):
        return crawl(db_url, site_ids, "manual", {**DEMO_SETTINGS, **(overrides or {})})


@contextmanager
def proxied(proxy_url: str) -> Iterator[None]:
    """Point this process's HTTP at the proxy (Scrapy reads it from the environment), then restore the environment."""
    saved = {name: os.environ.pop(name, None) for name in PROXY_VARIABLES}
    os.environ["http_proxy"] = proxy_url
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value
