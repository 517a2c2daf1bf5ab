"""`nianbao history AGENCY`: every version of an agency's reports, and what each changed (cells with the format's
labels, from what to what; the text's lines), as text for a person or JSON for a script."""

from __future__ import annotations

from dataclasses import asdict

from nianbao.export.layout import CELL_COLUMNS
from nianbao.revisions import is_revision, summary, text_diff
from storage.history import StoredReportHistory, StoredVersion

# (table, row, column) → the label the wide export heads it with: "一、本年新收政府信息公开申请数量：自然人".
CELL_LABELS = {(c.table, c.row, c.column): c.header for c in CELL_COLUMNS}


def as_data(reports: list[StoredReportHistory]) -> list[dict]:
    """The history as JSON-ready data: each version with its changes and the text diff against the one before."""
    data = []
    for report in reports:
        item = asdict(report)
        for version, before in zip(item["versions"], [None, *report.versions], strict=False):
            text = version.pop("text")
            version["text_diff"] = text_diff(before.text, text) if before is not None else []
            for key in ("published", "fetched_at"):
                version[key] = version[key].isoformat() if version[key] else None
        item["withdrawn_at"] = report.withdrawn_at.isoformat() if report.withdrawn_at else None
        data.append(item)
    return data


def render_text(reports: list[StoredReportHistory], agency: str) -> str:
    if not reports:
        return f"{agency}: no stored report\n"
    lines: list[str] = []
    for report in reports:
        lines.append(f"{report.agency_name} ({report.agency_id or 'unattributed'}) · {report.year} · "
                     f"{len(report.versions)} version(s)")
        for version, before in zip(report.versions, [None, *report.versions], strict=False):
            lines += _version_lines(version, before)
        if report.withdrawn_at is not None:
            lines.append(f"  withdrawn {report.withdrawn_at:%Y-%m-%d %H:%M}: {report.withdrawn_reason}")
        lines.append("")
    return "\n".join(lines)


def _version_lines(version: StoredVersion, before: StoredVersion | None) -> list[str]:
    marks = ["current"] if version.current else []
    if version.status != "ok":
        marks.append(version.status)
    lines = [f"  v{version.version}  fetched {version.fetched_at:%Y-%m-%d %H:%M}  published "
             f"{version.published or '—'}  sha256 {version.document_sha256[:16]}…  {version.source_url}"
             + (f"  [{', '.join(marks)}]" if marks else "")]
    if version.changes is None:
        return lines
    reparse = bool(version.changes.get("reparse"))
    if not reparse and not is_revision(version.changes):
        return [*lines, f"      same cells and text as v{version.changes['from_version']} (only the bytes differ)"]
    lines.append(f"      {'the same bytes read again by a newer parser; ' if reparse else ''}"
                 f"against v{version.changes['from_version']}: {summary(version.changes)}")
    for table, row, column, old, new in version.changes["cells"]:
        label = CELL_LABELS.get((table, row, column), f"{table}.{row}.{column}")
        lines.append(f"      {label}: {shown_value(old)} → {shown_value(new)}")
    if before is not None:
        lines += [f"      {line}" for line in text_diff(before.text, version.text) if line[:3] not in ("---", "+++")]
    return lines


def shown_value(value) -> str:
    """A stored cell as a person reads it: （空） for a blank, whole numbers without a decimal point."""
    if value is None:
        return "（空）"
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
