"""The evidence archive end to end: two real crawls of the fixture web write WARC files that warcio reads back as the
database indexes them (revisits for the 304s of the second), and `nianbao evidence` and `nianbao get` show and give
back what was fetched. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import lxml.html
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from nianbao.cli import app
from storage.db import make_engine
from storage.models import WarcRecord
from storage.reports import iter_reports
from storage.runs import last_outcomes
from tests.fixtureweb import build_web
from tests.fixtureweb.crawl import age_checks, run_crawl
from tests.fixtureweb.sample import tacheng, tuoli
from tests.storage_fixtures import _empty_schema
from tests.warc_helpers import read_file, record_at

REGISTRY = Path(__file__).parent / "fixtureweb" / "registry.csv"
SITES = ["xj-tuoli-county", "xj-tuoli-hatu", "xj-tuoli-czj", "xj-tuoli-jyj", "xj-tacheng-city"]
TUOLI_LISTING = "http://www.tuoli.gov.test/zfxxgk/zfxxgknb/index.html"
runner = CliRunner()


@dataclass
class Crawled:
    db_url: str
    archive: Path
    env: dict[str, str]  # what `nianbao` needs to find the archive
    items: list[list[dict]]  # per crawl
    records: list[WarcRecord]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crawled(request, tmp_path_factory) -> Crawled:
    """Two crawls, the second a week later: every listing page and report page is asked again, conditionally."""
    folder = tmp_path_factory.mktemp("evidence")
    if request.param == "sqlite":  # the archive's default place, beside the database file
        db_url, archive, env = f"sqlite:///{folder / 'nianbao.sqlite'}", folder / "nianbao-archive", {}
    else:
        url = request.getfixturevalue("postgres_test_database")
        _empty_schema(url)
        db_url, archive = url.render_as_string(hide_password=False), folder / "archive"
        env = {"NIANBAO_ARCHIVE_DIR": str(archive)}
    items = []
    with build_web([tuoli(), tacheng()]).prerender() as web:
        for number in range(2):
            if number:
                age_checks(db_url, days=8)
            items.append(run_crawl(web, REGISTRY, folder / f"items{number}.jsonl", sites=SITES, db_url=db_url)[0])
    engine = make_engine(db_url)
    with Session(engine) as session:
        records = list(session.scalars(select(WarcRecord).order_by(WarcRecord.id)))
    engine.dispose()
    return Crawled(db_url, archive, env, items, records)


def nianbao(crawled: Crawled, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--db", crawled.db_url], env=crawled.env)
    return result.exit_code, result.stdout, result.stderr


# ---- the WARC files ---------------------------------------------------------------------------------------------


def test_every_indexed_record_is_where_the_database_says_with_its_digests(crawled):
    assert len(crawled.records) > 20
    for row in crawled.records:
        record = record_at(crawled.archive / row.file, row.offset, row.length)
        assert (record.type, record.status) == (row.record_type, row.status)
        assert record.headers["WARC-Record-ID"] == row.record_id
        assert record.headers["WARC-Target-URI"] == row.url
        assert record.headers.get("WARC-Payload-Digest") == row.payload_digest
        if row.record_type == "response":
            assert (record.sha1, record.sha256) == (row.payload_digest, row.payload_sha256)


def test_warcio_reads_the_files_record_for_record(crawled):
    files = sorted(crawled.archive.glob("*.warc.gz"))
    assert {row.file for row in crawled.records} == {f.name for f in files}
    indexed = {(row.file, row.offset): row for row in crawled.records}
    for file in files:
        records = read_file(file)
        assert records[0].type == "warcinfo"
        for record, following in zip(records[1::2], records[2::2], strict=True):
            row = indexed.pop((file.name, record.offset))
            assert record.length == row.length
            assert following.type == "request" and following.headers["WARC-Concurrent-To"] == row.record_id
        listed = subprocess.run([str(Path(sys.executable).with_name("warcio")), "index", str(file)],
                                capture_output=True, text=True, check=True).stdout.splitlines()
        assert len(listed) == len(records)
    assert not indexed


def test_the_first_crawl_archives_every_response(crawled):
    first = {row.url for row in crawled.records if row.run_id == 1}
    documents = {d["url"] for item in crawled.items[0] for d in item.get("documents", [])}
    assert documents and documents <= first
    assert {"http://www.tuoli.gov.test/robots.txt", TUOLI_LISTING,
            "http://www.tuoli.gov.test/zfxxgk/zfxxgknb/index_2.html"} <= first
    listing = [row for row in crawled.records if row.listing_url == TUOLI_LISTING and row.run_id == 1]
    assert len(listing) == 3 and all(row.status == 200 for row in listing)


def test_the_second_crawl_archives_its_304s_as_revisits_of_the_first(crawled):
    originals = {row.url: row for row in crawled.records if row.run_id == 1 and row.record_type == "response"}
    revisits = [row for row in crawled.records if row.run_id == 2 and row.status == 304]
    assert {row.record_type for row in revisits} == {"revisit"}
    assert TUOLI_LISTING in {row.url for row in revisits} and len(revisits) > 5
    for row in revisits:
        if "dataproxy.jsp" in row.url:  # POSTed: one URL answers many pages, so no original is claimed
            assert row.payload_digest is None
            continue
        original = originals[row.url]
        record = record_at(crawled.archive / row.file, row.offset, row.length)
        assert record.headers["WARC-Refers-To"] == original.record_id
        assert record.headers["WARC-Payload-Digest"] == original.payload_digest == row.payload_digest
        assert row.payload_sha256 == original.payload_sha256


# ---- nianbao evidence --------------------------------------------------------------------------------------------


def test_evidence_for_a_missing_agency_names_the_listing_pages_it_read(crawled):
    code, out, _ = nianbao(crawled, "evidence", "xj-tuoli-jyj", "--year", "2024", "--format", "json")
    assert code == 0
    found = json.loads(out)
    assert found["status"] == "missing" and found["site_outcome"]["run_id"] == 2
    fetched = found["listing_fetches"]
    read = sorted((row for row in crawled.records if row.run_id == 2 and row.listing_url == TUOLI_LISTING),
                  key=lambda row: (row.fetched_at, row.id))
    assert [f["url"] for f in fetched] == [row.url for row in read] and len(fetched) == 3
    assert [f["fetched_at"] for f in fetched] == [row.fetched_at.isoformat() for row in read]
    for fetch in fetched:
        assert Path(fetch["warc"]["path"]) == crawled.archive / read[0].file
        record_at(Path(fetch["warc"]["path"]), fetch["warc"]["offset"], fetch["warc"]["length"])

    code, text, _ = nianbao(crawled, "evidence", "xj-tuoli-jyj", "--year", "2024")
    assert code == 0 and ": missing (deadline 2025-01-31)" in text.splitlines()[0]
    for row in read:
        assert row.url in text and f"{row.fetched_at:%Y-%m-%d %H:%M:%S} UTC" in text
        assert f"@ {row.offset} (+{row.length})" in text
    assert "none of them was its report for 2024" in text


def test_evidence_for_a_published_agency_gives_the_report_and_its_record(crawled):
    code, out, _ = nianbao(crawled, "evidence", "xj-tuoli-county", "--year", "2024", "--format", "json")
    assert code == 0
    report = json.loads(out)["report"]
    main = main_document(crawled.items[0], report["url"])
    assert report["document_sha256"] == hashlib.sha256(main["body"]).hexdigest()
    archived = report["archived"]
    assert archived["payload_sha256"] == report["document_sha256"] and archived["run_id"] == 1
    assert record_at(Path(archived["warc"]["path"]), archived["warc"]["offset"], archived["warc"]["length"]
                     ).payload == main["body"]
    code, text, _ = nianbao(crawled, "evidence", "xj-tuoli-county", "--year", "2024")
    assert code == 0 and ": published (deadline 2025-03-31)" in text
    assert report["url"] in text and report["document_sha256"] in text and "published  2025-01-10" in text


def test_evidence_for_an_unknown_agency_is_one_line(crawled):
    code, out, err = nianbao(crawled, "evidence", "xj-nowhere", "--year", "2024")
    assert (code, out) == (1, "") and err == "nianbao: error: unknown agency 'xj-nowhere' (see `nianbao sites list`)\n"


def test_the_html_audit_shows_each_verdict_with_the_evidence_nianbao_evidence_gives(crawled, tmp_path):
    page = tmp_path / "audit.html"
    code, _, err = nianbao(crawled, "audit", "--year", "2024", "--as-of", "2025-06-01", "--format", "html",
                           "--out", str(page))
    assert code == 0, err
    doc = lxml.html.fromstring(page.read_text(encoding="utf-8"))
    for agency in ("xj-tuoli-jyj", "xj-tuoli-county"):
        _, out, _ = nianbao(crawled, "evidence", agency, "--year", "2024", "--as-of", "2025-06-01", "--format", "json")
        found = json.loads(out)
        row = doc.xpath(f'//table[@id="agency-table"]//tr[@data-agency-id="{agency}"]')[0]
        shown = row.get_element_by_id(f"ev-{agency}")
        assert shown.tag == "details" and shown.get("open") is None
        text = shown.text_content()
        assert f"nianbao evidence {agency} --year 2024" in text
        if found["status"] == "missing":
            fetches = found["listing_fetches"]
            assert len(fetches) == 3 and f"run {found['site_outcome']['run_id']}" in text
            items = shown.xpath(".//li")[1:]
            assert [li.xpath(".//a/@href")[0] for li in items] == [f["url"] for f in fetches]
            for fetch, li in zip(fetches, items, strict=True):
                line = li.text_content()
                assert fetch["payload_sha256"] in line and f"@ {fetch['warc']['offset']} " in line
                assert f"{datetime.fromisoformat(fetch['fetched_at']):%Y-%m-%d %H:%M:%S} UTC" in line
            listed = doc.xpath(f'//section[@id="list-missing"]//li[@data-agency-id="{agency}"]//a[@class="ev-link"]')
            assert [a.get("href") for a in listed] == [f"#ev-{agency}"]
        else:
            report = found["report"]
            assert report["url"] in text and report["document_sha256"] in text
            assert f"{Path(report['archived']['warc']['path']).name} @ {report['archived']['warc']['offset']}" in text


# ---- nianbao get -------------------------------------------------------------------------------------------------


def test_get_writes_the_stored_original_byte_for_byte(crawled, tmp_path):
    _, out, _ = nianbao(crawled, "evidence", "xj-tuoli-hatu", "--year", "2024", "--format", "json")
    report = json.loads(out)["report"]
    served = main_document(crawled.items[0], report["url"])["body"]
    for wanted in (str(report["id"]), "xj-tuoli-hatu/2024", report["document_sha256"]):
        target = tmp_path / f"{wanted.replace('/', '_')}.pdf"
        code, _, err = nianbao(crawled, "get", wanted, "--out", str(target))
        assert code == 0, err
        assert target.read_bytes() == served


@pytest.mark.parametrize("wanted", ["999999", "xj-nowhere/2024", "ab" * 32, "not-an-id"])
def test_get_of_nothing_stored_is_one_line_and_writes_nothing(crawled, tmp_path, wanted):
    target = tmp_path / "out.bin"
    code, _, err = nianbao(crawled, "get", wanted, "--out", str(target))
    assert code == 1 and err == f"nianbao: error: no stored report or document {wanted!r}\n"
    assert not target.exists()


# ---- an archive that cannot be written, and none -------------------------------------------------------------------


def test_an_archive_that_cannot_be_written_costs_no_report(tmp_path):
    """A full disk or a bad folder is said and counted; the crawl stores what it stores without an archive."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the archive folder should be")
    with build_web([tuoli()]).prerender() as web:
        failing = crawl_once(web, tmp_path / "failing", {"NIANBAO_ARCHIVE_DIR": str(blocked)})
        without = crawl_once(web, tmp_path / "off", {"NIANBAO_ARCHIVE": "0"})
    assert failing.reports == without.reports and len(without.reports) >= 4
    assert failing.outcomes == without.outcomes == {"xj-tuoli-county": "found"}
    assert failing.log.count("WARNING: could not archive") == 1 and "'nianbao/archive/archive_failed':" in failing.log
    assert "response(s) missing from the evidence archive" in failing.log
    assert failing.records == without.records == 0
    assert not (tmp_path / "off" / "nianbao-archive").exists()


@dataclass
class OneCrawl:
    reports: set[tuple[str | None, int]]
    outcomes: dict[str, str]
    records: int
    log: str


def crawl_once(web, folder: Path, settings: dict[str, str]) -> OneCrawl:
    folder.mkdir()
    db_url = f"sqlite:///{folder / 'nianbao.sqlite'}"
    _, log = run_crawl(web, REGISTRY, folder / "items.jsonl", sites=["xj-tuoli-county"], db_url=db_url,
                       settings=settings)
    engine = make_engine(db_url)
    with Session(engine) as session:
        reports = {(r["agency_id"], r["year"]) for r in iter_reports(session)}
        outcomes = {key: o.outcome for key, o in last_outcomes(session).items()}
        records = session.scalar(select(func.count()).select_from(WarcRecord))
    engine.dispose()
    return OneCrawl(reports, outcomes, records, log)


def main_document(items: list[dict], page_url: str) -> dict:
    """The document a report item was parsed from (its page, or the attachment the page only links)."""
    item = next(item for item in items if item.get("url") == page_url and item.get("documents"))
    return next(d for d in item["documents"] if d["url"] == item["main_url"])
