"""What the crawl knows of earlier fetches: validators for conditional requests, and when each stored page was last
asked for, so report pages listed on an unchanged listing are re-checked on a slower cadence, spread over nights.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from scrapy import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crawler.database import CrawlDatabase
from storage.fetches import fetch_state

Validators = dict[str, str]  # {"etag": "...", "last_modified": "..."}, either may be empty
# A page checked less than this long ago is not checked again on its slot night (the crawl of one night spans hours).
MIN_AGE = timedelta(hours=20)


def fetch_key(request: Request) -> str:
    """How a fetch is remembered: its URL, or for another method (Hanweb's POSTed dataproxy pages) the method, URL
    and a digest of the body, since one URL then answers different pages."""
    if request.method == "GET":
        return request.url
    return f"{request.method} {request.url} {hashlib.sha256(request.body).hexdigest()[:16]}"


def is_due(url: str, checked_at: datetime, now: datetime, every_days: int) -> bool:
    """Whether a stored page is due for a re-check: on its own night of every `every_days` (by a hash of its URL,
    so each night takes an equal share), or whenever it went unchecked that long (a night was missed)."""
    if every_days <= 0:
        return True
    age = now - checked_at
    if age >= timedelta(days=every_days):
        return True
    slot = int(hashlib.sha256(url.encode()).hexdigest()[:8], 16) % every_days
    return now.toordinal() % every_days == slot and age >= MIN_AGE


@dataclass
class FetchState:
    """Read once per crawl (FetchState.of(crawler)): the conditional-request middleware and the spider share it."""

    validators: dict[str, Validators]
    checked_at: dict[str, datetime]  # fetch key → when last asked for, for every fetch whose bytes are stored

    @classmethod
    def of(cls, crawler) -> FetchState:
        if getattr(crawler, "_nianbao_fetch_state", None) is None:
            crawler._nianbao_fetch_state = load_fetch_state(CrawlDatabase.of(crawler).engine)
        return crawler._nianbao_fetch_state


def load_fetch_state(engine: Engine) -> FetchState:
    with Session(engine) as session:
        validators, checked_at = fetch_state(session)
    return FetchState(validators, checked_at)


def load_validators(engine: Engine) -> dict[str, Validators]:
    """Key → validators of every fetch whose bytes are stored (the store pipeline records them)."""
    return load_fetch_state(engine).validators
