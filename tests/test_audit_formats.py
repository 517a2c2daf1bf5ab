"""The audit's four formats from one result: JSON, Excel-friendly CSV, the Rich table and the HTML page."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import replace
from datetime import date

import lxml.html
from rich.console import Console

from nianbao.audit import STATUSES, AuditResult, as_dict, render_csv, render_html, render_json, render_table
from tests.test_audit_sample import AGENCIES, EXPECTED_STATUS, SCRIPT_TITLE, sample_audit


def _with_title(result: AuditResult, agency_id: str, title: str, url: str | None = None) -> AuditResult:
    rows = tuple(replace(r, title=title, source_url=url or r.source_url) if r.agency_id == agency_id else r
                 for r in result.rows)
    return replace(result, rows=rows)


# ---- JSON -------------------------------------------------------------------------------------------------------

def test_json_rows_and_summary_agree():
    data = json.loads(render_json(sample_audit()))
    statuses = Counter(row["status"] for row in data["rows"])
    assert data["summary"]["by_status"] == {s: statuses.get(s, 0) for s in STATUSES}
    assert data["summary"]["total"] == len(data["rows"]) == len(AGENCIES)
    assert sum(r["total"] for r in data["summary"]["by_region"]) == len(data["rows"])
    for level, counts in data["summary"]["by_level"].items():
        assert sum(counts.values()) == sum(r["level"] == level for r in data["rows"])


def test_streamed_json_is_what_json_dumps_writes():
    result = sample_audit()
    assert render_json(result) == json.dumps(as_dict(result), ensure_ascii=False, indent=1) + "\n"
    empty = replace(result, rows=())
    assert render_json(empty) == json.dumps(as_dict(empty), ensure_ascii=False, indent=1) + "\n"


def test_json_fields_are_contract_values_and_iso_dates():
    data = json.loads(render_json(sample_audit()))
    assert (data["year"], data["as_of"]) == (2024, "2025-02-15")
    rows = {r["agency_id"]: r for r in data["rows"]}
    assert {k: r["status"] for k, r in rows.items()} == EXPECTED_STATUS
    late = rows["tuoli-edu"]
    assert (late["deadline"], late["published"], late["days_late"]) == ("2025-01-31", "2025-02-05", 5)
    assert (late["errors"], late["warnings"]) == (1, 1)
    assert late["findings"][0] == {"rule": "row_total", "severity": "error", "where": "applications",
                                   "message": "row_total at applications"}
    assert late["checks"][0]["rule"] == "copied_text"
    assert rows["tuoli-hatu"]["published"] is None
    assert rows["tacheng-edu"]["title"] == SCRIPT_TITLE
    tuoli = next(h for h in data["hierarchy"] if h["agency_id"] == "tuoli")
    assert (tuoli["missing"], tuoli["late"]) == (["tuoli-hatu"], ["tuoli-edu"])


# ---- CSV --------------------------------------------------------------------------------------------------------

def test_csv_has_a_bom_and_round_trips():
    text = render_csv(sample_audit())
    assert text.startswith("\ufeff")
    raw = text.encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf") and not raw[3:].startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(rows) == len(AGENCIES)
    assert {r["agency_id"]: r["status"] for r in rows} == EXPECTED_STATUS
    edu = next(r for r in rows if r["agency_id"] == "tuoli-edu")
    assert (edu["机关名称"], edu["截止日期"], edu["发布日期"], edu["逾期天数"]) == (
        "托里县教育局", "2025-01-31", "2025-02-05", "5")
    assert edu["状态"] == "逾期发布" and "copied_text" in edu["核查提示"]
    assert next(r for r in rows if r["agency_id"] == "tacheng-edu")["报告标题"] == SCRIPT_TITLE


def test_csv_keeps_formulas_inert():
    result = _with_title(sample_audit(), "tuoli", '=HYPERLINK("http://evil.example","x")')
    rows = list(csv.DictReader(io.StringIO(render_csv(result).lstrip("\ufeff"), newline="")))
    assert next(r for r in rows if r["agency_id"] == "tuoli")["报告标题"].startswith("'=HYPERLINK")


# ---- Rich table -------------------------------------------------------------------------------------------------

def test_table_shows_summary_and_every_agency():
    console = Console(record=True, width=220, color_system=None)
    console.print(render_table(sample_audit()))
    out = console.export_text()
    assert out.index("published_late") < out.index("托里县哈图镇人民政府")  # the summary comes first
    for agency in AGENCIES:
        assert agency.name in out
    assert "2025-02-05" in out and "copied_text" in out


def test_table_does_not_read_scraped_names_as_markup():
    result = sample_audit()
    rows = tuple(replace(r, name="[bold]托里县[/bold]") if r.agency_id == "tuoli" else r for r in result.rows)
    console = Console(record=True, width=220, color_system=None)
    console.print(render_table(replace(result, rows=rows)))
    assert "[bold]托里县[/bold]" in console.export_text()


# ---- HTML (static checks; the browser test renders it) ------------------------------------------------------------

def test_html_escapes_scraped_text():
    page = render_html(sample_audit())
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_html_is_self_contained():
    page = render_html(sample_audit())
    assert not re.search(r"<(link|script|img|iframe|object)\b", page)
    assert not re.search(r"\bsrc=|@import|url\(", page)
    hrefs = lxml.html.fromstring(page).xpath("//a/@href")
    assert hrefs and all(h.startswith("http://www.example.gov.cn/") for h in hrefs)  # only the reports' own links


def test_html_links_only_http_urls():
    result = _with_title(sample_audit(), "tuoli", "托里县报告", url="javascript:alert(1)")
    doc = lxml.html.fromstring(render_html(result))
    assert not doc.xpath('//a[starts-with(@href, "javascript")]')
    assert doc.xpath('//tr[@data-agency-id="tuoli"]//td[@class="title"]/text()') == ["托里县报告"]


def test_html_counts_and_chart_match_the_summary():
    result = sample_audit()
    doc = lxml.html.fromstring(render_html(result))
    for status in STATUSES:
        card = doc.get_element_by_id(f"count-{status}")
        assert int(card.get("data-count")) == int(card.find_class("num")[0].text) == result.summary.by_status[status]
    for chart_id, groups in (("chart-region", result.summary.by_region), ("chart-level", result.summary.by_level)):
        bars = doc.get_element_by_id(chart_id).find_class("bar")
        assert {b.get("data-key"): json.loads(b.get("data-counts")) for b in bars} == groups
    assert len(doc.xpath('//table[@id="agency-table"]/tbody/tr')) == len(AGENCIES)
    missing = doc.get_element_by_id("list-missing").xpath(".//li/@data-agency-id")
    assert missing == ["tuoli-hatu"]


def test_html_with_no_agencies():
    from nianbao.audit import audit

    page = render_html(audit([], [], [], 2024, date(2025, 1, 1)))
    assert 'id="count-total" data-count="0"' in page
