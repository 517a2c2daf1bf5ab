"""Replays the recorded sample web: a proxy on 127.0.0.1 that answers each recorded request as it was answered."""

from __future__ import annotations

import io
import json
import sys
import threading
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from urllib.parse import parse_qsl, urlencode, urlsplit

RECORDING = "sample-web.zip"  # index.json (requests → answers) and bodies/<sha256>, written by the recorder script
REGISTRY = "registry.csv"
FORMAT = 1


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


NOT_FOUND = Answer(404, {"Content-Type": "text/html"}, b"<html><body>404</body></html>")


def request_key(method: str, url: str, form: bytes = b"") -> str:
    """Method, URL as http://host/path?query and a POST's form fields sorted: the recorder and replay agree on it."""
    parts = urlsplit(url)
    target = f"{parts.path}?{parts.query}" if parts.query else parts.path
    return f"{method} http://{parts.hostname}{target} {form_fields(form)}".rstrip()


def form_fields(form: bytes) -> str:
    """A POST body's fields in one canonical order, so the order a client sends them in does not matter."""
    return urlencode(sorted(parse_qsl(form.decode("utf-8", "replace"), keep_blank_values=True)))


def load_recording(data: bytes | None = None) -> dict[str, list[Answer]]:
    """Request key → the answers given in order (a flaky page: 500, then 200); the bundled recording by default."""
    data = data if data is not None else files(__package__).joinpath(RECORDING).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        index = json.loads(archive.read("index.json"))
        if index.get("format") != FORMAT:
            raise ValueError(f"{RECORDING}: recording format {index.get('format')!r}, expected {FORMAT}")
        return {
            request_key(e["method"], e["url"], e["form"].encode()): [
                Answer(a["status"], a["headers"], archive.read(a["body"])) for a in e["answers"]
            ]
            for e in index["exchanges"]
        }


class ReplayWeb:
    """The recording and how often each request was answered, so a page that failed once recovers on retry."""

    def __init__(self, recording: dict[str, list[Answer]]):
        self.recording = recording
        self.served: Counter[str] = Counter()
        self.lock = threading.Lock()

    def answer(self, method: str, url: str, headers, form: bytes) -> Answer:
        key = request_key(method, url, form)
        if key not in self.recording and method == "HEAD":
            key = request_key("GET", url)
        answers = self.recording.get(key)
        if not answers:
            return NOT_FOUND
        with self.lock:
            count = self.served[key]
            self.served[key] += 1
        answer = answers[min(count, len(answers) - 1)]
        if answer.status == 200 and _not_modified(headers, answer.headers):
            validators = {k: v for k, v in answer.headers.items() if k in ("ETag", "Last-Modified")}
            return Answer(304, validators, b"")
        return answer


@contextmanager
def serve(recording: dict[str, list[Answer]] | None = None) -> Iterator[str]:
    """Serve the recording (the bundled one by default) on a free port; yields the URL to use as http_proxy."""
    server = _QuietServer(("127.0.0.1", 0), _handler(ReplayWeb(recording or load_recording())))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _not_modified(request_headers, validators: dict[str, str]) -> bool:
    if request_headers.get("If-None-Match"):
        return request_headers["If-None-Match"] == validators.get("ETag")
    since, modified = request_headers.get("If-Modified-Since"), validators.get("Last-Modified")
    if not since or not modified:
        return False
    try:
        return parsedate_to_datetime(modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # The crawler drops keep-alive connections when it is done; that is not a replay error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler(web: ReplayWeb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._reply("GET")

        def do_HEAD(self) -> None:
            self._reply("HEAD")

        def do_POST(self) -> None:
            self._reply("POST")

        def _reply(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = self.rfile.read(length) if length else b""
            # A proxy request line carries the absolute URL; a direct one only the path, the host in Host.
            url = self.path if self.path.startswith("http") else f"http://{self.headers['Host']}{self.path}"
            answer = web.answer(method, url, self.headers, form)
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the crawler stopped listening

        def log_message(self, format: str, *args) -> None:
            pass

    return Handler
