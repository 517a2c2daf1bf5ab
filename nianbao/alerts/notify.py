"""`nianbao notify` and the scheduler's call after each scheduled run: a run's digest as a message, sent through
Apprise unless nothing happened."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from nianbao.alerts import NotifyError
from nianbao.alerts.digest import gather, gather_night, scheduled_runs_since
from nianbao.alerts.render import Message, compose
from nianbao.audit.model import Settings as AuditSettings
from storage.db import make_engine, session_factory

log = logging.getLogger("nianbao.alerts")

URLS_VARIABLE = "NIANBAO_NOTIFY"  # Apprise URLs, separated by spaces or commas
ALWAYS_VARIABLE = "NIANBAO_NOTIFY_ALWAYS"  # "1": send a digest even when nothing happened


@dataclass(frozen=True)
class AlertSettings:
    urls: str
    always: bool
    audit: AuditSettings

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, always: bool = False) -> AlertSettings:
        """ValueError for a bad audit setting (NIANBAO_TOWNSHIP_DEADLINE …), which the overdue check uses."""
        wanted = always or environ.get(ALWAYS_VARIABLE, "").strip().lower() in ("1", "true")
        return cls(environ.get(URLS_VARIABLE, ""), wanted, AuditSettings.from_env(environ))


def run_message(session: Session, run_id: int | None, settings: AlertSettings) -> tuple[int, Message | None]:
    """The run (default: the latest finished) and its message, None when it has nothing to say and settings do not
    ask for one anyway. LookupError when there is no such finished run."""
    digest = gather(session, run_id, settings.audit)
    return digest.run.id, compose(digest) if settings.always or not digest.empty else None


def after_scheduled_crawl(url: str, since: datetime, environ: Mapping[str, str] = os.environ) -> None:
    """Send the digest of every scheduled run that started at or after `since`, when NIANBAO_NOTIFY is set.

    Never raises: the scheduler must go on whatever happens to an alert, so a failure is logged instead.
    """
    try:
        settings = AlertSettings.from_env(environ)
        if settings.urls.strip():
            _send_runs_since(url, since, settings)
    except Exception as error:  # an alert is never worth the scheduler
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        log.error("alert not sent: %s", first_line, exc_info=not isinstance(error, NotifyError))


def _send_runs_since(url: str, since: datetime, settings: AlertSettings) -> None:
    from nianbao.alerts.send import addresses, send, services

    targets = services(addresses(settings.urls))
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            messages = [run_message(session, run_id, settings) for run_id in scheduled_runs_since(session, since)]
    finally:
        engine.dispose()
    for run_id, message in messages:
        if message is None:
            log.info("run %d: nothing to report, no alert sent", run_id)
            continue
        send(targets, message)
        log.info("run %d: alert sent to %d address(es)", run_id, len(targets))


def send_night_digest(url: str, night: str, environ: Mapping[str, str] = os.environ) -> str:
    """Send a queued night's one digest (nianbao.queue's night_digest task, once the night is over); what was done,
    as a line for the worker's log. A failure to send raises NotifyError."""
    from nianbao.alerts.send import addresses, send, services

    settings = AlertSettings.from_env(environ)
    if not settings.urls.strip():
        return f"night {night}: {URLS_VARIABLE} is not set on this worker, no digest sent"
    targets = services(addresses(settings.urls))
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            digest = gather_night(session, night, settings.audit)
    finally:
        engine.dispose()
    if digest.empty and not settings.always:
        return f"night {night}: nothing to report, no digest sent"
    send(targets, compose(digest))
    return f"night {night}: digest sent to {len(targets)} address(es)"
