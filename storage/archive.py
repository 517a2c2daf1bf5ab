"""The evidence archive's index: where each archived response lies in the WARC files, and where those files are."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from storage.db import database_url, in_chunks
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


def listing_fetches(session: Session, listing_urls: Iterable[str], run_ids: Iterable[int]
                    ) -> dict[tuple[str, int], list[WarcRecord]]:
    """What these runs received for these registered listing pages, their pagination included, in order, by
    (listing URL, run)."""
    found: dict[tuple[str, int], list[WarcRecord]] = {}
    runs = sorted(set(run_ids))
    for chunk in in_chunks(sorted(set(listing_urls))):
        stmt = (select(WarcRecord).where(WarcRecord.listing_url.in_(chunk), WarcRecord.run_id.in_(runs))
                .order_by(WarcRecord.fetched_at, WarcRecord.id))
        for record in session.scalars(stmt):
            found.setdefault((record.listing_url, record.run_id), []).append(record)
    return found


def document_fetches(session: Session, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], WarcRecord]:
    """For each (URL, sha256): the archived response that brought these bytes (from this URL if it did; a report page
    may only link its document); else the URL's latest response, whose body may not be the document (sent
    compressed, or a page)."""
    wanted = sorted(set(wanted))
    responses: list[WarcRecord] = []
    by_column = ((WarcRecord.payload_sha256, {sha for _, sha in wanted}), (WarcRecord.url, {url for url, _ in wanted}))
    for column, values in by_column:
        for chunk in in_chunks(sorted(values)):
            responses += session.scalars(select(WarcRecord).where(WarcRecord.record_type == "response",
                                                                  column.in_(chunk)))
    by_sha: dict[str | None, list[WarcRecord]] = {}
    by_url: dict[str, list[WarcRecord]] = {}
    for record in sorted({r.id: r for r in responses}.values(), key=lambda r: (r.fetched_at, r.id), reverse=True):
        by_sha.setdefault(record.payload_sha256, []).append(record)
        by_url.setdefault(record.url, []).append(record)
    found = {}
    for url, sha in wanted:
        exact = by_sha.get(sha, [])
        best = next((r for r in exact if r.url == url), exact[0] if exact else None)
        best = best or next(iter(by_url.get(url, [])), None)
        if best is not None:
            found[(url, sha)] = best
    return found
