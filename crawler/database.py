"""The crawl's one way to its database: the engine named by the NIANBAO_DATABASE_URL setting, schema up to date."""

from __future__ import annotations

from scrapy.settings import BaseSettings
from sqlalchemy import Engine

from storage.db import make_engine, upgrade


def engine_for(settings: BaseSettings) -> Engine:
    """A new engine for the crawl's database (default: the SQLite file of storage.db); the caller disposes it."""
    engine = make_engine(settings.get("NIANBAO_DATABASE_URL") or None)
    upgrade(engine)
    return engine
