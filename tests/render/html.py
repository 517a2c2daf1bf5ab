"""Renders report data as a county-site article page of Word-pasted HTML, and says what readers must give back."""

from __future__ import annotations

import re
from html import escape

from nianbao.document.model import SPANNED, Document, Table
from nianbao.template import OUTCOME_GROUPS, REVIEW_COLUMN_LABELS, SECTIONS
from tests.render.report_data import active_cells, application_cells, cell_text, review_cells

# TRS publishes attachments next to the article: relative links resolve against the article's directory.
ATTACHMENT_HREF = "./P020250120385463217890.pdf"
INDEX_NO = "11654224010482031X/2025-00017"
_NUMERALS = "一二三四五六"
_CJK_PAIR = re.compile(r"([\u4e00-\u9fff，。、；：（）])(?=[\u4e00-\u9fff，。、；：（）])")
_TD = "style='border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt'"


def expected_rows(report: dict) -> list[tuple[str, list[str]]]:
    """(row label, printed cells) of every labelled row of tables 二 and 三, as any reader must give them back."""
    rows = [*active_cells(report), *application_cells(report)]
    return [(label, [cell_text(v) for v in values]) for _, label, values in rows]


def row_after_label(doc: Document, label: str) -> list[str] | None:
    """The cells right of the first cell equal to label in any table of doc, merged positions left out."""
    for table in (b for b in doc.blocks if isinstance(b, Table)):
        for row in table.rows:
            if label in row:
                return [cell for cell in row[row.index(label) + 1:] if cell is not SPANNED]
    return None


def review_row(doc: Document) -> list[str | None] | None:
    """The value row of table 四: the last row of the table that starts with 行政复议."""
    tables = [b for b in doc.blocks if isinstance(b, Table) and b.rows and b.rows[0][0] == "行政复议"]
    return tables[0].rows[-1] if tables else None


def render_html(report: dict, *, encoding: str = "utf-8", declare_charset: bool = True, chrome: bool = True,
                container: bool = True) -> bytes:
    """The report as a page. chrome=False: a bare Word HTML export; container=False: no known content container."""
    body = _report_body(report)
    charset = "gb2312" if encoding.lower() in ("gbk", "gb2312", "gb18030") else encoding
    declaration = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if declare_charset else ""
    if chrome:
        page = _county_page(report, body, declaration, container)
    else:
        title = _p(report["title"], heading=True)
        page = (f"<html><head>{declaration}<title>{escape(report['title'])}</title></head>\n<body lang=ZH-CN>\n"
                f"<div class=WordSection1 style='layout-grid:15.6pt'>\n{title}\n{body}\n</div>\n</body></html>")
    return page.encode(encoding, errors="xmlcharrefreplace")


# ---- the report body, as Word pastes it ---------------------------------------------------------------------------


def _report_body(report: dict) -> str:
    tables = {2: _active_table(report), 3: _application_table(report), 4: _review_table(report)}
    parts = []
    for section in SECTIONS:
        parts.append(_p(f"{_NUMERALS[section.number - 1]}、{section.title}", heading=True))
        parts.extend(_p(text) for text in report["sections"].get(section.number, []))
        if section.number in tables:
            parts.append(tables[section.number])
    return "\n".join(parts)


def _p(text: str, heading: bool = False) -> str:
    font = "黑体" if heading else "仿宋_GB2312"
    return (f"<p class=MsoNormal style='text-indent:32.0pt;line-height:28.0pt'>{_runs(text, font)}"
            f"<span lang=EN-US><o:p></o:p></span></p>")


def _runs(text: str, font: str) -> str:
    """Word's spans: digits in their own lang=EN-US run, long runs wrapped in the source between Chinese characters."""
    runs = []
    for piece in filter(None, re.split(r"(\d+)", text)):
        if piece.isdigit():
            runs.append(f"<span lang=EN-US style='font-size:16.0pt'>{piece}</span>")
        else:
            runs.append(f"<span style='font-size:16.0pt;font-family:{font}'>{_wrap(escape(piece))}</span>")
    return "".join(runs)


def _wrap(text: str, width: int = 30) -> str:
    # Word breaks its HTML source lines every few dozen characters; between two Chinese characters that is no space.
    return _CJK_PAIR.sub(lambda m: m.group(1) + ("\r\n" if m.start() % width == width - 1 else ""), text)


def _td(text: str | list[str], rowspan: int = 1, colspan: int = 1) -> str:
    spans = (f" rowspan={rowspan}" if rowspan > 1 else "") + (f" colspan={colspan}" if colspan > 1 else "")
    lines = text if isinstance(text, list) else [text]
    paragraphs = "".join(
        f"<p class=MsoNormal align=center style='text-align:center'><span style='font-size:10.0pt;font-family:宋体'>"
        f"{_wrap(escape(line)) if line else '&nbsp;'}</span><span lang=EN-US><o:p></o:p></span></p>"
        for line in lines
    )
    return f"<td{spans} valign=center {_TD}>{paragraphs}</td>"


def _values(values: list, colspan: int = 1) -> str:
    return "".join(_td(cell_text(v), colspan=colspan) for v in values)


def _table(rows: list[str]) -> str:
    body = "\n".join(f" <tr style='height:20.0pt'>{row}</tr>" for row in rows)
    return (f"<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 width=600 "
            f"style='border-collapse:collapse;border:none'>\n<tbody>\n{body}\n</tbody></table>")


def _active_table(report: dict) -> str:
    cells = {key: (label, values) for key, label, values in active_cells(report)}
    blocks = (
        ("第二十条第（一）项",
         [_td("信息内容"), _td(["本年", "制发件数"]), _td(["本年", "废止件数"]), _td("现行有效件数")],
         ("rules", "normative_documents")),
        ("第二十条第（五）项", [_td("信息内容"), _td("本年处理决定数量", colspan=3)], ("licensing",)),
        ("第二十条第（六）项", [_td("信息内容"), _td("本年处理决定数量", colspan=3)], ("penalty", "coercion")),
        ("第二十条第（八）项", [_td("信息内容"), _td("本年收费金额（单位：万元）", colspan=3)], ("fees",)),
    )
    rows = []
    for block, header, keys in blocks:
        rows += [_td(block, colspan=4), "".join(header)]
        for key in keys:
            label, values = cells[key]
            rows.append(_td(label) + _values(values, colspan=4 - len(values)))
    return _table(rows)


def _application_table(report: dict) -> str:
    rows = [
        _td("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3)
        + _td("申请人情况", colspan=7),
        _td("自然人", rowspan=2) + _td("法人或其他组织", colspan=5) + _td("总计", rowspan=2),
        "".join(_td(words) for words in (["商业", "企业"], ["科研", "机构"], ["社会公益", "组织"],
                                          ["法律服务", "机构"], "其他")),
    ]
    cells = application_cells(report)
    outcome = [key for key, _, _ in cells if key not in ("new", "carried_over", "carried_forward")]
    for key, label, values in cells:
        group = _group(key)
        lead = ""
        if key == outcome[0]:
            lead = _td("三、本年度办理结果", rowspan=len(outcome))
        if key not in outcome:
            lead += _td(label, colspan=3)
        elif group is None:
            lead += _td(label, colspan=2)
        else:
            members = [k for k in outcome if _group(k) == group]
            lead += (_td(OUTCOME_GROUPS[group], rowspan=len(members)) if key == members[0] else "") + _td(label)
        rows.append(lead + _values(values))
    return _table(rows)


def _group(key: str) -> str | None:
    """The merged group label a table 三 row sits under (（三）不予公开 … （六）其他处理), or None."""
    prefix = key.split("_")[0]
    return prefix if prefix in ("denied", "unable", "rejected", "other") and key != "other_handling" else None


def _review_table(report: dict) -> str:
    labels = list(REVIEW_COLUMN_LABELS.values())
    rows = [
        _td("行政复议", colspan=5) + _td("行政诉讼", colspan=10),
        "".join(_td(label, rowspan=2) for label in labels)
        + _td("未经复议直接起诉", colspan=5) + _td("复议后起诉", colspan=5),
        "".join(_td(label) for label in labels * 2),
        _values(review_cells(report)),
    ]
    return _table(rows)


# ---- the site around it -------------------------------------------------------------------------------------------


def _county_page(report: dict, body: str, declaration: str, container: bool) -> str:
    site, title, published = escape(report["agency"]), escape(report["title"]), report["published"]
    publisher = f"{site}办公室"
    wrapper = ("<div id=\"zoom\"><div class=\"TRS_Editor\">", "</div></div>") if container else (
        "<div class=\"article-text\">", "</div>")
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
{declaration}
<title>{title}_{site}</title>
<meta name="SiteName" content="{site}">
<meta name="ColumnName" content="政府信息公开年报">
<link rel="stylesheet" href="/images/common.css">
<script type="text/javascript">var _hmt = _hmt || []; document.write("<span>统计</span>");</script>
<style>.article-title {{ font-size: 22px; }}</style>
</head>
<body>
<div class="header">
  <div class="logo"><h1>{site}</h1></div>
  <div class="top-links"><a href="/wza/">无障碍</a> <a href="/elder/">长者模式</a></div>
  <div class="search-box"><form action="/search"><input type="text" name="q"><button>搜索</button></form></div>
</div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
  <li><a href="/zfxxgk/">政府信息公开</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>
<table class="layout" width="1000" align="center" cellspacing="0" cellpadding="0"><tr>
<td class="main-col" valign="top" width="720">
  <div class="position">您的位置：<a href="/">首页</a> &gt; <a href="/zfxxgk/">政府信息公开</a> &gt;
    <a href="../">政府信息公开年报</a> &gt; 正文</div>
  <table class="xxgk-meta" width="100%" border="1">
    <tr><th>索引号：</th><td>{INDEX_NO}</td><th>发布机构：</th><td>{publisher}</td></tr>
    <tr><th>发布日期：</th><td>{published}</td><th>文号：</th><td>&nbsp;</td></tr>
  </table>
  <h1 class="article-title">{title}</h1>
  <div class="article-info">发布时间：{published} 10:30 &nbsp; 来源：{publisher} &nbsp;
    浏览次数：<span>128</span> &nbsp;
    <span class="fontsize">字号：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a></span>
    <a href="javascript:window.print()">打印</a> <a href="javascript:window.close()">关闭</a></div>
  <div class="bdsharebuttonbox"><span>分享到：</span><a class="bds_weixin">微信</a> <a class="bds_tsina">微博</a></div>
  {wrapper[0]}
{body}
  {wrapper[1]}
  <div class="attach"><p>附件：<a href="{ATTACHMENT_HREF}">{title}.pdf</a></p></div>
  <div class="article-tools"><p>【打印本页】 【关闭窗口】</p></div>
</td>
<td class="side-col" valign="top" width="280">
  <div class="user-box"><h3>用户登录</h3><p>用户名：<input type="text"></p><p>密码：<input type="password"></p>
    <p><a href="/login">登录</a> <a href="/register">注册</a></p></div>
  <div class="ewm-box"><img src="/images/qr.png" alt=""><p>扫一扫在手机打开当前页</p></div>
</td></tr></table>
<div id="bottom">
  <p>主办单位：{publisher} &nbsp; 承办单位：{site}信息中心</p>
  <p>网站标识码：6542240001 &nbsp; <a href="https://beian.miit.gov.cn/">新ICP备05000123号-1</a></p>
</div>
</body>
</html>
"""
