"""Every selector the HTML reader uses, in one place: content containers, page chrome, metadata and attachment links."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Elements:
    """Elements picked by a class token, an id or a tag name; matched in one walk of the tree (html.matching), which
    costs a sixth of libxml2's contains(concat(' ', normalize-space(@class), ' '), …) XPath."""

    classes: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()


# The report body on the publishing platforms (DOMAIN.md). Specific ones first; the generic ones are used only when
# no specific one holds content, because on some sites they wrap the whole page column.
CONTENT_CONTAINERS = Elements(
    classes=frozenset({
        "TRS_Editor", "TRS_UEDITOR",  # TRS WCM
        "bt_content",  # Hanweb
        "v_news_content",  # Boda VSB
        "article-content",  # site clusters, Guangdong
        "pages_content", "Custom_UnionStyle",
    }),
    ids=frozenset({
        "zoom", "Zoom", "fontzoom",  # TRS and Hanweb JCMS
        "UCAP-CONTENT",  # Hanweb, newer templates
    }),
)
GENERIC_CONTAINERS = Elements(classes=frozenset({"zw", "content"}), ids=frozenset({"content"}),
                              tags=frozenset({"article"}))
# A container holding less than this much text and no table is an empty shell (the report is an attachment).
MIN_CONTAINER_TEXT = 20

# Elements that are never report text.
DROP_TAGS: tuple[str, ...] = ("script", "style", "noscript", "template", "link", "svg")
CHROME_TAGS: frozenset[str] = frozenset(
    {
        "nav",
        "header",
        "footer",
        "aside",
        "form",
        "button",
        "select",
        "input",
        "textarea",
        "iframe",
        "object",
        "embed",
        "canvas",
        "map",
        "video",
        "audio",
    }
)
# class/id words of page chrome: breadcrumbs, share/print/close buttons, font size, login, menus, footers, QR codes.
# Not "font5": Excel-pasted tables style their cell text with class=font5, font6...
CHROME_CLASS = re.compile(
    r"bread|crumb|position|location|share|print|close|font(?!\d)|login|toolbar|footer|nav|menu|sidebar|search|qrcode"
    r"|erweima|ewm|logo|dayin|guanbi|fenxiang|wza|barrier",
    re.IGNORECASE,
)
# Word-pasted paragraphs carry classes like MsoFooter; they are report text, not chrome.
KEEP_CLASS_PREFIXES: tuple[str, ...] = ("Mso",)
# Hidden elements are not what a reader of the page sees (share widgets, print-only copies).
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# A chrome-looking element holding this many sentences is content with an unlucky class name.
PROSE_SENTENCES = 3

# Tags that start and end a line of text; everything else is inline.
BLOCK_TAGS: frozenset[str] = frozenset(
    {
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "section",
        "article",
        "main",
        "center",
        "blockquote",
        "pre",
        "address",
        "figure",
        "figcaption",
        "hr",
        "tr",
        "td",
        "th",
        "tbody",
        "thead",
        "tfoot",
        "caption",
        "body",
        "html",
        "table",
        "fieldset",
        "legend",
    }
    | CHROME_TAGS
)

# The page title: <meta> names first (TRS and Hanweb write ArticleTitle), then the heading elements.
META_NAMES: dict[str, tuple[str, ...]] = {
    "title": ("articletitle", "og:title", "dc.title"),
    "published": ("pubdate", "publishdate", "firstpublishedtime", "article:published_time", "dc.date"),
    "publisher": ("contentsource", "dc.publisher"),
}
TITLE_ELEMENTS = Elements(classes=frozenset({"title", "article-title", "news_title", "con-title", "tit", "bt"}),
                          tags=frozenset({"h1"}))
# "<report title>_<site name>", "<report title> - <site name>".
TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|--|-|—|–)\s*")

# Attachment links (DOMAIN.md): "附件：…" links, document files, download servlets without an extension,
# documents in <iframe>/<embed>/<object>, and pdf.js viewer pages whose `file` parameter names the document.
ATTACHMENT_TEXT = re.compile(r"^\s*附\s*件")
ATTACHMENT_LABEL_BEFORE = re.compile(r"附\s*件\s*\d*\s*[:：]\s*$")
ATTACHMENT_EXTENSIONS: tuple[str, ...] = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".ofd")
DOWNLOAD_SERVLETS = re.compile(
    r"download\.(jsp|aspx?|php|do|action)|downfile\.(jsp|aspx?|do)|/module/download/|filedownload|downloadfile"
    r"|attachment\?id=|getfile|/download\?|fileservlet|downloadservlet",
    re.IGNORECASE,
)
# TRS writes the attachment link from a script (var descNames = './P0….pdf'; document.write(...)), and viewers embed
# the file from one (PDFObject.embed("/….pdf")): quoted document paths in script text.
SCRIPTED_DOCUMENT = re.compile(r"""["']([^"'\s<>()]+\.(?:pdf|docx?|wps|xlsx?|ofd))["']""", re.IGNORECASE)
PDF_VIEWER = re.compile(r"viewer(\.html?)?\?(.*&)?file=", re.IGNORECASE)
EMBED_SOURCES = "//iframe[@src] | //embed[@src] | //object[@data]"
DOCUMENT_MIME_TYPES: tuple[str, ...] = ("application/pdf", "application/msword", "application/vnd.openxmlformats")
