"""`nianbao crawl` as a user runs it: one site by hand, unknown sites, and a site another crawl holds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from storage.db import make_engine
from storage.locks import acquire_sites, release_sites
from storage.reports import iter_reports
from tests.fixtureweb import build_web
from tests.fixtureweb.crawl import import_registry_file
from tests.fixtureweb.sample import tuoli

REGISTRY = Path(__file__).parent / "fixtureweb" / "registry.csv"
REPOSITORY = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def web():
    with build_web([tuoli()]).prerender() as web:
        yield web


def nianbao(db_url: str, web, *args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and "NIANBAO_" not in k}
    environment["NIANBAO_ALLOW_PRIVATE_ADDRESSES"] = "1"  # the fixture web answers on loopback
    environment |= {"http_proxy": web.proxy_url, "NIANBAO_RETRY_BACKOFF": "0.1", "NIANBAO_DOWNLOAD_DELAY": "0",
                    "NIANBAO_AUTOTHROTTLE": "0"}
    command = [sys.executable, "-m", "nianbao", *args, "--db", db_url]
    return subprocess.run(command, cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=180)


def test_recrawl_one_site_by_hand(tmp_path, web):
    db_url = f"sqlite:///{tmp_path / 'n.sqlite'}"
    import_registry_file(db_url, REGISTRY)
    done = nianbao(db_url, web, "crawl", "--site", "xj-tuoli-county")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("run 1: 4 sites") or done.stdout.startswith("run 1: 1 sites"), done.stdout
    assert "new" in done.stdout
    engine = make_engine(db_url)
    with Session(engine) as session:
        stored = {(r["agency_id"], r["year"]) for r in iter_reports(session)}
    engine.dispose()
    assert ("xj-tuoli-county", 2024) in stored and ("xj-tuoli-hatu", 2024) in stored
    assert not any(agency and not agency.startswith("xj-tuoli") for agency, _ in stored)


def test_unknown_site_is_a_one_line_error(tmp_path, web):
    db_url = f"sqlite:///{tmp_path / 'n.sqlite'}"
    import_registry_file(db_url, REGISTRY)
    done = nianbao(db_url, web, "crawl", "--site", "no-such-site")
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "unknown site id(s): no-such-site" in done.stderr


def test_site_held_by_another_crawl_is_skipped(tmp_path, web):
    db_url = f"sqlite:///{tmp_path / 'n.sqlite'}"
    import_registry_file(db_url, REGISTRY)
    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        assert acquire_sites(session, ["xj-tuoli-county"], "scheduler-on-another-host", 3600) == ["xj-tuoli-county"]
    done = nianbao(db_url, web, "crawl", "--site", "xj-tuoli-county")
    assert done.returncode == 0  # not a failure: the other crawl is doing the work
    assert done.stdout.startswith("run 1: 0 sites"), done.stdout
    assert "xj-tuoli-county left alone: another crawl (scheduler-on-another-host) is running it" in done.stderr
    with Session(engine) as session, session.begin():
        release_sites(session, ["xj-tuoli-county"], "scheduler-on-another-host")
    engine.dispose()
    assert nianbao(db_url, web, "crawl", "--site", "xj-tuoli-county").returncode == 0
