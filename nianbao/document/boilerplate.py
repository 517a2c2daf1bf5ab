"""Page boilerplate that survives extraction as lines of text, and the metadata lines worth keeping as fields.

Used by every reader whose input may carry a web page's chrome (HTML, and text copied from pages). Patterns match
whole short lines, never words inside the report's own sentences ("一号登录" in a paragraph stays).
"""

from __future__ import annotations

import re

# The site-wide switches in a page header (accessibility, elder mode, traditional script...).
_SWITCHES = r"(无障碍|无障碍浏览|长者模式|关怀版|适老化|繁体版|简体版|繁體版|English|智能问答|政务服务|搜索)"
# A line is boilerplate when it is short and one of these matches it (after white space is folded).
_BOILERPLATE = [
    r"^(您的位置|您现在的位置|当前位置|所在位置|位置)[:：].*",
    r".*(>|＞|»|>>)\s*正文$",
    r"^(首页\s*(>|＞|»)).*",
    r".*(打印|关闭|分享到|收藏|纠错)\s*$",
    r"^[【\[]?\s*(打印(本页|此页)?|关闭(窗口|本页)?|返回顶部|返回|保存|收藏)\s*[】\]]?(\s*[【\[]?\s*(打印(本页|此页)?|关闭(窗口|本页)?|返回顶部|返回|保存|收藏)\s*[】\]]?)*$",
    r"^分享到[:：]?.*",
    r"^字号[:：]?\s*(\[?\s*[大中小]\s*\]?\s*)*$",
    r"^【?\s*字体[:：]?\s*(\[?\s*[大中小]\s*\]?\s*)*】?$",
    r"^(用户登录|登录|注册|登录\s*注册|个人登录|法人登录|退出登录|用户名|密码|验证码|忘记密码)[:：]?$",
    # One or several of the site-wide switches in a row: "无障碍 长者模式", "繁体版 | English".
    rf"^{_SWITCHES}(\s*[|｜/]?\s*{_SWITCHES})*$",
    r"^(扫一扫|扫一扫在手机打开当前页|手机扫一扫|微信扫一扫|扫码).*",
    r".*(点击数|点击率|浏览次数|阅读次数|访问量|浏览量)[:：]\s*\[?\s*\d*\s*\]?\s*(打印)?\s*$",
    r".*(网站标识码|ICP备|公网安备|主办单位|承办单位|版权所有|技术支持|建议使用).*",
    r"^(×|X|x|✕|关闭)$",
    r"^(上一篇|下一篇)[:：].*",
    r"^(相关链接|相关文章|相关阅读|附件下载)$",
]
_BOILERPLATE_RE = re.compile("|".join(f"(?:{p})" for p in _BOILERPLATE))
_MAX_BOILERPLATE_LEN = 80

# Metadata fields printed around a report: "发布日期：2025-01-17", "索引号：11654224…/2025-00012".
META_LABELS: dict[str, tuple[str, ...]] = {
    "published": ("发布日期", "发布时间", "公开日期", "发文日期", "日期"),
    "written": ("成文日期",),
    "index_no": ("索引号",),
    "publisher": ("发布机构", "发文机关", "发布单位", "来源", "信息来源"),
    "doc_no": ("文号", "发文字号"),
}
_META_RE = re.compile(
    r"(?P<label>" + "|".join(sorted({w for ws in META_LABELS.values() for w in ws}, key=len, reverse=True))
    + r")\s*[:：]\s*(?P<value>[^\s:：]+(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)"
)
_DATE_RE = re.compile(r"(20\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
# A page's byline: a date and time, often with the publisher and a hit counter ("2022-02-26 12:18:24 托里县…").
_BYLINE_RE = re.compile(r"^\s*(20\d{2}-\d{1,2}-\d{1,2})(\s+\d{1,2}:\d{2}(:\d{2})?)?\s+\S*")


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u3000", " ").replace("\xa0", " ")).strip()


# Chinese characters and the punctuation set with them. A line break between two of them is no space: Word and
# HTML editors wrap source lines anywhere, so "禁\n止公开" is one word, as is "商业<br>企业" in a table cell.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u2014\u2018-\u201d\u2026"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_CJK_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t\r\f\v]*\n\s*(?=[{_CJK}])")
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")


def fold_cjk(text: str) -> str:
    """fold(), but a line break between two Chinese characters disappears instead of becoming a space."""
    return fold(_CJK_BREAK.sub("", _INVISIBLE.sub("", text)))


def join_lines(lines: list[str]) -> str:
    """Lines of one table cell as one string: no space where both sides are Chinese, one space elsewhere."""
    out = ""
    for line in filter(None, lines):
        if out and not (_CJK_CHAR.match(out[-1]) and _CJK_CHAR.match(line[0])):
            out += " "
        out += line
    return out


def is_boilerplate_line(text: str) -> bool:
    """True for a short line that is page chrome: breadcrumbs, print/share/close, login, font size, footers."""
    line = fold(text)
    if not line:
        return False
    if len(line) > _MAX_BOILERPLATE_LEN:
        return False
    if is_byline(line):
        return True
    return _BOILERPLATE_RE.fullmatch(line) is not None


def is_byline(text: str) -> bool:
    """A "2022-02-26 12:18:24 托里县人民政府办公室 点击:[] 打印" line: date first, then chrome, no sentence."""
    line = fold(text)
    return bool(_BYLINE_RE.match(line)) and "。" not in line and len(line) < 60


def normalize_date(text: str) -> str | None:
    """The first date in text as YYYY-MM-DD, or None."""
    match = _DATE_RE.search(text)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def read_meta(text: str) -> dict[str, str]:
    """Metadata fields found in one line or cell of text (several may share a line)."""
    found: dict[str, str] = {}
    for match in _META_RE.finditer(fold(text)):
        label, value = match.group("label"), match.group("value").strip()
        field = next(k for k, words in META_LABELS.items() if label in words)
        if field in ("published", "written"):
            value = normalize_date(value) or ""
        if value and field not in found:
            found[field] = value
    if "published" not in found and is_byline(text):
        date = normalize_date(text)
        if date:
            found["published"] = date
    return found


def is_meta_line(text: str) -> bool:
    """A short line of metadata fields ("发布日期：2025-01-17 来源：…"), not a sentence of the report."""
    line = fold(text)
    return len(line) <= 100 and not re.search("[。，；]", line) and bool(read_meta(line))
