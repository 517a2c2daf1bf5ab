"""Crawling again with the stored fetch state: conditional requests, 304 → unchanged, revised pages fetched again."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.fetchstate import load_validators
from storage.db import make_engine
from tests.fixtureweb import build_web, report_urls
from tests.fixtureweb.crawl import age_checks, run_crawl
from tests.fixtureweb.sample import tacheng, tuoli

REGISTRY = Path(__file__).parent / "fixtureweb" / "registry.csv"
SITE_IDS = ["xj-tuoli-county", "xj-tacheng-city"]
REVISED_PAGE = report_urls(tacheng())["塔城市人民政府2024年政府信息公开工作年度报告"]
REVISED_LINK_PAGE = report_urls(tuoli())["2024年托里县财政局政府信息公开工作年度报告"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three crawls of the same web: first, again unchanged, again after two pages were revised (their listings
    unchanged) and a week went by, so that every report page is due for its re-check."""
    folder = tmp_path_factory.mktemp("incremental")
    db_url = f"sqlite:///{folder / 'nianbao.sqlite'}"
    with build_web([tuoli(), tacheng()]).prerender() as web:
        results = []
        for number in range(3):
            if number == 2:
                web.revise(REVISED_PAGE)
                web.revise(REVISED_LINK_PAGE)
                age_checks(db_url, days=8)
            items, _ = run_crawl(web, REGISTRY, folder / f"items{number}.jsonl", sites=SITE_IDS, db_url=db_url)
            results.append((items, dict(web.bodies)))
        yield results, stored_validators(db_url)


def stored_validators(db_url: str) -> dict[str, dict[str, str]]:
    engine = make_engine(db_url)
    try:
        return load_validators(engine)
    finally:
        engine.dispose()


def _documents(items) -> dict[str, dict]:
    return {d["url"]: d for item in items if "documents" in item for d in item["documents"]}


def _reports(items) -> list[dict]:
    return [item for item in items if "title" in item]


def test_first_crawl_stores_validators_of_every_document(runs):
    (items, _), *_ = runs[0]
    fetches = runs[1]
    documents = _documents(items)
    assert len(documents) == 14
    assert set(documents) <= set(fetches)
    assert all(fetches[url]["etag"] for url in documents)


def test_second_crawl_downloads_no_report_or_attachment_again(runs):
    (first, bodies_first), (second, bodies_second), _ = runs[0]
    for url in _documents(first):
        assert bodies_second[url] == bodies_first[url] == 1, url
    reports = _reports(second)
    # Every report is an unchanged marker, but the one robots.txt forbids: listed, never fetched, noted each time.
    fetched = [item for item in reports if "robots.txt" not in (item.get("error") or "")]
    assert len(fetched) == len(reports) - 1 and all("documents" not in item for item in fetched)
    assert sorted(item["title"] for item in reports) == sorted(item["title"] for item in _reports(first))


def test_unchanged_marker_keeps_the_attribution(runs):
    second = runs[0][1][0]
    marker = next(item for item in second if item.get("title") == "托里县哈图镇人民政府2024年政府信息公开工作年度报告")
    assert (marker["agency_id"], marker["year"], marker["site_id"]) == ("xj-tuoli-hatu", 2024, "xj-tuoli-county")


def test_revised_page_is_downloaded_again(runs):
    *_, (third, bodies_third) = runs[0]
    assert bodies_third[REVISED_PAGE] == 2
    changed = {item["url"]: item for item in third if item.get("documents")}  # robots.txt: listed, none
    assert set(changed) == {REVISED_PAGE, REVISED_LINK_PAGE}
    assert "数据录入有误" in changed[REVISED_PAGE]["documents"][0]["body"].decode("utf-8")


def test_attachment_of_a_revised_page_is_asked_conditionally(runs):
    *_, (third, bodies_third) = runs[0]
    item = next(item for item in third if item.get("url") == REVISED_LINK_PAGE)
    page, attachment = item["documents"]
    assert not page["unchanged"] and attachment["unchanged"]
    assert (attachment["kind"], attachment["body"]) == (None, b"")
    assert bodies_third[attachment["url"]] == 1
    assert item["main_url"] == attachment["url"]


def test_a_failed_attachment_is_fetched_again_next_time(tmp_path):
    """A report whose file failed to download must not hide behind its page's 304 on the next crawl."""
    db_url = f"sqlite:///{tmp_path / 'nianbao.sqlite'}"
    with build_web([tuoli()]).prerender() as web:
        docx_url = next(
            f"http://{name}{path}" for name, host in web.hosts.items() for path, resource in host.resources.items()
            if "wordprocessingml" in resource.content_type
        )
        web.resource(docx_url).fail_first = 2  # one try and one retry, both 500
        first, _ = run_crawl(web, REGISTRY, tmp_path / "1.jsonl", sites=["xj-tuoli-county"], db_url=db_url)
        second, _ = run_crawl(web, REGISTRY, tmp_path / "2.jsonl", sites=["xj-tuoli-county"], db_url=db_url)
    failed = next(i for i in first if i.get("agency_id") == "xj-tuoli-czj")
    assert failed["error"] and failed["stored"] == "new"  # stored as unreadable evidence, nothing better yet
    again = next(i for i in second if i.get("agency_id") == "xj-tuoli-czj")
    assert "documents" in again and not again["error"]  # the page was fetched whole, and its file with it
    assert again["stored"] == "revised" and again["parsed"]["applications"]


def test_unchanged_listings_cost_one_request_each_and_their_reports_wait_for_their_night(tmp_path):
    """An unchanged web costs robots.txt and one 304 per listing page; the listed reports, stored before, are not
    asked for until their re-check is due, and then conditionally; site outcomes stay what they were."""
    db_url = f"sqlite:///{tmp_path / 'nianbao.sqlite'}"
    reports = set(report_urls(tuoli()).values())
    with build_web([tuoli()]).prerender() as web:
        first, _ = run_crawl(web, REGISTRY, tmp_path / "1.jsonl", sites=["xj-tuoli-county"], db_url=db_url)
        asked_first, sent_first = dict(web.requests), dict(web.bodies)
        second, _ = run_crawl(web, REGISTRY, tmp_path / "2.jsonl", sites=["xj-tuoli-county"], db_url=db_url)
        asked_second = {url: n - asked_first.get(url, 0) for url, n in web.requests.items()}
        sent_second = {url: n - sent_first.get(url, 0) for url, n in web.bodies.items()}
        age_checks(db_url, days=8)
        third, _ = run_crawl(web, REGISTRY, tmp_path / "3.jsonl", sites=["xj-tuoli-county"], db_url=db_url)
        asked_third = {url: n - asked_first.get(url, 0) - asked_second.get(url, 0)
                       for url, n in web.requests.items()}
    documents = reports | set(_documents(first))
    asked = {url for url, n in asked_second.items() if n}
    assert all(n == 1 for n in asked_second.values() if n)
    assert not asked & documents
    assert {u for u in asked if not u.endswith("/robots.txt")} == set(asked_first) - documents - {
        u for u in asked_first if u.endswith("/robots.txt")}  # every listing page, once
    assert sum(sent_second.values()) == 0  # every listing page answered 304 (robots.txt is not counted here)
    markers = [i for i in _reports(second) if "checked" in i]
    assert markers and all(i["checked"] is False for i in markers)
    outcomes = {i["site_id"]: i["outcome"] for i in first + second if "outcome" in i}
    assert outcomes == {"xj-tuoli-county": "ok"}
    assert sorted(i["title"] for i in _reports(second)) == sorted(i["title"] for i in _reports(first))
    # a week on, every stored report page is due: asked for once, conditionally, and nothing downloaded again
    rechecked = {url for url in reports if asked_third.get(url)}
    stored = {i["url"] for i in _reports(first) if i.get("documents")}
    assert rechecked == stored and all(i["checked"] for i in _reports(third) if "checked" in i)


def test_a_page_is_due_on_its_own_night_or_once_a_night_was_missed():
    from datetime import UTC, datetime, timedelta

    from crawler.fetchstate import is_due

    now = datetime(2026, 12, 5, 18, tzinfo=UTC)
    urls = [f"http://x.gov.cn/{i}.html" for i in range(700)]
    checked = dict.fromkeys(urls, now)  # all harvested on one night
    nights = []
    for night in range(1, 15):
        when = now + timedelta(days=night, minutes=night * 7)
        due = [u for u in urls if is_due(u, checked[u], when, 7)]
        checked.update(dict.fromkeys(due, when))
        nights.append(len(due))
    assert sum(nights) == 2 * 700 and all(60 <= n <= 140 for n in nights)  # twice in two weeks, a seventh a night
    assert not is_due(urls[0], now - timedelta(hours=2), now, 7)  # asked tonight: never twice in one night
    assert all(is_due(u, now - timedelta(days=7), now, 7) for u in urls)  # a missed night is caught up
    assert all(is_due(u, now, now, 0) for u in urls)  # 0: every night, as before
