"""Title, agency, year and publication date, read from the report itself."""

from __future__ import annotations

import re
from functools import lru_cache

from nianbao.document.boilerplate import normalize_date

_TITLE_WORDS = ("报告", "年报")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年度?")
_DISCLOSURE = re.compile(r"(?:政府)?(?:信息公开|政务公开)")
# How many leading lines may hold the title (breadcrumbs and bylines are already gone).
_TITLE_WINDOW = 12
_PERIOD = re.compile(
    r"((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日\s*(?:起\s*)?至\s*(?:19|20)\d{2}\s*年\s*12\s*月\s*31\s*日"
)


@lru_cache(maxsize=1)
def _to_simplified():
    import opencc

    return opencc.OpenCC("t2s")


def clean_title(text: str) -> str:
    return re.sub(r"[\s#*]+", "", text).strip()


def find_title(lines: list[str], meta_title: str | None) -> str | None:
    """The report's title: the page's own title field when it names a report, else the first title-like line."""
    if meta_title and _is_title(clean_title(meta_title)):
        return clean_title(meta_title)
    heads = [clean_title(line) for line in lines[:_TITLE_WINDOW] if clean_title(line)]
    for i, line in enumerate(heads):
        if len(line) > 80:
            continue
        if _is_title(line):
            return line
        # A title broken over two lines: "…2024年政府信息" + "公开工作年度报告".
        if i + 1 < len(heads) and _YEAR.search(line) and _is_title(line + heads[i + 1]) and len(heads[i + 1]) < 40:
            return line + heads[i + 1]
    return None


def _is_title(text: str) -> bool:
    return "信息公开" in text and any(w in text for w in _TITLE_WORDS) and len(text) <= 80 and "。" not in text


def year_of(title: str | None, text: str) -> int | None:
    """The year reported on: from the title, else from the statistics period, else from a 'YYYY年度' in the body."""
    if title and (match := _YEAR.search(title)):
        return int(match.group(1))
    if match := _PERIOD.search(text):
        return int(match.group(1))
    match = re.search(r"((?:19|20)\d{2})\s*年度", text)
    return int(match.group(1)) if match else None


def agency_of(title: str | None) -> str | None:
    """The agency named in a title, in simplified characters.

    "<agency><year>年(度)政府信息公开工作年度报告" or "<year>年(度)<agency>政府信息公开工作年度报告".
    """
    if not title:
        return None
    title = _to_simplified().convert(title)
    year = _YEAR.search(title)
    disclosure = [m for m in _DISCLOSURE.finditer(title)]
    if not disclosure:
        return None
    if year and year.start() > 0:
        agency = title[: year.start()]
    else:
        begin = year.end() if year else 0
        ends = [m.start() for m in disclosure if m.start() > begin]
        if not ends:
            return None
        agency = title[begin:ends[-1]]
        if title[ends[-1]:].startswith("信息公开") and agency.endswith("人民"):
            agency += "政府"  # "…人民政府信息公开…": the 政府 is shared by the name and the phrase
    agency = re.sub(r"(关于|关于印发)$", "", agency).strip("：:，,、 ")
    return agency or None


def published_of(meta: dict[str, str], lines: list[str]) -> str | None:
    """The publication date: the page's own field, else the date under the closing signature."""
    if meta.get("published"):
        return meta["published"]
    for line in reversed(lines[-6:]):
        text = re.sub(r"\s+", "", line)
        if len(text) <= 14 and (date := normalize_date(text)):
            return date
    return None
