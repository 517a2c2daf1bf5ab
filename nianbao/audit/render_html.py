"""The audit as one self-contained HTML page (inline CSS and SVG, no script) a supervisor can open offline."""

from __future__ import annotations

from html import escape
from importlib import resources
from string import Template
from urllib.parse import urlsplit

from nianbao.audit.html_chart import bar_chart
from nianbao.audit.model import (
    LEVEL_LABELS,
    STATUS_LABELS,
    STATUSES,
    AgencyAudit,
    AuditResult,
    Finding,
    StoredReport,
    site_outcome_label,
)
from nianbao.audit.render_evidence import evidence_anchor, evidence_html
from nianbao.evidence_text import utc_time
from nianbao.template import SEVERITY_LABELS, rule_label

# Every scraped string goes through escape(); helpers below take text, never markup, unless named *_html.
ATTENTION = ("missing", "published_late", "not_stored", "unreachable", "unparseable")


def _page() -> Template:
    return Template(resources.files("nianbao.audit").joinpath("page.html").read_text(encoding="utf-8"))


def _badge(status: str) -> str:
    return f'<span class="badge s-{status}">{escape(STATUS_LABELS[status])} {status}</span>'


def _outcome(row: AgencyAudit) -> str:
    """What the crawl last met at the site of an unreachable agency (blocked, layout changed...); nothing otherwise."""
    if row.status != "unreachable":
        return ""
    code = row.site_outcome or "never_crawled"
    return (f'<span class="outcome" data-outcome="{escape(code, quote=True)}">'
            f"{escape(site_outcome_label(row.site_outcome))} {escape(code)}</span>")


def _crawled(row: AgencyAudit) -> str:
    """When the crawl last tried the agency's listing pages: how fresh the verdict is."""
    when = utc_time(row.last_crawled.isoformat()) if row.last_crawled else "从未抓取 never"
    return f'<span class="crawled">上次抓取 last crawled {escape(when)}</span>'


def _notes(row: AgencyAudit) -> str:
    return "; ".join(note.text_zh for note in row.notes)


def _link(text: str, url: str | None) -> str:
    """Only http(s) URLs become links: a scraped javascript: or data: URL stays inert text."""
    if url and urlsplit(url).scheme in ("http", "https"):
        return f'<a href="{escape(url, quote=True)}" rel="noopener noreferrer">{escape(text)}</a>'
    return escape(text)


def _cards(result: AuditResult) -> str:
    by_status = result.summary.by_status
    cards = [f'<div class="card" id="count-total" data-count="{result.summary.total}">'
             f'<span class="num">{result.summary.total}</span><span class="label">登记单位 agencies</span></div>']
    cards += [f'<div class="card status-{s}" id="count-{s}" data-status="{s}" data-count="{by_status[s]}">'
              f'<span class="num">{by_status[s]}</span><span class="label">{escape(STATUS_LABELS[s])} {s}</span></div>'
              for s in STATUSES]
    return "".join(cards)


def _legend() -> str:
    return "".join(f'<span><i class="fill-{s}"></i>{escape(STATUS_LABELS[s])} {s}</span>' for s in STATUSES)


def _charts(result: AuditResult) -> str:
    summary = result.summary
    regions = [(rid, summary.region_names[rid], counts) for rid, counts in summary.by_region.items()]
    levels = [(level, f"{LEVEL_LABELS.get(level, level)} {level}", counts)
              for level, counts in summary.by_level.items()]
    return (f'<div class="chart-box"><h3>按地区 by region</h3>{bar_chart("chart-region", regions)}</div>'
            f'<div class="chart-box"><h3>按层级 by level</h3>{bar_chart("chart-level", levels)}</div>')


def _attention_item(row: AgencyAudit, evidence: dict[str, dict]) -> str:
    detail = {
        "missing": f"截止 {row.deadline.isoformat()}",
        "published_late": f"{row.published.isoformat() if row.published else ''} 逾期 {row.days_late} 天",
        "unreachable": _notes(row),
        "not_stored": _notes(row),
        "unparseable": "表格无法读取",
    }[row.status]
    name = _link(row.name, row.source_url)
    proof = (f' <a class="ev-link" href="#{escape(evidence_anchor(row.agency_id), quote=True)}">证据</a>'
             if row.agency_id in evidence else "")
    return (f'<li data-agency-id="{escape(row.agency_id, quote=True)}">{name} {_outcome(row)} '
            f'<span class="small">{escape(row.region_name)} · {escape(detail)}</span>{proof}</li>')


def _lists(result: AuditResult, evidence: dict[str, dict]) -> str:
    sections = []
    for status in ATTENTION:
        rows = [r for r in result.rows if r.status == status]
        items = "".join(_attention_item(r, evidence) for r in rows) or '<li class="empty">无 none</li>'
        sections.append(f'<section id="list-{status}" data-count="{len(rows)}"><h3>{_badge(status)} {len(rows)}'
                        f"</h3><ul>{items}</ul></section>")
    return "".join(sections)


def _unattributed_item(report: StoredReport) -> str:
    published = report.published.isoformat() if report.published else "发布日期不详"
    return (f'<li><span class="agency">{escape(report.agency_name)}</span> '
            f'{_link(report.title, report.source_url)} <span class="small">{published}</span></li>')


def _unattributed(result: AuditResult) -> str:
    items = "".join(_unattributed_item(r) for r in result.unattributed) or '<li class="empty">无 none</li>'
    return f'<ul id="unattributed-list" data-count="{len(result.unattributed)}">{items}</ul>'


def _gap(status: str, label: str, agency_ids: tuple[str, ...], names: dict[str, str]) -> str:
    if not agency_ids:
        return ""
    return f'<div class="gap-{status}">{label}: {"、".join(escape(names[a]) for a in agency_ids)}</div>'


def _coverage(result: AuditResult) -> str:
    return "".join(f'<p class="coverage" data-division="{item.division}">登记覆盖 {escape(item.line())}</p>'
                   for item in result.coverage)


def _hierarchy(result: AuditResult) -> str:
    if not result.completeness:
        return _coverage(result) + '<p class="empty">无下级单位 no subordinate agencies registered</p>'
    names = {r.agency_id: r.name for r in result.rows}
    head = "".join(f"<th>{escape(STATUS_LABELS[s])}<br>{s}</th>" for s in STATUSES)
    body = []
    for item in result.completeness:
        counts = "".join(f'<td class="num">{item.counts[s]}</td>' for s in STATUSES)
        gaps = _gap("missing", "未发布", item.missing, names) + _gap("published_late", "逾期", item.late, names)
        body.append(f'<tr data-agency-id="{escape(item.agency_id, quote=True)}"><td>{escape(item.name)}</td>'
                    f'<td class="num">{item.total}</td>{counts}<td>{gaps}</td></tr>')
    return _coverage(result) + (f'<table id="hierarchy-table"><thead><tr><th>单位</th><th>下级 total</th>{head}'
            f'<th>未发布/逾期 missing/late</th></tr></thead><tbody>{"".join(body)}</tbody></table>')


def _finding_item(finding: Finding) -> str:
    """中文名 (code), then the severity, where it applies and the message."""
    severity = SEVERITY_LABELS.get(finding.severity, finding.severity)
    return (f'<li class="sev-{escape(finding.severity, quote=True)}" data-rule="{escape(finding.rule, quote=True)}">'
            f"<b>{escape(rule_label(finding.rule))}</b> ({escape(finding.rule)}) · {escape(severity)} · "
            f"{escape(finding.where)}: {escape(finding.message)}</li>")


def _finding_list(label: str, findings: tuple[Finding, ...]) -> str:
    if not findings:
        return ""
    items = "".join(_finding_item(f) for f in findings)
    return f"<details><summary>{escape(label)}</summary><ul>{items}</ul></details>"


def _row(row: AgencyAudit, year: int, evidence: dict[str, dict]) -> str:
    findings = _finding_list(f"错误 {row.errors} · 警告 {row.warnings}", row.findings)
    checks = _finding_list("、".join(rule_label(c.rule) for c in row.checks), row.checks)
    title = _link(row.title, row.source_url) if row.title else ""
    proof = evidence_html(row.agency_id, year, evidence[row.agency_id], _link) if row.agency_id in evidence else ""
    cells = (
        escape(row.region_name), escape(row.name), escape(LEVEL_LABELS.get(row.level, row.level)),
        _badge(row.status) + _outcome(row) + _crawled(row) + proof, row.deadline.isoformat(),
        row.published.isoformat() if row.published else "—", str(row.days_late or ""), findings, checks, title,
        escape(_notes(row)),
    )
    classes = ("", "", ' class="nowrap"', ' class="nowrap"', ' class="nowrap"', ' class="nowrap"', ' class="num"', "",
               "", ' class="title"', ' class="small"')
    tds = "".join(f"<td{c}>{v}</td>" for c, v in zip(classes, cells, strict=True))
    return (f'<tr class="row" data-agency-id="{escape(row.agency_id, quote=True)}" data-status="{row.status}">'
            f"{tds}</tr>")


def _rows(result: AuditResult, evidence: dict[str, dict]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("地区", "单位", "层级", "状态 status", "截止 deadline", "发布 published",
                                               "逾期天数", "解析问题 findings", "核查 checks", "报告 report", "备注"))
    return (f'<table id="agency-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(_row(r, result.year, evidence) for r in result.rows)}</tbody></table>')


def render_html(result: AuditResult, evidence: dict[str, dict] | None = None) -> str:
    """The page; with `evidence` (nianbao.evidence.evidence_for's, by agency id) each verdict shows what backs it."""
    evidence = evidence or {}
    summary = result.summary
    meta = (f"截至 as of {result.as_of.isoformat()} · 登记单位 {summary.total} · 解析错误 {summary.with_errors} · "
            f"核查提示 {summary.with_checks} · 未归属报告 {summary.unattributed_reports} · "
            f"乡镇截止日 township deadline {result.settings.township_deadline}")
    return _page().substitute(
        page_title=escape(f"{result.year}年度政府信息公开工作年度报告发布情况核查"),
        meta=escape(meta), cards=_cards(result), legend=_legend(), charts=_charts(result),
        lists=_lists(result, evidence), unattributed=_unattributed(result), hierarchy=_hierarchy(result),
        rows=_rows(result, evidence),
        footer=escape("Deadlines: 条例第四十九条 — 部门 31 January, 县级以上人民政府 31 March of the next year. "
                      "unreachable: the listing could not be read at its last crawl, so absence is not proven. "
                      "not_stored: the report was listed but could not be stored (the cause is given)."),
    )
