"""The evidence archive's index: where each archived response lies in the WARC files, and where those files are."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from storage.db import database_url
from storage.models import WarcRecord

SHARED_ARCHIVE_DIR = "nianbao-archive"  # in the working directory, for a database that is not a SQLite file


def archive_dir(url: str | None = None, configured: str | None = None) -> Path:
    """The archive folder: `configured` (NIANBAO_ARCHIVE_DIR) when given; else `<file stem>-archive/` beside a
    SQLite file; else nianbao-archive/ in the working directory."""
    if configured:
        return Path(configured)
    resolved = make_url(database_url(url))
    if resolved.get_backend_name() == "sqlite" and resolved.database not in (None, "", ":memory:"):
        database = Path(resolved.database)
        return database.with_name(f"{database.stem}-archive")
    return Path(SHARED_ARCHIVE_DIR)


def record_archived(session: Session, entries: list[dict[str, Any]]) -> None:
    """Index archived records: dicts of WarcRecord's columns."""
    session.execute(insert(WarcRecord), entries)


def original_response(session: Session, url: str) -> WarcRecord | None:
    """The latest archived successful response for a URL: what a 304 from it confirms."""
    stmt = (select(WarcRecord).where(WarcRecord.url == url, WarcRecord.record_type == "response",
                                     WarcRecord.status.between(200, 299))
            .order_by(WarcRecord.fetched_at.desc(), WarcRecord.id.desc()).limit(1))
    return session.scalar(stmt)


def listing_fetches(session: Session, listing_urls: Iterable[str], run_id: int) -> list[WarcRecord]:
    """What one run received for these registered listing pages, their pagination included, in order."""
    stmt = (select(WarcRecord).where(WarcRecord.listing_url.in_(list(listing_urls)), WarcRecord.run_id == run_id)
            .order_by(WarcRecord.fetched_at, WarcRecord.id))
    return list(session.scalars(stmt))


def document_fetch(session: Session, url: str, sha256: str) -> WarcRecord | None:
    """The archived response that brought these bytes (from this URL if it did; a report page may only link its
    document); else the URL's latest response, whose body may not be the document (sent compressed, or a page)."""
    responses = (select(WarcRecord).where(WarcRecord.record_type == "response")
                 .order_by((WarcRecord.url == url).desc(), WarcRecord.fetched_at.desc(), WarcRecord.id.desc()).limit(1))
    exact = session.scalar(responses.where(WarcRecord.payload_sha256 == sha256))
    return exact or session.scalar(responses.where(WarcRecord.url == url))
