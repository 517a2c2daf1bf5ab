"""A large generated web for benchmarks: N counties, each with its departments and towns, across all platforms."""

from __future__ import annotations

from itertools import cycle

from tests.fixtureweb.spec import Agency, ReportSpec, SiteSpec

PLATFORM_LISTINGS = {
    "trs": "/zfxxgk/zfxxgknb/index.html",
    "hanweb": "/col/col{n}/index.html",
    "cluster": "/county{n}/c{n}01/list.shtml",
    "nextpage": "/xxgk/ndbg/index.htm",
    "query": "/xxgk/gknb/index.jsp",
}
DEPARTMENTS = (
    "财政局",
    "教育局",
    "卫生健康委员会",
    "自然资源局",
    "市场监督管理局",
    "人力资源和社会保障局",
    "民政局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "住房和城乡建设局",
    "生态环境局",
)
TOWNS = ("城关镇", "新华镇", "东风乡", "团结乡", "胜利镇", "和平乡", "红星镇", "光明乡")
SEEDS = cycle(("tuoli-county-2024", "tacheng-city-2024", "jiaxian-county-2024", "hatu-town-2024"))
FORMS = cycle(("page", "page", "page", "servlet-pdf", "page", "docx", "page", "pdfjs"))


def generate_sites(counties: int = 50, departments: int = 6, towns: int = 4, year: int = 2024) -> list[SiteSpec]:
    """counties × (1 + departments + towns) agencies: 50 × 11 = 550 with the defaults. Every agency reports."""
    platforms = cycle(PLATFORM_LISTINGS)
    return [_county(n, next(platforms), departments, towns, year) for n in range(1, counties + 1)]


def _county(n: int, platform: str, departments: int, towns: int, year: int) -> SiteSpec:
    county = f"示例{_numeral(n)}县"
    government = f"{county}人民政府"
    county_id = f"gen-county-{n:03d}"
    agencies = [Agency(county_id, government, "county")]
    agencies += [
        Agency(f"{county_id}-d{i}", f"{county}{name}", "department", county_id)
        for i, name in enumerate(DEPARTMENTS[:departments], 1)
    ]
    agencies += [
        Agency(f"{county_id}-t{i}", f"{county}{name}人民政府", "township", county_id)
        for i, name in enumerate(TOWNS[:towns], 1)
    ]
    entries: list[ReportSpec | str] = []
    for agency in agencies:
        form = "page" if agency.level == "county" else next(FORMS)
        entries.append(ReportSpec(agency.name, year, next(SEEDS), form=form))
        if agency.level == "county":
            entries += [f"《{government}{year}年政府信息公开工作年度报告》解读", f"{county}召开政务公开工作推进会"]
    return SiteSpec(
        host=f"www.county{n:03d}.gov.test",
        name=government,
        platform=platform,
        listing=PLATFORM_LISTINGS[platform].format(n=4000 + n),
        agencies=agencies,
        entries=entries,
        per_page=5,
    )


def _numeral(n: int) -> str:
    """Distinct county names that never end with one another: 示例甲乙县, not 示例1县 / 示例11县."""
    stems = "甲乙丙丁戊己庚辛壬癸"
    return "".join(stems[int(d)] for d in f"{n:03d}")
