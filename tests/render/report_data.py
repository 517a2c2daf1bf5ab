"""Report data for rendering test documents: the seeds' hand-checked values plus their prose, as one dict.

Renderers (PDF, DOCX, HTML) take this dict and write a real file; the tests parse that file and compare it with the
same dict. A row whose cells are not all known in the seed renders the unknown cells blank (they must come back null).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from nianbao.template import (
    ACTIVE_2021,
    APPLICANT_COLUMNS,
    APPLICATION_ROWS,
    REVIEW_COLUMNS,
    REVIEW_GROUPS,
    SECTIONS,
)

# A copy of the team's seeds and scoring tool, so a clone with nothing beside it runs every test.
SHARED = Path(__file__).resolve().parents[1] / "data"
SEEDS = SHARED / "seeds"
SEED_NAMES = sorted(p.stem for p in (SEEDS / "expected").glob("*.json"))
_SECTION_HEADING = re.compile(r"^[#*\s]*([一二三四五六])、")
_NUMERALS = "一二三四五六"


def seed_report(name: str) -> dict:
    """The seed's expected values, a clean title, and its prose paragraphs grouped by section number."""
    expected = json.loads((SEEDS / "expected" / f"{name}.json").read_text(encoding="utf-8"))
    source = next(p for p in SEEDS.glob(f"{name}.*") if p.suffix != ".json")
    sections: dict[int, list[str]] = {s.number: [] for s in SECTIONS}
    current = 1
    for line in source.read_text(encoding="utf-8").splitlines():
        heading = _SECTION_HEADING.match(line)
        if heading and "\t" not in line and len(line) < 40:
            current = _NUMERALS.index(heading.group(1)) + 1
            continue
        text = line.strip().strip("*")
        if "\t" not in line and "。" in text and len(text) > 15:
            sections[current].append(text)
    return {
        "name": name,
        "agency": expected["agency"],
        "year": expected["year"],
        "template": expected["template"],
        "title": f"{expected['agency']}{expected['year']}年政府信息公开工作年度报告",
        "published": f"{expected['year'] + 1}-01-20",
        "sections": sections,
        "active_disclosure": expected["active_disclosure"],
        "applications": expected["applications"],
        "review_litigation": expected["review_litigation"],
    }


def active_cells(report: dict) -> list[tuple[str, str, list[float | None]]]:
    """(key, label, values) for each table 二 row of the 2021 format; unknown values are None."""
    return [(row.key, row.label, [report["active_disclosure"].get(row.key, {}).get(c) for c in row.columns])
            for row in ACTIVE_2021]


def application_cells(report: dict) -> list[tuple[str, str, list[int | None]]]:
    """(key, label, 7 values) for each table 三 row the seed has, in template order; unknown values are None."""
    apps = report["applications"]
    return [(row.key, row.label, [apps[row.key].get(c) for c in APPLICANT_COLUMNS])
            for row in APPLICATION_ROWS if row.key in apps]


def review_cells(report: dict) -> list[int | None]:
    """The 15 numbers of table 四 in printed order."""
    rl = report["review_litigation"]
    return [rl.get(g, {}).get(c) for g, _ in REVIEW_GROUPS for c in REVIEW_COLUMNS]


def cell_text(value: float | None) -> str:
    """How a value is printed in a table cell; None (unknown) is a blank cell, integers have no decimal point."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
