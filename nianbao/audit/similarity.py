"""Text similarity for 内容雷同: normalized character shingles compared by the Dice coefficient."""

from __future__ import annotations

import re

SHINGLE = 5  # characters; short enough to survive small edits, long enough that shared vocabulary alone scores low
MIN_CHARS = 200  # below this a text is too short (a stub or an image-only page) to call copied

_DROP = re.compile(r"[\d\s]+")


def normalize(text: str) -> str:
    """Drop digits and white space: a copied report differs from last year's mostly in its numbers and dates.

    Regex digit and space classes are Unicode-aware, so full-width digits and spaces go too; no NFKC pass (slow).
    """
    return _DROP.sub("", text)


def shingles(text: str) -> set[str]:
    return {text[i:i + SHINGLE] for i in range(len(text) - SHINGLE + 1)}


def similarity(a: str, b: str) -> float | None:
    """Dice coefficient 2|A∩B| / (|A|+|B|) of the two texts' shingle sets, or None when either is too short to judge.

    Dice reads like difflib's ratio (the share of matching material), so a threshold of 0.9 means what it says;
    sets make it linear in the text length, unlike SequenceMatcher.ratio().
    """
    na, nb = normalize(a), normalize(b)
    if len(na) < MIN_CHARS or len(nb) < MIN_CHARS:
        return None
    sa, sb = shingles(na), shingles(nb)
    return 2 * len(sa & sb) / (len(sa) + len(sb))
