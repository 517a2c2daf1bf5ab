"""The HTML reader on rendered county-site pages: tables, chrome, metadata, encodings and attachment links."""

from __future__ import annotations

import json
from urllib.parse import quote, urljoin

import pytest

from nianbao.document import read_document
from nianbao.document.html import decode_html, read_html
from nianbao.document.model import SPANNED, Paragraph, Table
from tests.render.html import (
    ATTACHMENT_HREF,
    INDEX_NO,
    expected_rows,
    render_html,
    review_row,
    row_after_label,
)
from tests.render.report_data import SEED_NAMES, SEEDS, cell_text, review_cells, seed_report

URL = "http://www.xjtcsh.gov.cn/zfxxgk/zfxxgknb/202501/t20250120_6372.html"
CHROME = ("您的位置", "打印", "分享到", "用户登录", "关闭", "字号", "网站标识码", "ICP备", "登录 注册", "扫一扫",
          "无障碍", "长者模式", "浏览次数", "索引号", "发布机构")
VARIANTS = {
    "utf8": {},
    "gbk-undeclared": {"encoding": "gbk", "declare_charset": False},
    "no-container": {"container": False},
    "gbk-no-container": {"encoding": "gbk", "declare_charset": False, "container": False},
    "bare-word-export": {"chrome": False},
}


def _tables(doc) -> list[Table]:
    return [b for b in doc.blocks if isinstance(b, Table)]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", SEED_NAMES)
def test_tables_come_back_with_every_value_in_its_row(name, variant):
    report = seed_report(name)
    doc = read_html(render_html(report, **VARIANTS[variant]), url=URL)
    assert len(_tables(doc)) == 3, "tables 二, 三, 四 and nothing else (no layout or metadata table)"
    for label, cells in expected_rows(report):
        assert row_after_label(doc, label) == cells, label
    assert review_row(doc) == [cell_text(v) for v in review_cells(report)]


@pytest.mark.parametrize("variant", [v for v, kw in VARIANTS.items() if kw.get("chrome", True)])
@pytest.mark.parametrize("name", SEED_NAMES)
def test_site_chrome_is_gone_and_metadata_is_kept(name, variant):
    report = seed_report(name)
    doc = read_html(render_html(report, **VARIANTS[variant]), url=URL)
    text = doc.text()
    assert [word for word in CHROME if word in text] == []
    assert doc.meta["published"] == report["published"]
    assert doc.meta["index_no"] == INDEX_NO
    assert doc.meta["publisher"] == f"{report['agency']}办公室"
    assert doc.meta["title"] == report["title"]
    assert doc.attachments == [urljoin(URL, ATTACHMENT_HREF)]
    for texts in report["sections"].values():
        for paragraph in texts:
            assert paragraph in text


def test_blank_cells_are_blank_not_zero():
    report = seed_report("tacheng-city-2024")  # its 总计 column is unknown in the seed
    doc = read_html(render_html(report), url=URL)
    assert row_after_label(doc, "一、本年新收政府信息公开申请数量") == ["9", "0", "0", "0", "0", "0", ""]


def test_merged_cells_keep_their_place_on_the_grid():
    doc = read_html(render_html(seed_report("jiaxian-county-2024")))
    active, applications, review = _tables(doc)
    assert active.rows[0] == ["第二十条第（一）项", SPANNED, SPANNED, SPANNED]
    assert active.rows[1] == ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]  # "本年<p>制发件数" joined
    assert active.rows[6] == ["行政许可", "74833", SPANNED, SPANNED]
    head = applications.rows
    assert head[0][1:] == [SPANNED, SPANNED, "申请人情况", *[SPANNED] * 6]
    assert head[1] == [SPANNED, SPANNED, SPANNED, "自然人", "法人或其他组织", *[SPANNED] * 4, "总计"]
    assert head[2] == [SPANNED] * 4 + ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", SPANNED]
    assert head[5][:3] == ["三、本年度办理结果", "（一）予以公开", SPANNED]
    assert head[7][:3] == [SPANNED, "（三）不予公开", "1.属于国家秘密"]
    assert head[8][:3] == [SPANNED, SPANNED, "2.其他法律行政法规禁止公开"]
    assert review.rows[1][4:7] == ["总计", "未经复议直接起诉", SPANNED]
    assert review.rows[2][:5] == [SPANNED] * 5


def test_wrong_declared_charset_falls_back():
    report = seed_report("hatu-town-2024")
    utf8_as_gb = render_html(report).replace(b"charset=utf-8", b"charset=gb2312")
    gbk_as_utf8 = render_html(report, encoding="gbk").replace(b"charset=gb2312", b"charset=utf-8")
    for data in (utf8_as_gb, gbk_as_utf8):
        doc = read_html(data)
        assert doc.meta["title"] == report["title"]
        assert row_after_label(doc, "（七）总计") == ["0"] * 7


def test_decoding_order():
    assert decode_html("\ufeff<p>托里县</p>".encode()) == "<p>托里县</p>"
    # 镕 is not in GB2312 but is in GB18030: a gb2312 label decodes as the superset.
    assert "朱镕基" in decode_html('<meta charset="gb2312"><p>朱镕基</p>'.encode("gb18030"))
    assert "托里县" in decode_html('<meta charset="iso-8859-1"><p>托里县</p>'.encode("gbk"))
    assert "托里县" in decode_html("<p>托里县</p>".encode("gbk"))


def test_read_document_dispatches_html():
    report = seed_report("hatu-town-2024")
    doc = read_document(render_html(report, encoding="gbk", declare_charset=False), url=URL)
    assert doc.meta["title"] == report["title"]
    assert doc.attachments == [urljoin(URL, ATTACHMENT_HREF)]


def _page(body: str) -> bytes:
    return f"<html><head><meta charset='utf-8'><title>附件页</title></head><body>{body}</body></html>".encode()


PDF = "/zfxxgk/upload/2025/report.pdf"


@pytest.mark.parametrize(("body", "expected"), [
    ('<p>附件：<a href="/module/download/downfile.jsp?classid=0&amp;filename=abc">2024年报告</a></p>',
     "http://www.xjtl.gov.cn/module/download/downfile.jsp?classid=0&filename=abc"),
    ('<a href="/cms/download.jsp?id=7731">托里县2024年政府信息公开工作年度报告</a>',
     "http://www.xjtl.gov.cn/cms/download.jsp?id=7731"),
    ('<a href="attachment?id=9">下载</a>', "http://www.xjtl.gov.cn/art/2025/1/20/attachment?id=9"),
    ('<a href="/api/fileDownload?fid=12">下载</a>', "http://www.xjtl.gov.cn/api/fileDownload?fid=12"),
    (f'<iframe src="{PDF}" width="100%"></iframe>', f"http://www.xjtl.gov.cn{PDF}"),
    (f'<embed src="{PDF}" type="application/pdf">', f"http://www.xjtl.gov.cn{PDF}"),
    ('<object data="/getPdf?id=5" type="application/pdf"></object>', "http://www.xjtl.gov.cn/getPdf?id=5"),
    (f'<iframe src="/pdfjs/web/viewer.html?file={quote(PDF, safe="")}"></iframe>', f"http://www.xjtl.gov.cn{PDF}"),
    (f'<a href="/pdfjs/web/viewer.html?file={quote("http://files.xjtl.gov.cn/a.pdf", safe="")}">查看</a>',
     "http://files.xjtl.gov.cn/a.pdf"),
    ('<a href="../P020250120.DOCX">托里县报告</a>', "http://www.xjtl.gov.cn/art/2025/1/P020250120.DOCX"),
    ('<a href="report.wps">报告</a> <a href="report.ofd">报告</a>', "http://www.xjtl.gov.cn/art/2025/1/20/report.wps"),
    ('<p>附件：<a href="/servlet/FileServlet?fileId=3">托里县报告</a></p>',
     "http://www.xjtl.gov.cn/servlet/FileServlet?fileId=3"),
    ('<p>附件1： <span>说明</span> <a href="/site/file?id=8">报告</a></p>', None),
    ('<p>相关文件 <a href="/site/file?id=8" title="年报">托里县2024年报告.PDF</a></p>',
     "http://www.xjtl.gov.cn/site/file?id=8"),
    ("<script>var descNames = './P020220226.pdf'; document.write('附件：<a href=\"' + descNames + '\">');</script>",
     "http://www.xjtl.gov.cn/art/2025/1/20/P020220226.pdf"),
])
def test_attachment_links_in_every_form(body, expected):
    doc = read_html(_page(body), url="http://www.xjtl.gov.cn/art/2025/1/20/art_123_4567.html")
    assert doc.attachments[:1] == ([expected] if expected else [])


def test_links_that_are_not_attachments():
    body = ('<a href="javascript:void(0)">附件</a><a href="/images/chart.jpg">图</a><a href="/zwgk/">政务公开</a>'
            '<iframe src="https://map.example.cn/embed"></iframe><a href="mailto:x@xjtl.gov.cn">附件邮箱</a>')
    assert read_html(_page(body), url="http://www.xjtl.gov.cn/a.html").attachments == []


def test_attachments_stay_relative_without_url():
    assert read_html(_page('<a href="./P0201.pdf">报告</a>')).attachments == ["./P0201.pdf"]


def test_a_news_page_is_still_a_document():
    sentences = "".join(f"全县召开第{i}次政务公开工作推进会，部署年度重点任务。" for i in range(8))
    body = (f'<div class="nav"><a href="/">首页</a></div><div class="main-box"><h2>政务公开工作推进会召开</h2>'
            f"<p>{sentences}</p><p>会议要求各单位按时报送年度报告。</p></div>"
            '<div id="bottom">网站标识码：6542240001 新ICP备05000123号</div>')
    doc = read_html(_page(body))
    assert _tables(doc) == []
    assert any("推进会" in b.text for b in doc.blocks if isinstance(b, Paragraph))
    assert "网站标识码" not in doc.text()


@pytest.mark.parametrize("data", [b"", b"   ", b"<html></html>", b"\x00\x01\x02", b"<?xml version='1.0'?><html/>"])
def test_empty_or_odd_pages_give_an_empty_document(data):
    doc = read_html(data)
    assert doc.blocks == [] and doc.attachments == []


def test_metadata_from_meta_tags_and_lines():
    page = ('<html><head><meta name="ArticleTitle" content="托里县2024年政府信息公开工作年度报告">'
            '<meta name="PubDate" content="2025-01-18 09:30"><title>别的标题_托里县</title></head><body>'
            '<div class="info">发布日期：2025-01-19 &nbsp; 文号：托政办〔2025〕1号</div>'
            '<div class="TRS_Editor"><p>一、总体情况</p><p>本年度，托里县认真贯彻落实政府信息公开条例。</p></div>'
            "</body></html>").encode()
    doc = read_html(page)
    assert doc.meta["title"] == "托里县2024年政府信息公开工作年度报告"
    assert doc.meta["published"] == "2025-01-18"
    assert doc.meta["doc_no"] == "托政办〔2025〕1号"
    assert [b.text for b in doc.blocks] == ["一、总体情况", "本年度，托里县认真贯彻落实政府信息公开条例。"]


def test_several_editor_blocks_and_chrome_inside_them():
    page = ('<html><body><div class="TRS_Editor"><p>一、总体情况</p></div><div class="share">分享到：微信</div>'
            '<div class="TRS_Editor"><p>二、主动公开政府信息情况</p><p>【打印本页】 【关闭窗口】</p></div>'
            "</body></html>").encode()
    assert read_html(page).text() == "一、总体情况\n二、主动公开政府信息情况"


def test_hidden_elements_are_not_text():
    page = ('<html><body><div class="TRS_Editor"><p>一、总体情况</p><p style="display: none">打印用的副本。</p>'
            "<table border=1><tr><td>行政许可</td><td>1</td></tr><tr style='display:none'><td>x</td><td>2</td></tr>"
            "</table></div></body></html>").encode()
    doc = read_html(page)
    assert doc.text() == "一、总体情况\n行政许可\t1"


def test_excel_pasted_cells_are_not_taken_for_font_controls():
    page = ('<html><body><div id="zoom"><table border=1><tr><td class=xl65>行政许可</td>'
            '<td class=xl66><font class="font5">12</font></td></tr><tr><td>行政处罚</td><td>3</td></tr></table>'
            "</div></body></html>").encode()
    assert _tables(read_html(page))[0].rows == [["行政许可", "12"], ["行政处罚", "3"]]


def test_chrome_lines_of_a_real_page_without_chrome_markup():
    """The 2021 托里县 page as its seed shows it: breadcrumb, byline, share, 【关闭】 and login as bare lines."""
    lines = (SEEDS / "tuoli-county-2021-webpage.txt").read_text(encoding="utf-8").splitlines()
    lines = [line.strip() for line in lines if line.strip()]
    head, tail = lines[:4], lines[-3:]
    assert head[0].startswith("您的位置") and tail == ["【关闭】", "×", "用户登录"]
    prose = [line for line in lines if len(line) > 60][:3]
    page = "<html><body><div class='wrap'>" + "".join(
        f"<div>{line}</div>" for line in [*head, *prose, *tail]
    ) + "<table border=1><tr><td>行政许可</td><td>38540</td></tr><tr><td>行政处罚</td><td>33569</td></tr></table>"
    doc = read_html((page + "</div></body></html>").encode("gbk"))
    text = doc.text()
    expected = json.loads((SEEDS / "expected" / "tuoli-county-2021-webpage.json").read_text(encoding="utf-8"))
    assert [word for word in [*expected["must_not_contain"], "×"] if word in text] == []
    assert doc.meta["published"] == "2022-02-26"
    assert [b.text for b in doc.blocks[:4]] == [head[1], *prose]


def test_cell_lines_join_without_space_between_chinese():
    page = ("<html><body><div id='zoom'><table border=1><tr><td>本年<br>制发件数</td><td>&nbsp;</td>"
            "<td>&nbsp;3<br></td><td>Total<br>count</td><td>社会公益\r\n  组织</td><td>　</td></tr>"
            "<tr><td rowspan=0>x</td><td colspan=abc>y</td></tr></table></div></body></html>").encode()
    assert _tables(read_html(page))[0].rows == [
        ["本年制发件数", "", "3", "Total count", "社会公益组织", ""],
        ["x", "y", "", "", "", ""],
    ]
