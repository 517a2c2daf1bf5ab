"""From the intermediate form to the parse JSON of CONTRACT.md: locate the tables, read them, check them."""

from __future__ import annotations

from pathlib import Path

from nianbao.document import Document, Finding, UnreadableInput, read_document
from nianbao.report import meta
from nianbao.report.columns import resolve_by_columns
from nianbao.report.labels import heading_section, normalize
from nianbao.report.recover import recover_lost_row
from nianbao.report.tables import collect_values, fit_row, read_rows
from nianbao.report.validate import check
from nianbao.template import REVIEW_GROUPS, SECTIONS, TEMPLATE_MARKERS, TEMPLATES


class NotAReport(UnreadableInput):
    """The input was read but holds no annual report (no report title and none of the standard tables)."""


def parse_file(path: Path | str) -> dict:
    path = Path(path)
    return parse_document(read_document(path), source=path.name)


def parse_bytes(data: bytes, name: str = "", url: str | None = None) -> dict:
    return parse_document(read_document(data, name=name, url=url), source=url or name)


def parse_document(doc: Document, source: str = "") -> dict:
    """The parse JSON for one document. Raises NotAReport when it holds no report at all."""
    rows = doc.rows()
    lines = [" ".join(c for c in r if c.strip()) for r in rows]
    sections = _section_starts(rows)
    findings: list[Finding] = list(doc.findings)
    t3_start, t3_end = _table3_region(rows, sections)
    t2_start, t2_end = _table2_region(rows, sections, t3_start)
    template = _template_name(rows[t2_start:t2_end] if t2_end > t2_start else rows)
    spec = TEMPLATES.get(template, TEMPLATES["2021"])

    active = read_rows(rows, t2_start, t2_end, spec.active_rows, "active_disclosure")
    apps = read_rows(rows, t3_start, t3_end, spec.application_rows, "applications") if t3_start is not None else {}
    strays = _pop_strays(active) + _pop_strays(apps)
    review_start = _review_start(rows, sections, t2_end, t3_start, t3_end)
    review = _read_review(rows, spec.review_row, review_start, _review_end(rows, sections))

    title = meta.find_title(lines, doc.meta.get("title"))
    text = doc.text()
    has_tables = bool(active or apps or review)
    if not title and not has_tables and not any(f.rule == "no_text_layer" for f in findings):
        raise NotAReport(f"not an annual report: {source or 'the input'} has no report title and no standard table")

    resolve_by_columns(apps)
    for read in [*active.values(), *apps.values(), *([review] if review else []), *strays]:
        findings.extend(read.findings)
    applications = {k: apps[k].as_dict() for k in (r.key for r in spec.application_rows) if k in apps}
    recovered = recover_lost_row(applications)
    findings.extend(recovered)
    applications = {k: applications[k] for k in (r.key for r in spec.application_rows) if k in applications}
    review_litigation = _review_dict(review)
    findings.extend(_missing_tables(active, applications, review))
    findings.extend(check(applications, review_litigation))
    findings.extend(_missing_sections(sections, has_tables))
    agency, year = meta.agency_of(title), meta.year_of(title, text)
    if agency is None:
        findings.append(Finding.of("no_agency", "agency", "no agency name could be read from the title"))
    if year is None:
        findings.append(Finding.of("no_year", "year", "the year reported on could not be read"))
    return {
        "agency": agency,
        "year": year,
        "template": template,
        "title": title,
        "published": meta.published_of(doc.meta, lines),
        "index_no": doc.meta.get("index_no"),
        "publisher": doc.meta.get("publisher"),
        "text": text,
        "active_disclosure": {k: r.as_dict() for k, r in active.items()},
        "applications": applications,
        "review_litigation": review_litigation,
        "findings": [f.as_dict() for f in findings],
        "provenance": _provenance(active, apps, review, applications, recovered),
    }


def _provenance(active, apps, review, applications, recovered) -> dict[str, dict]:
    """Where each non-null cell was printed and how it was placed, keyed table.row.column."""
    out: dict[str, dict] = {}
    for table, reads in (("active_disclosure", active), ("applications", apps)):
        for key, read in reads.items():
            out.update(read.provenance(f"{table}.{key}"))
    if review is not None:
        out.update(review.provenance("review_litigation"))
    for finding in recovered:
        out.update({f"{finding.where}.{column}": {"how": "recovered_total"}
                    for column, value in applications[finding.where.split(".", 1)[1]].items() if value is not None})
    return out


def _section_starts(rows: list[list[str]]) -> dict[int, int]:
    """Row index of each section heading, keeping headings that come in the format's order.

    Read from the end: a table of contents (or an introduction listing the six sections) repeats the headings
    before the real ones, and the last run in order is the report's own.
    """
    found: list[tuple[int, int]] = []
    for i, cells in enumerate(rows):
        texts = [c for c in cells if c.strip()]
        if len(texts) == 1 and (section := heading_section(texts[0])):
            found.append((i, section.number))
    starts: dict[int, int] = {}
    below = len(SECTIONS) + 1
    for i, number in reversed(found):
        if number < below:
            starts[number] = i
            below = number
    return starts


def _pop_strays(reads: dict) -> list:
    """Remove and return the rows no template row matched (reported as findings, never as cells)."""
    return [reads.pop(k) for k in [k for k in reads if k.startswith("?")]]


def _review_start(rows, sections, t2_end: int, t3_start: int | None, t3_end: int) -> int:
    """Table 四 follows table 三; without table 三, its own heading or 行政复议 header after table 二 — never the
    top of the report, whose other numbers are not table 四's."""
    if t3_start is not None:
        return t3_end
    if 4 in sections:
        return sections[4]
    header = _first_row(rows, t2_end, len(rows), lambda t: t.startswith("行政复议") and len(t) <= 12)
    return header if header is not None else len(rows)


def _first_row(rows, start: int, end: int, predicate) -> int | None:
    return next((i for i in range(start, end) if any(predicate(normalize(c)) for c in rows[i])), None)


def _table3_region(rows, sections) -> tuple[int | None, int]:
    begin = sections.get(3, sections.get(2, 0))
    start = _first_row(rows, begin, len(rows), lambda t: "本年新收" in t and len(t) <= 48)
    if start is None:
        start = _first_row(rows, 0, len(rows), lambda t: "本年新收" in t and len(t) <= 48)
    if start is None:
        return None, sections.get(4, len(rows))
    ends = [sections[n] for n in (4, 5, 6) if n in sections and sections[n] > start]
    review_header = _first_row(rows, start, len(rows), lambda t: t.startswith("行政复议") and len(t) <= 12)
    if review_header is not None:
        ends.append(review_header)
    return start, min(ends, default=len(rows))


def _table2_region(rows, sections, t3_start: int | None) -> tuple[int, int]:
    marker = _first_row(rows, 0, len(rows), lambda t: "第二十条" in t and len(t) <= 20)
    candidates = [i for i in (sections.get(2), marker) if i is not None]
    start = min(candidates) if candidates else 0
    end = sections.get(3, t3_start if t3_start is not None else sections.get(4, len(rows)))
    if t3_start is not None:
        end = min(end, t3_start)
    return start, max(start, end)


def _review_end(rows, sections) -> int:
    return min((sections[n] for n in (5, 6) if n in sections), default=len(rows))


def _template_name(rows) -> str:
    words = {name: sum(1 for cells in rows for c in cells for w in markers if w in normalize(c))
             for name, markers in TEMPLATE_MARKERS.items()}
    best = max(words, key=words.get)
    return best if words[best] else "unknown"


def _read_review(rows, spec, start: int, end: int):
    if start >= end:
        return None
    values = collect_values(rows, start, end)
    return fit_row(values, spec, "review_litigation") if values else None


def _review_dict(review) -> dict:
    if review is None:
        return {}
    flat = review.as_dict()
    return {g: {k.split(".", 1)[1]: v for k, v in flat.items() if k.startswith(g + ".")} for g, _ in REVIEW_GROUPS}


def _missing_tables(active, applications, review) -> list[Finding]:
    missing = [("active_disclosure", "二、主动公开政府信息情况", active),
               ("applications", "三、收到和处理申请", applications),
               ("review_litigation", "四、行政复议、行政诉讼", review)]
    return [Finding.of("missing_table", where, f"table {label} was not found (an image, or not printed)")
            for where, label, found in missing if not found]


def _missing_sections(sections: dict[int, int], has_tables: bool) -> list[Finding]:
    if not has_tables:
        return []
    return [Finding.of("missing_section", f"section.{s.number}", f"section {s.number} {s.title} was not found")
            for s in SECTIONS if s.number not in sections]
