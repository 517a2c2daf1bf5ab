"""Engines, sessions and migrations: where the database is, how to connect to it, and bringing its schema up to date."""

from __future__ import annotations

import atexit
import functools
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)
DEFAULT_URL = "sqlite:///nianbao.sqlite"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "nianbao_read_only"  # execution option: read_only() sets it
# Any constant works; it only has to be the same for every process that migrates the same database.
_MIGRATION_LOCK_KEY = 0x6E69616E62616F


def database_url(url: str | None = None) -> str:
    """The URL to use: the one given, else NIANBAO_DATABASE_URL, else a SQLite file in the working directory.

    Plain postgresql:// (and postgres://) URLs are mapped to the psycopg 3 driver.
    """
    chosen = url or os.environ.get("NIANBAO_DATABASE_URL") or DEFAULT_URL
    for prefix in ("postgresql://", "postgres://"):
        if chosen.startswith(prefix):
            return "postgresql+psycopg://" + chosen[len(prefix) :]
    return chosen


PG_NETWORK_TIMEOUTS = {"connect_timeout": 10, "tcp_user_timeout": 30_000, "keepalives_idle": 30,
                       "keepalives_interval": 10, "keepalives_count": 3}


def make_engine(url: str | None = None) -> Engine:
    """An engine for the URL (see database_url); SQLite gets foreign keys, WAL and a busy timeout."""
    resolved = make_url(database_url(url))
    # Chinese text stays readable in the JSON columns.
    options: dict[str, Any] = {"json_serializer": lambda obj: json.dumps(obj, ensure_ascii=False)}
    if resolved.get_backend_name() == "sqlite":
        engine = create_engine(resolved, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, **options)
        _configure_sqlite(engine, in_memory=resolved.database in (None, "", ":memory:"))
        return engine
    # A server that stops answering (rather than refusing) must fail a connect or a write in seconds, not after the
    # kernel's quarter of an hour of retransmissions: crawls retry outages and stop, they must not hang. The URL's
    # own query parameters win.
    network = {k: v for k, v in PG_NETWORK_TIMEOUTS.items() if k not in resolved.query}
    return create_engine(resolved, pool_pre_ping=True, connect_args=network, **options)


def _configure_sqlite(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (SQLAlchemy's documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not in_memory:
            _use_wal(cursor)
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes fails with
        # "database is locked" at once when another writer got in between, instead of waiting for the busy timeout.
        # A reader (read_only) must not: an audit reading for a minute would hold every crawl's writes back.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL (readers do not block the writer); the mode is kept in the file, so this runs once."""
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    # The switch needs an exclusive lock and SQLite does not wait for it (waiting could deadlock), so a process
    # opening a new database at the same moment as another one retries until the busy timeout.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def read_only(engine: Engine) -> Engine:
    """The engine for work that only reads (audit, export, listings): on SQLite its transactions take no write lock,
    and in WAL mode they read a snapshot while crawls go on writing."""
    return engine.execution_options(**{READ_ONLY: True})


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to the engine; callers own the transaction: `with factory() as s, s.begin(): ...`."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    """The Alembic configuration of the packaged migrations, without reading alembic.ini (which is for the CLI)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


def migrations_dir() -> Path:
    """The migrations' folder: beside this file, or, when the package is inside a zip (a Scrapyd egg), a copy of them
    taken from the package's resources into a temporary folder, removed when the process ends."""
    return MIGRATIONS if MIGRATIONS.is_dir() else _extracted_migrations()


@functools.cache
def _extracted_migrations() -> Path:
    target = Path(tempfile.mkdtemp(prefix="nianbao-migrations-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    source = resources.files("storage") / "migrations"
    _copy_tree(source, target / "migrations")
    logger.info("migrations read from the installed package (%s)", source)
    return target / "migrations"


def _copy_tree(source, target: Path) -> None:
    target.mkdir()
    for entry in source.iterdir():
        if entry.is_dir():
            if entry.name != "__pycache__":
                _copy_tree(entry, target / entry.name)
        elif entry.name.endswith((".py", ".mako")):
            (target / entry.name).write_bytes(entry.read_bytes())


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it is there. Safe to call on every command start."""
    with migration(engine) as config:
        command.upgrade(config, "head")


@contextmanager
def migration(engine: Engine) -> Iterator[Config]:
    """An Alembic config bound to one transaction for upgrading or downgrading the schema.

    On SQLite, foreign keys are off meanwhile: batch migrations copy a table and drop the original, and dropping a
    table with foreign keys on first runs the ON DELETE actions (CASCADE, SET NULL) of every row pointing at it,
    which would empty report_cells and unset every current version. The keys are checked before the commit.
    """
    config = alembic_config()
    with engine.connect() as connection:
        on_sqlite = connection.dialect.name == "sqlite"
        if on_sqlite:  # outside any transaction, where SQLite ignores the pragma
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    # Two commands starting at once must not both create the tables; the lock ends with the
                    # transaction.
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
                config.attributes["connection"] = connection
                yield config
                if on_sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise RuntimeError("the migration left rows pointing at rows that are gone; nothing was changed")
        finally:
            if on_sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")


def insert_rows(session: Session, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT rows of plain values (str, int, float, None) through the driver's executemany: SQLAlchemy's per-row
    parameter processing costs more than SQLite's insert of a row, and a report has some 220 cells."""
    mark = "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    session.connection().exec_driver_sql(sql, rows)


def dialect_insert(session: Session, table: Any) -> Any:
    """INSERT with ON CONFLICT for the session's backend (SQLite and PostgreSQL spell it the same way)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upserts are written for SQLite and PostgreSQL, not {name}")


def in_chunks(values: list, size: int = 5_000) -> list[list]:
    """Values in groups that keep an IN list under every driver's parameter limit (PostgreSQL: 65,535), for
    statements over the whole registry."""
    return [values[start:start + size] for start in range(0, len(values), size)]
