"""The audit as Rich tables for a terminal: the summary by status and region, then one line per agency."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from nianbao.audit.model import LEVEL_LABELS, STATUS_LABELS, STATUSES, AuditResult

STATUS_STYLES: dict[str, str] = {
    "published": "green", "published_late": "yellow", "missing": "bold red", "not_due": "dim",
    "unparseable": "magenta", "not_stored": "bold magenta", "unreachable": "cyan",
}


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLES[status])


def _summary(result: AuditResult) -> Table:
    summary = result.summary
    table = Table(title=f"{result.year} 年度报告发布情况 · as of {result.as_of.isoformat()}", title_justify="left")
    table.add_column("地区 region")
    for status in STATUSES:
        table.add_column(Text(f"{status}\n{STATUS_LABELS[status]}", style=STATUS_STYLES[status]), justify="right")
    table.add_column("total", justify="right")
    for region_id, counts in summary.by_region.items():
        # Text(), not str: scraped names may contain [brackets] that Rich would read as markup.
        table.add_row(Text(summary.region_names[region_id]), *_counts(counts))
    table.add_row(Text("all", style="bold"), *_counts(summary.by_status), end_section=True)
    return table


def _counts(counts: dict[str, int]) -> list[Text]:
    cells = [Text(str(counts[s]), style=STATUS_STYLES[s] if counts[s] else "dim") for s in STATUSES]
    return [*cells, Text(str(sum(counts.values())), style="bold")]


def _agencies(result: AuditResult) -> Table:
    table = Table(show_lines=False)
    for name, justify in (("地区", "left"), ("机关 agency", "left"), ("层级", "left"), ("status", "left"),
                          ("deadline", "left"), ("published", "left"), ("days late", "right"),
                          ("errors/warnings", "right"), ("checks", "left")):
        table.add_column(name, justify=justify)
    for row in result.rows:
        table.add_row(
            Text(row.region_name), Text(row.name), LEVEL_LABELS.get(row.level, row.level), status_text(row.status),
            row.deadline.isoformat(), row.published.isoformat() if row.published else "—",
            str(row.days_late) if row.days_late else "", _findings_count(row.errors, row.warnings),
            Text(", ".join(c.rule for c in row.checks), style="yellow"),
        )
    return table


def _findings_count(errors: int, warnings: int) -> Text:
    if not errors and not warnings:
        return Text("")
    return Text.assemble((str(errors), "red" if errors else "dim"), "/",
                         (str(warnings), "yellow" if warnings else "dim"))


def render_table(result: AuditResult) -> Group:
    """A renderable for `rich.console.Console.print`."""
    notes = Text(
        f"{result.summary.total} agencies · {result.summary.with_errors} reports with parse errors · "
        f"{result.summary.with_checks} flagged by checks · {result.summary.unattributed_reports} reports unattributed",
        style="dim",
    )
    return Group(_summary(result), notes, _agencies(result))
