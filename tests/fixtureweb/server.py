"""A threaded HTTP server on 127.0.0.1 that answers for many simulated sites, as a proxy the crawler is pointed at.

The crawler sends every request for http://www.<county>.gov.test/… to this server (http_proxy), so each simulated
site keeps its own host name (offsite rules, robots.txt and download slots work per host) without DNS or ports.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from nianbao.sampleweb.proxy import proxy_url, start_proxy, stop_proxy

Body = bytes | Callable[[], bytes]
CHALLENGE = (
    b"<html><head><meta charset=\"utf-8\"><script>var $_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=84512;"
    b'$_ts.cd="qErcrAlEDqGq";</script><script src="/4QbVtADbnLVIc/d.FxJzG50F.dfe1675.js"></script>'
    b"</head><body></body></html>"
)
ROBOTS = "User-agent: *\nDisallow:\n"


@dataclass
class Resource:
    """One URL of a simulated site. body is bytes or a function rendering them on first request."""

    body: Body
    content_type: str = "text/html; charset=utf-8"
    modified: datetime = field(default_factory=lambda: datetime(2025, 1, 20, 2, 30, tzinfo=UTC))
    fail_first: int = 0  # answer 500 this many times before recovering
    revised: Body | None = None  # what revise() switches the resource to
    disposition: str | None = None  # Content-Disposition filename of a download servlet
    dynamic: Callable[[dict[str, str]], bytes] | None = None  # Hanweb's dataproxy.jsp: bytes from the parameters

    def content(self, params: dict[str, str]) -> bytes:
        if self.dynamic:
            return self.dynamic(params)
        if callable(self.body):
            self.body = self.body()
        return self.body


@dataclass
class Host:
    name: str
    resources: dict[str, Resource] = field(default_factory=dict)
    behaviour: str = ""  # "" | "blocked" (412 challenge everywhere) | "slow" (answers after `delay` seconds)
    delay: float = 0.0
    robots: str = ROBOTS

    def add(self, target: str, resource: Resource) -> Resource:
        self.resources[target] = resource
        return resource

    def find(self, path: str, query: str) -> Resource | None:
        """The resource registered for path?query, else for the path (dynamic pages take any query)."""
        return self.resources.get(_target(path, query)) or self.resources.get(path)


class FixtureWeb:
    """The simulated sites, the server answering for them, and counters of requests and full bodies per URL."""

    def __init__(self, hosts: list[Host]):
        self.hosts = {host.name: host for host in hosts}
        self.requests: Counter[str] = Counter()  # URL → requests received
        self.bodies: Counter[str] = Counter()  # URL → 200 answers with a body
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def proxy_url(self) -> str:
        assert self.server is not None, "start() the web first"
        return proxy_url(self.server)

    def start(self) -> FixtureWeb:
        self.server = start_proxy(self.answer)
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self.server:
            stop_proxy(self.server)

    def __enter__(self) -> FixtureWeb:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def prerender(self) -> FixtureWeb:
        """Render every document now, so a crawl measures crawling and never times out on a PDF being drawn."""
        for host in self.hosts.values():
            for resource in host.resources.values():
                if callable(resource.body):
                    resource.body = resource.body()
        return self

    def resource(self, url: str) -> Resource:
        parts = urlsplit(url)
        resource = self.hosts[parts.hostname].find(parts.path, parts.query)
        assert resource is not None, f"nothing at {url}"
        return resource

    def withdraw(self, url: str) -> None:
        """Take a page down: it answers 404, and the list items linking it leave every page of its host."""
        parts = urlsplit(url)
        host = self.hosts[parts.hostname]
        del host.resources[_target(parts.path, parts.query)]
        item = re.compile(rb"<(li|tr)\b[^>]*>(?:(?!</\1>).)*?" + re.escape(parts.path.encode()) + rb".*?</\1>", re.S)
        for resource in host.resources.values():
            if isinstance(resource.body, bytes):
                resource.body = item.sub(b"", resource.body)
            if resource.dynamic is not None:  # Hanweb's dataproxy.jsp renders its records on each request
                resource.dynamic = lambda params, render=resource.dynamic: item.sub(b"", render(params))
            resource.modified += timedelta(days=30)

    def revise(self, url: str) -> None:
        """Publish the corrected version of a page: new bytes, so a new ETag and a later Last-Modified."""
        resource = self.resource(url)
        assert resource.revised is not None, f"{url} has no revised version"
        revised = resource.revised
        resource.body, resource.revised = revised() if callable(revised) else revised, None
        resource.modified += timedelta(days=30)

    def answer(self, method: str, url: str, headers, form: bytes) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(url)
        with self.lock:
            self.requests[url] += 1
        host = self.hosts.get(parts.hostname or "")
        if host is None:
            return 404, {"Content-Type": "text/plain"}, b"no such site"
        if host.behaviour == "slow":
            self.stopping.wait(host.delay)
        if host.behaviour == "blocked":
            return 412, {"Content-Type": "text/html"}, CHALLENGE
        if parts.path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, host.robots.encode()
        resource = host.find(parts.path, parts.query)
        if resource is None:
            return 404, {"Content-Type": "text/html"}, b"<html><body>404</body></html>"
        if resource.fail_first > 0:
            resource.fail_first -= 1
            return 500, {"Content-Type": "text/html"}, b"<html><body>Internal Server Error</body></html>"
        params = dict(parse_qsl(parts.query)) | dict(parse_qsl(form.decode("utf-8", "replace")))
        return self._content(url, resource, params, headers, method)

    def _content(self, url, resource: Resource, params, headers, method) -> tuple[int, dict[str, str], bytes]:
        body = resource.content(params)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        validators = {"ETag": etag, "Last-Modified": format_datetime(resource.modified, usegmt=True)}
        if _not_modified(headers, etag, resource.modified):
            return 304, validators, b""
        answer = {"Content-Type": resource.content_type, **validators}
        if resource.disposition:
            answer["Content-Disposition"] = f'attachment; filename="{resource.disposition}"'
        if method != "HEAD":
            with self.lock:
                self.bodies[url] += 1
        return 200, answer, body


def _not_modified(headers, etag: str, modified: datetime) -> bool:
    if headers.get("If-None-Match"):
        return headers["If-None-Match"] == etag
    since = headers.get("If-Modified-Since")
    if since:
        try:
            return modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def _target(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path
