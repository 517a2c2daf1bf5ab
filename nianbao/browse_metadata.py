"""What the browse pages say (Datasette metadata): Chinese titles and descriptions, facets and the canned queries,
worded with the labels the rest of nianbao already uses."""

from __future__ import annotations

from nianbao.audit.model import LEVEL_LABELS, SITE_OUTCOME_LABELS, STATUS_LABELS
from nianbao.template import (
    ACTIVE_2019,
    ACTIVE_2021,
    ACTIVE_COLUMN_LABELS,
    APPLICANT_COLUMN_LABELS,
    APPLICATION_ROWS,
    REVIEW_COLUMN_LABELS,
    REVIEW_GROUPS,
    TABLE_TITLES,
)

TITLE = "政府信息公开工作年度报告 · nianbao"
DESCRIPTION = ("登记单位、年报及其各版本、统计表数字，以及每年的发布核查（audit 表）。只读；"
               "“查询”中的未发布、逾期等清单可加 ?year= 选年度。")

# The three tables of a report by their storage key: the section that prints them, row and column labels. Where
# the 2019 and 2021 formats share a row key, the 2021 label is shown.
ROW_LABELS = {
    "active_disclosure": {row.key: row.label for row in (*ACTIVE_2019, *ACTIVE_2021)},
    "applications": {row.key: row.label for row in APPLICATION_ROWS},
    "review_litigation": dict(REVIEW_GROUPS),
}
COLUMN_LABELS = {"active_disclosure": ACTIVE_COLUMN_LABELS, "applications": APPLICANT_COLUMN_LABELS,
                 "review_litigation": REVIEW_COLUMN_LABELS}

# Columns the snapshot adds beside the keys they translate: table -> {new column: its value for a copied row}.
LABEL_COLUMNS = {
    "agencies": {"level_label": lambda row: LEVEL_LABELS.get(row.level)},
    "report_cells": {
        "row_label": lambda row: ROW_LABELS[row.table_key].get(row.row_key),
        "column_label": lambda row: COLUMN_LABELS[row.table_key].get(row.column_key),
    },
}


def _listing(labels: dict[str, str]) -> str:
    return "；".join(f"{key} {label}" for key, label in labels.items())


UTC_NOTE = "（UTC）"
LEVEL = f"层级：{_listing(LEVEL_LABELS)}"
AGENCY = "登记单位 id（登记表 CSV 的 id 列）"

TABLES: dict[str, dict] = {
    "audit": {
        "title": "年报发布核查",
        "description": "每个登记单位每年一行，由 nianbao audit 按《政府信息公开条例》第四十九条的截止日期判断。"
                       "只有 missing（未发布）说明政府没有发布。",
        "facets": ["year", "status", "level", "region"],
        "columns": {
            "year": "报告年度", "agency_id": AGENCY, "agency": "机关名称", "level": LEVEL, "level_label": "层级",
            "region_id": "所属地区（县、市）的 id", "region": "所属地区",
            "status": f"核查状态：{_listing(STATUS_LABELS)}", "status_label": "核查状态",
            "deadline": "截止日期", "published": "发布日期", "days_late": "逾期天数",
            "errors": "解析错误数", "warnings": "解析警告数", "findings": "解析发现的错误和警告",
            "checks": "核查提示（上年结转不符、内容雷同等）", "notes": "备注", "title": "报告标题",
            "source_url": "来源网址", "version_id": "核查所依据的年报版本",
            "site_outcome": f"站点最近一次抓取结果：{_listing(SITE_OUTCOME_LABELS)}",
        },
    },
    "audit_unattributed": {
        "title": "未能归属的年报",
        "description": "当年的年报里，按 id 和名称都对不上任何登记单位的（核查同样计数）。",
        "facets": ["year"],
    },
    "agencies": {
        "title": "登记单位", "facets": ["level"], "label_column": "name",
        "columns": {"id": AGENCY, "name": "机关名称", "level": LEVEL, "level_label": "层级",
                    "parent_id": "上级单位", "verified": "栏目页已核实", "updated_at": "登记更新时间" + UTC_NOTE},
    },
    "listing_pages": {"title": "年报栏目页", "description": "登记单位发布年报的栏目页；几个单位常共用一页。"},
    "reports": {
        "title": "年度报告", "facets": ["year"], "label_column": "agency_name",
        "description": "每个单位每年一份；其各版本见 report_versions。",
        "columns": {"agency_key": "单位 id，或未登记单位的 name:名称", "agency_id": AGENCY,
                    "agency_name": "机关名称", "year": "报告年度", "current_version_id": "当前版本"},
    },
    "report_versions": {
        "title": "年报版本", "facets": ["status", "template"], "label_column": "title",
        "description": "每次下载到的不同文件各为一版，旧版都保留；document_sha256 链接到原件。",
        "columns": {"version": "版本号", "document_sha256": "原件（点击下载）", "source_url": "来源网址",
                    "title": "报告标题", "published": "发布日期", "template": "格式：2021 或 2019 年版",
                    "fetched_at": "抓取时间" + UTC_NOTE, "status": "ok：可读；unreadable：无法读取"},
    },
    "report_attachments": {"title": "附件", "columns": {"document_sha256": "原件（点击下载）", "url": "附件网址"}},
    "report_cells": {
        "title": "统计表数字", "facets": ["table_key"],
        "description": "年报三张统计表的每个数字；空白为 null，不是 0。",
        "columns": {"table_key": f"表：{_listing(TABLE_TITLES)}", "row_key": "行", "column_key": "列",
                    "row_label": "行名", "column_label": "列名", "value": "数值（金额单位：万元）",
                    "how": "来源方式：read 直接读取；其余为按行合计、列合计推算或拆分（见 README）",
                    "source": "原文位置：PDF 页码与坐标框，网页或 Word 的表、行、格，文本的行与栏"},
    },
    "corrections": {
        "title": "人工更正", "facets": ["table_key"],
        "description": ("人工对统计表数字的更正，与解析值并存、不覆盖解析值；原件字节不变时生效，"
                        "新版本出现后失效，待复核。"),
        "columns": {"document_sha256": "更正所依据的原件", "value": "更正值", "parsed_value": "更正时的解析值",
                    "note": "更正理由", "corrected_by": "更正人", "corrected_at": "更正时间" + UTC_NOTE},
    },
    "report_findings": {
        "title": "解析发现的问题", "facets": ["severity", "rule"],
        "columns": {"rule": "规则", "severity": "error 错误；warning 警告；info 提示", "location": "位置",
                    "message": "说明"},
    },
    "documents": {
        "title": "原件", "description": ("下载到的文件，按 SHA-256 存放。字节不在快照里：点击 report_versions、"
                                       "report_attachments 或本表某行页面上的“原件”，从数据库下载。"),
        "columns": {"sha256": "原件（点击下载）", "content_type": "文件类型", "size": "字节数"},
    },
    "crawl_runs": {"title": "抓取运行", "facets": ["status", "trigger"]},
    "site_outcomes": {
        "title": "站点抓取结果", "facets": ["outcome"],
        "columns": {"outcome": _listing(SITE_OUTCOME_LABELS)},
    },
    "unknown_agencies": {"title": "未登记的单位名称", "description": "栏目页上出现、却对不上任何登记单位的名称。"},
    "unstored_reports": {
        "title": "已发现未保存的年报", "facets": ["year"],
        "description": "栏目页列出、但未能保存的年报（超时、过大、跳转到站外等），原因见 cause。",
    },
}

# Every canned query takes ?year=, and shows the latest audited year without it.
YEAR = "coalesce(nullif(:year, ''), (select max(year) from audit))"
ORIGINAL = "(select document_sha256 from report_versions where id = {}.version_id) as document_sha256"

# No `withdrawn` (撤回) query: the schema does not record a report taken down from its site yet.
QUERIES: dict[str, dict] = {
    "missing": {
        "title": "未发布的单位",
        "description": "截止日期已过，栏目页在最近一次抓取中完整读取，却没有该年度的年报：确实未发布。",
        "sql": f"""select year, agency_id, agency, level_label, region, deadline, site_outcome
from audit where status = 'missing' and year = {YEAR}
order by region_id, agency_id""",
    },
    "late": {
        "title": "逾期发布的单位",
        "description": "发布日期晚于截止日期的年报，按逾期天数排列。",
        "sql": f"""select year, agency_id, agency, level_label, region, deadline, published, days_late, title,
  source_url, {ORIGINAL.format("audit")}
from audit where status = 'published_late' and year = {YEAR}
order by days_late desc, agency_id""",
    },
    "unattributed": {
        "title": "未能归属的年报",
        "description": "按 id 和名称都对不上任何登记单位的年报：该登记而未登记的单位，或读错的名称。",
        "sql": f"""select year, agency_name, title, published, source_url, {ORIGINAL.format("audit_unattributed")}
from audit_unattributed where year = {YEAR}
order by agency_name""",
    },
    "reports_with_errors": {
        "title": "解析有错误的年报",
        "description": "核查所依据的年报中，解析时发现错误（勾稽关系不符、缺表等）的。",
        "sql": f"""select year, agency_id, agency, region, status_label, errors, warnings, findings,
  {ORIGINAL.format("audit")}
from audit where errors > 0 and year = {YEAR}
order by errors desc, agency_id""",
    },
    "revised": {
        "title": "有多个版本的年报",
        "description": "保存了不止一个版本（网站上的文件改过）的年报；各版本见 report_versions。",
        "sql": f"""select reports.year, reports.id as report_id, reports.agency_id, reports.agency_name,
  count(*) as versions, min(report_versions.fetched_at) as first_fetched,
  max(report_versions.fetched_at) as last_fetched
from reports join report_versions on report_versions.report_id = reports.id
where reports.year = {YEAR}
group by reports.id having count(*) > 1
order by versions desc, reports.agency_name""",
    },
}


def metadata(database: str, note: str) -> dict:
    """Datasette's metadata for the snapshot named `database`; `note`, what it is a snapshot of and when, is shown on
    every page as the data source."""
    return {"title": TITLE, "description": DESCRIPTION, "source": note,
            "databases": {database: {"description": DESCRIPTION, "tables": TABLES,
                                     "queries": {name: {**query, "source": note} for name, query in QUERIES.items()}}}}
