"""Label normalization and matching: how a printed cell is recognised as a template row or a section heading."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from nianbao.template import SECTIONS, Row, Section

_DROP = re.compile(r"[\s*#\u200b\ufeff“”‘’\"'「」『』《》〈〉<>]+")
# Enumeration prefixes: 一、 (一) 1. 1、 (1) ①, possibly several in a row ("三、(一)").
_ENUM = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\)|\(?\d{1,2}[.、)]|\(\d{1,2}\)|[①-⑳])+")
# Longest label a row can print (other_unpaid_fee, with slack for typos); longer cells are sentences, not labels.
MAX_LABEL_LEN = 48
_SENTENCE = re.compile(r"[。,，;；]")
# A unit or note after a short label: "规章(件)", "行政许可（个）".
_UNIT_SUFFIX = re.compile(r"\([^()]{1,6}\)$")


@lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """NFKC (full-width brackets and digits become ASCII), no white space, no quotes, no markdown marks."""
    # 其它 is as common as 其他 in real reports.
    return _DROP.sub("", unicodedata.normalize("NFKC", text)).replace("其它", "其他")


@lru_cache(maxsize=8192)
def strip_enumeration(text: str) -> str:
    return _ENUM.sub("", text)


def label_text(cell: str) -> str:
    """The normalized label of a cell with its enumeration prefix removed."""
    return strip_enumeration(normalize(cell))


def looks_like_label(cell: str) -> bool:
    norm = normalize(cell)
    return 0 < len(norm) <= MAX_LABEL_LEN and "。" not in norm


def matches_row(cell: str, row: Row) -> bool:
    """Whether a cell is the printed label of `row` (keywords anywhere, or an exact short label)."""
    if not looks_like_label(cell):
        return False
    label = label_text(cell)
    if row.exact and (label in row.exact or _UNIT_SUFFIX.sub("", label) in row.exact):
        return True
    return any(k in label for k in row.keywords)


def heading_section(cell: str) -> Section | None:
    """The section a heading row names ("三、收到和处理政府信息公开申请情况"), or None.

    A heading is numbered or about as short as the format's own wording, and never a piece of a sentence: the
    introduction often lists all six section names in one sentence, wrapped over lines.
    """
    norm = normalize(cell)
    if not (0 < len(norm) <= 40) or _SENTENCE.search(norm):
        return None
    bare = strip_enumeration(norm)
    for section in SECTIONS:
        if any(all(word in norm for word in words) for words in section.patterns):
            numbered = bare != norm
            return section if numbered or len(bare) <= len(section.title) + 8 else None
    return None
