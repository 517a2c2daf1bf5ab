"""An inline SVG stacked bar chart of statuses per group (region or level), with its counts in data attributes."""

from __future__ import annotations

import json
from html import escape

from nianbao.audit.model import STATUS_LABELS, STATUSES

# Two charts side by side fit the page's 1152 px: label + bar + total = 540.
LABEL_WIDTH = 170
BAR_WIDTH = 330
TOTAL_WIDTH = 40
ROW_HEIGHT = 24
BAR_HEIGHT = 16


def _attr(value) -> str:
    return escape(str(value), quote=True)


def _segments(counts: dict[str, int], scale: float, y: int) -> str:
    parts, x = [], float(LABEL_WIDTH)
    for status in STATUSES:
        count = counts.get(status, 0)
        if not count:
            continue
        width = count * scale
        parts.append(
            f'<rect class="seg seg-{status}" data-status="{status}" data-count="{count}" x="{x:.1f}" y="{y}" '
            f'width="{width:.1f}" height="{BAR_HEIGHT}"><title>{escape(STATUS_LABELS[status])} {status}: {count}'
            f"</title></rect>"
        )
        x += width
    return "".join(parts)


def _label(text: str, room: int = LABEL_WIDTH - 16) -> str:
    """SVG text does not wrap: long names are cut, the full name stays in the bar's data-label and tooltip."""
    used = 0
    for index, char in enumerate(text):
        used += 12 if ord(char) > 0x2E80 else 7  # at 12 px: a CJK character is square, Latin about 7 px
        if used > room:
            return text[:index - 1] + "…"
    return text


def bar_chart(chart_id: str, groups: list[tuple[str, str, dict[str, int]]]) -> str:
    """groups: (key, label, status -> count). Each bar is a <g class="bar"> carrying data-counts as JSON."""
    biggest = max((sum(c.values()) for _, _, c in groups), default=0) or 1
    scale = BAR_WIDTH / biggest
    width = LABEL_WIDTH + BAR_WIDTH + TOTAL_WIDTH
    height = max(len(groups), 1) * ROW_HEIGHT + 4
    bars = []
    for index, (key, label, counts) in enumerate(groups):
        y = index * ROW_HEIGHT + 4
        total = sum(counts.values())
        bars.append(
            f'<g class="bar" data-key="{_attr(key)}" data-label="{_attr(label)}" data-total="{total}" '
            f'data-counts="{_attr(json.dumps(counts, sort_keys=True))}">'
            f"<title>{escape(label)}</title>"
            f'<text class="bar-label" x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT - 3}" text-anchor="end">'
            f"{escape(_label(label))}</text>"
            f"{_segments(counts, scale, y)}"
            f'<text class="bar-total" x="{LABEL_WIDTH + total * scale + 6:.1f}" y="{y + BAR_HEIGHT - 3}">{total}</text>'
            f"</g>"
        )
    return (f'<svg id="{_attr(chart_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'data-total="{sum(sum(c.values()) for _, _, c in groups)}">{"".join(bars)}</svg>')
