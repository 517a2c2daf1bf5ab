"""The fixture web itself: its bundled registry, its generator for benchmarks, and HTTP validators at the server."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from tests.fixtureweb import build_web, generate_sites, registry_csv, report_urls, sample_sites
from tests.fixtureweb.crawl import run_crawl
from tests.fixtureweb.spec import ReportSpec, registry_rows

REGISTRY = Path(__file__).parent / "fixtureweb" / "registry.csv"


def test_bundled_registry_is_the_sample_webs():
    assert REGISTRY.read_text(encoding="utf-8") == registry_csv(sample_sites())


def test_generator_makes_hundreds_of_distinct_agencies():
    rows = registry_rows(generate_sites())
    assert len(rows) >= 500
    assert len({row["id"] for row in rows}) == len({row["name"] for row in rows}) == len(rows)
    build_web(generate_sites())  # documents render on first request, so building is cheap


def _get(opener, url: str, **headers) -> tuple[int, dict, bytes]:
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=5) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_server_answers_validators_and_counts_bodies():
    site = sample_sites()[0]
    url = report_urls(site)["托里县人民政府2024年政府信息公开工作年度报告"]
    with build_web([site]) as web:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": web.proxy_url}))
        status, headers, body = _get(opener, url)
        assert status == 200 and body.startswith(b"<!DOCTYPE")
        assert _get(opener, url, **{"If-None-Match": headers["ETag"]})[0] == 304
        assert _get(opener, url, **{"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        assert (web.requests[url], web.bodies[url]) == (3, 1)
        assert _get(opener, "http://www.shawan.gov.test/")[0] == 404  # not part of this web


def test_generated_web_is_crawled_completely(tmp_path):
    sites = generate_sites(counties=5)
    registry = tmp_path / "registry.csv"
    registry.write_text(registry_csv(sites), encoding="utf-8")
    with build_web(sites).prerender() as web:
        items, _ = run_crawl(web, registry, tmp_path / "items.jsonl")
    reports = [item for item in items if "documents" in item]
    expected = {
        url: entry
        for site in sites
        for url, entry in zip(report_urls(site).values(), site.entries, strict=True)
        if isinstance(entry, ReportSpec)
    }
    assert {item["url"] for item in reports} == set(expected)
    names = {row["id"]: row["name"] for row in registry_rows(sites)}
    assert all(names[item["agency_id"]] == expected[item["url"]].agency for item in reports)
    assert not any(item["error"] for item in reports)
    assert Counter(item["outcome"] for item in items if "outcome" in item) == {"ok": 55}


@pytest.mark.parametrize("site", sample_sites(), ids=lambda site: site.host)
def test_every_listed_article_is_served(site):
    web = build_web([site])
    gone = {entry.title for entry in site.entries if isinstance(entry, ReportSpec) and entry.form == "gone"}
    for title, url in report_urls(site).items():
        if title not in gone:
            assert web.resource(url).content({})
