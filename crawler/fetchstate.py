"""ETag and Last-Modified of documents stored before, read from the database for conditional requests."""

from __future__ import annotations

from scrapy.settings import BaseSettings
from sqlalchemy.orm import Session

from crawler.database import engine_for
from storage.fetches import validators

Validators = dict[str, str]  # {"etag": "...", "last_modified": "..."}, either may be empty


def load_validators(settings: BaseSettings) -> dict[str, Validators]:
    """URL → validators of every document whose bytes are stored (the store pipeline records them)."""
    engine = engine_for(settings)
    try:
        with Session(engine) as session:
            return validators(session)
    finally:
        engine.dispose()
