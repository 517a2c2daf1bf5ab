"""Per-site crawl locks with an expiry, so two crawls (scheduled or manual, any process) never run one site at once."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.db import dialect_insert, in_chunks
from storage.models import SiteLock, utcnow


def process_holder() -> str:
    """The holder name of this process: where it runs and its pid, so a lock left by a process that died can be told
    apart."""
    return f"{_here()}:{os.getpid()}"


def _here() -> str:
    """The host, and on Linux its PID namespace: containers that share a host name do not share their pids."""
    try:
        namespace = os.readlink("/proc/self/ns/pid").strip("pid:[]")
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()}/{namespace}"


def is_dead_here(holder: str) -> bool:
    """True when the holder is a process of this host that no longer runs (killed, crashed): its locks are free now,
    not when they expire. Holders on other hosts cannot be checked from here; their locks expire."""
    host, _, pid = holder.rpartition(":")
    if host != _here() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def free_dead_holders(session: Session) -> list[str]:
    """Drop the locks of this host's processes that have died; the sites they held, sorted."""
    rows = session.execute(select(SiteLock.site_id, SiteLock.holder)).all()
    dead = sorted(site for site, holder in rows if is_dead_here(holder))
    for chunk in in_chunks(dead):
        session.execute(delete(SiteLock).where(SiteLock.site_id.in_(chunk)))
    return dead


def acquire_sites(session: Session, site_ids: list[str], holder: str, ttl_seconds: int) -> list[str]:
    """Lock the sites that are free for ttl_seconds and return their ids (sorted); the caller commits at once.

    A site is free when nobody holds it, its lock has expired (a crashed crawl), or holder itself holds it (the
    expiry is then extended, so a long crawl can renew its locks). A site another holder has not let expire is
    skipped. One INSERT … ON CONFLICT DO UPDATE … WHERE decides per row, so two racing transactions never both
    get a site: PostgreSQL re-checks the WHERE against the row the other one committed, and SQLite lets one writer
    at a time in (storage.db begins IMMEDIATE).
    """
    wanted = sorted(set(site_ids))  # one order for every caller: PostgreSQL row locks cannot deadlock
    if not wanted:
        return []
    now = utcnow()
    expires_at = now + timedelta(seconds=ttl_seconds)
    table = SiteLock.__table__
    stmt = dialect_insert(session, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["site_id"],
        set_={"holder": stmt.excluded.holder, "expires_at": stmt.excluded.expires_at},
        where=(table.c.expires_at <= now) | (table.c.holder == holder),
    ).returning(table.c.site_id)
    # One row's statement, which SQLAlchemy sends in pages of many rows ("insertmanyvalues"): a registry of any size
    # stays under the drivers' parameter limits, and one small compiled form is cached however many sites there are.
    rows = [{"site_id": site_id, "holder": holder, "expires_at": expires_at} for site_id in wanted]
    return sorted(session.scalars(stmt, rows))


def release_sites(session: Session, site_ids: list[str], holder: str) -> None:
    """Unlock the sites that holder holds; other holders' locks are left alone."""
    for chunk in in_chunks(site_ids):
        session.execute(delete(SiteLock).where(SiteLock.site_id.in_(chunk), SiteLock.holder == holder))


def held_sites(session: Session) -> dict[str, tuple[str, datetime]]:
    """The sites locked now, each with its holder and when the lock expires (expired locks count as free)."""
    rows = session.execute(select(SiteLock).where(SiteLock.expires_at > utcnow()).order_by(SiteLock.site_id))
    return {lock.site_id: (lock.holder, lock.expires_at) for lock in rows.scalars()}
