"""Engines and migrations on a SQLite file and on PostgreSQL: URLs, upgrade, and the schema matching the models."""

from __future__ import annotations

import threading

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from storage.db import alembic_config, database_url, make_engine, read_only, upgrade
from storage.models import Agency, Base, utcnow


def test_database_url_prefers_argument_then_environment_then_sqlite_file(monkeypatch):
    monkeypatch.delenv("NIANBAO_DATABASE_URL", raising=False)
    assert database_url() == "sqlite:///nianbao.sqlite"
    monkeypatch.setenv("NIANBAO_DATABASE_URL", "sqlite:///from-env.sqlite")
    assert database_url() == "sqlite:///from-env.sqlite"
    assert database_url("sqlite:///given.sqlite") == "sqlite:///given.sqlite"


@pytest.mark.parametrize("given", ["postgresql://u@h/db", "postgres://u@h/db", "postgresql+psycopg://u@h/db"])
def test_plain_postgresql_urls_use_psycopg(given):
    assert database_url(given) == "postgresql+psycopg://u@h/db"
    assert make_engine(given).dialect.driver == "psycopg"


def test_sqlite_engine_enforces_foreign_keys_and_uses_wal(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    engine.dispose()


def _revision(engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_twice_is_safe(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert _revision(engine) == head
    assert {t.name for t in Base.metadata.sorted_tables} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_migrated_schema_matches_the_models(db_url):
    """What `alembic check` does: after upgrade, autogenerate finds nothing to change."""
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_downgrade_to_base_and_back(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert "reports" in inspect(engine).get_table_names()
    engine.dispose()


def test_commands_starting_at_once_both_migrate(db_url):
    engines = [make_engine(db_url) for _ in range(2)]
    errors: list[BaseException] = []

    def start(engine):
        try:
            upgrade(engine)
        except Exception as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engines[0].connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    for engine in engines:
        engine.dispose()


def test_readers_never_hold_back_writers_on_sqlite(tmp_path):
    """An audit reads through read_only(engine): its transaction takes no write lock, so a crawl writing meanwhile
    goes on (and the reader keeps its snapshot); a writing session, by design, holds other writers back."""
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    engine, writer = make_engine(url), make_engine(url)
    upgrade(engine)
    row = {"id": "a", "name": "甲县人民政府", "level": "county", "verified": False, "updated_at": utcnow()}

    def write(values: dict) -> None:
        with writer.connect() as connection:
            connection.connection.driver_connection.execute("PRAGMA busy_timeout = 200")
            with connection.begin():
                connection.execute(insert(Agency), values)

    with Session(read_only(engine)) as reader:
        assert reader.scalar(select(func.count()).select_from(Agency)) == 0
        write(row)
        assert reader.scalar(select(func.count()).select_from(Agency)) == 0  # its snapshot
    with Session(engine) as holder:
        holder.scalar(select(func.count()).select_from(Agency))
        with pytest.raises(OperationalError, match="locked"):
            write({**row, "id": "b"})
    engine.dispose()
    writer.dispose()
