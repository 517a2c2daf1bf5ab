"""The national report format declared once, as data: sections, the three tables of the 2021 and 2019 formats, their
row and column labels with the variants real reports use, and the arithmetic the format requires.

The parser, the validator, storage and the exporters all read this module; nobody types a row label twice.
Labels are matched after `labels.normalize` (NFKC, no white space, no quotes, no enumeration prefix), so the
keywords below are written in that normalized form: ASCII brackets, no spaces.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    number: int
    title: str
    # A heading row matches when its normalized text contains every word of one of these tuples.
    patterns: tuple[tuple[str, ...], ...]


SECTIONS: tuple[Section, ...] = (
    Section(1, "总体情况", (("总体情况",),)),
    Section(2, "主动公开政府信息情况", (("主动公开政府信息情况",), ("主动公开政府信息",))),
    Section(3, "收到和处理政府信息公开申请情况", (("收到和处理",), ("处理政府信息公开申请",))),
    Section(4, "政府信息公开行政复议、行政诉讼情况", (("行政复议", "诉讼"),)),
    Section(5, "存在的主要问题及改进情况", (("存在的主要问题",), ("主要问题", "改进"))),
    Section(6, "其他需要报告的事项", (("其他需要报告",),)),
)


@dataclass(frozen=True)
class Row:
    """One printed row of a table: its JSON key, the label as the format prints it, and how to recognise it.

    keywords: the row matches when its normalized label contains any of them (covers typos and broken labels).
    exact: short labels that must equal the whole normalized label (e.g. "其他", "总计").
    columns: the JSON keys of its values, in printed order.
    sums: (parts, total) index groups within the row: the values at `parts` must add up to the one at `total`.
    """

    key: str
    label: str
    columns: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    sums: tuple[tuple[tuple[int, ...], int], ...] = ()
    decimal: bool = False  # amounts (万元) may be fractional; counts may not
    signed: bool = False  # 2019 "本年增/减" may be negative


# ---- Table 二: 主动公开政府信息情况 -------------------------------------------------------------------------------

_DOC_COLS_2021 = ("issued", "repealed", "in_force")
_DOC_COLS_2019 = ("new_made", "new_published", "total_published")
_ITEM_COLS_2019 = ("prior_year", "change", "decisions")
_RULES = ("规章",)
_NORMATIVE = ("行政规范性文件", "规范性文件")

ACTIVE_2021: tuple[Row, ...] = (
    Row("rules", "规章", _DOC_COLS_2021, exact=_RULES),
    Row("normative_documents", "行政规范性文件", _DOC_COLS_2021, exact=_NORMATIVE),
    Row("licensing", "行政许可", ("decisions",), exact=("行政许可",)),
    Row("penalty", "行政处罚", ("decisions",), exact=("行政处罚",)),
    Row("coercion", "行政强制", ("decisions",), exact=("行政强制",)),
    Row("fees", "行政事业性收费", ("amount",), exact=("行政事业性收费",), decimal=True),
)

ACTIVE_2019: tuple[Row, ...] = (
    Row("rules", "规章", _DOC_COLS_2019, exact=_RULES),
    Row("normative_documents", "规范性文件", _DOC_COLS_2019, exact=_NORMATIVE),
    Row("licensing", "行政许可", _ITEM_COLS_2019, exact=("行政许可",), signed=True),
    Row("other_services", "其他对外管理服务事项", _ITEM_COLS_2019, exact=("其他对外管理服务事项",), signed=True),
    Row("penalty", "行政处罚", _ITEM_COLS_2019, exact=("行政处罚",), signed=True),
    Row("coercion", "行政强制", _ITEM_COLS_2019, exact=("行政强制",), signed=True),
    Row("fees", "行政事业性收费", ("prior_year", "change"), exact=("行政事业性收费",), signed=True),
    Row("procurement", "政府集中采购", ("projects", "amount"), exact=("政府集中采购",), decimal=True),
)

# The printed column headers of table 二, by column key (both formats; amounts are in 万元).
ACTIVE_COLUMN_LABELS: dict[str, str] = {
    "issued": "本年制发件数", "repealed": "本年废止件数", "in_force": "现行有效件数",
    "decisions": "本年处理决定数量", "amount": "金额（万元）",
    "new_made": "本年新制作数量", "new_published": "本年新公开数量", "total_published": "对外公开总数量",
    "prior_year": "上一年项目数量", "change": "本年增/减", "projects": "采购项目数量",
}

# Header words that tell the formats apart (DOMAIN.md: by these, not by the document number a report cites).
TEMPLATE_MARKERS: dict[str, tuple[str, ...]] = {
    "2021": ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额"),
    "2019": ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "本年增/减", "采购项目数量",
             "采购总金额"),
}

# ---- Table 三: 收到和处理政府信息公开申请情况 ----------------------------------------------------------------------

APPLICANT_COLUMNS: tuple[str, ...] = (
    "natural_person", "commercial", "research", "public_welfare", "legal_service", "other_org", "total",
)
APPLICANT_COLUMN_LABELS: dict[str, str] = {
    "natural_person": "自然人", "commercial": "商业企业", "research": "科研机构", "public_welfare": "社会公益组织",
    "legal_service": "法律服务机构", "other_org": "其他", "total": "总计",
}
_APPLICANT_SUM = (((0, 1, 2, 3, 4, 5), 6),)


def _app(key: str, label: str, keywords: tuple[str, ...] = (), exact: tuple[str, ...] = ()) -> Row:
    return Row(key, label, APPLICANT_COLUMNS, keywords=keywords, exact=exact, sums=_APPLICANT_SUM)


APPLICATION_ROWS: tuple[Row, ...] = (
    _app("new", "一、本年新收政府信息公开申请数量", ("本年新收",)),
    _app("carried_over", "二、上年结转政府信息公开申请数量", ("上年结转",)),
    _app("granted", "（一）予以公开", ("予以公开",)),
    _app("partially_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ("部分公开",)),
    _app("denied_state_secret", "1.属于国家秘密", ("国家秘密",)),
    _app("denied_law_prohibited", "2.其他法律行政法规禁止公开", ("其他法律", "法规禁止", "行政法规禁")),
    _app("denied_three_safeties", "3.危及“三安全一稳定”", ("三安全", "一稳定")),
    _app("denied_third_party", "4.保护第三方合法权益", ("第三方",)),
    _app("denied_internal_affairs", "5.属于三类内部事务信息", ("内部事务",)),
    _app("denied_process_info", "6.属于四类过程性信息", ("过程性",)),
    _app("denied_enforcement_case", "7.属于行政执法案卷", ("执法案卷",)),
    _app("denied_query", "8.属于行政查询事项", ("查询事项", "行政查询")),
    _app("unable_not_held", "1.本机关不掌握相关政府信息", ("不掌握",)),
    _app("unable_needs_creation", "2.没有现成信息需要另行制作", ("没有现成", "另行制作")),
    _app("unable_unclear", "3.补正后申请内容仍不明确", ("补正后", "仍不明确")),
    _app("rejected_petition", "1.信访举报投诉类申请", ("信访", "举报投诉")),
    _app("rejected_duplicate", "2.重复申请", ("重复申请",)),
    _app("rejected_publication", "3.要求提供公开出版物", ("出版物",)),
    _app("rejected_excessive", "4.无正当理由大量反复申请", ("大量反复",)),
    _app("rejected_confirmation", "5.要求行政机关确认或重新出具已获取信息", ("重新出具", "确认或")),
    _app("other_no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", ("逾期不补正",)),
    _app("other_unpaid_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
         ("收费通知", "缴纳费用")),
    _app("other_other", "3.其他", exact=("其他",)),
    # The 2019 format, and some later reports, print （六）其他处理 as one row with its own numbers.
    _app("other_handling", "（六）其他处理", exact=("其他处理",)),
    _app("handled_total", "（七）总计", exact=("总计", "合计")),
    _app("carried_forward", "四、结转下年度继续办理", ("结转下年",)),
)

# The outcome rows that 三(七)总计 adds up (rule handled_total); other_handling stands for the three other_* rows.
OUTCOME_ROWS: tuple[str, ...] = tuple(
    r.key for r in APPLICATION_ROWS if r.key not in ("new", "carried_over", "handled_total", "carried_forward")
)
OUTCOME_GROUPS: dict[str, str] = {
    "granted": "（一）予以公开", "partially_granted": "（二）部分公开", "denied": "（三）不予公开",
    "unable": "（四）无法提供", "rejected": "（五）不予处理", "other": "（六）其他处理",
}

# ---- Table 四: 行政复议、行政诉讼 -------------------------------------------------------------------------------

REVIEW_COLUMNS: tuple[str, ...] = ("upheld", "corrected", "other", "pending", "total")
REVIEW_COLUMN_LABELS: dict[str, str] = {
    "upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结", "total": "总计",
}
REVIEW_GROUPS: tuple[tuple[str, str], ...] = (
    ("review", "行政复议"),
    ("litigation_direct", "行政诉讼（未经复议直接起诉）"),
    ("litigation_after_review", "行政诉讼（复议后起诉）"),
)
# The table is one row of 15 numbers; read as one Row whose columns are "group.column".
REVIEW_ROW = Row(
    "review_litigation", "行政复议、行政诉讼",
    tuple(f"{g}.{c}" for g, _ in REVIEW_GROUPS for c in REVIEW_COLUMNS),
    sums=tuple((tuple(range(5 * i, 5 * i + 4)), 5 * i + 4) for i in range(len(REVIEW_GROUPS))),
)

# ---- The arithmetic (DOMAIN.md) and the finding rules -------------------------------------------------------------


# What a finding's severity means to a reader of the audit page.
SEVERITY_LABELS: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    label: str  # short Chinese name, as the audit page shows it beside the code
    description: str


RULES: dict[str, Rule] = {r.name: r for r in (
    Rule("balance", "error", "勾稽关系不平",
         "一 + 二 = 三(七)总计 + 四 in every column (the 勾稽关系 printed in table 三)"),
    Rule("row_total", "error", "行合计不符", "a row's 总计 = the sum of its six applicant columns"),
    Rule("handled_total", "error", "办理结果合计不符", "三(七)总计 = the sum of the outcome rows (一)…(六)"),
    Rule("review_total", "error", "行政复议合计不符", "行政复议 总计 = the sum of its four results"),
    Rule("litigation_direct_total", "error", "未经复议直接起诉合计不符",
         "行政诉讼(未经复议直接起诉) 总计 = the sum of its four results"),
    Rule("litigation_after_review_total", "error", "复议后起诉合计不符",
         "行政诉讼(复议后起诉) 总计 = the sum of its four results"),
    Rule("cell_count", "warning", "数据个数与栏目不符",
         "a row carried more or fewer numbers than the template has columns"),
    Rule("missing_table", "error", "缺少统计表", "a standard table was not found (for example it is an image)"),
    Rule("unknown_row", "warning", "无法识别的表格行",
         "a table row with numbers whose label matches no row of the format"),
    Rule("lost_row", "warning", "缺行已推算", "an outcome row was not printed; recovered from (七)总计"),
    Rule("blank_cell", "info", "空白单元格", "a cell was left blank in the source; it is null, not 0"),
    Rule("unreadable_cell", "warning", "单元格非数字", "a cell holds something that is not a number"),
    Rule("digits_split", "warning", "数字粘连已拆分",
         "a row's numbers were printed run together; they were split the only way the row's own sums allow"),
    Rule("digits_run_together", "error", "数字粘连无法拆分",
         "a row's numbers were printed run together and no single split satisfies its sums: the row is left unread"),
    Rule("unit_converted", "info", "金额单位已换算", "an amount printed in 元 was converted to the format's 万元"),
    Rule("unreadable_document", "error", "文档无法读取", "the downloaded document could not be read as a report"),
    Rule("no_text_layer", "error", "无可读文字",
         "a document has no usable text (scanned, image-only, or only site chrome)"),
    Rule("missing_section", "warning", "缺少规定章节", "one of the six standard sections was not found"),
    Rule("no_agency", "warning", "未识别发布机关", "the reporting agency could not be read from the report"),
    Rule("no_year", "warning", "未识别报告年度", "the year reported on could not be read from the report"),
    # The readers' own (nianbao/document): what they noticed about the file rather than the report.
    Rule("image_pages", "warning", "含图片页",
         "some pages of a PDF are images only: their text and tables are not read"),
    Rule("unmapped_text", "warning", "部分文字无法解码", "a PDF's text has no Unicode mapping for some characters"),
    Rule("page_unreadable", "warning", "页面无法读取",
         "a page (or a page's part) could not be read, or asked for more than a limit"),
    Rule("too_many_pages", "warning", "页数超限", "only the first pages of a very long PDF were read"),
    Rule("attachments_skipped", "warning", "附件超限未下载",
         "attachments past the per-report cap (count or bytes) were not downloaded"),
    # The audit's own checks (nianbao/audit/checks.py): a found report compared with last year's and with its level.
    Rule("carry_over", "warning", "结转数不符", "二、上年结转 = last year's 四、结转下年度继续办理, column by column"),
    Rule("copied_text", "warning", "内容雷同",
         "the text nearly repeats last year's report once digits and white space are dropped"),
    Rule("rules_implausible", "warning", "规章数据存疑",
         "规章 reported by an agency below the level that may make them (provinces and cities with districts)"),
    Rule("all_zero", "warning", "数据全为零", "every figure in the three tables is 0, from a county or prefecture"),
    Rule("withdrawn", "warning", "已撤下",
         "the report was published, then left its listing and its URL answers 404/410; it is kept here"),
    Rule("corrected", "info", "人工更正",
         "a person corrected cells of the report (nianbao correct); the audit and exports use the corrected values"),
    Rule("correction_stale", "warning", "更正待复核",
         "a person's corrections were made on an earlier version; a new one arrived, so they are not applied"),
    Rule("revised", "info", "发布后修改",
         "the report's cells or text changed after it was first stored (nianbao history shows the changes)"),
)}


# How a cell's value came to stand in its column (the parse JSON's provenance "how"), best first: a person reviewing a
# report looks at every cell that was not simply read.
PLACEMENTS: dict[str, str] = {
    "read": "printed in its own cell",
    "digits_split": "printed run together with its neighbours; cut the only way the row's sums allow",
    "row_sum": "printed, but the row lost or gained cells: its column chosen by the row's own sum",
    "column_sums": "printed, but the row lost or gained cells: its column chosen by the table's column sums",
    "recovered_row_sum": "not printed: recovered from the row's own sum",
    "recovered_total": "not printed: its row recovered from (七)总计 minus the other outcome rows",
}
INFERRED_PLACEMENTS = frozenset(PLACEMENTS) - {"read"}


@dataclass(frozen=True, slots=True)
class Finding:
    """Something noticed about a report, in the shape of the parse JSON's findings: by a reader (about the file), the
    parser (its tables), the crawl or the audit (the report among the others). Made with `Finding.of`, it has its
    rule's severity; one read back from storage keeps the severity it was stored with."""

    rule: str
    severity: str
    where: str
    message: str

    @classmethod
    def of(cls, rule: str, where: str, message: str) -> Finding:
        return cls(rule, RULES[rule].severity, where, message)

    def as_dict(self) -> dict:
        return {"rule": self.rule, "severity": self.severity, "where": self.where, "message": self.message}


def rule_label(code: str) -> str:
    """The rule's Chinese name; an unknown code (a finding of an older or newer parser) stands for itself."""
    rule = RULES.get(code)
    return rule.label if rule else code


@dataclass(frozen=True)
class Template:
    name: str
    active_rows: tuple[Row, ...]
    application_rows: tuple[Row, ...] = APPLICATION_ROWS  # the same in both formats
    review_row: Row = REVIEW_ROW


TEMPLATES: dict[str, Template] = {
    "2021": Template("2021", ACTIVE_2021),
    "2019": Template("2019", ACTIVE_2019),
}


# ---- The words the rest of nianbao judges by ----------------------------------------------------------------------
# The parse JSON's three tables, by key, with the section titles the exports head them with.
TABLES: tuple[str, ...] = ("active_disclosure", "applications", "review_litigation")
TABLE_TITLES: dict[str, str] = {table: SECTIONS[number].title for table, number in zip(TABLES, (1, 2, 3), strict=True)}
# Agency levels (the registry's `level`), highest first.
LEVELS: tuple[str, ...] = ("province", "prefecture", "county", "township", "department")
LEVEL_LABELS: dict[str, str] = {
    "province": "省级", "prefecture": "地市级", "county": "县级", "township": "乡镇", "department": "部门",
}
# A large government reporting nothing at all is suspect (all_zero); a town or a small department may truly have none.
ALL_ZERO_LEVELS = frozenset({"county", "prefecture"})
# A crawl's outcome at one listing page. Only the proving two show that a report not found is really absent;
# "incomplete": the run that took the site did not finish it (it died, or could not store).
SITE_OUTCOMES: tuple[str, ...] = ("found", "nothing_found", "unreachable", "blocked", "layout_changed", "incomplete")
SITE_OUTCOME_LABELS: dict[str, str] = {
    "found": "已发现报告", "nothing_found": "未发现报告", "unreachable": "无法访问", "blocked": "被拦截",
    "layout_changed": "栏目改版", "incomplete": "未完成",
}
PROVING_OUTCOMES = frozenset({"found", "nothing_found"})
# CONTRACT.md "Audit statuses", in the order every summary and chart shows them.
AUDIT_STATUSES: tuple[str, ...] = (
    "published", "published_late", "missing", "not_due", "unparseable", "not_stored", "unreachable",
)
AUDIT_STATUS_LABELS: dict[str, str] = {
    "published": "按时发布", "published_late": "逾期发布", "missing": "未发布", "not_due": "未到期",
    "unparseable": "无法解析", "not_stored": "已发现未保存", "unreachable": "无法访问",
}
