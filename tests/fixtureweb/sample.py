"""The sample web the crawl tests run against: one county site per platform family, and the ways sites fail."""

from __future__ import annotations

from tests.fixtureweb.spec import Agency, ReportSpec, SiteSpec

# Titles that sit in the same columns as the reports and are not reports.
INTERPRETATION = "《{0}2024年政府信息公开工作年度报告》解读"
CIRCULAR = "关于做好2024年度政府信息公开工作年度报告编制发布工作的通知"
NEWS = "{0}召开2025年政务公开工作推进会"


def tuoli() -> SiteSpec:
    """TRS WCM, createPageHTML over 3 pages; a town report only as a PDF behind a servlet, a DOCX, an unknown agency."""
    return SiteSpec(
        host="www.tuoli.gov.test",
        name="托里县人民政府",
        platform="trs",
        listing="/zfxxgk/zfxxgknb/index.html",
        agencies=[
            Agency("xj-tuoli-county", "托里县人民政府", "county"),
            Agency("xj-tuoli-hatu", "托里县哈图镇人民政府", "township", "xj-tuoli-county"),
            Agency("xj-tuoli-czj", "托里县财政局", "department", "xj-tuoli-county"),
            Agency("xj-tuoli-jyj", "托里县教育局", "department", "xj-tuoli-county"),
        ],
        entries=[
            ReportSpec("托里县人民政府", 2024, "tuoli-county-2024", form="page+pdf"),
            INTERPRETATION.format("托里县人民政府"),
            ReportSpec("托里县哈图镇人民政府", 2024, "hatu-town-2024", form="servlet-pdf"),
            ReportSpec(
                "托里县财政局",
                2024,
                "jiaxian-county-2024",
                form="docx",
                title="2024年托里县财政局政府信息公开工作年度报告",
                revised=True,
            ),
            CIRCULAR,
            NEWS.format("托里县"),
            ReportSpec("托里县水利局", 2024, "tacheng-city-2024", title="托里县水利局2024年度政府信息公开工作年度报告"),
            "图解：托里县2024年政府信息公开工作年度报告",
            "托里县2025年政务公开工作要点",
            # A spam clone of the county's report on another host, and a report under a robots.txt Disallow.
            ReportSpec("托里县人民政府", 2023, "tuoli-county-2024", host="www.tuoli-gov.test"),
            ReportSpec("托里县人民政府", 2022, "tuoli-county-2024", path="/private/2023/t20230120_1.html"),
            ReportSpec(
                "托里县人民政府", 2021, "tuoli-county-2021-webpage", title="托里县2021年政府信息公开工作年度报告"
            ),
        ],
        robots="User-agent: *\nDisallow: /private/\n",
    )


def tacheng() -> SiteSpec:
    """Hanweb JCMS: the column's records come from dataproxy.jsp XML; a pdf.js viewer; a report revised later."""
    return SiteSpec(
        host="www.tacheng.gov.test",
        name="塔城市人民政府",
        platform="hanweb",
        listing="/col/col4521/index.html",
        per_page=3,
        agencies=[
            Agency("xj-tacheng-city", "塔城市人民政府", "county"),
            Agency("xj-tacheng-asier", "塔城市阿西尔达斡尔民族乡人民政府", "township", "xj-tacheng-city"),
            Agency("xj-tacheng-wjw", "塔城市卫生健康委员会", "department", "xj-tacheng-city"),
        ],
        entries=[
            "塔城市召开政府信息公开工作培训会",
            ReportSpec("塔城市人民政府", 2024, "tacheng-city-2024", revised=True),
            INTERPRETATION.format("塔城市人民政府"),
            ReportSpec("塔城市阿西尔达斡尔民族乡人民政府", 2024, "hatu-town-2024", form="pdfjs"),
            "关于塔城市2023年政府信息公开工作年度报告有关数据的更正说明",
            ReportSpec(
                "塔城市卫生健康委员会",
                2024,
                "jiaxian-county-2024",
                title="塔城市卫生健康委员会2024年政府信息公开工作报告",
            ),
            "塔城市政府信息公开保密审查制度",
            NEWS.format("塔城市"),
            ReportSpec(
                "塔城市卫生健康委员会",
                2023,
                "jiaxian-county-2024",
                title="塔城市卫生健康委员会2023年政府信息公开工作年度报告（超链版）",
            ),
            CIRCULAR,
            ReportSpec("塔城市人民政府", 2023, "tacheng-city-2024", title="2023年塔城市政府信息公开工作年度报告"),
        ],
    )


def jiaxian() -> SiteSpec:
    """A site cluster: list.shtml, list_2.shtml …; a department DOCX, a town named without its county, a bare PDF."""
    return SiteSpec(
        host="www.jiaxian.gov.test",
        name="郏县人民政府",
        platform="cluster",
        listing="/jiaxian/c100123/list.shtml",
        agencies=[
            Agency("ha-jiaxian-county", "郏县人民政府", "county"),
            Agency("ha-jiaxian-fgw", "郏县发展和改革委员会", "department", "ha-jiaxian-county"),
            Agency("ha-jiaxian-tangjie", "郏县堂街镇人民政府", "township", "ha-jiaxian-county"),
        ],
        entries=[
            ReportSpec("郏县人民政府", 2024, "jiaxian-county-2024"),
            ReportSpec("郏县发展和改革委员会", 2024, "tacheng-city-2024", form="docx"),
            NEWS.format("郏县"),
            "政府信息公开工作年度报告格式",
            ReportSpec("郏县堂街镇人民政府", 2024, "hatu-town-2024", title="堂街镇2024年政府信息公开工作年度报告"),
            INTERPRETATION.format("郏县人民政府"),
            "郏县开展政府开放日活动",
            ReportSpec(
                "郏县人民政府",
                2023,
                "jiaxian-county-2024",
                form="direct-pdf",
                title="郏县2023年政府信息公开工作年度报告",
            ),
            ReportSpec(
                "郏县人民政府", 2022, "jiaxian-county-2024", form="gone", title="郏县2022年政府信息公开工作年度报告"
            ),
            "郏县人民政府关于印发2025年政务公开工作要点的通知",
        ],
    )


def hoboksar() -> SiteSpec:
    """A GBK site with no charset anywhere on its list and a wrong ISO-8859-1 header on articles; 下一页 paging."""
    return SiteSpec(
        host="www.hbkse.gov.test",
        name="和布克赛尔蒙古自治县人民政府",
        platform="nextpage",
        listing="/xxgk/ndbg/index.htm",
        per_page=3,
        encoding="gbk",
        listing_charset=None,
        article_charset="ISO-8859-1",
        agencies=[
            Agency("xj-hoboksar-county", "和布克赛尔蒙古自治县人民政府", "county"),
            Agency("xj-hoboksar-hstlg", "和布克赛尔蒙古自治县和什托洛盖镇人民政府", "township", "xj-hoboksar-county"),
        ],
        entries=[
            ReportSpec("和布克赛尔蒙古自治县人民政府", 2024, "tuoli-county-2024"),
            NEWS.format("和布克赛尔蒙古自治县"),
            INTERPRETATION.format("和布克赛尔蒙古自治县人民政府"),
            "和布克赛尔蒙古自治县政务服务中心开展业务培训",
            ReportSpec(
                "和布克赛尔蒙古自治县和什托洛盖镇人民政府",
                2024,
                "hatu-town-2024",
                title="和什托洛盖镇2024年政府信息公开工作年度报告",
            ),
        ],
    )


def yumin() -> SiteSpec:
    """Server-side ?pageNum=N paging; the listing answers 500 once, then recovers."""
    return SiteSpec(
        host="www.xjym.gov.test",
        name="裕民县人民政府",
        platform="query",
        listing="/xxgk/gknb/index.jsp",
        per_page=2,
        behaviour="flaky",
        agencies=[Agency("xj-yumin-county", "裕民县人民政府", "county")],
        entries=[
            ReportSpec("裕民县人民政府", 2024, "tacheng-city-2024"),
            NEWS.format("裕民县"),
            ReportSpec("裕民县人民政府", 2023, "jiaxian-county-2024"),
        ],
    )


def failing() -> list[SiteSpec]:
    """Sites that time out, stay down (500), sit behind a 412 challenge, list only news, or render lists by JS."""
    return [
        SiteSpec(
            host="www.xjem.gov.test",
            name="额敏县人民政府",
            platform="trs",
            listing="/zwgk/ndbg/index.html",
            behaviour="slow",
            agencies=[Agency("xj-emin-county", "额敏县人民政府", "county")],
            entries=[ReportSpec("额敏县人民政府", 2024, "tuoli-county-2024")],
        ),
        SiteSpec(
            host="www.xjhc.gov.test",
            name="霍城县人民政府",
            platform="trs",
            listing="/xxgk/gknb/index.html",
            behaviour="down",
            agencies=[Agency("xj-huocheng-county", "霍城县人民政府", "county")],
            entries=[ReportSpec("霍城县人民政府", 2024, "tuoli-county-2024")],
        ),
        SiteSpec(
            host="www.shawan.gov.test",
            name="沙湾市人民政府",
            platform="trs",
            listing="/xxgk/xxgknb/index.html",
            behaviour="blocked",
            agencies=[Agency("xj-shawan-city", "沙湾市人民政府", "county")],
            entries=[ReportSpec("沙湾市人民政府", 2024, "tuoli-county-2024")],
        ),
        SiteSpec(
            host="www.wusu.gov.test",
            name="乌苏市人民政府",
            platform="trs",
            listing="/xxgk/xxgknb/index.html",
            agencies=[Agency("xj-wusu-city", "乌苏市人民政府", "county")],
            entries=[NEWS.format("乌苏市"), "乌苏市开展政务公开日活动", CIRCULAR],
        ),
        SiteSpec(
            host="www.qiemo.gov.test",
            name="且末县人民政府",
            platform="shell",
            listing="/zfxxgk/zfxxgknb/",
            agencies=[Agency("xj-qiemo-county", "且末县人民政府", "county")],
        ),
    ]


def sample_sites() -> list[SiteSpec]:
    return [tuoli(), tacheng(), jiaxian(), hoboksar(), yumin(), *failing()]
