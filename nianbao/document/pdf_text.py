"""Text from positioned PDF characters: lines by height on the page, characters by x, spaces where the gaps are."""

from __future__ import annotations

import re
from typing import NamedTuple

from nianbao.document.pdf_settings import TOLERANCES


class Glyph(NamedTuple):
    """One painted character in PDF user space (y grows upwards)."""

    text: str
    x0: float
    x1: float
    y0: float
    y1: float
    size: float


class Line(NamedTuple):
    top: float
    bottom: float
    text: str
    x0: float = 0.0
    x1: float = 0.0
    size: float = 0.0


_SPACES = re.compile(r"\s+")


def is_wide(ch: str) -> bool:
    """CJK characters and punctuation: lines and words join around them without a space."""
    return ord(ch) >= 0x2E80 or 0x2000 <= ord(ch) <= 0x206F


def group_lines(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Glyphs grouped into lines, top line first, each line ordered left to right."""
    lines: list[list[Glyph]] = []
    current: list[Glyph] = []
    mid = size = 0.0
    for g in sorted(glyphs, key=lambda g: -(g.y0 + g.y1)):
        g_mid = (g.y0 + g.y1) / 2
        if current and abs(mid - g_mid) <= TOLERANCES.same_line * max(size, g.size):
            current.append(g)
            continue
        if current:
            lines.append(current)
        current, mid, size = [g], g_mid, g.size
    if current:
        lines.append(current)
    for line in lines:
        line.sort(key=lambda g: g.x0)
    return lines


def line_text(line: list[Glyph]) -> str:
    """One line's text: overprinted copies dropped, a space where the gap between characters is a word gap."""
    parts: list[str] = []
    prev: Glyph | None = None
    for g in line:
        if prev is not None:
            if g.text == prev.text and g.x0 - prev.x0 <= TOLERANCES.overprint * (prev.x1 - prev.x0):
                continue
            limit = TOLERANCES.cjk_gap if is_wide(prev.text[-1]) and is_wide(g.text[0]) else TOLERANCES.word_gap
            if g.x0 - prev.x1 > limit * max(g.size, prev.size):
                parts.append(" ")
        parts.append(g.text)
        prev = g
    return _SPACES.sub(" ", "".join(parts)).strip()


def lines_of(glyphs: list[Glyph]) -> list[Line]:
    """The glyphs as text lines with their extent, top line first; blank lines are left out."""
    out: list[Line] = []
    for line in group_lines(glyphs):
        text = line_text(line)
        if text:
            top, bottom = max(g.y1 for g in line), min(g.y0 for g in line)
            out.append(Line(top, bottom, text, line[0].x0, line[-1].x1, max(g.size for g in line)))
    return out


# A line that ends with a colon (a list follows), or one that starts like a heading, is never glued to another.
_ENDS_SENTENCE = tuple("：:")
_STARTS_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、．])")


def text_edges(lines: list[Line]) -> tuple[float, float]:
    """The left and right edges of a page's running text."""
    return min(line.x0 for line in lines), max(line.x1 for line in lines)


def runs_to_edge(line: Line, right: float) -> bool:
    """The line fills the text width, so Word may have wrapped its paragraph onto the next line."""
    size = max(line.size, 1.0)
    # Word's CJK line breaking leaves up to two characters' room; a heading is far shorter than a full line.
    return (line.x1 >= right - 2.5 * size and line.x1 - line.x0 >= TOLERANCES.min_wrapped * size
            and not line.text.endswith(_ENDS_SENTENCE))


def starts_flush(line: Line, left: float) -> bool:
    """The line starts at the left edge and not like a heading: a new Chinese paragraph would be indented."""
    return line.x0 <= left + 0.5 * max(line.size, 1.0) and not _STARTS_HEADING.match(line.text)


def paragraphs(lines: list[Line], left: float, right: float) -> list[Line]:
    """Lines Word wrapped at the right margin joined back into their paragraph."""
    out: list[Line] = []
    for line in lines:
        prev = out[-1] if out else None
        if prev and runs_to_edge(prev, right) and starts_flush(line, left) and prev.bottom - line.top < 1.2 * max(
            prev.size, line.size, 1.0
        ):
            out[-1] = Line(prev.top, line.bottom, join_lines([prev.text, line.text]), prev.x0, line.x1, line.size)
        else:
            out.append(line)
    return out


def join_lines(texts: list[str]) -> str:
    """Lines wrapped inside one cell, joined back: a space only between two Latin words; CJK ("禁" + "止公开") and
    numbers Word broke in a narrow cell ("2561." + "768") join directly."""
    out = ""
    for text in texts:
        if out and _latin_letter(out[-1]) and _latin_letter(text[0]):
            out += " "
        out += text
    return out


def _latin_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def block_text(glyphs: list[Glyph]) -> str:
    """All glyphs of one cell as one string, lines in reading order."""
    return join_lines([line.text for line in lines_of(glyphs)])
