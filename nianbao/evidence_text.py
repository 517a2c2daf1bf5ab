"""`nianbao evidence` as plain text: the lines a person reads, from the dict nianbao.evidence.gather makes."""

from __future__ import annotations

from datetime import datetime


def render_text(found: dict) -> str:
    agency = found["agency"]
    lines = [f"{agency['id']} {agency['name']} ({agency['level']}), {found['year']}, as of {found['as_of']}: "
             f"{found['status']} (deadline {found['deadline']})"]
    lines += [f"note: {note}" for note in found["notes"]]
    if "report" in found:
        lines += _report_lines(found["report"])
    else:
        lines += _absence_lines(found)
    return "\n".join(lines) + "\n"


def _report_lines(report: dict) -> list[str]:
    late = f", {report['days_late']} days late" if report["days_late"] else ""
    lines = [f"report {report['id']}, version {report['version']}: {report['title'] or '(untitled)'}",
             f"  url        {report['url']}",
             f"  published  {report['published'] or 'date not printed'}{late}",
             f"  fetched    {utc_time(report['fetched_at'])}",
             f"  document   sha256 {report['document_sha256']}"]
    archived = report["archived"]
    if archived is None:
        return [*lines, "  archived   no WARC record (fetched while the archive was off, or before it was kept)"]
    lines.append(f"  archived   {_where(archived)}, {archived['record_type']} {archived['status']} of "
                 f"{utc_time(archived['fetched_at'])}")
    if archived["url"] != report["url"]:
        lines.append(f"             from {archived['url']}")
    if archived["payload_sha256"] != report["document_sha256"]:
        lines.append(f"             payload sha256 {archived['payload_sha256']}, not the document's")
    return lines


def _absence_lines(found: dict) -> list[str]:
    outcome = found["site_outcome"]
    if outcome is None:
        return ["no crawl has recorded an outcome for its listing pages"]
    lines = [f"last crawl: run {outcome['run_id']}, {utc_time(outcome['recorded_at'])}: {outcome['outcome']}; "
             f"{outcome['pages']} listing page(s) read, {outcome['reports_found']} report link(s) attributed to it"]
    if outcome["message"]:
        lines.append(f"  {outcome['message']}")
    fetches = found["listing_fetches"]
    if not fetches:
        lines.append(f"no listing page of run {outcome['run_id']} is in the evidence archive")
    else:
        lines.append(f"listing pages fetched in run {outcome['run_id']}:")
    for fetch in fetches:
        lines += [f"  {utc_time(fetch['fetched_at'])}  {fetch['status']} {fetch['record_type']:<8}  {fetch['url']}",
                  f"      sha256 {fetch['payload_sha256'] or '?'}  {fetch['payload_digest'] or ''}",
                  f"      {_where(fetch)}"]
    if found["status"] == "missing":
        lines.append(f"none of them was its report for {found['year']}: none is stored, none was listed unstored")
    return lines


def _where(record: dict) -> str:
    warc = record["warc"]
    return f"{warc['path']} @ {warc['offset']} (+{warc['length']})"


def utc_time(iso: str | None) -> str:
    return f"{datetime.fromisoformat(iso):%Y-%m-%d %H:%M:%S} UTC" if iso else "?"
