"""The fixture web served as real separate hosts: each county on its own loopback address (127.0.0.2, 127.0.0.3, …),
one port for all, no proxy; the server notes the most requests it ever had in flight to each host and when each
request arrived."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import replace
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

from nianbao.sampleweb.proxy import _handler, _QuietServer
from tests.fixtureweb.build import build_web
from tests.fixtureweb.spec import SiteSpec

RESPONSE_SECONDS = 0.02  # every answer takes this long, so that two requests in flight would overlap and be seen


class LoopbackWeb:
    def __init__(self, sites: list[SiteSpec]):
        self.port = 0
        self.servers: list[ThreadingHTTPServer] = []
        self._bind(len(sites))
        self.sites = [replace(site, host=f"{self.address(n)}:{self.port}") for n, site in enumerate(sites)]
        self.web = build_web(self.sites).prerender()
        self.web.hosts = {name.split(":")[0]: host for name, host in self.web.hosts.items()}
        self.in_flight: Counter[str] = Counter()
        self.most_in_flight: Counter[str] = Counter()  # host → the most requests it ever had in flight at once
        self.requests: Counter[str] = Counter()  # host → requests
        self.arrivals: dict[str, list[float]] = {}  # host → when each request arrived (time.monotonic)
        self.lock = threading.Lock()

    @staticmethod
    def address(n: int) -> str:
        return f"127.0.0.{n + 2}"

    def _bind(self, count: int) -> None:
        """One port free on every address (a few tries: another process may hold it on one of them)."""
        for _ in range(20):
            first = _QuietServer((self.address(0), 0), _handler(self.answer))
            self.port, servers = first.server_address[1], [first]
            try:
                servers += [_QuietServer((self.address(n), self.port), _handler(self.answer)) for n in range(1, count)]
            except OSError:
                for server in servers:
                    server.server_close()
                continue
            self.servers = servers
            return
        raise OSError("no port free on every loopback address")

    def answer(self, method, url, headers, form):
        host = urlsplit(url).hostname or ""
        with self.lock:
            self.requests[host] += 1
            self.arrivals.setdefault(host, []).append(time.monotonic())
            self.in_flight[host] += 1
            self.most_in_flight[host] = max(self.most_in_flight[host], self.in_flight[host])
        try:
            self.web.stopping.wait(RESPONSE_SECONDS)
            return self.web.answer(method, url, headers, form)
        finally:
            with self.lock:
                self.in_flight[host] -= 1

    def __enter__(self) -> LoopbackWeb:
        for server in self.servers:
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.web.stopping.set()
        for server in self.servers:
            server.shutdown()
            server.server_close()
