"""Title, agency, year and publication date, read from the report itself."""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from nianbao.document.boilerplate import normalize_date

_TITLE_WORDS = ("报告", "年报")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年度?")
_NUMERALS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_CHINESE_YEAR = re.compile(r"([二一][〇零一二三四五六七八九]{3})\s*年")
# A line that is only an agency's name: it ends as government bodies' names end.
_AGENCY_LINE = re.compile(r"(人民政府|办公室|局|委员会|委|办事处|镇|乡|街道|中心|院|厅|署|公司)$")
_DISCLOSURE = re.compile(r"(?:政府)?(?:信息公开|政务公开)")
# How many leading lines may hold the title (breadcrumbs and bylines are already gone).
_TITLE_WINDOW = 12
_PERIOD = re.compile(
    r"((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日\s*(?:起\s*)?至\s*(?:19|20)\d{2}\s*年\s*12\s*月\s*31\s*日"
)


_OPENCC_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional characters to simplified ("郟县" → "郏县"); one call at a time, OpenCC is not thread-safe."""
    with _OPENCC_LOCK:
        return _converter().convert(text)


def clean_title(text: str) -> str:
    return re.sub(r"[\s#*]+", "", text).strip()


def find_title(lines: list[str], meta_title: str | None) -> str | None:
    """The report's title as printed at its head; the file's or page's title field only when none is printed.

    Agencies reuse last year's file, so a Word/PDF title field (or a page's <title>) often names the wrong year.
    """
    printed = _printed_title([clean_title(line) for line in lines[:_TITLE_WINDOW] if clean_title(line)])
    if printed:
        return printed
    if meta_title and _is_title(clean_title(meta_title)):
        return clean_title(meta_title)
    return None


def _printed_title(heads: list[str]) -> str | None:
    for i, line in enumerate(heads):
        if len(line) > 80:
            continue
        following = heads[i + 1] if i + 1 < len(heads) else ""
        if _is_title(line):
            title = line
        elif _YEAR.search(line) and following and len(following) < 40 and _is_title(line + following):
            title = line + following  # broken over two lines: "…2024年政府信息" + "公开工作年度报告"
        else:
            continue
        # The agency on a line of its own above: "郏县人民政府" + "2024年政府信息公开工作年度报告".
        above = heads[i - 1] if i else ""
        if agency_of(title) is None and above and _AGENCY_LINE.search(above) and len(above) <= 30:
            title = above + title
        return title
    return None


def _is_title(text: str) -> bool:
    return "信息公开" in text and any(w in text for w in _TITLE_WORDS) and len(text) <= 80 and "。" not in text


def year_of(title: str | None, text: str) -> int | None:
    """The year reported on: from the title, else from the statistics period, else from a 'YYYY年度' in the body."""
    if title and (match := _YEAR.search(arabic_years(title))):
        return int(match.group(1))
    if match := _PERIOD.search(text):
        return int(match.group(1))
    match = re.search(r"((?:19|20)\d{2})\s*年度", text)
    return int(match.group(1)) if match else None


def arabic_years(text: str) -> str:
    """"二〇二四年" written as "2024年" (titles sometimes spell the year in Chinese numerals)."""
    return _CHINESE_YEAR.sub(lambda m: m.group(1).translate(_NUMERALS) + "年", text)


def agency_of(title: str | None) -> str | None:
    """The agency named in a title, in simplified characters.

    "<agency><year>年(度)政府信息公开工作年度报告", "<year>年(度)<agency>政府信息公开工作年度报告",
    "<agency>政府信息公开工作年度报告（<year>年）".
    """
    if not title:
        return None
    title = arabic_years(to_simplified(title))
    title = re.sub(r"^(?:关于印发|关于)", "", title)
    year = _YEAR.search(title)
    disclosure = list(_DISCLOSURE.finditer(title))
    if not disclosure:
        return None
    if year and year.start() > 0:
        agency = title[: min(year.start(), disclosure[0].start())]
    else:
        begin = year.end() if year else 0
        ends = [m.start() for m in disclosure if m.start() >= begin]
        if not ends:
            return None
        agency = title[begin:ends[0]]
    if agency.endswith("人民"):
        agency += "政府"  # "…人民政府信息公开…": the 政府 is shared by the name and the phrase
    agency = re.sub(r"(关于|关于印发)$", "", agency).strip("：:，,、（( ")
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
