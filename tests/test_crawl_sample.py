"""One real crawl of the sample fixture web: every site, every platform, every way of failing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtureweb import build_web, report_urls, sample_sites
from tests.fixtureweb.crawl import run_crawl

REGISTRY = Path(__file__).parent / "fixtureweb" / "registry.csv"
SITES = {site.host: site for site in sample_sites()}
TUOLI, TACHENG, JIAXIAN, HOBOKSAR, YUMIN = (
    "www.tuoli.gov.test",
    "www.tacheng.gov.test",
    "www.jiaxian.gov.test",
    "www.hbkse.gov.test",
    "www.xjym.gov.test",
)

# (site, title as listed, agency id, year, kind of the main document, kinds of all documents in order)
EXPECTED = [
    (TUOLI, "托里县人民政府2024年政府信息公开工作年度报告", "xj-tuoli-county", 2024, "html", ["html", "pdf"]),
    (TUOLI, "托里县哈图镇人民政府2024年政府信息公开工作年度报告", "xj-tuoli-hatu", 2024, "pdf", ["html", "pdf"]),
    (TUOLI, "2024年托里县财政局政府信息公开工作年度报告", "xj-tuoli-czj", 2024, "docx", ["html", "docx"]),
    (TUOLI, "托里县水利局2024年度政府信息公开工作年度报告", None, 2024, "html", ["html"]),
    (TUOLI, "托里县2021年政府信息公开工作年度报告", "xj-tuoli-county", 2021, "html", ["html"]),
    (TACHENG, "塔城市人民政府2024年政府信息公开工作年度报告", "xj-tacheng-city", 2024, "html", ["html"]),
    (
        TACHENG,
        "塔城市阿西尔达斡尔民族乡人民政府2024年政府信息公开工作年度报告",
        "xj-tacheng-asier",
        2024,
        "pdf",
        ["html", "pdf"],
    ),
    (TACHENG, "塔城市卫生健康委员会2024年政府信息公开工作报告", "xj-tacheng-wjw", 2024, "html", ["html"]),
    (TACHENG, "塔城市卫生健康委员会2023年政府信息公开工作年度报告（超链版）", "xj-tacheng-wjw", 2023, "html", ["html"]),
    (TACHENG, "2023年塔城市政府信息公开工作年度报告", "xj-tacheng-city", 2023, "html", ["html"]),
    (JIAXIAN, "郏县人民政府2024年政府信息公开工作年度报告", "ha-jiaxian-county", 2024, "html", ["html"]),
    (JIAXIAN, "郏县发展和改革委员会2024年政府信息公开工作年度报告", "ha-jiaxian-fgw", 2024, "docx", ["html", "docx"]),
    (JIAXIAN, "堂街镇2024年政府信息公开工作年度报告", "ha-jiaxian-tangjie", 2024, "html", ["html"]),
    (JIAXIAN, "郏县2023年政府信息公开工作年度报告", "ha-jiaxian-county", 2023, "pdf", ["pdf"]),
    (
        HOBOKSAR,
        "和布克赛尔蒙古自治县人民政府2024年政府信息公开工作年度报告",
        "xj-hoboksar-county",
        2024,
        "html",
        ["html"],
    ),
    (HOBOKSAR, "和什托洛盖镇2024年政府信息公开工作年度报告", "xj-hoboksar-hstlg", 2024, "html", ["html"]),
    (YUMIN, "裕民县人民政府2024年政府信息公开工作年度报告", "xj-yumin-county", 2024, "html", ["html"]),
    (YUMIN, "裕民县人民政府2023年政府信息公开工作年度报告", "xj-yumin-county", 2023, "html", ["html"]),
]
# (site id, outcome, platform, listing pages read)
OUTCOMES = [
    ("xj-tuoli-county", "ok", "trs", 3),
    ("xj-tacheng-city", "ok", "hanweb", 3),
    ("ha-jiaxian-county", "ok", "cluster", 3),
    ("xj-hoboksar-county", "ok", "nextpage", 2),
    ("xj-yumin-county", "ok", "query", 2),
    ("xj-emin-county", "unreachable", None, 0),
    ("xj-huocheng-county", "unreachable", None, 0),
    ("xj-shawan-city", "blocked", None, 0),
    ("xj-wusu-city", "nothing_found", "trs", 1),
    ("xj-qiemo-county", "layout_changed", "single", 1),
]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    with build_web(sample_sites()).prerender() as web:
        items, log = run_crawl(web, REGISTRY, tmp_path_factory.mktemp("crawl") / "items.jsonl")
        yield web, items, log


@pytest.fixture(scope="module")
def reports(crawl):
    return {item["title"]: item for item in crawl[1] if "documents" in item}


@pytest.fixture(scope="module")
def outcomes(crawl):
    return {item["site_id"]: item for item in crawl[1] if "outcome" in item}


# A report still listed whose article was deleted: found, attributed, not downloaded.
GONE = "郏县2022年政府信息公开工作年度报告"
# A report listed at a path robots.txt forbids: never fetched, yet an item (with why) so that it is never "missing".
FORBIDDEN = "托里县人民政府2022年政府信息公开工作年度报告"


def test_exactly_the_reports_are_found(reports):
    assert sorted(reports) == sorted([GONE, FORBIDDEN, *(row[1] for row in EXPECTED)])
    assert reports[FORBIDDEN]["documents"] == [] and "robots.txt" in reports[FORBIDDEN]["error"]


def test_deleted_report_is_yielded_with_its_error(reports):
    item = reports[GONE]
    assert (item["agency_id"], item["year"], item["documents"], item["main_url"]) == (
        "ha-jiaxian-county",
        2022,
        [],
        None,
    )
    assert item["error"].startswith("HTTP 404")


def test_unreachable_outcome_says_why(outcomes):
    assert "took longer than" in outcomes["xj-emin-county"]["detail"]
    assert outcomes["xj-huocheng-county"]["detail"].startswith("HTTP 500")


@pytest.mark.parametrize(
    ("host", "title", "agency_id", "year", "main_kind", "kinds"), EXPECTED, ids=[row[1] for row in EXPECTED]
)
def test_report_item(reports, host, title, agency_id, year, main_kind, kinds):
    item = reports[title]
    assert (item["agency_id"], item["year"], item["url"]) == (agency_id, year, report_urls(SITES[host])[title])
    assert item["listing_url"] == SITES[host].listing_url
    assert [d["kind"] for d in item["documents"]] == kinds
    main = next(d for d in item["documents"] if d["url"] == item["main_url"])
    assert main["kind"] == main_kind
    assert item["error"] is None
    assert item["published"].startswith(str(year + 1))


def test_unknown_agency_is_kept_with_its_printed_name(reports):
    item = reports["托里县水利局2024年度政府信息公开工作年度报告"]
    assert (item["agency_id"], item["agency_name"], item["site_id"]) == (None, "托里县水利局", "xj-tuoli-county")


def test_non_reports_are_never_downloaded(crawl):
    web = crawl[0]
    for site in SITES.values():
        for title, url in report_urls(site).items():
            if title != GONE and not any(title == row[1] for row in EXPECTED):
                assert web.requests[url] == 0, title


def test_spam_clone_and_robots_disallowed_report_are_not_fetched(crawl):
    web, _, log = crawl
    assert not any("tuoli-gov.test" in url for url in web.requests)
    assert not any("/private/" in url for url in web.requests)
    assert "'nianbao/offsite_report_links': 1" in log


@pytest.mark.parametrize(("site_id", "outcome", "platform", "pages"), OUTCOMES, ids=[row[0] for row in OUTCOMES])
def test_site_outcome(outcomes, crawl, site_id, outcome, platform, pages):
    item = outcomes[site_id]
    assert (item["outcome"], item["listing_pages"]) == (outcome, pages)
    assert item["platforms"] == ([platform] if platform else [])
    assert f"'nianbao/site/{site_id}/outcome': '{outcome}'" in crawl[2]


def test_shared_listing_is_read_once_and_each_agency_gets_an_outcome(crawl, outcomes):
    web = crawl[0]
    assert web.requests[SITES[TUOLI].listing_url] == 1
    counts = {site_id: outcomes[site_id]["reports"] for site_id in ("xj-tuoli-county", "xj-tuoli-hatu", "xj-tuoli-jyj")}
    assert counts == {"xj-tuoli-county": 3, "xj-tuoli-hatu": 1, "xj-tuoli-jyj": 0}  # the county's: FORBIDDEN too
    assert outcomes["xj-tuoli-jyj"]["outcome"] == "ok"  # the list was read: its absence is proven


def test_pdf_behind_a_servlet_is_typed_by_its_bytes(reports):
    item = reports["托里县哈图镇人民政府2024年政府信息公开工作年度报告"]
    assert "." not in item["main_url"].rsplit("/", 1)[1].split("?")[0]
    assert item["documents"][1]["body"].startswith(b"%PDF")
    docx = reports["郏县发展和改革委员会2024年政府信息公开工作年度报告"]["documents"][1]
    assert docx["body"].startswith(b"PK") and docx["name"].endswith(".docx")


def test_pdfjs_viewer_is_unwrapped(reports):
    item = reports["塔城市阿西尔达斡尔民族乡人民政府2024年政府信息公开工作年度报告"]
    assert "/module/download/downfile.jsp?" in item["main_url"]


def test_gbk_site_without_charset_is_decoded(reports):
    titles = [row[1] for row in EXPECTED if row[0] == HOBOKSAR]
    for title in titles:
        page = reports[title]["documents"][0]
        assert page["encoding"] == "gb18030"
        assert title in page["body"].decode(page["encoding"])


def test_500_then_recovery_is_retried(crawl, outcomes):
    web = crawl[0]
    assert web.requests[SITES[YUMIN].listing_url] == 2
    assert outcomes["xj-yumin-county"]["reports"] == 2


def test_listing_page_cap(tmp_path):
    tuoli = SITES[TUOLI]
    with build_web([tuoli]).prerender() as web:
        items, _ = run_crawl(
            web,
            REGISTRY,
            tmp_path / "items.jsonl",
            sites=["xj-tuoli-county"],
            settings={"NIANBAO_MAX_LISTING_PAGES": "1"},
        )
    outcome = next(item for item in items if "outcome" in item)
    assert outcome["listing_pages"] == 1
    assert web.requests[tuoli.listing_url.replace("index.html", "index_1.html")] == 0
    assert {item["title"] for item in items if "documents" in item} == {
        "托里县人民政府2024年政府信息公开工作年度报告",
        "托里县哈图镇人民政府2024年政府信息公开工作年度报告",
        "2024年托里县财政局政府信息公开工作年度报告",
    }
