"""Runs the real crawl (`scrapy crawl reports`) in a fresh process against a FixtureWeb and reads back its items."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import make_engine, upgrade
from storage.models import Fetch
from storage.registry import import_registry, read_registry
from tests.fixtureweb.server import FixtureWeb

REPOSITORY = Path(__file__).resolve().parents[2]
# Politeness off and short timeouts: the fixture answers at once, except the sites that must fail.
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "DOWNLOAD_TIMEOUT": "3",  # the slow site (10 s) still times out; a busy machine (tests in parallel) does not
    "RETRY_TIMES": "1",
    "NIANBAO_RETRY_BACKOFF": "0.1",
    "NIANBAO_ALLOW_PRIVATE_ADDRESSES": "1",  # the fixture web answers on loopback
    "LOG_LEVEL": "INFO",
}


def import_registry_file(db_url: str, registry: Path) -> None:
    """What `nianbao sites import` does, so the crawl reads the registry from the database as in real use."""
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with Session(engine) as session, session.begin():
            import_registry(session, read_registry(registry, session))
    finally:
        engine.dispose()


def age_checks(db_url: str, days: int) -> None:
    """Move every remembered fetch `days` into the past, as if the last crawl had run then: stored report pages
    become due for their re-check (crawler.fetchstate.is_due)."""
    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        for fetch in session.scalars(select(Fetch)):
            fetch.fetched_at -= timedelta(days=days)
    engine.dispose()


def run_crawl(
    web: FixtureWeb,
    registry: Path,
    out: Path,
    *,
    sites: list[str] | None = None,
    settings: dict[str, str] | None = None,
    db_url: str | None = None,
) -> tuple[list[dict], str]:
    """The crawl's items (document bodies decoded back to bytes) and its log.

    db_url: the database the crawl stores into (a SQLite file beside `out` when not given); the registry is
    imported into it first.
    """
    db_url = db_url or f"sqlite:///{out.with_suffix('.sqlite')}"
    import_registry_file(db_url, registry)
    command = [sys.executable, "-m", "scrapy", "crawl", "reports", "-O", str(out)]
    command += ["-s", f"NIANBAO_DATABASE_URL={db_url}"]
    if sites:
        command += ["-a", "site=" + ",".join(sites)]
    # Beside a SQLite file the evidence archive is in the test's folder; for PostgreSQL it would be the repository.
    archive = {} if db_url.startswith("sqlite") else {"NIANBAO_ARCHIVE_DIR": str(out.parent / "archive")}
    for name, value in {**FAST, **archive, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    # Only the fixture answers: no inherited proxy, no NIANBAO_ settings of the developer's shell.
    environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and "NIANBAO_" not in k}
    environment["http_proxy"] = web.proxy_url
    done = subprocess.run(command, cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=120)
    if done.returncode < 0:
        # Killed by a signal, not failed: one crawl in many hundred once aborted on heap corruption inside a C
        # extension, before documents were read in separate processes. Say so loudly and crawl once more; a real
        # failure fails again.
        print(f"crawl died of signal {-done.returncode}; crawling again:\n{done.stderr[-2000:]}", file=sys.stderr)
        done = subprocess.run(command, cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"crawl failed ({done.returncode}):\n{done.stderr[-4000:]}")
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    for item in items:
        for document in item.get("documents", []):
            document["body"] = base64.b64decode(document["body"])
    return items, done.stderr
