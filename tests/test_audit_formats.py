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
import pytest
from rich.console import Console

from nianbao.audit import (
    STATUSES,
    AuditResult,
    StoredReport,
    as_dict,
    render_csv,
    render_html,
    render_json,
    render_table,
)
from nianbao.audit.model import SITE_OUTCOME_LABELS, SITE_OUTCOMES
from nianbao.template import RULES
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


def test_json_keeps_its_keys_and_adds_the_unattributed_reports():
    data = json.loads(render_json(sample_audit()))
    assert list(data) == ["year", "as_of", "settings", "summary", "rows", "hierarchy", "unattributed", "coverage"]
    assert data["unattributed"] == [{"agency": "某某县某某局", "title": "某某县某某局2024年政府信息公开工作年度报告",
                                     "source_url": "http://www.example.gov.cn/zfxxgk/zfxxgknb/2024/.html",
                                     "published": "2025-01-03"}]
    assert data["summary"]["unattributed_reports"] == len(data["unattributed"])


def test_json_notes_stay_english_sentences():
    rows = {r["agency_id"]: r for r in json.loads(render_json(sample_audit()))["rows"]}
    assert rows["tuoli-finance"]["notes"] == ["never crawled"]
    assert rows["tuoli-water"]["notes"] == ["listed but not stored: TimeoutError: took longer than 60 s"]
    assert rows["tuoli-miaoergou"]["notes"] == ["listing blocked at 2025-02-14 02:00: absence not proven"]
    assert rows["tuoli-miaoergou"]["site_outcome"] == "blocked"


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
    assert "2025-02-05" in out and "内容雷同(copied_text)" in out
    # The reports no registered agency claims are named, with where they were published.
    result = sample_audit()
    assert result.unattributed and all(r.agency_name in out and r.source_url in out for r in result.unattributed)


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


def _html(result: AuditResult):
    return lxml.html.fromstring(render_html(result))


def test_html_lists_unattributed_reports_with_their_links():
    section = _html(sample_audit()).get_element_by_id("unattributed")
    items = section.xpath(".//li")
    assert len(items) == 1 and items[0].xpath("string(span[@class='agency'])") == "某某县某某局"
    link = items[0].xpath(".//a")[0]
    assert link.text == "某某县某某局2024年政府信息公开工作年度报告"
    assert link.get("href") == "http://www.example.gov.cn/zfxxgk/zfxxgknb/2024/.html"
    assert "2025-01-03" in items[0].text_content()


def test_html_unattributed_reports_are_escaped_and_inert():
    report = StoredReport(None, "<b>某局</b>", 2024, "<script>alert(1)</script>", "javascript:alert(1)", None)
    page = render_html(replace(sample_audit(), unattributed=(report,)))
    assert "<script>alert(1)" not in page and "<b>某局" not in page
    item = lxml.html.fromstring(page).xpath('//ul[@id="unattributed-list"]/li')[0]
    assert not item.xpath(".//a")
    assert item.text_content().startswith("<b>某局</b> <script>alert(1)</script> 发布日期不详")


def test_html_without_unattributed_reports_says_none():
    section = _html(replace(sample_audit(), unattributed=())).get_element_by_id("unattributed")
    assert section.xpath("string(.//li)") == "无 none"


@pytest.mark.parametrize("outcome", [o for o in SITE_OUTCOMES if o not in ("found", "nothing_found")])
def test_html_shows_why_an_agency_is_unreachable(outcome):
    result = sample_audit()
    rows = tuple(replace(r, site_outcome=outcome) if r.agency_id == "tuoli-miaoergou" else r for r in result.rows)
    doc = _html(replace(result, rows=rows))
    expected = f"{SITE_OUTCOME_LABELS[outcome]} {outcome}"
    cell = doc.xpath('//tr[@data-agency-id="tuoli-miaoergou"]//span[@class="outcome"]')
    listed = doc.xpath('//*[@id="list-unreachable"]//li[@data-agency-id="tuoli-miaoergou"]/span[@class="outcome"]')
    assert [cell[0].text, listed[0].text] == [expected, expected]
    assert cell[0].get("data-outcome") == outcome


def test_html_outcome_labels_of_the_sample():
    doc = _html(sample_audit())
    shown = {li.get("data-agency-id"): li.xpath("string(span[@class='outcome'])")
             for li in doc.xpath('//*[@id="list-unreachable"]//li')}
    assert shown == {"tuoli-miaoergou": "被拦截 blocked", "tuoli-finance": "从未抓取 never_crawled"}
    assert not doc.xpath('//tr[@data-status!="unreachable"]//span[@class="outcome"]')  # only where it explains


def test_html_shows_findings_and_checks_by_chinese_name_and_code():
    doc = _html(sample_audit())
    edu = doc.xpath('//tr[@data-agency-id="tuoli-edu"]')[0]
    findings = [li.text_content() for li in edu.xpath("td[8]//li")]
    assert findings == ["行合计不符 (row_total) · 错误 · applications: row_total at applications",
                        "数据个数与栏目不符 (cell_count) · 警告 · applications: cell_count at applications"]
    assert edu.xpath("string(td[9]//summary)") == RULES["copied_text"].label == "内容雷同"
    check = edu.xpath("td[9]//li")[0].text_content()
    assert check.startswith("内容雷同 (copied_text) · 警告 · text: 正文与上年报告雷同")


def test_html_shows_an_unknown_rule_by_its_code():
    result = sample_audit()
    rows = tuple(replace(r, checks=(replace(r.checks[0], rule="new_check"),)) if r.agency_id == "tuoli" else r
                 for r in result.rows)
    item = _html(replace(result, rows=rows)).xpath('//tr[@data-agency-id="tuoli"]/td[9]//li')[0]
    assert item.text_content().startswith("new_check (new_check) · 警告")


def test_html_notes_are_chinese():
    doc = _html(sample_audit())
    notes = {agency_id: doc.xpath(f'string(//tr[@data-agency-id="{agency_id}"]/td[@class="small"])')
             for agency_id in ("tuoli-finance", "tuoli-miaoergou", "tuoli-water", "jiaxian-townA")}
    assert notes == {"tuoli-finance": "从未抓取",
                     "tuoli-miaoergou": "栏目页被拦截（2025-02-14 02:00），无法证明未发布",
                     "tuoli-water": "已发现但未能保存：TimeoutError: took longer than 60 s",
                     "jiaxian-townA": "发布日期不详，视为按时发布"}


def test_html_with_no_agencies():
    from nianbao.audit import audit

    page = render_html(audit([], [], [], 2024, date(2025, 1, 1)))
    assert 'id="count-total" data-count="0"' in page


def test_html_states_when_each_site_was_last_crawled():
    doc = lxml.html.fromstring(render_html(sample_audit()))
    crawled = {row.get("data-agency-id"): row.cssselect("span.crawled")[0].text_content()
               for row in doc.cssselect("tr.row")}
    assert crawled["tuoli"] == "上次抓取 last crawled 2025-02-14 02:00:00 UTC"
    assert crawled["tuoli-finance"] == "上次抓取 last crawled 从未抓取 never"
