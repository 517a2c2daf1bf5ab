"""`nianbao show REPORT`: a stored report's three tables as a person checks them, each cell with where it was printed,
how it was placed and a person's correction (the HTML form, with the source beside it: nianbao/show_html.py)."""

from __future__ import annotations

from dataclasses import dataclass

from nianbao.export.layout import qualified_label
from nianbao.report.validate import check
from nianbao.template import (
    ACTIVE_COLUMN_LABELS,
    APPLICANT_COLUMN_LABELS,
    APPLICATION_ROWS,
    PLACEMENTS,
    REVIEW_COLUMN_LABELS,
    REVIEW_COLUMNS,
    REVIEW_GROUPS,
    TABLE_TITLES,
    TABLES,
    TEMPLATES,
)

# The marks a cell's value carries in the text form (the HTML form colours them the same way).
MARKS = {"corrected": "*", "inferred": "~", "stale": "!"}
LEGEND = ("* corrected by a person (the parsed value is kept: see corrections)   ~ placed or recovered by "
          "arithmetic, not simply read   ! corrected on an earlier version: check again")


@dataclass(frozen=True)
class CellView:
    key: str  # table.row.column
    value: int | float | None
    source: dict | None  # the provenance entry: how, and where printed
    correction: dict | None  # the export's correction entry (value, parsed_value, note, by, at, stale)

    @property
    def mark(self) -> str:
        if self.correction and not self.correction["stale"]:
            return "corrected"
        if self.correction:
            return "stale"
        return "inferred" if self.source and self.source["how"] != "read" else ""

    @property
    def where(self) -> str:
        """Where the source printed it, in words."""
        return describe(self.source)


@dataclass(frozen=True)
class TableView:
    key: str
    title: str
    columns: tuple[str, ...]  # printed headers
    rows: tuple[tuple[str, tuple[CellView, ...]], ...]  # (label, cells)


def describe(source: dict | None) -> str:
    if not source:
        return "not read"
    place = {k: v for k, v in source.items() if k != "how"}
    if "bbox" in place:
        x0, y0, x1, y1 = place["bbox"]
        at = f"page {place['page']}, box ({x0:g}, {y0:g})–({x1:g}, {y1:g}) pt"
    elif "boundary" in place:
        at = f"page {place['page']}, text object at ({place['boundary'][0]:g}, {place['boundary'][1]:g}) mm"
    elif "table" in place:
        at = f"table {place['table'] + 1}, row {place['row'] + 1}, cell {place['cell'] + 1}"
    elif "line" in place:
        at = f"line {place['line']}" + (f", field {place['field'] + 1}" if "field" in place else "")
    else:
        at = "no place in the source"
    return f"{at}: {PLACEMENTS.get(source['how'], source['how'])}"


def table_views(report: dict) -> list[TableView]:
    """The three tables in the format's order and labels, every cell with its provenance and correction."""
    provenance, corrections = report.get("provenance") or {}, report.get("corrections") or {}
    template = TEMPLATES.get(report.get("template") or "", TEMPLATES["2021"])

    def cell(table: str, row: str, column: str) -> CellView:
        key = f"{table}.{row}.{column}"
        value = ((report.get(table) or {}).get(row) or {}).get(column)
        return CellView(key, value, provenance.get(key), corrections.get(key))

    active_columns = tuple(dict.fromkeys(c for r in template.active_rows for c in r.columns))
    active = tuple((r.label, tuple(cell("active_disclosure", r.key, c) if c in r.columns else None
                                   for c in active_columns)) for r in template.active_rows)
    applications = tuple((qualified_label(r), tuple(cell("applications", r.key, c) for c in r.columns))
                         for r in APPLICATION_ROWS if r.key in (report.get("applications") or {}))
    review = tuple((label, tuple(cell("review_litigation", group, c) for c in REVIEW_COLUMNS))
                   for group, label in REVIEW_GROUPS)
    columns = {"active_disclosure": tuple(ACTIVE_COLUMN_LABELS[c] for c in active_columns),
               "applications": tuple(APPLICANT_COLUMN_LABELS.values()),
               "review_litigation": tuple(REVIEW_COLUMN_LABELS[c] for c in REVIEW_COLUMNS)}
    rows = {"active_disclosure": active, "applications": applications, "review_litigation": review}
    return [TableView(key, TABLE_TITLES[key], columns[key], rows[key]) for key in TABLES]


def shown_value(cell: CellView | None) -> str:
    if cell is None:
        return ""
    text = "" if cell.value is None else f"{cell.value:g}" if isinstance(cell.value, float) else str(cell.value)
    return text + MARKS.get(cell.mark, "")


def _sums_after_corrections(report: dict) -> list[str]:
    """The format's arithmetic checked again on the corrected tables (the findings below are the parse's, as read)."""
    if not any(not c["stale"] for c in (report.get("corrections") or {}).values()):
        return []
    broken = check(report.get("applications") or {}, report.get("review_litigation") or {})
    if not broken:
        return ["  with the corrections, every sum the format requires holds"]
    return ["  with the corrections, these sums still fail:"] + [f"    {f.rule} {f.where}: {f.message}" for f in broken]


def render_text(report: dict) -> str:
    lines = [f"{report.get('title') or '(no title)'}",
             f"report {report.get('report_id')} · {report.get('agency_name') or report.get('agency') or ''} · "
             f"{report.get('year')} · version {report.get('version')} · {report.get('source_url')}", ""]
    for table in table_views(report):
        lines.append(table.title)
        width = max((len(label) for label, _ in table.rows), default=4)
        lines.append("\t".join(["".ljust(width), *table.columns]))
        lines.extend("\t".join([label.ljust(width), *(shown_value(c) for c in cells)]) for label, cells in table.rows)
        lines.append("")
    lines.append(LEGEND)
    corrections = report.get("corrections") or {}
    if corrections:
        lines.append("")
        lines.append("corrections:")
        lines.extend(f"  {key}: parsed {c['parsed_value']}, corrected to {c['value']} by {c['by']} at {c['at']}"
                     f"{' (STALE: made on earlier bytes, not applied)' if c['stale'] else ''}: {c['note']}"
                     for key, c in corrections.items())
        lines.extend(_sums_after_corrections(report))
    placed = [(key, s) for key, s in (report.get("provenance") or {}).items() if s["how"] != "read"]
    if placed:
        lines.append("")
        lines.append("cells not simply read:")
        lines.extend(f"  {key}: {describe(s)}" for key, s in placed)
    findings = [f for f in report.get("findings") or [] if f["severity"] != "info"]
    if findings:
        lines.append("")
        lines.append("findings:")
        lines.extend(f"  {f['severity']} {f['rule']} {f['where'] or ''}: {f['message']}" for f in findings)
    return "\n".join(lines) + "\n"
