"""The audit read from a database (SQL facts, sketches in batches) says what the audit of the parse JSON says."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from alembic import command
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session

from nianbao.audit import audit
from nianbao.audit.load import copy_scorer, load, load_unstored
from storage.db import migration, upgrade
from storage.documents import store_document
from storage.models import ReportVersion, UnstoredReport
from storage.registry import AgencyRecord, import_registry
from storage.reports import upsert_report
from storage.runs import finish_run, record_site_outcome, record_unstored, start_run
from tests.test_audit_sample import AGENCIES, AS_OF, YEAR, reports, sample_audit, site_states, unstored


def store_sample(engine) -> None:
    with Session(engine) as session, session.begin():
        records = [AgencyRecord(a.id, a.name, a.level, a.parent_id, (f"http://www.example.gov.cn/{a.id}/",))
                   for a in AGENCIES]
        import_registry(session, records)
        for i, report in enumerate(reports()):
            sha = store_document(session, f"report {i}".encode(), content_type="text/html")
            parsed = {**report.parsed, "title": report.title, "year": report.year,
                      "published": report.published.isoformat() if report.published else None}
            upsert_report(session, agency_id=report.agency_id or None, agency_name=report.agency_name,
                          year=report.year, source_url=report.source_url, document_sha256=sha, parsed=parsed)
        run_id = start_run(session, "manual")
        for state in site_states():
            record_site_outcome(session, run_id, state.agency_id, state.outcome)
        for item in unstored():
            record_unstored(session, run_id, site_id=item.agency_id, agency_id=item.agency_id,
                            agency_name=item.agency_name, year=item.year, title="t", url=item.url,
                            listing_url="http://www.example.gov.cn/", cause=item.cause)
        # the stored unstored report keeps its own time; the in-memory one is compared with it
        session.execute(update(UnstoredReport).values(recorded_at=unstored()[0].attempted_at))
        finish_run(session, run_id, "completed")


def comparable(result):
    """Rows less the notes of unreachable agencies and the last crawl times: the sample's crawl states carry times
    the registry read has not."""
    rows = [replace(r, last_crawled=None) for r in result.rows]
    return [replace(r, notes=()) if r.status == "unreachable" else r for r in rows], result.summary


def _listed(report):
    """What the audit shows of an unattributed report (the database adds its version id)."""
    return report.agency_name, report.year, report.title, report.source_url, report.published


def test_the_database_audit_equals_the_in_memory_audit(engine):
    store_sample(engine)
    with Session(engine) as session:
        result = audit(*load(session, YEAR), year=YEAR, as_of=AS_OF, unstored=load_unstored(session, YEAR),
                       copy_scores=copy_scorer(session, batch=2))
    expected = sample_audit()
    assert comparable(result) == comparable(expected)
    assert [_listed(r) for r in result.unattributed] == [_listed(r) for r in expected.unattributed]
    checked = {r.agency_id: [c.rule for c in r.checks] for r in result.rows if r.checks}
    assert checked == {"tuoli": ["carry_over"], "tuoli-edu": ["copied_text"], "tacheng-edu": ["rules_implausible"],
                       "jiaxian": ["all_zero"]}


def test_a_later_day_and_a_report_of_another_year_change_nothing_stored(engine):
    store_sample(engine)
    with Session(engine) as session:
        agencies, stored, _ = load(session, YEAR)
        later = audit(agencies, stored, [], YEAR, date(2025, 9, 1), copy_scores=copy_scorer(session))
    assert {r.year for r in stored} == {YEAR, YEAR - 1}
    assert all(r.version_id is not None for r in stored)
    assert later.row("tuoli-edu").status == "published_late"


def test_migration_0004_sketches_the_texts_already_stored_and_loses_nothing(engine):
    """A database from before sketches gets them from the stored texts, the same as those made when storing; going
    down and up again (tables copied on SQLite) keeps every cell and current version."""
    store_sample(engine)
    with engine.connect() as connection:
        made = dict(connection.execute(select(ReportVersion.id, ReportVersion.text_sketch)).all())
    with Session(engine) as session:
        before = audit(*load(session, YEAR), year=YEAR, as_of=AS_OF, copy_scores=copy_scorer(session))
    with migration(engine) as config:
        command.downgrade(config, "0003")
    assert "text_sketch" not in {c["name"] for c in inspect(engine).get_columns("report_versions")}
    upgrade(engine)
    with engine.connect() as connection:
        backfilled = dict(connection.execute(select(ReportVersion.id, ReportVersion.text_sketch)).all())
    assert backfilled == made
    assert sum(s is not None for s in made.values()) == 4  # the sample has four texts long enough to judge
    with Session(engine) as session:
        after = audit(*load(session, YEAR), year=YEAR, as_of=AS_OF, copy_scores=copy_scorer(session))
    # Division codes are a later migration's: gone below it, found again by the next import of the registry.
    assert replace(after, coverage=()) == replace(before, coverage=())
