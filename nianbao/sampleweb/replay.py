"""Replays the recorded sample web: a proxy on 127.0.0.1 that answers each recorded request as it was answered."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from importlib.resources import files
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit

from nianbao.sampleweb.proxy import proxy_url, start_proxy, stop_proxy

RECORDING = "sample-web.zip"  # index.json (requests → answers) and bodies/<sha256>, written by the recorder script
REGISTRY = "registry.csv"
FORMAT = 1


class Answer(NamedTuple):
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
    server = start_proxy(ReplayWeb(recording or load_recording()).answer)
    try:
        yield proxy_url(server)
    finally:
        stop_proxy(server)


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
