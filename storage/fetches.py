"""The last HTTP answer per URL, so the crawler can send conditional requests (If-None-Match, If-Modified-Since)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.db import dialect_insert
from storage.models import Fetch, utcnow

NOT_MODIFIED = 304


def get_fetch(session: Session, url: str) -> Fetch | None:
    return session.scalars(select(Fetch).where(Fetch.url == url)).one_or_none()


def record_fetch(
    session: Session,
    url: str,
    *,
    status: int,
    etag: str | None = None,
    last_modified: str | None = None,
    sha256: str | None = None,
    fetched_at: datetime | None = None,
) -> None:
    """Remember the answer for a URL. A 304 keeps the stored validators and digest unless new ones are given;
    any other answer replaces them (a server that stops sending an ETag must not get the old one back)."""
    values = {
        "status": status,
        "etag": etag,
        "last_modified": last_modified,
        "sha256": sha256,
        "fetched_at": fetched_at or utcnow(),
    }
    stmt = dialect_insert(session, Fetch.__table__).values(url=url, **values)
    updates = dict(values)
    if status == NOT_MODIFIED:
        table = Fetch.__table__.c
        for name in ("etag", "last_modified", "sha256"):
            updates[name] = func.coalesce(stmt.excluded[name], table[name])
    session.execute(stmt.on_conflict_do_update(index_elements=["url"], set_=updates))


def fetch_state(session: Session) -> tuple[dict[str, dict[str, str]], dict[str, datetime]]:
    """Of every URL whose body is stored: its ETag / Last-Modified where it sent any (what the crawler's conditional
    requests send back), and when it was last fetched or answered 304 (what its re-check cadence counts from)."""
    stmt = select(Fetch.url, Fetch.etag, Fetch.last_modified, Fetch.fetched_at).where(Fetch.sha256.is_not(None))
    validators, checked_at = {}, {}
    for url, etag, modified, fetched_at in session.execute(stmt):
        checked_at[url] = fetched_at
        if etag or modified:
            validators[url] = {"etag": etag or "", "last_modified": modified or ""}
    return validators, checked_at
