"""The encoding a page really uses when its charset header is missing or wrong; GB2312/GBK decode as GB18030."""

from __future__ import annotations

import codecs

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

from nianbao.document import sniff
from nianbao.document.html import UNPROVEN_CHARSETS, misread_chinese

# Tomcat and IIS answer ISO-8859-1 when nobody configured a charset (seen on county sites, 2024); a declaration
# that decodes any byte string proves nothing, so it comes last (UNPROVEN_CHARSETS).


def page_encoding(body: bytes, content_type: str) -> str:
    """Strict UTF-8, else the declared charset (header, then <meta>), else GB18030, whichever decodes the body.

    UTF-8 goes first because GBK text is practically never valid UTF-8, while UTF-8 read as GB18030 "succeeds" as
    nonsense, and sites copy templates that still declare gb2312 over UTF-8 content.
    """
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8"
    declared = [e for e in (http_content_type_encoding(content_type), html_body_declared_encoding(body)) if e]
    trusted = [e for e in declared if codecs.lookup(e).name not in UNPROVEN_CHARSETS]
    for encoding in dict.fromkeys(["utf-8", *trusted, "gb18030", *declared]):
        if _reads(body, encoding):
            return encoding
    return trusted[0] if trusted else "gb18030"


def _reads(body: bytes, encoding: str) -> bool:
    """The body decodes under the encoding, and not as non-Chinese where GB18030 reads Chinese."""
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return encoding == "gb18030" or not misread_chinese(body, text)


def is_text(body: bytes) -> bool:
    """A page or plain text, not a PDF or Office file (Scrapy hands those over as TextResponse too)."""
    return sniff(body) in ("html", "text")
