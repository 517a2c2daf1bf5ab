"""Comparing a parse with the report data it was rendered from."""

from __future__ import annotations

from nianbao.template import APPLICANT_COLUMNS, REVIEW_COLUMNS, REVIEW_GROUPS
from tests.render.report_data import active_cells, application_cells, review_cells


def mismatches(parsed: dict, report: dict, *, blanks_null: bool = True) -> list[str]:
    """Every cell of the report data the parse did not return as printed.

    blanks_null: a cell the data leaves unknown was rendered blank and must come back null. Off for tab-split text,
    where a blank field at a row's end cannot be told from merged-cell debris (the cell is then not scored).
    """
    out = []
    rows = [(f"active_disclosure.{key}", values, list(parsed["active_disclosure"].get(key, {}).values()))
            for key, _label, values in active_cells(report)]
    rows += [(f"applications.{key}", values, [parsed["applications"].get(key, {}).get(c) for c in APPLICANT_COLUMNS])
             for key, _label, values in application_cells(report)]
    got_review = [parsed["review_litigation"].get(g, {}).get(c) for g, _ in REVIEW_GROUPS for c in REVIEW_COLUMNS]
    rows.append(("review_litigation", review_cells(report), got_review))
    for where, want, got in rows:
        if len(got) != len(want):
            got = got or [None] * len(want)
        scored = [(w, g) for w, g in zip(want, got, strict=False) if blanks_null or w is not None]
        if any(w != g for w, g in scored) or len(got) != len(want):
            out.append(f"{where}: want {want}, got {got}")
    for key in ("agency", "year", "template"):
        if parsed[key] != report[key]:
            out.append(f"{key}: want {report[key]!r}, got {parsed[key]!r}")
    return out


def rules(parsed: dict) -> set[str]:
    return {f["rule"] for f in parsed["findings"]}
