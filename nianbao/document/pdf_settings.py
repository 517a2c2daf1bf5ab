"""How near is near enough for the PDF reader: the tolerances by which it rebuilds lines, words, paragraphs and ruled
tables from positioned glyphs and strokes, in one object (in points, or in shares of the font size or page height
where so named), so that tuning the reader to a producer's PDFs, or comparing two settings in a benchmark, is one
change in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PdfTolerances:
    # Characters sharing a line differ in height by less than this share of their size (sub/superscripts, mixed fonts).
    same_line: float = 0.45
    # A gap wider than this share of the font size is a space between words; between two CJK characters only a much
    # wider gap counts, since Word justifies CJK lines by spreading their characters.
    word_gap: float = 0.3
    cjk_gap: float = 1.0
    # WPS and Word fake bold by painting a glyph twice a hair apart: a copy starting within this share of the glyph's
    # width is dropped (a real repeat, "11" or "ll", starts a whole width further).
    overprint: float = 0.3
    # A wrapped line fills the text width: far more than this many characters (a heading has a few).
    min_wrapped: int = 12
    # Points: edges closer than this are one rule (double borders, per-cell edges a fraction of a point apart).
    snap: float = 3.0
    # Points: rectangles thinner than this are rules (Word exports borders as thin filled rectangles).
    thin: float = 3.0
    # Points: shorter edges are tick marks, bullets or glyph parts, not table rules.
    min_length: float = 2.0
    # Fewer readable characters than this per page on average: scanned, image-only or text without a Unicode map.
    min_text_per_page: int = 10
    # Shares of the page height holding running headers and footers: Word puts them 1.5-1.75 cm from the edge, body
    # text starts 2.54 cm in, so 8 % (2.4 cm on A4) keeps the first and last body lines out of the zones.
    header_zone: float = 0.08
    footer_zone: float = 0.08


TOLERANCES = PdfTolerances()
