"""Hostile report files for tests, made in well under a second: ZIP and Flate bombs, forms drawing forms, deep pages.

A bomb's deflate data is one small compressed block repeated: each block is cut off with a full flush, so it refers
to nothing before it, and the same bytes can be written any number of times. Nothing is ever inflated here.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO

MIB = 2**20


@dataclass
class Deflated:
    """Raw deflate data (as a ZIP member holds it) and what it inflates to: its size and checksums."""

    data: bytes
    size: int
    crc32: int
    adler32: int

    def zlib_stream(self) -> bytes:
        """The same data as a zlib stream, as a PDF's FlateDecode filter reads it."""
        return b"\x78\xda" + self.data + struct.pack(">I", self.adler32)


def deflate_repeated(head: bytes, chunk: bytes, count: int, tail: bytes) -> Deflated:
    """Deflate data that inflates to head + chunk * count + tail, built without ever holding the inflated bytes."""
    block = _flushed_block(chunk)
    crc, adler = zlib.crc32(head), zlib.adler32(head)
    for _ in range(count):
        crc, adler = zlib.crc32(chunk, crc), zlib.adler32(chunk, adler)
    crc, adler = zlib.crc32(tail, crc), zlib.adler32(tail, adler)
    last = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = _flushed_block(head) + block * count + last.compress(tail) + last.flush()
    return Deflated(data, len(head) + len(chunk) * count + len(tail), crc, adler)


def _flushed_block(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


# ---- ZIP (DOCX) ----------------------------------------------------------------------------------------------------


@dataclass
class Member:
    name: str
    data: bytes  # as stored: raw deflate data
    size: int  # the uncompressed size the headers declare
    crc32: int


def docx_bomb(docx_bytes: bytes, mib: int = 512, declared_mib: int | None = None) -> bytes:
    """The DOCX with word/document.xml padded by empty paragraphs until it inflates to `mib` MiB.

    declared_mib: the size the ZIP headers claim for it instead (a forged header that hides the bomb).
    """
    members = []
    with zipfile.ZipFile(BytesIO(docx_bytes)) as package:
        for info in package.infolist():
            data = package.read(info)
            if info.filename == "word/document.xml":
                head, tail = data.split(b"</w:body>")
                paragraph = b"<w:p/>"
                chunk = paragraph * (MIB // len(paragraph))
                bomb = deflate_repeated(head, chunk, mib, b"</w:body>" + tail)
                size = bomb.size if declared_mib is None else declared_mib * MIB
                members.append(Member(info.filename, bomb.data, size, bomb.crc32))
            else:
                compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
                deflated = compressor.compress(data) + compressor.flush()
                members.append(Member(info.filename, deflated, len(data), zlib.crc32(data)))
    return write_zip(members)


def write_zip(members: list[Member]) -> bytes:
    """A ZIP archive of deflated members, headers written by hand so that they may say what the test wants."""
    out, central = BytesIO(), BytesIO()
    for m in members:
        name = m.name.encode()
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, m.crc32, len(m.data), m.size,
                              len(name), 0))
        out.write(name + m.data)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, m.crc32, len(m.data),
                                  m.size, len(name), 0, 0, 0, 0, 0, offset))
        central.write(name)
    directory = central.getvalue()
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), out.tell(), 0)
    return out.getvalue() + directory + end


# ---- PDF -----------------------------------------------------------------------------------------------------------


def write_pdf(objects: list[bytes]) -> bytes:
    """A PDF of numbered objects (object 1 is the catalog) with a correct cross-reference table."""
    out = BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def stream(data: bytes, entries: bytes = b"", compressed: bytes | None = None) -> bytes:
    """A stream object: data as it is, or `compressed` (zlib) standing for it behind a FlateDecode filter."""
    if compressed is None:
        return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (entries, len(data), data)
    return b"<< %s /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (entries, len(compressed), compressed)


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_TEXT = b"BT /F1 12 Tf 72 720 Td (Annual report on government information disclosure) Tj ET"


def pdf_with_pages(contents: list[bytes], xobjects: list[bytes] = ()) -> bytes:
    """A PDF of A4 pages with these content streams (object bodies), sharing Helvetica as /F1 and the xobjects
    (object bodies, named /X0, /X1… and numbered from 4 + 2 * len(contents) on)."""
    first_xobject = 4 + 2 * len(contents)
    names = b" ".join(b"/X%d %d 0 R" % (i, first_xobject + i) for i in range(len(xobjects)))
    resources = b"<< /Font << /F1 3 0 R >> /XObject << %s >> >>" % names
    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(len(contents)))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        kids, len(contents)), _FONT]
    for i, content in enumerate(contents):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources %s /Contents %d 0 R >>" % (
            resources, 5 + 2 * i))
        objects.append(content)
    return write_pdf(objects + list(xobjects))


def text_page() -> bytes:
    """A content stream with one line of text: a page any reader must keep."""
    return stream(_TEXT)


def form_fanout_pdf(levels: int = 20, fanout: int = 10, text_first: bool = False) -> bytes:
    """Form N draws form N-1 `fanout` times, `levels` deep, form 0 a line: fanout ** levels lines, in 3 KB."""
    forms = [stream(b"0 0 m 1 1 l S", b"/Type /XObject /Subtype /Form /BBox [0 0 595 842]")]
    for level in range(1, levels + 1):
        body = b" ".join([b"q /X%d Do Q" % (level - 1)] * fanout)
        forms.append(stream(body, b"/Type /XObject /Subtype /Form /BBox [0 0 595 842]"))
    page = stream(b"/X%d Do" % levels)
    return pdf_with_pages([text_page(), page] if text_first else [page], forms)


def inflating_content_pdf(mib: int = 200, text_first: bool = False) -> bytes:
    """A page whose content stream of half a megabyte inflates to `mib` MiB of line drawing."""
    line = b"0 0 m 1 1 l S\n"
    bomb = deflate_repeated(b"", line * (MIB // len(line)), mib, b"")
    page = stream(b"", compressed=bomb.zlib_stream())
    return pdf_with_pages([text_page(), page] if text_first else [page])


# ---- HTML ----------------------------------------------------------------------------------------------------------


def nest_body(page: bytes, depth: int, tag: bytes = b"div") -> bytes:
    """The page with its body wrapped in `depth` nested elements (unclosed <font> or <div> runs of Word pastes)."""
    start, end = page.index(b"<body"), page.rindex(b"</body>")
    start = page.index(b">", start) + 1
    return page[:start] + b"<%s>" % tag * depth + page[start:end] + b"</%s>" % tag * depth + page[end:]
