"""The database `nianbao browse` serves: a fresh SQLite file with the store's tables (SQLite or PostgreSQL), read in
one transaction, and the audit of every year that has reports, so Datasette never touches the store itself."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from nianbao.audit import AgencyAudit, Settings, audit
from nianbao.audit.load import copy_scorer, load, load_unstored
from nianbao.audit.model import LEVEL_LABELS, STATUS_LABELS
from nianbao.browse_metadata import LABEL_COLUMNS
from storage.db import read_only
from storage.models import Base, Report

# The tables copied, with the columns left out: bytes a page cannot show (the originals are served from the store
# by nianbao.browse) and the parse JSON, whose tables and findings are copied as rows. Not copied: the HTTP cache
# (fetches), crawl locks, and the scheduler's job store.
COPIED: dict[str, tuple[str, ...]] = {
    "agencies": (), "listing_pages": (), "documents": ("data",), "reports": (),
    "report_versions": ("parsed", "text_sketch"), "report_attachments": (), "report_cells": (),
    "report_findings": (), "corrections": (), "crawl_runs": (), "site_outcomes": (), "unknown_agencies": (),
    "unstored_reports": (),
}
BATCH = 5000

AUDIT_TABLES = """
CREATE TABLE audit (
  year INTEGER NOT NULL, agency_id TEXT NOT NULL REFERENCES agencies (id), agency TEXT, level TEXT,
  level_label TEXT, region_id TEXT, region TEXT, status TEXT, status_label TEXT, deadline DATE, published DATE,
  days_late INTEGER, errors INTEGER, warnings INTEGER, findings TEXT, checks TEXT, notes TEXT, title TEXT,
  source_url TEXT, version_id INTEGER REFERENCES report_versions (id), site_outcome TEXT,
  PRIMARY KEY (year, agency_id));
CREATE INDEX ix_audit_status ON audit (year, status);
CREATE TABLE audit_unattributed (
  version_id INTEGER PRIMARY KEY REFERENCES report_versions (id), year INTEGER, agency_name TEXT, title TEXT,
  published DATE, source_url TEXT);
"""


def make_snapshot(engine: Engine, path: Path, as_of: date) -> list[int]:
    """Write the snapshot to `path` (a new file); returns the years audited, as of `as_of`."""
    settings = Settings.from_env(os.environ)
    consistent = read_only(engine)
    if engine.dialect.name == "postgresql":  # one snapshot of every table, as SQLite's read transaction gives
        consistent = consistent.execution_options(isolation_level="REPEATABLE READ")
    with Session(consistent) as session, closing(sqlite3.connect(path)) as snapshot:
        for name, left_out in COPIED.items():
            copy_table(session.connection(), snapshot, Base.metadata.tables[name], left_out)
        years = list(session.scalars(select(Report.year).distinct().order_by(Report.year)))
        snapshot.executescript(AUDIT_TABLES)
        for year in years:
            write_audit(session, snapshot, year, as_of, settings)
        snapshot.commit()
    return years


def copy_table(source: Connection, snapshot: sqlite3.Connection, table: Table, left_out: Sequence[str]) -> None:
    columns = [c for c in table.columns if c.name not in left_out]
    labels = LABEL_COLUMNS.get(table.name, {})
    snapshot.execute(_create_table(table, columns, list(labels)))
    for fk in table.foreign_keys:  # Datasette counts a row's links from other tables on every row page
        if fk.column.table.name in COPIED:
            snapshot.execute(f"CREATE INDEX ix_{table.name}_{fk.parent.name} ON {table.name} ({fk.parent.name})")
    names = [*(c.name for c in columns), *labels]
    insert = f"INSERT INTO {table.name} ({', '.join(map(_quoted, names))}) VALUES ({', '.join('?' * len(names))})"
    rows = source.execution_options(yield_per=BATCH).execute(select(*columns))
    for batch in rows.partitions():
        snapshot.executemany(insert, [[*map(_plain, row), *(label(row) for label in labels.values())]
                                      for row in batch])


def _create_table(table: Table, columns: list, added: list[str]) -> str:
    """The table's columns, primary key and foreign keys (those into copied tables), without its checks."""
    parts = [f"{_quoted(c.name)} {c.type.compile(dialect=sqlite.dialect())}" for c in columns]
    parts += [f"{_quoted(name)} TEXT" for name in added]
    parts.append(f"PRIMARY KEY ({', '.join(c.name for c in table.primary_key.columns)})")
    parts += [f"FOREIGN KEY ({fk.parent.name}) REFERENCES {fk.column.table.name} ({fk.column.name})"
              for fk in table.foreign_keys if fk.column.table.name in COPIED]
    return f"CREATE TABLE {table.name} ({', '.join(parts)})"


def _quoted(name: str) -> str:
    return f'"{name}"'  # some column names (trigger) are SQL keywords


def _plain(value):
    """A value as SQLite keeps it: times as naive UTC text (as nianbao writes them to SQLite), dates ISO, JSON text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_audit(session: Session, snapshot: sqlite3.Connection, year: int, as_of: date, settings: Settings) -> None:
    """The audit of `year` computed as `nianbao audit` does, one row per agency, and its unattributed reports."""
    agencies, reports, states = load(session, year)
    result = audit(agencies, reports, states, year=year, as_of=as_of, settings=settings,
                   unstored=load_unstored(session, year), copy_scores=copy_scorer(session))
    # The audit names the report it judged by its URL; the version is what links to the original.
    versions = {r.source_url: r.version_id for r in reports if r.year == year}
    _insert(snapshot, "audit", [_audit_row(year, row, versions.get(row.source_url)) for row in result.rows])
    _insert(snapshot, "audit_unattributed", [
        {"version_id": r.version_id, "year": year, "agency_name": r.agency_name, "title": r.title,
         "published": _plain(r.published), "source_url": r.source_url} for r in result.unattributed])


def _insert(snapshot: sqlite3.Connection, table: str, rows: list[dict]) -> None:
    if rows:
        names = list(rows[0])
        snapshot.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES (:{', :'.join(names)})", rows)


def _audit_row(year: int, row: AgencyAudit, version_id: int | None) -> dict:
    return {
        "year": year, "agency_id": row.agency_id, "agency": row.name, "level": row.level,
        "level_label": LEVEL_LABELS.get(row.level), "region_id": row.region_id, "region": row.region_name,
        "status": row.status, "status_label": STATUS_LABELS[row.status], "deadline": _plain(row.deadline),
        "published": _plain(row.published), "days_late": row.days_late, "errors": row.errors,
        "warnings": row.warnings, "findings": "\n".join(f"{f.severity} {f.rule}: {f.message}" for f in row.findings),
        "checks": "\n".join(f"{c.rule}: {c.message}" for c in row.checks),
        "notes": "\n".join(note.text_zh for note in row.notes), "title": row.title, "source_url": row.source_url,
        "version_id": version_id, "site_outcome": row.site_outcome,
    }
