"""Politeness per host against real separate hosts on loopback: one request in flight per host by default, whatever
the downloader's queue holds, and a robots.txt Crawl-delay kept between requests."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest

from tests.faultweb import finish, prepared, start_crawl
from tests.fixtureweb.generate import generate_sites
from tests.fixtureweb.loopback import LoopbackWeb
from tests.fixtureweb.spec import registry_csv

CRAWL_DELAY = 0.4


@pytest.fixture
def allow_loopback(monkeypatch):
    monkeypatch.setenv("NIANBAO_ALLOW_PRIVATE_ADDRESSES", "1")  # the registry import refuses loopback otherwise


def _crawl(tmp_path, web: LoopbackWeb, env: dict[str, str] | None = None) -> str:
    registry = tmp_path / "registry.csv"
    registry.write_text(registry_csv(web.sites), encoding="utf-8")
    db_url = prepared(f"sqlite:///{tmp_path / 'polite.sqlite'}", registry)
    done = finish(start_crawl(db_url, env=env))
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_one_request_in_flight_per_host(tmp_path, allow_loopback):
    # Two counties of 4 sites each: their listings, pages and attachments queue up together for one host.
    with LoopbackWeb(generate_sites(counties=2, departments=2, towns=1)) as web:
        out = _crawl(tmp_path, web)
    assert "8 sites (8 ok)" in out
    assert set(web.most_in_flight) == {"127.0.0.2", "127.0.0.3"}
    assert all(web.requests[host] > 5 for host in web.most_in_flight)
    assert max(web.most_in_flight.values()) == 1


def test_host_concurrency_is_a_setting(tmp_path, allow_loopback):
    with LoopbackWeb(generate_sites(counties=1, departments=4, towns=2)) as web:
        _crawl(tmp_path, web, env={"NIANBAO_HOST_CONCURRENCY": "3"})
    assert web.most_in_flight["127.0.0.2"] == 3


def test_robots_crawl_delay_is_kept_between_requests(tmp_path, allow_loopback):
    polite, other = generate_sites(counties=2, departments=1, towns=1)
    polite = replace(polite, robots=f"User-agent: *\nCrawl-delay: {CRAWL_DELAY}\nDisallow:\n")
    with LoopbackWeb([polite, other]) as web:
        out = _crawl(tmp_path, web)
    assert "6 sites (6 ok)" in out
    slow, fast = web.arrivals["127.0.0.2"], web.arrivals["127.0.0.3"]
    gaps = [later - earlier for earlier, later in pairwise(slow)]
    assert len(gaps) >= 4
    # After robots.txt itself, every request waits the delay (the server sees arrivals, a few ms of jitter aside).
    assert min(gaps[1:]) >= CRAWL_DELAY - 0.05, gaps
    fast_gaps = [later - earlier for earlier, later in pairwise(fast)]
    assert min(fast_gaps) < CRAWL_DELAY / 2
