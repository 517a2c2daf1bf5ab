"""Revisions: a report edited between two crawls becomes version 2 with a record of exactly the cells it changed
(from what to what) and its text's lines; `nianbao history` shows them, the audit flags 发布后修改, and databases from
before the record get it from their stored versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select
from typer.testing import CliRunner

from nianbao.cli import app
from nianbao.revisions import CellChange, cell_changes, is_revision, text_counts, text_diff
from storage.db import make_engine, migration, upgrade
from storage.models import ReportVersion
from tests.fixtureweb import build_web, report_urls
from tests.fixtureweb.crawl import age_checks, import_registry_file, run_crawl
from tests.fixtureweb.documents import CORRECTED_ROWS, CORRECTION
from tests.fixtureweb.sample import tacheng

REGISTRY = Path(__file__).parent / "fixtureweb" / "registry.csv"
REVISED_PAGE = report_urls(tacheng())["塔城市人民政府2024年政府信息公开工作年度报告"]
runner = CliRunner()


def nianbao(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_cell_changes_name_every_changed_cell_and_only_those():
    before = {("a", "r", "x"): 1, ("a", "r", "y"): 2, ("a", "gone", "x"): 5}
    after = {("a", "r", "x"): 1, ("a", "r", "y"): 3, ("a", "new", "x"): None, ("a", "blank", "x"): 0}
    assert cell_changes(before, after) == [CellChange("a", "r", "y", 2, 3), CellChange("a", "blank", "x", None, 0),
                                           CellChange("a", "gone", "x", 5, None)]
    assert text_counts("一\n二\n\n三", "一\n  二\n四\n三\n") == (1, 0)
    assert text_diff("一\n二", "一\n三") == ["--- before", "+++ after", "@@ -1,2 +1,2 @@", " 一", "-二", "+三"]
    assert not is_revision({"cells": [], "text": {"added": 0, "removed": 0}}) and not is_revision(None)


def crawled_twice(folder: Path, between) -> tuple[str, list[dict], int]:
    """Two crawls of 塔城市 into a new database, `between(web)` done between them a week apart (so every stored
    report is due for its re-check); the database, the second crawl's items and its requests for REVISED_PAGE."""
    db_url = f"sqlite:///{folder / 'nianbao.sqlite'}"
    import_registry_file(db_url, REGISTRY)
    with build_web([tacheng()]).prerender() as web:
        run_crawl(web, REGISTRY, folder / "first.jsonl", sites=["xj-tacheng-city"], db_url=db_url)
        between(web)
        age_checks(db_url, days=8)
        items, _ = run_crawl(web, REGISTRY, folder / "second.jsonl", sites=["xj-tacheng-city"], db_url=db_url)
        return db_url, items, web.requests[REVISED_PAGE]


@pytest.fixture(scope="module")
def revised(tmp_path_factory):
    """The report page corrected between the two crawls."""
    db_url, _, _ = crawled_twice(tmp_path_factory.mktemp("revised"), lambda web: web.revise(REVISED_PAGE))
    return db_url


def test_a_report_edited_between_two_crawls_names_exactly_the_changed_cells(revised):
    (report,) = json.loads(nianbao("history", "xj-tacheng-city", "--year", "2024", "--format", "json",
                                   "--db", revised))
    first, second = report["versions"]
    assert (first["version"], first["changes"], first["current"]) == (1, None, False)
    assert second["current"] and second["changes"]["from_version"] == 1
    changed = {(table, row, column): (old, new) for table, row, column, old, new in second["changes"]["cells"]}
    assert {row for _, row, _ in changed} == set(CORRECTED_ROWS)
    assert {column for _, _, column in changed} == {"natural_person", "total"}
    assert all(new == old + 1 for old, new in changed.values())
    assert len(changed) == 4  # this page prints no 总计 in rows 一 and （一）: those cells are not there to change
    # The text: the correction note added, and the three corrected rows as the page's text prints them.
    assert second["changes"]["text"] == {"added": 4, "removed": 3}
    assert f"+{CORRECTION}" in second["text_diff"]


def test_history_reads_as_text_with_the_formats_labels(revised):
    out = nianbao("history", "xj-tacheng-city", "--db", revised)
    assert "塔城市人民政府 (xj-tacheng-city) · 2024 · 2 version(s)" in out
    assert "against v1: 4 cell(s) changed, text +4/-3 lines" in out
    assert "一、本年新收政府信息公开申请数量：自然人: " in out and f"+{CORRECTION}" in out


def test_the_audit_flags_the_revised_report_and_only_it(revised):
    audit = json.loads(nianbao("audit", "--year", "2024", "--as-of", "2025-06-01", "--format", "json",
                               "--db", revised))
    flagged = {row["agency_id"]: [c for c in row["checks"] if c["rule"] == "revised"] for row in audit["rows"]}
    (check,) = flagged.pop("xj-tacheng-city")
    assert check["severity"] == "info" and "v2: 4 cell(s), text +4/-3 lines" in check["message"]
    assert not any(flagged.values())


def test_a_database_from_before_the_record_gets_it_from_its_versions(revised):
    engine = make_engine(revised)
    with engine.connect() as connection:
        recorded = dict(connection.execute(select(ReportVersion.id, ReportVersion.changes)).all())
    with migration(engine) as config:
        command.downgrade(config, "0007")
    upgrade(engine)
    with engine.connect() as connection:
        assert dict(connection.execute(select(ReportVersion.id, ReportVersion.changes)).all()) == recorded
    engine.dispose()
    assert sum(changes is not None for changes in recorded.values()) >= 1


def test_unknown_agencies_are_one_line_errors(revised):
    result = runner.invoke(app, ["history", "no-such-agency", "--db", revised])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "no registered agency 'no-such-agency'" in result.stderr


# ---- withdrawals -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def withdrawn(tmp_path_factory):
    """The 2024 report taken down between the two crawls (off its listing, 404 at its URL)."""
    folder = tmp_path_factory.mktemp("withdrawn")
    db_url, items, requests = crawled_twice(folder, lambda web: web.withdraw(REVISED_PAGE))
    assert requests == 2  # asked once more, since its listing no longer shows it
    return db_url, items


def test_a_report_gone_from_its_listing_and_its_url_is_withdrawn_and_kept(withdrawn):
    db_url, items = withdrawn
    assert [i for i in items if i.get("url") == REVISED_PAGE and "gone" in i] == [
        {"site_id": "xj-tacheng-city", "url": REVISED_PAGE, "gone": True,
         "reason": f"HTTP 404 at {REVISED_PAGE}; no longer on its listing page(s)"}]
    (report,) = json.loads(nianbao("history", "xj-tacheng-city", "--year", "2024", "--format", "json",
                                   "--db", db_url))
    assert report["withdrawn_at"] and report["withdrawn_reason"].startswith("HTTP 404")
    assert [v["version"] for v in report["versions"]] == [1]  # kept, never deleted
    assert "withdrawn 20" in nianbao("history", "xj-tacheng-city", "--year", "2024", "--db", db_url)
    audit = json.loads(nianbao("audit", "--year", "2024", "--as-of", "2025-06-01", "--format", "json",
                               "--db", db_url))
    row = next(r for r in audit["rows"] if r["agency_id"] == "xj-tacheng-city")
    assert row["status"] == "published"  # it was published; withdrawing it later is flagged, not hidden
    assert "withdrawn" in [c["rule"] for c in row["checks"]]
    exported = json.loads(nianbao("export", "--year", "2024", "--db", db_url))
    assert "xj-tacheng-city" in [r["agency_id"] for r in exported]
