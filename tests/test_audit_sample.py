"""A small registry, its reports and crawl states, built so that one audit shows every status and every check."""

from __future__ import annotations

from datetime import date, datetime

from nianbao.audit import STATUSES, Agency, Settings, SiteState, StoredReport, audit
from nianbao.audit.model import UnstoredReport
from nianbao.template import ACTIVE_2021, APPLICANT_COLUMNS, APPLICATION_ROWS, REVIEW_COLUMNS, REVIEW_GROUPS

YEAR = 2024
AS_OF = date(2025, 2, 15)  # departments and towns are due (31 January), governments are not yet (31 March)
SCRIPT_TITLE = "塔城市教育局2024年政府信息公开工作年度报告<script>alert(1)</script>"

_SENTENCES = (
    "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实党中央、国务院关于政务公开工作的决策部署。",
    "进一步健全政府信息公开工作机制，明确分管领导和工作人员，确保各项任务落到实处。",
    "围绕优化营商环境、乡村振兴、民生保障等重点领域，及时主动公开各类政府信息。",
    "规范依申请公开办理流程，严格按照法定时限答复，切实保障人民群众的知情权。",
    "加强政府网站和政务新媒体管理，落实信息发布审核制度，提升平台服务水平。",
    "组织开展政务公开业务培训，提高工作人员的业务能力和依法公开意识。",
    "存在的主要问题是公开内容不够全面，解读形式较为单一，与群众需求还有差距。",
    "下一步将加大政策解读力度，丰富解读形式，提高政策知晓率和群众满意度。",
    "本机关全年未收取信息处理费，未发生因政府信息公开引起的行政复议和行政诉讼。",
    "强化监督考核，将政务公开工作纳入年度绩效考核，推动工作常态化、制度化。",
    "深化基层政务公开标准化规范化建设，完善事项目录，推动公开向基层延伸。",
    "畅通公众参与渠道，通过意见征集、网上调查等方式听取群众意见建议。",
)


def report_text(agency: str, year: int, picks: tuple[int, ...]) -> str:
    body = "".join(_SENTENCES[i] for i in picks)
    return f"{agency}{year}年政府信息公开工作年度报告\n一、总体情况\n{year}年，{body}\n全年共办理申请{year % 97}件。"


def parsed(*, carried_over: int = 0, carried_forward: int = 0, rules: int = 0, zero: bool = False,
           text: str = "", findings: list[dict] | None = None, applications: bool = True) -> dict:
    """A parse JSON (CONTRACT.md) with consistent figures; `zero` makes every figure 0."""
    n = 0 if zero else 1
    active = {row.key: dict.fromkeys(row.columns, 0 if zero else 2) for row in ACTIVE_2021}
    active["rules"] = {"issued": rules, "repealed": 0, "in_force": rules}
    apps = {row.key: dict.fromkeys(APPLICANT_COLUMNS, 0) for row in APPLICATION_ROWS if row.key != "other_handling"}
    apps["new"] = {**apps["new"], "natural_person": 4 * n, "total": 4 * n}
    apps["carried_over"] = {**apps["carried_over"], "natural_person": carried_over, "total": carried_over}
    apps["carried_forward"] = {**apps["carried_forward"], "natural_person": carried_forward, "total": carried_forward}
    review = {group: dict.fromkeys(REVIEW_COLUMNS, 0) for group, _ in REVIEW_GROUPS}
    return {"template": "2021", "text": text, "active_disclosure": active,
            "applications": apps if applications else {}, "review_litigation": review, "findings": findings or []}


def finding(rule: str, severity: str = "error", where: str = "applications") -> dict:
    return {"rule": rule, "severity": severity, "where": where, "message": f"{rule} at {where}"}


AGENCIES = (
    Agency("tc-prefecture", "塔城地区行政公署", "prefecture"),
    Agency("tuoli", "托里县人民政府", "county", "tc-prefecture"),
    Agency("tuoli-edu", "托里县教育局", "department", "tuoli"),
    Agency("tuoli-hatu", "托里县哈图镇人民政府", "township", "tuoli"),
    Agency("tuoli-miaoergou", "托里县庙尔沟镇人民政府", "township", "tuoli"),
    Agency("tuoli-finance", "托里县财政局", "department", "tuoli"),
    Agency("tuoli-water", "托里县水利局", "department", "tuoli"),
    Agency("tacheng", "塔城市人民政府", "county", "tc-prefecture"),
    Agency("tacheng-edu", "塔城市教育局", "department", "tacheng"),
    Agency("jiaxian", "郏县人民政府", "county"),
    Agency("jiaxian-townA", "郏县城关镇人民政府", "township", "jiaxian"),
)

EXPECTED_STATUS = {
    "tc-prefecture": "not_due", "tuoli": "published", "tuoli-edu": "published_late", "tuoli-hatu": "missing",
    "tuoli-miaoergou": "unreachable", "tuoli-finance": "unreachable", "tuoli-water": "not_stored",
    "tacheng": "unparseable",
    "tacheng-edu": "published", "jiaxian": "published", "jiaxian-townA": "published",
}


def _report(agency_id: str, name: str, year: int, published: date | None, data: dict, title: str = "") -> StoredReport:
    title = title or f"{name}{year}年政府信息公开工作年度报告"
    url = f"http://www.example.gov.cn/zfxxgk/zfxxgknb/{year}/{agency_id}.html"
    return StoredReport(agency_id, name, year, title, url, published, data)


def reports() -> list[StoredReport]:
    edu_text = report_text("托里县教育局", YEAR, (0, 1, 2, 3, 4, 5, 6, 7, 8, 9))
    return [
        # 托里县: on time; 二、上年结转 3 but last year's 四、结转下年度 5 (carry-over mismatch)
        _report("tuoli", "托里县人民政府", YEAR, date(2025, 2, 10),
                parsed(carried_over=3, text=report_text("托里县人民政府", YEAR, (0, 2, 4, 6, 8, 10)))),
        _report("tuoli", "托里县人民政府", YEAR - 1, date(2024, 3, 1),
                parsed(carried_forward=5, text=report_text("托里县人民政府", YEAR - 1, (1, 3, 5, 7, 9, 11)))),
        # 托里县教育局: five days late, and a copy of last year's text with the numbers changed
        _report("tuoli-edu", "托里县教育局", YEAR, date(2025, 2, 5),
                parsed(text=edu_text, findings=[finding("row_total"), finding("cell_count", "warning"),
                                                finding("blank_cell", "info")])),
        _report("tuoli-edu", "托里县教育局", YEAR - 1, date(2024, 1, 20),
                parsed(text=report_text("托里县教育局", YEAR - 1, (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)))),
        # 塔城市: its tables are an image
        _report("tacheng", "塔城市人民政府", YEAR, date(2025, 1, 20),
                parsed(findings=[finding("missing_table", where="applications")])),
        # 塔城市教育局: a title with a script tag, and 规章 from a department
        _report("tacheng-edu", "塔城市教育局", YEAR, date(2025, 1, 31), parsed(rules=1), title=SCRIPT_TITLE),
        # 郏县: all zero, attributed by name only (no agency id stored)
        _report("", "郏县人民政府", YEAR, date(2025, 2, 1), parsed(zero=True)),
        _report("jiaxian-townA", "郏县城关镇人民政府", YEAR, None, parsed()),
        # reports no registered agency matches: this year's is listed by name, last year's is not
        _report("", "某某县某某局", YEAR, date(2025, 1, 3), parsed()),
        _report("", "某某县某某局", YEAR - 1, date(2024, 1, 5), parsed()),
    ]


def site_states() -> list[SiteState]:
    crawled = datetime(2025, 2, 14, 2, 0)
    outcomes = {"tc-prefecture": "nothing_found", "tuoli": "found", "tuoli-edu": "found", "tuoli-hatu": "found",
                "tuoli-miaoergou": "blocked", "tacheng": "found", "tacheng-edu": "found", "jiaxian": "found",
                "jiaxian-townA": "found", "tuoli-water": "found"}  # tuoli-finance: never crawled
    return [SiteState(agency_id, outcome, crawled, f"http://www.example.gov.cn/{agency_id}/")
            for agency_id, outcome in outcomes.items()]


def unstored() -> list[UnstoredReport]:
    # 托里县水利局: its report was listed but timed out, so it is not_stored (never missing), with the cause
    url = "http://www.example.gov.cn/zfxxgk/zfxxgknb/2024/tuoli-water.html"
    return [UnstoredReport("tuoli-water", "托里县水利局", YEAR, url, "TimeoutError: took longer than 60 s",
                           datetime(2025, 2, 14, 2, 5))]


def sample_audit(settings: Settings | None = None):
    return audit(AGENCIES, reports(), site_states(), YEAR, AS_OF, settings, unstored=unstored())


def test_the_sample_shows_every_status():
    result = sample_audit()
    assert {r.agency_id: r.status for r in result.rows} == EXPECTED_STATUS
    assert set(EXPECTED_STATUS.values()) == set(STATUSES)
