"""Downloaded files kept as their original bytes, addressed by their SHA-256."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import dialect_insert
from storage.models import Document, utcnow


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_document(session: Session, data: bytes, *, content_type: str | None) -> str:
    """Keep the bytes (once, however often they are stored) and return their sha256 hex digest."""
    digest = sha256_hex(data)
    # A re-download is common; checking first spares sending megabytes of PDF only for the insert to be skipped.
    if session.scalar(select(Document.sha256).where(Document.sha256 == digest)) is not None:
        return digest
    stmt = dialect_insert(session, Document.__table__).values(
        sha256=digest, content_type=content_type, size=len(data), data=data, stored_at=utcnow()
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["sha256"]))
    return digest


def get_document(session: Session, sha256: str) -> Document | None:
    return session.get(Document, sha256)
