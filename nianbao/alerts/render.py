"""A digest as a message: a short English subject and a Markdown body with Chinese and English headings, short
enough for a phone (DingTalk, WeCom): every list is cut after a few items with "… and N more"."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from nianbao.alerts.digest import Digest, FailingSite, NewReport, Revision, Withdrawal
from nianbao.alerts.overdue import Overdue
from nianbao.audit.model import LEVEL_LABELS
from nianbao.history import CELL_LABELS, shown_value
from nianbao.revisions import summary

ITEMS_SHOWN = 10  # per list
CELLS_SHOWN = 5  # changed cells per revision
T = TypeVar("T")


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    severity: str  # Apprise's notify type: "info", "warning" or "failure"


def compose(digest: Digest) -> Message:
    return Message(subject(digest), body(digest), _severity(digest))


def subject(digest: Digest) -> str:
    counts = [(len(digest.new), "new"), (len(digest.revised), "revised"), (len(digest.withdrawn), "withdrawn"),
              (len(digest.overdue), "newly overdue"),
              (len(digest.failing), "site failing" if len(digest.failing) == 1 else "sites failing")]
    parts = [f"{'night' if digest.run.night else 'run'} {digest.run.status}"] if digest.run_failed else []
    parts += [f"{count} {what}" for count, what in counts if count]
    return f"nianbao {digest.day}: {', '.join(parts) or 'nothing new'}"


def body(digest: Digest) -> str:
    run = digest.run
    lines = [f"**nianbao** {run.night} 夜间抓取 / night {run.night} ({run.status}) · {digest.day}" if run.night else
             f"**nianbao** 第 {run.id} 次抓取 / run {run.id} ({run.trigger}, {run.status}) · {digest.day}"]
    if digest.run_failed:
        title = "抓取失败 / Run failed" if run.status == "failed" else "抓取中断 / Run interrupted"
        lines += ["", f"### {title}", run.message or "（无说明 / no message）"]
    lines += _section("新发现报告 / New reports", digest.new, _new)
    lines += _section("报告修改 / Revised", digest.revised, _revised)
    lines += _section("报告撤下 / Withdrawn", digest.withdrawn, _withdrawn)
    lines += _section(f"{digest.overdue_year} 年度新增逾期未发布 / Newly overdue", digest.overdue, _overdue)
    lines += _section("站点转为故障 / Sites now failing", digest.failing, _failing)
    if digest.empty:
        lines += ["", "本次抓取无新情况 / Nothing new in this run."]
    return "\n".join(lines) + "\n"


def _section(title: str, items: Sequence[T], entry: Callable[[T], list[str]]) -> list[str]:
    if not items:
        return []
    lines = ["", f"### {title} ({len(items)})"]
    for item in items[:ITEMS_SHOWN]:
        lines += entry(item)
    return lines + _more(len(items) - ITEMS_SHOWN, "")


def _more(hidden: int, indent: str) -> list[str]:
    return [f"{indent}- … 另有 {hidden} 项 / and {hidden} more"] if hidden > 0 else []


def _new(report: NewReport) -> list[str]:
    return [f"- {report.agency_name} · {report.year} · {report.title or '（无标题）'} · {report.source_url}"]


def _revised(revision: Revision) -> list[str]:
    against = revision.changes["from_version"]
    lines = [f"- {revision.agency_name} · {revision.year} · v{revision.version} vs v{against}: "
             f"{summary(revision.changes)} · {revision.source_url}"]
    cells = revision.cells
    for cell in cells[:CELLS_SHOWN]:
        label = CELL_LABELS.get((cell.table, cell.row, cell.column), f"{cell.table}.{cell.row}.{cell.column}")
        lines.append(f"    - {label}: {shown_value(cell.before)} → {shown_value(cell.after)}")
    return lines + _more(len(cells) - CELLS_SHOWN, "    ")


def _withdrawn(withdrawal: Withdrawal) -> list[str]:
    reason = withdrawal.reason or "（原因不详 / no reason）"
    where = f" · {withdrawal.source_url}" if withdrawal.source_url else ""
    return [f"- {withdrawal.agency_name} · {withdrawal.year} · {reason}{where}"]


def _overdue(agency: Overdue) -> list[str]:
    level = LEVEL_LABELS.get(agency.level, agency.level)
    return [f"- {agency.name} ({agency.agency_id}) · {level} · 截止 / due {agency.deadline}"]


def _failing(site: FailingSite) -> list[str]:
    name = f" {site.name}" if site.name else ""
    return [f"- {site.site_key}{name}: {site.was} → {site.failure}"]


def _severity(digest: Digest) -> str:
    if digest.run_failed:
        return "failure"
    return "warning" if digest.withdrawn or digest.overdue or digest.failing else "info"
