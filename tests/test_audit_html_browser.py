"""The HTML audit opened in headless Chromium: it renders, the chart and counts match the JSON, titles stay text."""

from __future__ import annotations

import html
import json
from pathlib import Path

import lxml.html
import pytest

from nianbao.audit import STATUSES, render_html, render_json
from tests.browser import run_chromium
from tests.test_audit_sample import AGENCIES, SCRIPT_TITLE, sample_audit


def sample_evidence(result) -> dict[str, dict]:
    """Evidence of the shape nianbao.evidence.evidence_for gives, with long URLs and digests, for every row."""
    warc = {"path": "/srv/archive/nianbao-20250401T020000Z-run7-00000.warc.gz", "offset": 123456, "length": 7890}
    long_url = "http://www.example.gov.cn/zfxxgk/fdzdgknr/zfxxgknb/" + "a" * 80 + "/index_2.html"
    found = {}
    for row in result.rows:
        if row.source_url:
            found[row.agency_id] = {"report": {
                "url": row.source_url, "fetched_at": "2025-04-01T02:03:04", "document_sha256": "e" * 64,
                "archived": {"warc": warc, "record_type": "response", "status": 200,
                             "fetched_at": "2025-04-01T02:03:04"}}}
        else:
            fetch = {"url": long_url, "fetched_at": "2025-04-01T02:00:00", "status": 200, "payload_sha256": "f" * 64,
                     "warc": warc}
            found[row.agency_id] = {"listing_fetches": [fetch, fetch], "site_outcome": {
                "run_id": 7, "recorded_at": "2025-04-01T02:10:00", "outcome": "ok", "pages": 2, "reports_found": 0}}
    return found


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("audit") / "audit.html"
    result = sample_audit()
    path.write_text(render_html(result, sample_evidence(result)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def dom(chromium, page, tmp_path_factory):
    dumped = run_chromium(chromium, tmp_path_factory.mktemp("chromium"), "--dump-dom", page.as_uri()).stdout
    return lxml.html.fromstring(dumped), dumped


def test_renders_summary_and_rows(dom):
    doc, _ = dom
    assert doc.get_element_by_id("summary") is not None
    rows = doc.xpath('//table[@id="agency-table"]/tbody/tr[@class="row"]')
    assert [r.get("data-agency-id") for r in rows] and len(rows) == len(AGENCIES)
    assert {a.name for a in AGENCIES} <= {r.xpath("string(td[2])") for r in rows}


def test_chart_and_counts_match_the_json_audit(dom):
    doc, _ = dom
    summary = json.loads(render_json(sample_audit()))["summary"]
    for status in STATUSES:
        card = doc.get_element_by_id(f"count-{status}")
        assert int(card.xpath("string(.//span[@class='num'])")) == summary["by_status"][status]
    region_bars = doc.xpath('//*[@id="chart-region"]//*[@class="bar"]')
    assert {b.get("data-key"): json.loads(b.get("data-counts")) for b in region_bars} == {
        r["region_id"]: r["by_status"] for r in summary["by_region"]}
    level_bars = doc.xpath('//*[@id="chart-level"]//*[@class="bar"]')
    assert {b.get("data-key"): json.loads(b.get("data-counts")) for b in level_bars} == summary["by_level"]
    segments = doc.xpath('//*[@id="chart-region"]//*[contains(@class, "seg ")]')
    assert sum(int(s.get("data-count")) for s in segments) == summary["total"]


def test_script_in_a_title_shows_as_text(dom):
    doc, dumped = dom
    assert not doc.xpath("//script")
    assert "<script>alert(1)</script>" not in dumped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dumped
    cell = doc.xpath('//tr[@data-agency-id="tacheng-edu"]/td[@class="title"]')[0]
    assert cell.text_content() == SCRIPT_TITLE


def test_unattributed_reports_are_listed_with_their_links(dom):
    doc, _ = dom
    items = doc.xpath('//section[@id="unattributed"]//li')
    assert [(li.xpath("string(span[@class='agency'])"), li.xpath("string(.//a/@href)")) for li in items] == [
        ("某某县某某局", "http://www.example.gov.cn/zfxxgk/zfxxgknb/2024/.html")]


def test_unreachable_agencies_show_what_the_crawl_met(dom):
    doc, _ = dom
    outcomes = {tr.get("data-agency-id"): tr.xpath("string(.//span[@class='outcome'])")
                for tr in doc.xpath('//table[@id="agency-table"]/tbody/tr[@data-status="unreachable"]')}
    assert outcomes == {"tuoli-miaoergou": "被拦截 blocked", "tuoli-finance": "从未抓取 never_crawled"}
    badge = doc.xpath('//tr[@data-agency-id="tuoli-miaoergou"]//span[contains(@class, "badge")]')[0]
    assert badge.text == "无法访问 unreachable"  # still counted as unreachable


def test_screenshot(chromium, page, tmp_path):
    shot = tmp_path / "audit.png"
    run_chromium(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1280,1600", "--hide-scrollbars",
                 page.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


# ---- narrow screens ---------------------------------------------------------------------------------------------

PHONE_WIDTH = 420
# Headless Chromium makes no window narrower than 500 px, so the page is laid out in a frame of the width wanted,
# inside a harness whose script measures it: the page itself stays script-free, as its policy demands.
HARNESS = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="page" style="border:0" width="{width}" height="{height}" srcdoc="{page}"></iframe>
<script>
window.addEventListener("load", () => {{
  const frame = document.getElementById("page");
  document.body.dataset.innerWidth = frame.contentWindow.innerWidth;
  document.body.dataset.scrollWidth = frame.contentDocument.documentElement.scrollWidth;
}});
</script></body></html>"""


def _framed(page: Path, harness: Path, width: int) -> Path:
    srcdoc = html.escape(page.read_text(encoding="utf-8"), quote=True)
    harness.write_text(HARNESS.format(width=width, height=900, page=srcdoc), encoding="utf-8")
    return harness


# A phone, and a screen just wider than page.html's 1000 px breakpoint, where tables no longer scroll in a box; with
# every verdict's evidence closed, as the page opens, and open, as a reader may leave it.
@pytest.mark.parametrize("evidence", ["closed", "open"])
@pytest.mark.parametrize("width", [PHONE_WIDTH, 1024])
def test_no_sideways_scrolling(chromium, page, tmp_path, width, evidence):
    if evidence == "open":
        opened = page.read_text(encoding="utf-8").replace('<details class="evidence"', '<details open class="evidence"')
        page = tmp_path / "opened.html"
        page.write_text(opened, encoding="utf-8")
    harness = _framed(page, tmp_path / "framed.html", width)
    dumped = run_chromium(chromium, tmp_path, f"--window-size={max(width, 500)},900", "--hide-scrollbars",
                  "--virtual-time-budget=1000", "--dump-dom", harness.as_uri()).stdout
    body = lxml.html.fromstring(dumped).body
    inner, scroll = int(body.get("data-inner-width")), int(body.get("data-scroll-width"))
    assert inner == width
    assert scroll <= inner, f"the page is {scroll} px wide in a {inner} px viewport"
