"""What a listing page says it is. The national rules for government websites (政府网站发展指引) put
`<meta name="SiteName">` and `<meta name="ColumnName">` on every page, so a registered listing that now answers with
the site's home page or with another column can be told from a list that simply holds no report: the first has
moved (layout_changed), and only the second proves an absence."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapy.http import TextResponse

from crawler.attribution import MIN_BODY_NAME, core_name

HOME_COLUMNS = ("首页", "网站首页", "门户首页", "主页")
# Columns that list annual reports: their own column (年报, 年度报告), or a disclosure column that lists them among
# everything else (a county's 政府信息公开, 法定主动公开内容). Any other column with no report on it has replaced the
# registered list; calling that "nothing found" would tell the audit a report is missing.
REPORT_COLUMN_WORDS = ("年报", "年度报告", "信息公开", "主动公开")
_HOME_PATH = re.compile(r"/(?:(?:index|default|home)\.\w+)?", re.IGNORECASE)


def moved_home(response: TextResponse, registered: str) -> str | None:
    """Why the page answering for a registered listing is the site's home page (its URL was redirected to the host's
    root, or the page is named 首页), or None. A listing registered at a root is taken as it is."""
    if is_home_url(registered):
        return None
    if response.meta.get("redirect_urls") and is_home_url(response.url):
        return f"{registered} now redirects to the home page {response.url}"
    meta = page_meta(response)
    if meta.get("columnname") in HOME_COLUMNS:
        return f"{registered} now answers with the home page of {_site(meta, response)}"
    return None


def foreign_column(response: TextResponse, owner_names: list[str]) -> str | None:
    """"the column «通知公告» of 某县人民政府" when the page names a column that neither lists annual reports nor is
    named after an agency registering the listing (a department's own column); None when it names no column or a
    fitting one."""
    meta = page_meta(response)
    column = meta.get("columnname")
    if not column or any(word in column for word in REPORT_COLUMN_WORDS) or _names_an_owner(column, owner_names):
        return None
    return f"the column «{column}» of {_site(meta, response)}"


def is_home_url(url: str) -> bool:
    """The host's root or its index page, without a query (`/index.jsp?columnId=12` is a column)."""
    parts = urlsplit(url)
    return not parts.query and _HOME_PATH.fullmatch(parts.path or "/") is not None


def page_meta(response: TextResponse) -> dict[str, str]:
    """The page's `<meta name content>` tags by lower-case name (sites spell ColumnName in every case)."""
    tags = response.selector.root.xpath("//meta[@name and @content]")
    return {tag.get("name").strip().lower(): tag.get("content").strip() for tag in tags}


def _names_an_owner(column: str, owner_names: list[str]) -> bool:
    return any(core_name(name) in column or (len(column) >= MIN_BODY_NAME and column in name) for name in owner_names)


def _site(meta: dict[str, str], response: TextResponse) -> str:
    return meta.get("sitename") or urlsplit(response.url).hostname or response.url
