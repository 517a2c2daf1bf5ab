"""Crawl → parse → store, end to end on the sample fixture web, on SQLite and on PostgreSQL.

The database must hold exactly the expected reports with their printed values and every site's outcome; a second
crawl of the unchanged web downloads and parses nothing again; a revised report becomes a new version; a broken
re-fetch never replaces the good stored report.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from nianbao.similarity import sketch
from storage.db import make_engine
from storage.history import agency_history
from storage.models import CrawlRun, Report, ReportVersion
from storage.reports import iter_reports
from storage.runs import last_outcomes, unknown_agencies
from tests.fixtureweb import build_web, report_urls, sample_sites
from tests.fixtureweb.crawl import age_checks, run_crawl
from tests.fixtureweb.documents import report_data
from tests.fixtureweb.sample import jiaxian, tacheng
from tests.parse_helpers import mismatches
from tests.test_crawl_sample import EXPECTED, OUTCOMES

REGISTRY = Path(__file__).parent / "fixtureweb" / "registry.csv"
REVISED = report_urls(tacheng())["塔城市人民政府2024年政府信息公开工作年度报告"]
DIRECT_PDF = report_urls(jiaxian())["郏县2023年政府信息公开工作年度报告"]
STORED_OUTCOME = {"ok": "found"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crawled(request, tmp_path_factory):
    """Four crawls of one web into one database: first, unchanged, one page revised, one file broken."""
    folder = tmp_path_factory.mktemp("store")
    db_url = _database(request, folder)
    specs = {spec.title: spec for site in sample_sites() for spec in site.entries if not isinstance(spec, str)}
    with build_web(sample_sites()).prerender() as web:
        snapshots = []
        for number in range(4):
            if number == 2:
                web.revise(REVISED)
            if number == 3:
                web.resource(DIRECT_PDF).revised = b"%PDF-1.7\n% truncated in transit"
                web.revise(DIRECT_PDF)
            if number >= 2:  # a week later each time: the revised pages' listings are unchanged, so they are due
                age_checks(db_url, days=8)
            items, _ = run_crawl(web, REGISTRY, folder / f"items{number}.jsonl", db_url=db_url)
            snapshots.append((items, dict(web.bodies), _state(db_url)))
    return snapshots, specs


def _database(request, folder: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{folder / 'nianbao.sqlite'}"
    from tests.storage_fixtures import _empty_schema

    url = request.getfixturevalue("postgres_test_database")
    _empty_schema(url)
    return url.render_as_string(hide_password=False)


def _state(db_url: str) -> dict:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            reports = {(r["agency_id"] or r["agency_name"], r["year"]): r for r in iter_reports(session)}
            return {
                "reports": reports,
                "versions": {key: len(agency_history(session, key[0], key[1])[0].versions) for key in reports},
                "outcomes": {k: o.outcome for k, o in last_outcomes(session).items()},
                "runs": [(run.trigger, run.status) for run in session.scalars(select(CrawlRun).order_by(CrawlRun.id))],
                "unknown": {u.name for u in unknown_agencies(session)},
                "sketches": {(r.agency_id or r.agency_name, r.year): v.text_sketch for r, v in session.execute(
                    select(Report, ReportVersion).join(ReportVersion, Report.current_version_id == ReportVersion.id))},
            }
    finally:
        engine.dispose()


def test_database_holds_exactly_the_expected_reports(crawled):
    (_, _, state), *_ = crawled[0]
    expected = {(agency or _unregistered(title), year) for _, title, agency, year, *_ in EXPECTED}
    assert set(state["reports"]) == expected
    assert state["unknown"] == {"托里县水利局"}


def _unregistered(title: str) -> str:
    return title.split("2024")[0]


def test_stored_values_are_the_printed_values(crawled):
    (_, _, state), *_ = crawled[0]
    specs = crawled[1]
    for _, title, agency, year, *_ in EXPECTED:
        spec = specs[title]
        report = report_data(spec.seed, spec.agency, spec.year, spec.title, "2025-01-20")
        stored = state["reports"][(agency or _unregistered(title), year)]
        problems = [m for m in mismatches(stored, report) if not m.startswith(("agency:", "year:"))]
        assert problems == [], title
        assert stored["status"] == "ok"


def test_text_sketches_made_by_the_readers_are_stored(crawled):
    (_, _, state), *_ = crawled[0]
    assert state["sketches"].keys() == state["reports"].keys()
    for key, report in state["reports"].items():
        assert state["sketches"][key] == sketch(report["text"]), key
    assert sum(s is not None for s in state["sketches"].values()) >= len(state["reports"]) - 2


def test_every_site_outcome_is_recorded(crawled):
    (_, _, state), *_ = crawled[0]
    for site, outcome, *_ in OUTCOMES:
        assert state["outcomes"][site] == STORED_OUTCOME.get(outcome, outcome), site
    assert state["runs"] == [("manual", "completed")]


def test_second_crawl_downloads_and_parses_nothing_again(crawled):
    (first, bodies_first, state_first), (second, bodies_second, state_second), *_ = crawled[0]
    documents = {d["url"] for item in first for d in item.get("documents", [])}
    assert documents and all(bodies_second[url] == bodies_first[url] for url in documents)
    assert not any(item.get("parsed") for item in second)
    assert state_second["versions"] == state_first["versions"]
    assert set(state_first["versions"].values()) == {1}


def test_revised_report_becomes_a_new_version(crawled):
    *_, (_, _, state_revised), _ = crawled[0]
    key = ("xj-tacheng-city", 2024)
    assert state_revised["versions"][key] == 2
    assert state_revised["reports"][key]["version"] == 2
    assert "更正" in state_revised["reports"][key]["text"]
    others = {k: v for k, v in state_revised["versions"].items() if k != key}
    assert set(others.values()) == {1}


def test_broken_refetch_never_replaces_the_good_report(crawled):
    *_, (_, _, before), (items, _, after) = crawled[0]
    key = ("ha-jiaxian-county", 2023)
    broken = next(i for i in items if i.get("url") == DIRECT_PDF)
    assert broken["stored"] == "kept"
    assert after["versions"][key] == before["versions"][key] + 1  # kept as evidence
    assert after["reports"][key]["version"] == before["reports"][key]["version"]  # the good one stays current
    assert after["reports"][key]["applications"] == before["reports"][key]["applications"]
    assert [status for _, status in after["runs"]] == ["completed"] * 4
