"""Refuses requests to loopback, link-local, private and other non-public addresses, however the host is spelled.

The registry refuses such listing URLs on import; this catches what it cannot see: host names that resolve to
such addresses, rows stored before the check, and redirects (a redirect comes back through as a new request).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.asyncio import run_in_thread

from storage.registry import ALLOW_PRIVATE_ADDRESSES, address_kind, host_kind, literal_address

logger = logging.getLogger(__name__)


class RefusedAddress(IgnoreRequest):
    """The request's host is, or resolves to, an address that is not public; a listing page's site is blocked."""


class PrivateAddressMiddleware:
    """Checks each request's host once per crawl, unless NIANBAO_ALLOW_PRIVATE_ADDRESSES is on."""

    def __init__(self, stats, allowed: bool):
        self.stats = stats
        self.allowed = allowed
        self.refusals: dict[str, str | None] = {}  # host → why it is refused; None when it may be fetched

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats, crawler.settings.getbool(ALLOW_PRIVATE_ADDRESSES))

    async def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).hostname
        if self.allowed or not host:  # data: URLs have no host
            return
        if host not in self.refusals:
            self.refusals[host] = await run_in_thread(refusal, host)  # getaddrinfo blocks
            if self.refusals[host]:
                logger.warning("refusing every request to %s: %s", host, self.refusals[host])
        if self.refusals[host]:
            self.stats.inc_value("nianbao/refused_address")
            raise RefusedAddress(f"refused: {self.refusals[host]}; {ALLOW_PRIVATE_ADDRESSES}=1 allows it")


def refusal(host: str) -> str | None:
    """Why the crawl must not connect to this host, or None; a name is resolved, so this may block."""
    kind = host_kind(host.removesuffix("."))  # "localhost." is localhost
    if kind:
        return f"{host} is not a public address ({kind})"
    if literal_address(host):
        return None
    for address in resolve(host):
        kind = address_kind(ipaddress.ip_address(address))
        if kind:  # any one: the connection may use any of them
            return f"{host} resolves to {address}, not a public address ({kind})"
    return None


def resolve(host: str) -> list[str]:
    """Every address the host resolves to; none when it does not resolve (the download then says so)."""
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return sorted({info[4][0] for info in found})
