"""The audit as Rich tables for a terminal: the summary by status and region, then one line per agency, fitted to
the terminal's width with names, ids and dates whole (nianbao.terminal)."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from nianbao.audit.model import LEVEL_LABELS, STATUS_LABELS, STATUSES, AgencyAudit, AuditResult
from nianbao.template import rule_label
from nianbao.terminal import Column, fits, fitted_table

STATUS_STYLES: dict[str, str] = {
    "published": "green", "published_late": "yellow", "missing": "bold red", "not_due": "dim",
    "unparseable": "magenta", "not_stored": "bold magenta", "unreachable": "cyan",
}
# Dropped from a narrow terminal first: the checks, then the counts and the level, region and deadline.
AGENCY_COLUMNS = (
    Column("地区 region", drop=3), Column("机关 agency"), Column("层级", drop=5), Column("状态 status"),
    Column("截止 deadline", drop=2), Column("发布 published"), Column("逾期天数", justify="right", drop=4),
    Column("错误/警告", justify="right", drop=6), Column("核查 checks", whole=False, drop=7),
)

UNATTRIBUTED_COLUMNS = (Column("发布机关 published by"), Column("发布 published", drop=1),
                        Column("标题 title", whole=False, drop=2), Column("网址 url", whole=False))


def status_text(status: str) -> Text:
    return Text(STATUS_LABELS[status], style=STATUS_STYLES[status])


def _summary(result: AuditResult, width: int | None):
    summary = result.summary
    rows = [(Text(summary.region_names[rid]), *_counts(counts)) for rid, counts in summary.by_region.items()]
    rows.append((Text("合计 all", style="bold"), *_counts(summary.by_status)))
    # Each status under its Chinese label and its code, or the label alone where both do not fit.
    columns = [Column("地区 region"), *(Column(f"{STATUS_LABELS[s]}\n{s}", justify="right") for s in STATUSES),
               Column("total", justify="right")]
    if not fits(columns, rows, width):
        columns = [Column("地区"), *(Column(STATUS_LABELS[s], justify="right") for s in STATUSES),
                   Column("合计", justify="right")]
    if not fits(columns, rows, width):  # a narrow terminal: the totals alone, one status a line
        columns = [Column("状态 status"), Column("合计 all", justify="right")]
        totals = _counts(summary.by_status)
        rows = [(status_text(s), totals[i]) for i, s in enumerate(STATUSES)]
    title = f"{result.year} 年度报告发布情况 · as of {result.as_of.isoformat()}"
    return fitted_table(columns, rows, width, title=title, title_justify="left")


def _counts(counts: dict[str, int]) -> list[Text]:
    cells = [Text(str(counts[s]), style=STATUS_STYLES[s] if counts[s] else "dim") for s in STATUSES]
    return [*cells, Text(str(sum(counts.values())), style="bold")]


def _agency_row(row: AgencyAudit) -> tuple:
    # Text(), not str: scraped names may contain [brackets] that Rich would read as markup.
    return (
        Text(row.region_name), Text(row.name), LEVEL_LABELS.get(row.level, row.level), status_text(row.status),
        row.deadline.isoformat(), row.published.isoformat() if row.published else "—",
        str(row.days_late) if row.days_late else "", _findings_count(row.errors, row.warnings),
        Text(", ".join(f"{rule_label(c.rule)}({c.rule})" for c in row.checks), style="yellow"),
    )


def _findings_count(errors: int, warnings: int) -> Text:
    if not errors and not warnings:
        return Text("")
    return Text.assemble((str(errors), "red" if errors else "dim"), "/",
                         (str(warnings), "yellow" if warnings else "dim"))


def render_table(result: AuditResult, width: int | None = None) -> Group:
    """A renderable for `rich.console.Console.print`, fitted to `width` cells (None: as wide as it needs)."""
    notes = Text(
        f"{result.summary.total} agencies · {result.summary.with_errors} reports with parse errors · "
        f"{result.summary.with_checks} flagged by checks · {result.summary.unattributed_reports} reports unattributed",
        style="dim",
    )
    agencies = fitted_table(AGENCY_COLUMNS, [_agency_row(r) for r in result.rows], width)
    parts = [_summary(result, width), notes, agencies]
    parts += [Text(item.line(), style="dim") for item in result.coverage]  # how complete the registry is
    if result.unattributed:  # reports of the year no registered agency claims: who published them, and where
        parts.append(fitted_table(UNATTRIBUTED_COLUMNS, [
            (Text(r.agency_name), r.published.isoformat() if r.published else "—", Text(r.title), Text(r.source_url))
            for r in result.unattributed], width, title="未归属报告 unattributed reports", title_justify="left"))
    return Group(*parts)
