"""Text similarity for 内容雷同: normalized character shingles compared by the Dice coefficient, on compact sketches.

A report's sketch is made once, when it is stored, so the audit compares two small byte strings instead of two
whole texts: the bottom-k sketch (the K smallest 32-bit hashes of its shingle set). Two sketches estimate the
Jaccard index of the sets, exactly when both texts have at most K shingles, and within about ±0.01 of Dice
around 0.9 otherwise.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from array import array
from bisect import bisect_right

SHINGLE = 5  # characters; short enough to survive small edits, long enough that shared vocabulary alone scores low
MIN_CHARS = 200  # below this a text is too short (a stub or an image-only page) to call copied
K = 512  # hashes kept per sketch: 2 KiB per report
_HASH_BYTES = 4  # array("I") holds 32 bits on every platform CPython supports

_DROP = re.compile(r"[\d\s]+")


def normalize(text: str) -> str:
    """Drop digits and white space: a copied report differs from last year's mostly in its numbers and dates.

    Regex digit and space classes are Unicode-aware, so full-width digits and spaces go too; no NFKC pass (slow).
    """
    return _DROP.sub("", text)


def shingles(text: str) -> set[str]:
    return {text[i:i + SHINGLE] for i in range(len(text) - SHINGLE + 1)}


def _hash(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=_HASH_BYTES).digest(), "little")


def sketch(text: str) -> bytes | None:
    """The text's bottom-k sketch (sorted 32-bit hashes, little-endian), or None when it is too short to judge."""
    normalized = normalize(text)
    if len(normalized) < MIN_CHARS:
        return None
    return array("I", heapq.nsmallest(K, {_hash(s) for s in shingles(normalized)})).tobytes()


def _hashes(data: bytes) -> array:
    values = array("I")
    values.frombytes(data)
    return values


def sketch_similarity(a: bytes | None, b: bytes | None) -> float | None:
    """Dice 2|A∩B| / (|A|+|B|) of the two texts' shingle sets, estimated from their sketches; None when either
    text was too short to judge.

    Every hash of A∪B up to the smaller of the two sketches' largest is in one sketch or both, so those hashes are
    a uniform sample of A∪B whose membership in A∩B is known exactly (at least K of them; all, when neither text
    has more than K shingles). Dice reads like difflib's ratio (the share of matching material), so a threshold of
    0.9 means what it says.
    """
    if a is None or b is None:
        return None
    if a == b:
        return 1.0
    ha, hb = _hashes(a), _hashes(b)
    if not ha or not hb:
        return None
    # a sketch of K hashes holds its set's hashes only up to its largest; a shorter one holds its whole set
    cut = min((h[-1] for h in (ha, hb) if len(h) == K), default=max(ha[-1], hb[-1]))
    sa, sb = set(ha[:bisect_right(ha, cut)]), set(hb[:bisect_right(hb, cut)])
    both = len(sa & sb)
    jaccard = both / (len(sa) + len(sb) - both)
    return 2 * jaccard / (1 + jaccard)


def similarity(a: str, b: str) -> float | None:
    """The Dice similarity of two texts, as the audit judges it: through their sketches."""
    return sketch_similarity(sketch(a), sketch(b))
