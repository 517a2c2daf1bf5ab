"""Which listing links are annual reports: recognised by title, with the year and agency read from the title."""

from __future__ import annotations

import re
import unicodedata

# "…信息公开工作年度报告", "…信息公开工作报告", "…信息公开年报"; a 政务公开 report is the same report renamed.
REPORT_WORDS = re.compile(r"(信息公开|政务公开).*?(年度报告|工作报告|年报)")
# Pages about a report, not the report: 解读/图解 pages, 说明 corrections, 通知 and 格式 circulars, 要点, 制度.
NOT_REPORT_WORDS = ("解读", "图解", "说明", "通知", "格式", "要点", "制度")
YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
BARE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
CHINESE_YEAR = re.compile(r"([〇零一二三四五六七八九]{4})\s*年")
CHINESE_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0"}
# "<agency><year>年(度)…" or "<year>年(度)<agency>(政府)信息公开…".
A_YEAR = r"(?:(?:19|20)\d{2}|[〇零一二三四五六七八九]{4})\s*年"
AGENCY_BEFORE_YEAR = re.compile(r"^(?P<who>.*?)" + A_YEAR)
AGENCY_AFTER_YEAR = re.compile(A_YEAR + r"度?(?P<who>.*?)(?:政府)?(?:信息公开|政务公开)")
AGENCY_TRIM = re.compile(r"^(关于|印发|公布)|(关于|的|发布|公布)$")
PUNCTUATION = " \t\r\n\u3000《》〈〉“”\"'【】[]()（）:：,，、.。·-—_"


def normalize(title: str) -> str:
    """NFKC (full-width digits and brackets become ASCII) without any whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", title))


def is_report_title(title: str) -> bool:
    text = normalize(title)
    if any(word in text for word in NOT_REPORT_WORDS):
        return False
    # A listing may cut a long title short ("…2024年政府信息公开工…"); the page then gives the whole title.
    cut_short = text.endswith(("…", "...")) and "信息公开" in text
    return (bool(REPORT_WORDS.search(text)) or cut_short) and report_year(text) is not None


def report_year(title: str) -> int | None:
    """The year reported on, as printed in the title (2024 in "…2024年政府信息公开工作年度报告")."""
    text = normalize(title)
    if match := YEAR.search(text):
        return int(match.group(1))
    if match := CHINESE_YEAR.search(text):
        return int("".join(CHINESE_DIGITS[c] for c in match.group(1)))
    if match := BARE_YEAR.search(text):  # "…年度报告（2024）"
        return int(match.group(1))
    return None


def title_agency(title: str) -> str | None:
    """The agency as the title prints it ("托里县财政局"), or None when the title names none."""
    text = normalize(title)
    for pattern in (AGENCY_BEFORE_YEAR, AGENCY_AFTER_YEAR):
        match = pattern.search(text)
        if match and (who := _trim(match.group("who"))):
            # "2024年郏县人民政府信息公开…": the name and the phrase share one 政府.
            return who + "政府" if who.endswith("人民") else who
    return None


def _trim(who: str) -> str:
    previous = None
    while previous != who:
        previous = who
        who = AGENCY_TRIM.sub("", who.strip(PUNCTUATION))
    return who
