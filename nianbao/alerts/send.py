"""Sending a message through Apprise: every address is checked before anything is sent, each is sent to on its own,
and what failed is said in one line that names no token or password."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator

import apprise

from nianbao.alerts import NotifyError
from nianbao.alerts.render import Message

_SEPARATORS = re.compile(r"[\s,]+")
_ASSET = apprise.AppriseAsset(app_id="nianbao", app_desc="nianbao alerts")


def addresses(setting: str | None) -> list[str]:
    """The Apprise URLs of a setting such as NIANBAO_NOTIFY: separated by spaces or commas."""
    return [url for url in _SEPARATORS.split(setting or "") if url]


def services(urls: list[str]) -> list[apprise.Apprise]:
    """One Apprise object per URL, so that each send's outcome is known; NotifyError for a URL Apprise refuses."""
    if not urls:
        raise NotifyError("NIANBAO_NOTIFY is not set: no address to send to")
    checked = []
    for position, url in enumerate(urls, 1):
        service = apprise.Apprise(asset=_ASSET)
        with _quiet():
            usable = service.add(url)
        if not usable:
            scheme = url.split("://", 1)[0] + "://…" if "://" in url else "no scheme"
            raise NotifyError(f"NIANBAO_NOTIFY: address {position} ({scheme}) is not a URL Apprise can use")
        checked.append(service)
    return checked


def send(targets: list[apprise.Apprise], message: Message) -> None:
    """Send to every address; NotifyError naming those that failed, and why, once all were tried."""
    failures = []
    for service in targets:
        with _quiet(), service.notify(body=message.body, title=message.subject, notify_type=message.severity,
                                      body_format=apprise.NotifyFormat.MARKDOWN) as result:
            if not result:
                failures.append(f"{service[0].url(privacy=True)}: {_reason(result)}")
    if failures:
        raise NotifyError(f"could not send to {len(failures)} of {len(targets)} address(es): {'; '.join(failures)}")


def _reason(result) -> str:
    problems = [entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR", "CRITICAL")]
    return problems[-1] if problems else result.status.name.lower()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Keep Apprise's own log lines (which may quote a URL with its token) off nianbao's log: the failure is
    reported once, by the caller, from what Apprise captured."""
    logger, silent = logging.getLogger("apprise"), logging.NullHandler()  # else Python's last resort prints them
    propagating, logger.propagate = logger.propagate, False
    logger.addHandler(silent)
    try:
        yield
    finally:
        logger.removeHandler(silent)
        logger.propagate = propagating
