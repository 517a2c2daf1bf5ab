"""Finding a site's annual-report columns from its own navigation (`nianbao sites discover`): which links lead to
disclosure sections (信息公开, 政务公开, 部门 / 乡镇 sub-platforms), which name an annual-report column (年报,
年度报告) and which only look like one (政府工作报告, 统计年报, 财政预决算). Menus are read from `<a>` links, and
from scripts that build them, where the links are still in the page as markup in strings or as name/url pairs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy.http import TextResponse

from crawler.links import normalize

ANNUAL_WORDS = ("年报", "年度报告")
# Columns that look like the annual reports' column but are not (a government work report, statistics, budgets).
LOOKALIKE_WORDS = ("政府工作报告", "工作报告", "统计", "预决算", "预算", "决算", "审计", "国民经济", "财政资金", "新闻")
HUB_WORDS = ("信息公开", "政务公开", "公开目录", "主动公开", "公开平台")
# A hub that lists the platforms of a county's departments and townships: its links named for agencies are followed.
AGENCY_LIST_WORDS = ("部门", "乡镇", "街道", "镇街", "单位", "委办局")
AGENCY_ENDS = ("局", "委员会", "委", "办公室", "办", "中心", "院", "所", "队", "站", "镇", "乡", "街道", "街道办事处",
               "苏木", "人民政府")
MAX_LINK_TEXT = 40  # a longer text is an article title, not a menu entry
_SCRIPT_ANCHOR = re.compile(r"""<a\b[^>]*?href\s*=\s*\\?["']([^"'\\]+)\\?["'][^>]*>([^<]{1,40})</a>""", re.I)
_SCRIPT_PAIR = re.compile(
    r"""(?:name|title|text|label)["']?\s*:\s*["']([^"']{1,40})["']\s*,\s*["']?(?:url|href|link)["']?\s*:\s*["']([^"']+)["']"""
    r"""|["']?(?:url|href|link)["']?\s*:\s*["']([^"']+)["']\s*,\s*["']?(?:name|title|text|label)["']?\s*:\s*["']([^"']{1,40})["']""",
    re.I)


@dataclass(frozen=True)
class MenuLink:
    text: str
    url: str


def kind(text: str) -> str | None:
    """annual (an annual-report column), hub (a disclosure section to look into), agency (a department's or
    township's platform, followed only from a hub that lists them), or None."""
    name = normalize(text)
    if not name or len(name) > MAX_LINK_TEXT or any(word in name for word in LOOKALIKE_WORDS):
        return None
    if any(word in name for word in ANNUAL_WORDS):
        return "annual"
    if any(word in name for word in HUB_WORDS) or name in AGENCY_LIST_WORDS or name.endswith(
            tuple(f"{w}信息" for w in AGENCY_LIST_WORDS)):
        return "hub"
    if name.endswith(AGENCY_ENDS) and len(name) >= 2:
        return "agency"
    return None


def lists_agencies(text: str) -> bool:
    """A hub whose entries are agencies (部门信息公开, 乡镇信息公开 …)."""
    return any(word in normalize(text) for word in AGENCY_LIST_WORDS)


def menu_links(response: TextResponse) -> list[MenuLink]:
    """Every link of the page on its own host, with its text: anchors, then links that scripts write or list."""
    found: dict[str, MenuLink] = {}
    for anchor in response.css("a[href]"):
        text = " ".join("".join(anchor.css("::text").getall()).split()) or anchor.attrib.get("title", "")
        _add(found, response, text, anchor.attrib["href"])
    for script in response.css("script::text").getall():
        for href, text in _SCRIPT_ANCHOR.findall(script):
            _add(found, response, text, href)
        for name, url, url_first, name_second in _SCRIPT_PAIR.findall(script):
            _add(found, response, name or name_second, url or url_first)
    return list(found.values())


def _add(found: dict[str, MenuLink], response: TextResponse, text: str, href: str) -> None:
    href = href.strip()
    if not text.strip() or not href or href.startswith(("javascript:", "#", "mailto:")):
        return
    url = response.urljoin(href).split("#")[0]
    if urlsplit(url).netloc != urlsplit(response.url).netloc:  # discovery stays on the site's host
        return
    found.setdefault(url, MenuLink(text.strip(), url))
