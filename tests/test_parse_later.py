"""A queued crawl stores each report's bytes and leaves the reading to parse tasks (nianbao.pending): what the
tasks store is what a crawl that reads inline stores, the audit never reads a waiting report as missing, a report
is parsed once however often its task runs, and the next crawl of unchanged pages downloads nothing again."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.fetchstate import load_validators
from nianbao.pending import parse_pending
from storage.db import make_engine
from storage.models import PendingParse, Report, ReportCell
from tests.fixtureweb import build_web
from tests.fixtureweb.crawl import REPOSITORY, run_crawl
from tests.fixtureweb.sample import tacheng, tuoli

REGISTRY = Path(__file__).parent / "fixtureweb" / "registry.csv"
SITE_IDS = ["xj-tuoli-county", "xj-tacheng-city"]
LATER = {"NIANBAO_PARSE_LATER": "True"}


def _reports(db_url: str) -> dict[tuple, dict]:
    """Every current report: (agency, year, name) → its cells."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            reports = session.scalars(select(Report)).all()
            return {(r.agency_id, r.year, r.agency_name): {
                (c.table_key, c.row_key, c.column_key): c.value for c in session.scalars(
                    select(ReportCell).where(ReportCell.version_id == r.current_version_id))} for r in reports}
    finally:
        engine.dispose()


def _waiting(db_url: str) -> list[int]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(PendingParse.id).order_by(PendingParse.id)))
    finally:
        engine.dispose()


def _audit(db_url: str) -> dict[str, dict]:
    done = subprocess.run([sys.executable, "-m", "nianbao", "audit", "--year", "2024", "--as-of", "2025-12-31",
                           "--format", "json", "--db", db_url], cwd=REPOSITORY, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return {row["agency_id"]: row for row in json.loads(done.stdout)["rows"]}


def test_parse_tasks_store_what_an_inline_crawl_stores(tmp_path):
    inline, later = f"sqlite:///{tmp_path / 'inline.sqlite'}", f"sqlite:///{tmp_path / 'later.sqlite'}"
    with build_web([tuoli(), tacheng()]).prerender() as web:
        run_crawl(web, REGISTRY, tmp_path / "inline.jsonl", sites=SITE_IDS, db_url=inline)
        items, _ = run_crawl(web, REGISTRY, tmp_path / "later.jsonl", sites=SITE_IDS, db_url=later, settings=LATER)
        documents = {d["url"] for item in items for d in item.get("documents", ())}
        expected = _reports(inline)
        waiting = _waiting(later)
        assert _reports(later) == {}
        assert len(waiting) == len(expected) == 10
        # Validators wait for the parse (an unread report is fetched again); the listing pages' are kept.
        assert documents and not documents & set(load_validators_of(later))

        # Stored and waiting: listed, so never missing; the cause says what it waits for.
        audited = _audit(later)
        reported = {agency for agency, year, _ in expected if year == 2024 and agency}
        assert {audited[a]["status"] for a in reported} == {"not_stored"}
        assert all("waiting to be parsed" in audited[a]["notes"][0] for a in reported)

        # Two tasks given the same reports (a retried task, a report queued twice) store each once.
        half = len(waiting) // 2
        first = parse_pending(later, waiting[:half + 1])
        second = parse_pending(later, waiting[half:])
        assert first["gone"] == 0 and second["gone"] == 1
        assert first["new"] + second["new"] == len(expected)
        assert _reports(later) == expected
        assert _waiting(later) == []
        assert documents <= set(load_validators_of(later))
        assert set(load_validators_of(later)) == set(load_validators_of(inline))
        assert {a: audited_row["status"] for a, audited_row in _audit(later).items()} == {
            a: row["status"] for a, row in _audit(inline).items()}

        # The next queued crawl of unchanged pages: every report answers 304, nothing is left to parse.
        run_crawl(web, REGISTRY, tmp_path / "again.jsonl", sites=SITE_IDS, db_url=later, settings=LATER)
        assert _waiting(later) == []
        assert _reports(later) == expected


def load_validators_of(db_url: str) -> dict:
    engine = make_engine(db_url)
    try:
        return load_validators(engine)
    finally:
        engine.dispose()


def test_a_crawl_that_reads_a_page_itself_drops_the_older_waiting_copy(tmp_path):
    """A queued crawl left the reports waiting; a crawl here then read them itself: the waiting copies are older and
    must never be parsed over what it stored (their tasks find them gone)."""
    db_url = f"sqlite:///{tmp_path / 'n.sqlite'}"
    with build_web([tuoli(), tacheng()]).prerender() as web:
        run_crawl(web, REGISTRY, tmp_path / "queued.jsonl", sites=SITE_IDS, db_url=db_url, settings=LATER)
        waiting = _waiting(db_url)
        assert len(waiting) == 10
        run_crawl(web, REGISTRY, tmp_path / "here.jsonl", sites=SITE_IDS, db_url=db_url)
    assert _waiting(db_url) == []
    assert parse_pending(db_url, waiting) == {"gone": 10}
    assert len(_reports(db_url)) == 10


def test_a_page_two_sites_list_waits_once_for_each_agency(engine):
    from sqlalchemy.orm import Session as OrmSession

    from storage.pending import add_pending
    from storage.runs import start_run

    with OrmSession(engine) as session, session.begin():
        run = start_run(session, "scheduled", "box:1")
        for agency, name in (("a", "甲县人民政府"), ("b", "乙县人民政府"), ("a", "甲县人民政府"), (None, "丙局")):
            add_pending(session, run, site_id=agency or "c", agency_id=agency, agency_name=name, year=2024,
                        url="http://x.example/r.html", item={})
    with OrmSession(engine) as session:
        keys = sorted(session.scalars(select(PendingParse.agency_key)))
    assert keys == ["a", "b", "name:丙局"]  # a's second copy replaced its first; b's and 丙局's stand beside it
