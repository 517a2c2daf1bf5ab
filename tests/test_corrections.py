"""A person's corrections: stored beside the parse (never over it), used and marked by export, audit and `show`,
kept through an unchanged re-crawl, stale once the site publishes new bytes; `nianbao review` lists what to check."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from nianbao.cli import app
from storage.db import make_engine
from storage.models import Correction, ReportCell
from tests.fixtureweb import build_web
from tests.fixtureweb.crawl import age_checks, import_registry_file, run_crawl
from tests.fixtureweb.sample import tacheng
from tests.test_revisions import REGISTRY, REVISED_PAGE

runner = CliRunner()
REPORT = "xj-tacheng-city/2024"


def nianbao(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _report(db_url: str) -> dict:
    return next(r for r in json.loads(nianbao("export", "--db", db_url)) if r["source_url"] == REVISED_PAGE)


def _audit_row(db_url: str) -> dict:
    audit = json.loads(nianbao("audit", "--year", "2024", "--as-of", "2025-06-01", "--format", "json", "--db", db_url))
    return next(r for r in audit["rows"] if r["agency_id"] == "xj-tacheng-city")


@pytest.fixture(scope="module")
def three_crawls(tmp_path_factory):
    """Crawl; correct two cells; crawl the unchanged site; the site revises the report; crawl again. The database's
    state after each step, as exports."""
    folder = tmp_path_factory.mktemp("corrections")
    db_url = f"sqlite:///{folder / 'nianbao.sqlite'}"
    import_registry_file(db_url, REGISTRY)
    states = {}
    with build_web([tacheng()]).prerender() as web:
        run_crawl(web, REGISTRY, folder / "1.jsonl", sites=["xj-tacheng-city"], db_url=db_url)
        states["parsed"] = _report(db_url)
        nianbao("correct", REPORT, "active_disclosure.rules.issued", "3", "--note", "the page prints 3 in 规章",
                "--by", "checker", "--db", db_url)
        nianbao("correct", REPORT, "applications.new.natural_person", "41", "--note", "a typo in the table",
                "--by", "checker", "--db", db_url)
        states["corrected"] = _report(db_url)
        states["corrected_audit"] = _audit_row(db_url)
        states["corrected_show"] = nianbao("show", REPORT, "--db", db_url)
        age_checks(db_url, days=8)
        run_crawl(web, REGISTRY, folder / "2.jsonl", sites=["xj-tacheng-city"], db_url=db_url)
        states["recrawled"] = _report(db_url)
        web.revise(REVISED_PAGE)
        age_checks(db_url, days=8)
        run_crawl(web, REGISTRY, folder / "3.jsonl", sites=["xj-tacheng-city"], db_url=db_url)
        states["revised"] = _report(db_url)
        states["revised_audit"] = _audit_row(db_url)
        states["revised_show"] = nianbao("show", REPORT, "--db", db_url)
        states["review"] = json.loads(nianbao("review", "--format", "json", "--db", db_url))
    return db_url, states


def test_a_correction_is_used_and_marked_and_the_parsed_value_kept(three_crawls):
    db_url, states = three_crawls
    parsed, corrected = states["parsed"], states["corrected"]
    assert parsed["active_disclosure"]["rules"]["issued"] == 0
    assert corrected["active_disclosure"]["rules"]["issued"] == 3
    assert corrected["applications"]["new"]["natural_person"] == 41
    entry = corrected["corrections"]["applications.new.natural_person"]
    assert entry["parsed_value"] == parsed["applications"]["new"]["natural_person"] != 41
    assert (entry["by"], entry["note"], entry["stale"]) == ("checker", "a typo in the table", False)
    # Never over the parse: the stored cell still holds what was read.
    engine = make_engine(db_url)
    with engine.connect() as connection:
        stored = connection.execute(select(ReportCell.value).where(
            ReportCell.table_key == "applications", ReportCell.row_key == "new",
            ReportCell.column_key == "natural_person")).scalars().all()
        assert entry["parsed_value"] in stored and 41 not in stored
        assert connection.execute(select(Correction.id)).scalars().all() == [1, 2]
    engine.dispose()


def test_the_audit_reads_corrected_values_and_says_so(three_crawls):
    _, states = three_crawls
    checks = {c["rule"]: c for c in states["corrected_audit"]["checks"]}
    assert "规章" not in json.dumps(states["parsed"]["findings"], ensure_ascii=False)
    # 塔城市 is county-level: a corrected 规章 of 3 is read by the audit's plausibility check.
    assert "issued 3" in checks["rules_implausible"]["message"]
    assert "applications.new.natural_person" in checks["corrected"]["message"]
    assert "a typo in the table" in checks["corrected"]["message"]


def test_show_marks_corrected_cells(three_crawls):
    _, states = three_crawls
    shown = states["corrected_show"]
    line = next(x for x in shown.splitlines() if x.startswith("一、本年新收"))
    assert "\t41*\t" in line
    assert "applications.new.natural_person: parsed" in shown and "by checker" in shown
    # 41 new natural-person applications break the table's balance: show says so (the parse's findings did not).
    assert "with the corrections, these sums still fail:" in shown
    assert "    balance applications.natural_person: 一+二 = 41 but" in shown


def test_a_correction_survives_an_unchanged_recrawl(three_crawls):
    _, states = three_crawls
    recrawled = states["recrawled"]
    assert recrawled["version"] == states["corrected"]["version"]
    assert recrawled["applications"]["new"]["natural_person"] == 41
    assert not any(c["stale"] for c in recrawled["corrections"].values())


def test_a_new_version_makes_corrections_stale(three_crawls):
    _, states = three_crawls
    revised = states["revised"]
    assert revised["version"] == states["parsed"]["version"] + 1
    assert all(c["stale"] for c in revised["corrections"].values()) and len(revised["corrections"]) == 2
    # The new bytes' own values are used, not the stale corrections.
    assert revised["active_disclosure"]["rules"]["issued"] == 0
    assert revised["applications"]["new"]["natural_person"] == states["parsed"]["applications"]["new"][
        "natural_person"] + 1
    checks = {c["rule"]: c for c in states["revised_audit"]["checks"]}
    assert "corrected" not in checks and "rules_implausible" not in checks
    assert checks["correction_stale"]["severity"] == "warning"
    assert "applications.new.natural_person → 41" in checks["correction_stale"]["message"]
    assert "STALE" in states["revised_show"]
    (item,) = [i for i in states["review"] if i["agency_id"] == "xj-tacheng-city"]
    assert item["stale"] == 2


def test_exports_mark_corrections(three_crawls, tmp_path):
    db_url, _ = three_crawls
    # Back to a state with live corrections: correct the new version too.
    nianbao("correct", REPORT, "applications.new.total", "99", "--note", "checked again", "--db", db_url)
    rows = list(csv.reader(io.StringIO(nianbao("export", "--format", "csv", "--db", db_url))))
    header = rows[0]
    mine = [dict(zip(header, r, strict=True)) for r in rows[1:] if r[header.index("source_url")] == REVISED_PAGE]
    total = next(r for r in mine if (r["table"], r["row"], r["column"]) == ("applications", "new", "total"))
    assert total["value"] == "99"
    marks = {r["row"]: r["value"] for r in mine if r["table"] == "corrections"}
    assert "→ 99" in marks["applications.new.total"] and "stale" in marks["applications.new.natural_person"]
    out = tmp_path / "export.xlsx"
    nianbao("export", "--format", "xlsx", "--out", str(out), "--db", db_url)
    book = openpyxl.load_workbook(out)
    sheet = book["收到和处理政府信息公开申请情况"]
    headers = [c.value for c in sheet[1]]
    column = headers.index("一、本年新收政府信息公开申请数量：总计") + 1
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 2).value == "塔城市人民政府"
               and sheet.cell(r, 3).value == 2024)
    assert sheet.cell(row, column).value == 99
    assert sheet.cell(row, column).fill.fgColor.rgb.endswith("DAFBE1")
    listed = [[c.value for c in r] for r in book["报告"].iter_rows()]
    summary = listed[0].index("人工更正")
    assert any(r[1] == "塔城市人民政府" and "applications.new.total: parsed" in (r[summary] or "") for r in listed[1:])


def test_bad_corrections_are_one_line_errors(three_crawls):
    db_url, _ = three_crawls
    cases = [
        ((REPORT, "applications.bogus.total", "1"), "applications.bogus is not a row of the 2021 format"),
        ((REPORT, "active_disclosure.licensing.prior_year", "1"), "not a column of that row; one of decisions"),
        ((REPORT, "applications.new", "1"), "a cell is TABLE.ROW.COLUMN"),
        ((REPORT, "applications.new.total", "many"), "'many' is not a number"),
        ((REPORT, "applications.new.total", "5000元"), "'5000元' is not a number"),
        ((REPORT, "applications.new.total", "-5"), "applications.new.total cannot be negative"),
        ((REPORT, "applications.new.total", "3.5"), "is a count: a whole number"),
        (("no-such/2024", "applications.new.total", "1"), "no stored report 'no-such/2024'"),
        (("9" * 40, "applications.new.total", "1"), "no stored report"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["correct", "--note", "x", "--db", db_url, "--", *args])  # "--": for "-5"
        assert result.exit_code != 0 and result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    result = runner.invoke(app, ["correct", REPORT, "applications.new.total", "1", "--note", " ", "--db", db_url])
    assert result.exit_code == 2 and "needs a note" in result.stderr


def test_a_row_the_parse_did_not_read_is_exported_whole(three_crawls):
    db_url, states = three_crawls
    assert "other_handling" not in states["parsed"]["applications"]
    nianbao("correct", REPORT, "applications.other_handling.total", "0", "--note", "printed as one row",
            "--db", db_url)
    row = _report(db_url)["applications"]["other_handling"]
    assert list(row) == ["natural_person", "commercial", "research", "public_welfare", "legal_service", "other_org",
                         "total"]
    assert row["total"] == 0 and set(list(row.values())[:-1]) == {None}


def test_review_lists_reports_worst_first(three_crawls):
    db_url, _ = three_crawls
    items = json.loads(nianbao("review", "--format", "json", "--db", db_url))
    assert items == sorted(items, key=lambda i: (-i["errors"], -i["stale"], -i["inferred"], i["year"],
                                                 i["agency_name"]))
    assert all(i["errors"] or i["stale"] or i["inferred"] for i in items)
    table = nianbao("review", "--db", db_url)
    assert table.splitlines()[0].startswith("report\tagency\tyear\terrors")


def test_a_corrected_inferred_cell_leaves_the_review_count(tmp_path):
    """A person who corrected a cell the parser placed by arithmetic has looked at it."""
    from nianbao.report.parse import parse_file
    from tests.storage_fixtures import store_parsed

    seed = Path(__file__).parent / "data" / "seeds" / "tuoli-county-2024.txt"
    parsed = parse_file(seed)
    db_url = f"sqlite:///{tmp_path / 'n.sqlite'}"
    store_parsed(db_url, seed.read_bytes(), parsed, "托里县人民政府")
    (before,) = json.loads(nianbao("review", "--format", "json", "--db", db_url))
    key = next(k for k, e in parsed["provenance"].items() if e["how"] != "read")
    assert before["inferred"] == sum(e["how"] != "read" for e in parsed["provenance"].values()) > 0
    table, row, column = key.split(".")
    nianbao("correct", f"{before['report_id']}", key, str(parsed[table][row][column]), "--note", "checked: right",
            "--db", db_url)
    (after,) = json.loads(nianbao("review", "--format", "json", "--db", db_url))
    assert after["inferred"] == before["inferred"] - 1 and after["stale"] == 0
