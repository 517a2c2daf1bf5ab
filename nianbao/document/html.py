"""Reads a report web page: decodes it, drops the site's chrome, and returns its body as paragraphs and tables."""

from __future__ import annotations

import codecs
import re
from urllib.parse import parse_qs, urljoin, urlsplit

from lxml import etree

from nianbao.document import boilerplate, selectors
from nianbao.document.model import SPANNED, Block, Document, Finding, Paragraph, Table, located

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_DECLARED = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)|<\?xml[^>]*?encoding\s*=\s*["']([\w.:-]+)""", re.IGNORECASE
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_HAN = re.compile("[\u4e00-\u9fff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# libxml2 stops at 256 nested elements, at 2048 with huge_tree, and drops the rest of the page. Pages nest that deep
# with runs of unclosed <font> or <div> from Word pastes: past 2048 the page is read again without such wrappers, a
# block wrapper becoming a line break.
_MAX_DEPTH = 2048
_BLOCK_WRAPPER = re.compile(r"</?(?:div|center|section|article|main|blockquote)(?:\s[^>]*)?>", re.IGNORECASE)
_INLINE_WRAPPER = re.compile(r"</?(?:span|font|b|i|u|strong|em|small|big)(?:\s[^>]*)?>", re.IGNORECASE)
# Declared charsets that decode any bytes without error, so they prove nothing on a Chinese page.
UNPROVEN_CHARSETS = {"latin-1", "iso8859-1", "cp1252", "ascii"}
_META_LABELS = {label: field for field, labels in boilerplate.META_LABELS.items() for label in labels}
# A cell this long is a page column, not a table value: the table around it is layout.
_LAYOUT_CELL_CHARS = 300
_MAX_COLSPAN = 100
_META_TABLE_ROWS = 10  # a metadata table (索引号, 发布机构, 发布日期 …) is never longer
# Without a known container, the body is the deepest element holding this share of the page's text.
_MAIN_SHARE = 0.8
_FREE = object()  # a grid position no cell has claimed yet
_END_LINE = object()  # in a walk: the line ends here
_TABLE_NUMBER = "data-nianbao-table"  # a table's place among the page's tables, set before chrome is dropped


def read_html(data: bytes, url: str | None = None) -> Document:
    """The report body of a web page as blocks, its metadata fields and its attachment links (absolute with url)."""
    doc = Document()
    root, doc.findings = parse_page(decode_html(data))
    if root is None:
        doc.findings.append(_no_text("the page holds no HTML elements"))
        return doc
    doc.attachments = find_attachments(root, url)
    for number, table in enumerate(root.iter("table")):  # counted before any chrome is dropped: the source's own
        table.set(_TABLE_NUMBER, str(number))
    for el in root.xpath(" | ".join(f"//{tag}" for tag in selectors.DROP_TAGS)):
        _drop_tree(el)
    body = root.find("body")
    has_text = _text_weight(root if body is None else body) > 0
    doc.meta = _page_meta(root)
    containers = _containers(root, selectors.CONTENT_CONTAINERS)
    _strip_chrome(root, containers)
    title = _page_title(root)
    if title:
        doc.meta.setdefault("title", title)
    doc.blocks = [block for block in _body_blocks(root, containers) if _is_body(block)]
    if not doc.blocks:
        doc.findings.append(_no_text("all of the page's text is site chrome" if has_text else "the page has no text"))
    return doc


def _no_text(message: str) -> Finding:
    return Finding.of("no_text_layer", "document", message)


# ---- decoding and parsing -----------------------------------------------------------------------------------------


def decode_html(data: bytes) -> str:
    """The page as text: BOM, else strict UTF-8, else the declared charset, else GB18030 (GB2312/GBK's superset)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    # Strict UTF-8 goes before a declared GB charset: GBK text is practically never valid UTF-8, while UTF-8 read as
    # GB18030 "succeeds" as nonsense, and sites copy templates that still declare gb2312 over UTF-8 content.
    for encoding in dict.fromkeys(("utf-8", _declared_encoding(data[:4096]), "gb18030")):
        if not encoding:
            continue
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not misread_chinese(data, text):
            return text
    return data.decode("gb18030", errors="replace")


def misread_chinese(data: bytes, text: str) -> bool:
    """The text read under some charset holds no Chinese where GB18030 reads the bytes strictly as Chinese: a wrong
    label (koi8-r or windows-1251 over a GBK page; any single-byte charset decodes any bytes)."""
    if _HAN.search(text):
        return False
    try:
        return bool(_HAN.search(data.decode("gb18030")))
    except UnicodeDecodeError:
        return False


def _declared_encoding(head: bytes) -> str | None:
    match = _DECLARED.search(head)
    if not match:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii").lower()
    if label.startswith(("gb", "x-gbk", "cp936", "ms936", "euc-cn", "windows-936")):
        return "gb18030"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return None if name in UNPROVEN_CHARSETS else name


def parse_page(text: str) -> tuple[etree._Element | None, list[Finding]]:
    """The page's tree, read again without wrapper elements (with a finding) when it nests too deep for libxml2."""
    # lxml refuses str input that still carries an XML encoding declaration; control characters are never text.
    text = _CONTROL.sub("", _XML_DECLARATION.sub("", text, count=1))
    root, too_deep = _parse_tree(text)
    if not too_deep:
        return root, []
    root, too_deep = _parse_tree(_INLINE_WRAPPER.sub("", _BLOCK_WRAPPER.sub("<br>", text)))
    message = f"the page nests its elements more than {_MAX_DEPTH} deep: read again without its div, span and font tags"
    if too_deep:
        message += ", and still the part past that depth was lost"
    return root, [Finding.of("page_unreadable", "document", message)]


def _parse_tree(text: str) -> tuple[etree._Element | None, bool]:
    """The tree, and whether libxml2 gave up on nesting too deep (keeping the part before)."""
    # lxml's plain HTML parser, not lxml.html's: that one calls back into Python to pick a class for every element
    # the walks touch (a tenth of a report's reading time), for methods that _text and _drop_tree provide here.
    parser = etree.HTMLParser(huge_tree=True)
    try:
        root = etree.fromstring(text, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    return root, any(error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for error in parser.error_log)


# ---- metadata -----------------------------------------------------------------------------------------------------


def _page_meta(root: etree._Element) -> dict[str, str]:
    """<meta> fields, then metadata tables and labelled lines anywhere on the page, then bare bylines; first wins."""
    meta = _meta_tags(root)
    body = root.find("body")
    # Only small tables can be metadata tables: the report's own tables are not gridded a second time here.
    blocks = _blocks(body if body is not None else root, max_table_rows=_META_TABLE_ROWS)
    lines = [b.text for b in blocks if isinstance(b, Paragraph) and boilerplate.is_meta_line(b.text)]
    # A bare "2024-12-01 标题" line may be a list of other articles; a labelled 发布日期 anywhere beats it.
    found = [_table_meta(b) for b in blocks if isinstance(b, Table)]
    found += [boilerplate.read_meta(line) for line in lines if not boilerplate.is_byline(line)]
    found += [boilerplate.read_meta(line) for line in lines if boilerplate.is_byline(line)]
    for fields in found:
        for key, value in fields.items():
            meta.setdefault(key, value)
    return meta


def _meta_tags(root: etree._Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in root.iter("meta"):
        name = (el.get("name") or el.get("property") or "").strip().lower()
        content = boilerplate.fold(el.get("content") or "")
        for key, names in selectors.META_NAMES.items():
            if name in names and content and key not in found:
                value = boilerplate.normalize_date(content) if key == "published" else content
                if value:
                    found[key] = value
    return found


def _table_meta(table: Table) -> dict[str, str]:
    """The fields of a metadata table (索引号 | … | 发布机构 | … | 发布日期 | …); empty for any other table."""
    if len(table.rows) > _META_TABLE_ROWS:
        return {}
    found: dict[str, str] = {}
    for row in table.rows:
        cells = [cell for cell in row if cell]
        for i, cell in enumerate(cells):
            label = _meta_label(cell)
            following = cells[i + 1] if i + 1 < len(cells) else ""
            text = f"{label}：{following}" if label and not _meta_label(following) else cell
            for key, value in boilerplate.read_meta(text).items():
                found.setdefault(key, value)
    return found if len(found) >= 2 else {}


def _meta_label(cell: str) -> str | None:
    label = re.sub(r"\s", "", cell).strip(":：")
    return label if label in _META_LABELS else None


def _page_title(root: etree._Element) -> str | None:
    """The article heading that agrees with <title>, else <title> without its site-name suffix, else a heading."""
    heads = root.xpath("//title")
    parts = selectors.TITLE_SEPARATORS.split(boilerplate.fold(_text(heads[0]))) if heads else []
    main = max(parts, key=len, default="")
    headings = [boilerplate.fold_cjk(_text(el)) for el in matching(root, selectors.TITLE_ELEMENTS)]
    headings = [h for h in headings if 4 <= len(h) <= 200]
    agreeing = [h for h in headings if main and (main in h or (h in main and 2 * len(h) > len(main)))]
    # A heading that names a report beats a <title> that is only the column's name ("政府信息公开年报_某县").
    reports = [h for h in headings if "信息公开" in h and ("报告" in h or "年报" in h) and re.search(r"\d{4}", h)]
    if reports and not re.search(r"\d{4}", main):
        return reports[0]
    return max(agreeing, key=len, default=None) or main or (headings[0] if headings else None)


# ---- attachments --------------------------------------------------------------------------------------------------


def find_attachments(root: etree._Element, url: str | None = None) -> list[str]:
    """Report files linked or embedded anywhere on the page, absolute when url is given, in page order."""
    found: list[str] = []
    for link in root.iter("a"):
        href = (link.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        if _is_attachment_link(link) or _is_document_url(href):
            found.append(_document_url(href, url))
    for el in root.xpath(selectors.EMBED_SOURCES):
        src = (el.get("src") or el.get("data") or "").strip()
        if src and (_is_document_url(src) or (el.get("type") or "").startswith(selectors.DOCUMENT_MIME_TYPES)):
            found.append(_document_url(src, url))
    for script in root.iter("script"):
        found.extend(_document_url(m.group(1), url) for m in selectors.SCRIPTED_DOCUMENT.finditer(script.text or ""))
    return list(dict.fromkeys(found))


def _is_attachment_link(link: etree._Element) -> bool:
    """"附件：…" as the link text or just before the link, or a link text naming a file ("….pdf")."""
    text = boilerplate.fold(_text(link) or link.get("title", ""))
    previous = link.getprevious()
    before = (previous.tail if previous is not None else link.getparent().text) or ""
    return bool(
        selectors.ATTACHMENT_TEXT.match(text)
        or selectors.ATTACHMENT_LABEL_BEFORE.search(before)
        or text.lower().endswith(selectors.ATTACHMENT_EXTENSIONS)
    )


def _is_document_url(href: str) -> bool:
    path = urlsplit(href).path.lower()
    return path.endswith(selectors.ATTACHMENT_EXTENSIONS) or bool(
        selectors.DOWNLOAD_SERVLETS.search(href) or selectors.PDF_VIEWER.search(href)
    )


def _document_url(href: str, base: str | None) -> str:
    absolute = urljoin(base, href) if base else href
    if selectors.PDF_VIEWER.search(href):
        # pdf.js resolves its url-encoded `file` parameter against the viewer page.
        files = parse_qs(urlsplit(absolute).query).get("file")
        if files:
            return urljoin(absolute, files[0])
    return absolute


# ---- chrome and the body ------------------------------------------------------------------------------------------


def matching(root: etree._Element, wanted: selectors.Elements) -> list[etree._Element]:
    """The elements under root (itself included) that the selector picks, in document order."""
    found = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        classes = el.get("class")
        if (el.tag in wanted.tags or el.get("id") in wanted.ids
                or (classes and not wanted.classes.isdisjoint(classes.split()))):
            found.append(el)
    return found


def _containers(root: etree._Element, wanted: selectors.Elements) -> list[etree._Element]:
    """The outermost matches of the container selectors, in document order, if together they hold content."""
    found = matching(root, wanted)
    picked = set(found)
    outer = [el for el in found if not any(a in picked for a in el.iterancestors())]
    has_table = any(el.find(".//table") is not None for el in outer)
    return outer if has_table or sum(map(_text_weight, outer)) >= selectors.MIN_CONTAINER_TEXT else []


def _strip_chrome(root: etree._Element, containers: list[etree._Element]) -> None:
    """Drop navigation, breadcrumbs, toolbars, login boxes and footers, but never a content container's ancestors."""
    keep = {a for el in containers for a in (el, *el.iterancestors())}
    for el in list(root.iter()):
        if el in keep or not isinstance(el.tag, str) or el.tag in ("html", "body"):
            continue
        if selectors.HIDDEN_STYLE.search(el.get("style", "")) or (
            _is_chrome(el) and _text(el).count("。") < selectors.PROSE_SENTENCES
        ):
            _drop_tree(el)


def _is_chrome(el: etree._Element) -> bool:
    if el.tag in selectors.CHROME_TAGS:
        return True
    words = [
        w
        for w in f"{el.get('class', '')} {el.get('id', '')}".split()
        if not w.startswith(selectors.KEEP_CLASS_PREFIXES)
    ]
    return any(selectors.CHROME_CLASS.search(w) for w in words)


def _body_blocks(root: etree._Element, containers: list[etree._Element]) -> list[Block]:
    if containers:
        return [block for el in containers for block in _blocks(el)]
    generic = _containers(root, selectors.GENERIC_CONTAINERS)
    if generic:
        return _blocks(max(generic, key=_text_weight))
    blocks = _blocks(_main_element(root))
    if not any(isinstance(b, Table) and not _table_meta(b) for b in blocks):
        return _trafilatura_paragraphs(root) or blocks
    return blocks


def _main_element(root: etree._Element) -> etree._Element:
    """Descend from <body> through wrappers and layout tables into the child holding nearly all text and every table."""
    el = root.find("body")
    el = root if el is None else el
    while True:
        children = [c for c in el if isinstance(c.tag, str) and not (c.tag == "table" and not _is_layout_table(c))]
        if len(el) == 1 and children and not (el.text or "").strip() and not (children[0].tail or "").strip():
            el = children[0]  # a bare wrapper holds what its one child holds: no need to weigh it, level by level
            continue
        best = max(children, key=_text_weight, default=None)
        if best is None or _text_weight(best) < _MAIN_SHARE * _text_weight(el) or _data_tables(best) < _data_tables(el):
            return el
        el = best


def _data_tables(el: etree._Element) -> int:
    return sum(1 for table in el.iter("table") if not _is_layout_table(table))


_TEXT = etree.XPath("string()")


def _text(el: etree._Element) -> str:
    """All the text under el, as lxml.html's text_content() gives it."""
    return str(_TEXT(el))


def _drop_tree(el: etree._Element) -> None:
    """Remove el and what it holds, keeping the text that follows it (lxml.html's drop_tree)."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


def _text_weight(el: etree._Element) -> int:
    return len(boilerplate.fold(_text(el)))


def _trafilatura_paragraphs(root: etree._Element) -> list[Block]:
    # Imported here: trafilatura pulls in date and URL libraries only this fallback needs.
    import trafilatura

    html = etree.tostring(root, encoding="unicode", method="html")
    text = trafilatura.extract(html, include_tables=False, include_comments=False, favor_recall=True) or ""
    return [Paragraph(line) for line in map(boilerplate.fold_cjk, text.splitlines()) if line]


def _is_body(block: Block) -> bool:
    if isinstance(block, Table):
        return not _table_meta(block)
    return not (boilerplate.is_boilerplate_line(block.text) or boilerplate.is_meta_line(block.text))


# ---- blocks and tables --------------------------------------------------------------------------------------------


def _blocks(el: etree._Element, max_table_rows: int | None = None) -> list[Block]:
    """Paragraphs (one per line: block elements and <br> end lines) and tables under el, in document order; tables
    of more than max_table_rows rows, when given, are left out."""
    out: list[Block] = []
    line: list[str] = []
    # A walk with a stack of its own, not recursion: pages nest a thousand elements deep and more.
    todo: list = [el]  # elements to visit, strings to add to the line, _END_LINE; the next one last
    while todo:
        item = todo.pop()
        if item is _END_LINE:
            _flush(out, line)
        elif isinstance(item, str):
            line.append(item)
        else:
            todo.extend(reversed(_visit(item, out, line, max_table_rows)))
    _flush(out, line)
    return out


def _visit(el: etree._Element, out: list[Block], line: list[str], max_table_rows: int | None) -> list:
    """Take in what el itself is (a line break, a table); what is to follow it, in order: text, children, tails."""
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if tag == "br":
        _flush(out, line)
        return []
    if tag == "table" and not _is_layout_table(el):
        _flush(out, line)
        rows = table_rows(el)
        if max_table_rows is None or len(rows) <= max_table_rows:
            out.append(Table(_grid(rows, el.get(_TABLE_NUMBER))))
        return []
    if not tag:  # a comment or processing instruction
        return []
    inside = [el.text] if el.text else []
    for child in el:
        inside.append(child)
        if child.tail:
            inside.append(child.tail)
    return [_END_LINE, *inside, _END_LINE] if tag in selectors.BLOCK_TAGS else inside


def _flush(out: list[Block], line: list[str]) -> None:
    text = boilerplate.fold_cjk("".join(line))
    line.clear()
    if text:
        out.append(Paragraph(text))


def _is_layout_table(table: etree._Element) -> bool:
    """A table that lays out the page (or frames the report) rather than holding values: descend into it."""
    cells = table.xpath(".//td | .//th")
    return (
        len(cells) <= 1
        or table.find(".//table") is not None
        or any(len(_text(cell)) > _LAYOUT_CELL_CHARS for cell in cells)
    )


def table_rows(table: etree._Element) -> list[etree._Element]:
    return table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")


def _grid(rows: list[etree._Element], table: str | None = None) -> list[list[str | None]]:
    """A table's cells (its rows given) on a grid: rowspan/colspan expanded, covered positions SPANNED, ragged rows
    padded "". Each cell's text says where it stands in the page: the table's number among the page's tables, the
    row's among the table's rows and the cell's among the row's td/th (all counted from 0)."""
    grid: list[list] = [[] for _ in rows]
    for r, tr in enumerate(rows):
        col = 0
        for k, td in enumerate(tr.xpath("./td | ./th")):
            while col < len(grid[r]) and grid[r][col] is not _FREE:
                col += 1
            rowspan = _span(td.get("rowspan"), len(rows) - r)
            colspan = _span(td.get("colspan"), _MAX_COLSPAN)
            text = boilerplate.join_lines([b.text for b in _blocks(td) if isinstance(b, Paragraph)])
            for target in grid[r : r + rowspan]:
                target.extend([_FREE] * (col + colspan - len(target)))
                target[col : col + colspan] = [SPANNED] * colspan
            grid[r][col] = located(text, table=int(table), row=r, cell=k) if table is not None else text
            col += colspan
    width = max(map(len, grid), default=0)
    return [["" if cell is _FREE else cell for cell in row] + [""] * (width - len(row)) for row in grid]


def _span(value: str | None, limit: int) -> int:
    """A rowspan/colspan as an int within 1..limit; 0 ("to the end") and garbage are read as the limit and 1."""
    match = re.match(r"\s*(\d+)", value or "")
    if not match:
        return 1
    span = int(match.group(1))
    return limit if span == 0 else max(1, min(span, limit))
