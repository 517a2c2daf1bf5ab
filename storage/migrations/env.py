"""Alembic environment: migrates the connection upgrade() passes, else NIANBAO_DATABASE_URL or -x db=URL."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import Connection

from storage.db import database_url, make_engine
from storage.models import Base, UTCDateTime, is_foreign_table

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Migrations must not import the models: spell the UTC wrapper as the column type it stores.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # Tables other programs create in this database (APScheduler's job store, Procrastinate's queue) are not ours.
    return not (type_ == "table" and reflected and is_foreign_table(name))


def configure(**options: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_item=render_item,
        include_object=include_object,
        compare_type=True,
        **options,
    )


def run_on(connection: Connection) -> None:
    # Batch mode: SQLite cannot ALTER most things, so later revisions copy and swap tables there.
    configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        run_on(given)
        return
    engine = make_engine(context.get_x_argument(as_dictionary=True).get("db"))
    try:
        with engine.begin() as connection:
            run_on(connection)
    finally:
        engine.dispose()


def run_offline() -> None:
    url = database_url(context.get_x_argument(as_dictionary=True).get("db"))
    configure(url=url, literal_binds=True, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


# Only the alembic CLI reads alembic.ini's logging setup; a command calling upgrade() keeps its own logging.
if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_offline()
else:
    run_online()
