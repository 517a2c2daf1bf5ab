"""Each verdict's evidence on the HTML audit page: the stored report's fetch and WARC record, or the listing pages
the last crawl read, which held no report of the year. The dicts are nianbao.evidence.evidence_for's."""

from __future__ import annotations

from html import escape
from pathlib import PurePath

from nianbao.audit.model import site_outcome_label
from nianbao.evidence_text import utc_time


def evidence_anchor(agency_id: str) -> str:
    return f"ev-{agency_id}"


def evidence_html(agency_id: str, year: int, found: dict, link) -> str:
    """A closed <details> with the evidence; `link(text, url)` makes the page's safe links."""
    lines = _report_lines(found["report"], link) if "report" in found else _absence_lines(found, link)
    command = f"nianbao evidence {agency_id} --year {year}"
    items = "".join(f"<li>{line}</li>" for line in lines)
    return (f'<details class="evidence" id="{escape(evidence_anchor(agency_id), quote=True)}">'
            f"<summary>证据 evidence</summary><ul>{items}</ul><code>{escape(command)}</code></details>")


def _report_lines(report: dict, link) -> list[str]:
    lines = [f"报告 report {link(report['url'], report['url'])}",
             f"抓取 fetched {escape(utc_time(report['fetched_at']))}",
             f"sha256 <code>{escape(report['document_sha256'])}</code>"]
    archived = report["archived"]
    if archived is None:
        return [*lines, "WARC: 无记录 no record (fetched while the archive was off)"]
    return [*lines, f"WARC {_where(archived)}, {escape(archived['record_type'])} {archived['status']} "
                    f"{escape(utc_time(archived['fetched_at']))}"]


def _absence_lines(found: dict, link) -> list[str]:
    outcome = found["site_outcome"]
    if outcome is None:
        return ["从未抓取 no crawl has recorded an outcome for its listing pages"]
    lines = [f"最近抓取 last crawl: run {outcome['run_id']}, {escape(utc_time(outcome['recorded_at']))}, "
             f"{escape(site_outcome_label(outcome['outcome']))} {escape(outcome['outcome'])}; "
             f"栏目页 {outcome['pages']} pages, 归属报告链接 {outcome['reports_found']} report links"]
    fetches = found["listing_fetches"]
    if not fetches:
        lines.append(f"run {outcome['run_id']} 的栏目页不在存档中 no listing page of that run is archived")
    for fetch in fetches:
        lines.append(f"{escape(utc_time(fetch['fetched_at']))} · {fetch['status']} · {link(fetch['url'], fetch['url'])}"
                     f" · sha256 <code>{escape(fetch['payload_sha256'] or '?')}</code> · WARC {_where(fetch)}")
    return lines


def _where(record: dict) -> str:
    warc = record["warc"]
    return f"<code>{escape(PurePath(warc['path']).name)} @ {warc['offset']} (+{warc['length']})</code>"
