"""One way in for documents: any report file (HTML, PDF, DOCX, DOC/WPS, plain text) becomes a `Document`."""

from __future__ import annotations

from pathlib import Path

from nianbao.document.model import (
    SPANNED,
    Document,
    Finding,
    Paragraph,
    Table,
    UnreadableInput,
    located,
    location,
    relocate,
)

__all__ = ["SPANNED", "Document", "Finding", "Paragraph", "Table", "UnreadableInput", "read_document", "sniff"]

# Reports bigger than this are not reports (a whole site dump, a video): refuse them rather than parse for minutes.
MAX_INPUT_BYTES = 50 * 1024 * 1024


def sniff(data: bytes, name: str = "") -> str:
    """The kind of a document by its bytes (names lie: download servlets have none): pdf, docx, ofd, ole, zip, html
    or text."""
    head = data[:2048].lstrip()
    if head.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        if b"word/" in data[:65536] or name.lower().endswith(".docx"):
            return "docx"
        return "ofd" if b"OFD.xml" in data[:65536] or name.lower().endswith(".ofd") else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"  # DOC, WPS and XLS share the OLE container
    lowered = head[:1024].lower()
    if lowered.startswith((b"<!doctype", b"<html", b"<?xml")) or b"<html" in lowered or b"<body" in lowered or (
        b"<table" in lowered or b"<div" in lowered or b"<p" in lowered
    ):
        return "html"
    return "text"


def read_document(source: Path | bytes, name: str = "", url: str | None = None) -> Document:
    """Read a report file or its bytes into the intermediate form. Raises UnreadableInput with a one-line reason."""
    if isinstance(source, Path):
        name = name or source.name
        try:
            if source.stat().st_size > MAX_INPUT_BYTES:
                raise UnreadableInput(f"{source.name} is larger than {MAX_INPUT_BYTES // 2**20} MiB; not a report")
            data = source.read_bytes()
        except OSError as exc:
            raise UnreadableInput(f"cannot read {source}: {exc.strerror}") from exc
    else:
        data = source
    if len(data) > MAX_INPUT_BYTES:
        raise UnreadableInput(f"input is larger than {MAX_INPUT_BYTES // 2**20} MiB; not a report")
    if not data.strip():
        raise UnreadableInput("the file is empty")
    kind = sniff(data, name)
    if kind == "pdf":
        from nianbao.document.pdf import read_pdf

        return read_pdf(data)
    if kind == "docx":
        from nianbao.document.docx import read_docx

        return read_docx(data)
    if kind == "ole":
        from nianbao.document.docx import read_docx
        from nianbao.document.office import convert_to_docx

        doc = read_docx(convert_to_docx(data, Path(name).suffix or ".doc"))
        # Places in the Word file LibreOffice made of it, not in the original's own structure: said so.
        relocate(doc, lambda text: located(text, converted="docx") if location(text) else text)
        return doc
    if kind == "ofd":
        from nianbao.document.ofd import read_ofd

        return read_ofd(data)
    if kind == "zip":
        raise UnreadableInput("a ZIP archive that is neither a Word document nor an OFD")
    if kind == "html":
        from nianbao.document.html import read_html

        return read_html(data, url=url)
    from nianbao.document.text import read_text

    return read_text(data)
