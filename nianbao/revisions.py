"""What changed between two versions of a report: the cells whose value changed (from what to what) and the text's
lines added and removed. Plain data in, plain data out: storage records it when a new version arrives, `nianbao
history` and the alerts show it."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import NamedTuple

CellKey = tuple[str, str, str]  # table, row, column (the template's keys)


class CellChange(NamedTuple):
    table: str
    row: str
    column: str
    before: float | int | None  # None: blank, or the cell was not in that version
    after: float | int | None


def cell_changes(before: Mapping[CellKey, float | int | None],
                 after: Mapping[CellKey, float | int | None]) -> list[CellChange]:
    """Every cell whose value differs, in the newer version's order, then cells only the older one had."""
    keys = [*after, *(key for key in before if key not in after)]
    return [CellChange(*key, before.get(key), after.get(key)) for key in keys if before.get(key) != after.get(key)]


def text_lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def text_counts(before: str | None, after: str | None) -> tuple[int, int]:
    """(lines added, lines removed), blank lines and indentation ignored."""
    added = removed = 0
    for line in _diff(before, after):
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def text_diff(before: str | None, after: str | None, limit: int = 60) -> list[str]:
    """A unified diff of the texts' lines (one line of context), at most `limit` lines."""
    lines = list(_diff(before, after, context=1))
    return lines[:limit] + ([f"… {len(lines) - limit} more lines"] if len(lines) > limit else [])


def _diff(before: str | None, after: str | None, context: int = 0) -> Iterator[str]:
    return difflib.unified_diff(text_lines(before), text_lines(after), "before", "after", n=context, lineterm="")


def changes_record(before_version: int, changes: list[CellChange], counts: tuple[int, int]) -> dict:
    """What a version stores about how it differs from the one current when it came (JSON)."""
    return {"from_version": before_version, "cells": [list(c) for c in changes],
            "text": {"added": counts[0], "removed": counts[1]}}


def is_revision(record: Mapping | None) -> bool:
    """Whether a stored changes record shows a real change (a page re-rendered around the same report is not one,
    nor a newer parser reading the same bytes: `nianbao reparse`)."""
    return bool(record) and not record.get("reparse") and bool(
        record["cells"] or record["text"]["added"] or record["text"]["removed"])


def summary(record: Mapping) -> str:
    text = record["text"]
    return f"{len(record['cells'])} cell(s) changed, text +{text['added']}/-{text['removed']} lines"
