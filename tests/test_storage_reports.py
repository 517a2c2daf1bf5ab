"""Documents, fetches and reports: content-addressed storage, versions, the broken-fetch rule, and reading back."""

from __future__ import annotations

import copy
import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from nianbao.template import ACTIVE_2019
from storage import reports
from storage.db import make_engine, upgrade
from storage.documents import get_document, sha256_hex, store_document
from storage.fetches import get_fetch, record_fetch
from storage.history import agency_history
from storage.models import Document, Report, ReportCell, ReportFinding, ReportVersion
from storage.registry import AgencyRecord, import_registry
from storage.reports import (
    KEPT,
    NEW,
    REVISED,
    UNCHANGED,
    iter_reports,
    upsert_report,
)
from tests.storage_fixtures import broken_report, parsed_report

TABLES = ("active_disclosure", "applications", "review_litigation")
COUNTY = AgencyRecord("xj-tuoli-county", "托里县人民政府", "county", None, ("https://www.xjtc.gov.cn/nb/",))


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        import_registry(session, [COUNTY])
    yield engine
    engine.dispose()


def store(engine, data: bytes, parsed: dict, *, agency_id: str | None = "xj-tuoli-county", **extra) -> str:
    """Store the document and upsert the report in one transaction, as the crawl pipeline does."""
    with Session(engine) as session, session.begin():
        sha = store_document(session, data, content_type="text/html")
        return upsert_report(
            session,
            agency_id=agency_id,
            agency_name=parsed["agency"],
            year=parsed["year"],
            source_url="https://www.xjtc.gov.cn/nb/t20250117_1.html",
            document_sha256=sha,
            parsed=parsed,
            **extra,
        )


def count(session: Session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_documents_are_stored_once_by_sha256(engine):
    with Session(engine) as session, session.begin():
        first = store_document(session, b"%PDF-1.7 report", content_type="application/pdf")
        second = store_document(session, b"%PDF-1.7 report", content_type="application/octet-stream")
        assert first == second == sha256_hex(b"%PDF-1.7 report")
    with Session(engine) as session:
        assert count(session, Document) == 1
        document = get_document(session, first)
        assert (document.data, document.size, document.content_type) == (b"%PDF-1.7 report", 15, "application/pdf")


def test_fetches_keep_validators_for_conditional_requests(engine):
    url = "https://www.xjtc.gov.cn/nb/index.html"
    with Session(engine) as session, session.begin():
        assert get_fetch(session, url) is None
        record_fetch(
            session, url, status=200, etag='"abc"', last_modified="Fri, 17 Jan 2025 02:00:00 GMT", sha256="a" * 64
        )
        record_fetch(session, url, status=304)  # not modified: keep what we know
    with Session(engine) as session, session.begin():
        fetch = get_fetch(session, url)
        assert (fetch.status, fetch.etag, fetch.sha256) == (304, '"abc"', "a" * 64)
        record_fetch(session, url, status=200, sha256="b" * 64)  # the server dropped its ETag
    with Session(engine) as session:
        fetch = get_fetch(session, url)
        assert (fetch.status, fetch.etag, fetch.last_modified, fetch.sha256) == (200, None, None, "b" * 64)
        assert fetch.fetched_at.tzinfo is not None


def test_new_unchanged_revised_keeps_every_version_and_its_cells(engine):
    first, second = parsed_report(seed=0), parsed_report(seed=1)
    assert store(engine, b"<html>v1</html>", first) == NEW
    assert store(engine, b"<html>v1</html>", first) == UNCHANGED
    assert store(engine, b"<html>v2</html>", second) == REVISED
    with Session(engine) as session:
        assert count(session, Report) == 1
        history = report_history(session)
        assert [(v.version, v.current, v.status) for v in history] == [(1, False, "ok"), (2, True, "ok")]
        assert history[0].document_sha256 == sha256_hex(b"<html>v1</html>")
        assert history[1].published == date(2025, 1, 17)
        cells_per_version = session.execute(
            select(ReportCell.version_id, func.count()).group_by(ReportCell.version_id).order_by(ReportCell.version_id)
        ).all()
        assert [n for _, n in cells_per_version] == [count_cells(first), count_cells(second)]
        [exported] = list(iter_reports(session))
        assert exported["version"] == 2
        assert exported["applications"] == second["applications"]


def count_cells(parsed: dict) -> int:
    return sum(len(columns) for table in TABLES for columns in parsed[table].values())


def test_a_broken_fetch_never_replaces_a_good_report(engine):
    good = parsed_report()
    assert store(engine, b"good", good) == NEW
    assert store(engine, b"login page", broken_report()) == KEPT
    with Session(engine) as session:
        history = report_history(session)
        assert [(v.version, v.status, v.current) for v in history] == [(1, "ok", True), (2, "unreadable", False)]
        [exported] = list(iter_reports(session))
        assert exported["applications"] == good["applications"]
    # The same broken bytes again are simply unchanged; a later good document does become current.
    assert store(engine, b"login page", broken_report()) == UNCHANGED
    assert store(engine, b"good again", parsed_report(seed=3)) == REVISED
    with Session(engine) as session:
        assert [v.current for v in report_history(session)] == [False, False, True]


def currents(engine) -> list[bool]:
    with Session(engine) as session:
        return [v.current for v in report_history(session)]


def without_table_four(parsed: dict) -> dict:
    """What a page cut before its last table parses to: readable, but numbers the good version has are gone."""
    return {**copy.deepcopy(parsed), "review_litigation": {}}


def test_a_version_that_loses_numbers_waits_for_a_second_fetch(engine):
    good = parsed_report()
    assert store(engine, b"whole page", good) == NEW
    assert store(engine, b"page cut before table four", without_table_four(good)) == KEPT
    assert currents(engine) == [True, False]
    # The same bytes a second time confirm it: the site really publishes it so now.
    assert store(engine, b"page cut before table four", without_table_four(good)) == REVISED
    assert currents(engine) == [False, True]


def test_bytes_of_an_earlier_version_make_it_current_again(engine):
    good = parsed_report()
    assert store(engine, b"whole page", good) == NEW
    assert store(engine, b"edited page", parsed_report(seed=2)) == REVISED
    assert store(engine, b"whole page", good) == REVISED  # the site went back to its first version
    assert currents(engine) == [True, False]
    with Session(engine) as session:
        [exported] = list(iter_reports(session))
        assert exported["applications"] == good["applications"] and exported["version"] == 1


def test_a_version_with_more_numbers_is_made_current_at_once(engine):
    good = parsed_report()
    assert store(engine, b"page cut before table four", without_table_four(good)) == NEW
    assert store(engine, b"whole page", good) == REVISED
    assert currents(engine) == [False, True]


def test_a_report_read_badly_at_first_is_stored_and_later_replaced(engine):
    assert store(engine, b"image-only pdf", broken_report()) == NEW
    with Session(engine) as session:
        [summary] = iter_reports(session, 2024)
        assert summary["status"] == "unreadable"
    assert store(engine, b"text pdf", parsed_report()) == REVISED
    with Session(engine) as session:
        assert next(iter_reports(session, 2024))["status"] == "ok"


def test_reports_of_unregistered_agencies_are_stored_by_name(engine):
    parsed = parsed_report(agency="托里县库普乡人民政府")
    assert store(engine, b"kupu", parsed, agency_id=None) == NEW
    assert store(engine, b"kupu", parsed, agency_id=None) == UNCHANGED
    with Session(engine) as session:
        report = session.scalars(select(Report)).one()
        assert (report.agency_id, report.agency_key) == (None, "name:托里县库普乡人民政府")
        [exported] = list(iter_reports(session))
        assert (exported["agency_id"], exported["agency_name"]) == (None, "托里县库普乡人民政府")
        (report,) = agency_history(session, "托里县库普乡人民政府", 2024)  # unregistered: found by its name
        assert report.agency_id is None and [v.version for v in report.versions] == [1]


def test_cells_and_findings_read_back_equal_to_the_parse(engine):
    parsed = parsed_report(seed=2)
    store(engine, b"doc", parsed, attachments=[])
    with Session(engine) as session:
        [exported] = list(iter_reports(session))
        assert count(session, ReportFinding) == 2
    for table in TABLES:
        assert exported[table] == parsed[table]
        assert list(exported[table]) == list(parsed[table])  # template order survives
    assert exported["applications"]["new"]["research"] is None  # blank stays null, not 0
    assert exported["active_disclosure"]["fees"]["amount"] == pytest.approx(77.45)
    assert exported["findings"] == parsed["findings"]
    assert list(exported)[: len(parsed)] == list(parsed)  # the parse's own key order, on every backend
    for key in ("agency", "year", "template", "title", "published", "text"):
        assert exported[key] == parsed[key]
    assert exported["agency_id"] == "xj-tuoli-county"
    assert exported["document_sha256"] == sha256_hex(b"doc")
    assert exported["source_url"].startswith("https://")
    assert datetime.fromisoformat(exported["fetched_at"]).tzinfo is not None


def test_2019_format_cells_are_accepted(engine):
    parsed = parsed_report(year=2020)
    parsed["template"] = "2019"
    parsed["active_disclosure"] = {row.key: {c: -1 if c == "change" else 2 for c in row.columns} for row in ACTIVE_2019}
    assert store(engine, b"2020", parsed) == NEW
    with Session(engine) as session:
        [exported] = list(iter_reports(session, year=2020))
    assert exported["active_disclosure"] == parsed["active_disclosure"]
    assert exported["template"] == "2019"


def test_nul_characters_from_pdf_text_are_stored(engine):
    parsed = parsed_report()
    parsed["title"] += "\x00"
    parsed["text"] += "\x00页脚"
    parsed["findings"][0]["message"] += "\x00"
    assert store(engine, b"pdf with nul", parsed) == NEW
    with Session(engine) as session:
        [exported] = list(iter_reports(session))
    assert exported["text"].endswith("\x00页脚")  # the JSON column escapes it
    assert "\x00" not in exported["findings"][0]["message"]


def test_attachments_are_kept_with_their_version(engine):
    with Session(engine) as session, session.begin():
        attachment = store_document(session, b"%PDF attachment", content_type="application/pdf")
    url = "https://www.xjtc.gov.cn/module/download/downfile.jsp?fileid=1"
    store(engine, b"page", parsed_report(), attachments=[(url, attachment)])
    with Session(engine) as session:
        [exported] = list(iter_reports(session))
    assert exported["attachments"] == [{"url": url, "document_sha256": attachment}]


BAD_PARSES = {
    "unknown row": lambda p: p["applications"].__setitem__("made_up", {"total": 1}),
    "unknown column": lambda p: p["applications"]["new"].__setitem__("subtotal", 1),
    "text value": lambda p: p["applications"]["new"].__setitem__("total", "95"),
    "boolean value": lambda p: p["review_litigation"]["review"].__setitem__("total", True),
    "finding without rule": lambda p: p["findings"].append({"severity": "error", "where": None, "message": "x"}),
}


@pytest.mark.parametrize("case", BAD_PARSES, ids=list(BAD_PARSES))
def test_a_parse_the_template_does_not_allow_is_refused_before_writing(engine, case):
    parsed = copy.deepcopy(parsed_report())
    BAD_PARSES[case](parsed)
    with Session(engine) as session, session.begin():
        sha = store_document(session, b"doc", content_type=None)
        with pytest.raises(ValueError):
            upsert_report(
                session,
                agency_id="xj-tuoli-county",
                agency_name="托里县人民政府",
                year=2024,
                source_url="https://x.gov.cn/",
                document_sha256=sha,
                parsed=parsed,
            )
        assert count(session, Report) == 0


def test_iter_reports_filters_by_year(engine):
    store(engine, b"2023", parsed_report(year=2023))
    store(engine, b"2024", parsed_report(year=2024))
    store(engine, b"other", parsed_report(agency="塔城市人民政府", year=2024), agency_id=None)
    with Session(engine) as session:
        assert [r["year"] for r in iter_reports(session)] == [2023, 2024, 2024]
        assert {r["agency_name"] for r in iter_reports(session, year=2024)} == {"托里县人民政府", "塔城市人民政府"}
        assert [r["agency_id"] for r in iter_reports(session, 2023)] == ["xj-tuoli-county"]


def test_export_in_batches_keeps_each_report_with_its_own_cells(engine, monkeypatch):
    monkeypatch.setattr(reports, "_CHUNK", 2)
    for seed in range(5):
        store(engine, f"doc {seed}".encode(), parsed_report(agency=f"甲{seed}镇人民政府", seed=seed), agency_id=None)
    with Session(engine) as session:
        exported = list(iter_reports(session))
    assert len(exported) == 5
    for item in exported:
        seed = int(item["agency"][1])
        assert item["applications"] == parsed_report(seed=seed)["applications"]
        assert item["review_litigation"]["review"]["total"] == seed


def upsert_in_thread(engine, data: bytes, parsed: dict, results: list, barrier: threading.Barrier | None = None):
    def run():
        try:
            if barrier is not None:
                barrier.wait()
            results.append(store(engine, data, parsed))
        except Exception as error:  # a thread cannot fail the test; the assertion on results shows it
            results.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_until_blocked(engine) -> None:
    """On PostgreSQL, wait until another backend of this database waits on a lock (best effort, bounded)."""
    if engine.dialect.name != "postgresql":
        return
    probe = create_engine(engine.url)
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with probe.connect() as connection:
        for _ in range(500):
            if connection.execute(query).scalar():
                break
            connection.execute(text("SELECT pg_sleep(0.01)"))
    probe.dispose()


def test_concurrent_upserts_of_the_same_document_store_it_once(engine):
    parsed = parsed_report()
    results: list = []
    with Session(engine) as session:
        with session.begin():
            sha = store_document(session, b"same", content_type="text/html")
            results.append(
                upsert_report(
                    session,
                    agency_id="xj-tuoli-county",
                    agency_name="托里县人民政府",
                    year=2024,
                    source_url="https://x.gov.cn/",
                    document_sha256=sha,
                    parsed=parsed,
                )
            )
            # The second session starts while the first still holds its transaction open.
            thread = upsert_in_thread(engine, b"same", parsed, results)
            wait_until_blocked(engine)
        thread.join()
    assert results == [NEW, UNCHANGED]
    with Session(engine) as session:
        assert (count(session, Report), count(session, ReportVersion), count(session, Document)) == (1, 1, 1)
        assert count(session, ReportCell) == count_cells(parsed)


def test_concurrent_upserts_of_different_documents_number_versions_once(engine):
    results: list = []
    barrier = threading.Barrier(2)
    threads = [
        upsert_in_thread(engine, data, parsed_report(seed=i), results, barrier)
        for i, data in enumerate([b"first", b"second"])
    ]
    for thread in threads:
        thread.join()
    assert sorted(map(str, results)) == [NEW, REVISED]
    with Session(engine) as session:
        assert count(session, Report) == 1
        assert [v.version for v in report_history(session)] == [1, 2]


def test_fetched_at_is_kept_as_given(engine):
    when = datetime(2025, 1, 18, 2, 0, tzinfo=UTC)
    store(engine, b"doc", parsed_report(), fetched_at=when)
    with Session(engine) as session:
        assert report_history(session)[0].fetched_at == when


def test_a_missing_table_two_or_four_does_not_make_a_report_unreadable():
    from storage.cells import is_usable

    def parsed(where: str) -> dict:
        return {"applications": {"new": {"total": 3}},
                "findings": [{"rule": "missing_table", "severity": "error", "where": where, "message": "image"}]}

    assert is_usable(parsed("active_disclosure")) and is_usable(parsed("review_litigation"))
    assert not is_usable(parsed("applications"))


def report_history(session):
    """The versions of 托里县人民政府's 2024 report, oldest first (storage.history)."""
    (report,) = agency_history(session, "xj-tuoli-county", 2024)
    return report.versions
