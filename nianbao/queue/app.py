"""The Procrastinate app on nianbao's PostgreSQL database, its schema, and its tasks (nianbao.queue.tasks)."""

from __future__ import annotations

import procrastinate
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine, make_url

from storage.db import database_url, upgrade


class QueueUnavailable(ValueError):
    """The work queue needs PostgreSQL: the embedded SQLite default crawls in one process, with no workers."""


def conninfo(url: str | None) -> str:
    """The libpq URL of a PostgreSQL SQLAlchemy URL; QueueUnavailable for any other database."""
    resolved = make_url(database_url(url))
    if resolved.get_backend_name() != "postgresql":
        raise QueueUnavailable(f"the work queue needs PostgreSQL, not {resolved.get_backend_name()} "
                               "(on SQLite `nianbao crawl` does the whole night in one process)")
    return resolved.set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(url: str | None) -> procrastinate.App:
    from nianbao.queue.tasks import tasks

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(url)))
    app.add_tasks_from(tasks, namespace="nianbao")
    return app


def prepared_app(engine: Engine, url: str) -> procrastinate.App:
    """The app, on a database whose schema (nianbao's and the queue's) is up to date."""
    upgrade(engine)
    app = make_app(url)
    ensure_schema(app, engine)
    return app


def ensure_schema(app: procrastinate.App, engine: Engine) -> None:
    """Procrastinate's tables, created on first use (its schema is applied whole: an upgrade of Procrastinate itself
    applies its own migrations, `procrastinate schema --apply` does not)."""
    with engine.connect() as connection:  # workers starting together: one applies it, the others wait and see it
        connection.execute(text("SELECT pg_advisory_lock(hashtext('nianbao: procrastinate schema'))"))
        try:
            if not inspect(connection).has_table("procrastinate_jobs"):
                with app.open():
                    app.schema_manager.apply_schema()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(hashtext('nianbao: procrastinate schema'))"))
            connection.commit()
