"""WARC records of what a crawl received, and the rotating per-run files they are appended to (no Scrapy here).

Each exchange becomes a `response` record (a 304: a `revisit` record that refers to the response it confirms)
followed by its `request` record, each a gzip member of its own, so readers can seek straight to one.
"""

from __future__ import annotations

import hashlib
import socket
import threading
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

WARC_VERSION = "1.1"
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
HeaderList = list[tuple[str, str]]


@dataclass(frozen=True)
class Exchange:
    """One request and the response it got, as sent and received (the body before any decoding)."""

    url: str
    method: str
    request_headers: HeaderList
    request_body: bytes
    status: int
    reason: str
    protocol: str
    response_headers: HeaderList
    body: bytes
    fetched_at: datetime  # aware, UTC
    ip_address: str | None = None


@dataclass(frozen=True)
class Original:
    """The archived response a 304 confirms."""

    record_id: str
    url: str
    fetched_at: datetime
    payload_digest: str | None
    payload_sha256: str | None


@dataclass(frozen=True)
class Records:
    """An exchange's records, gzipped, ready to append: the response (or revisit) record comes first."""

    blob: bytes
    record_type: str
    record_id: str
    length: int  # of the response or revisit record within the blob
    payload_digest: str | None
    payload_sha256: str | None


def build_records(exchange: Exchange, original: Original | None = None) -> Records:
    """The exchange's records; `original` is the archived response a 304 confirms, when there is one."""
    out = BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version=WARC_VERSION)
    common = {"WARC-Date": _iso(exchange.fetched_at)}
    if exchange.ip_address:
        common["WARC-IP-Address"] = exchange.ip_address
    status_line = f"{exchange.status} {exchange.reason}".strip()
    http = StatusAndHeaders(status_line, exchange.response_headers, protocol=exchange.protocol)
    if exchange.status == 304:
        record = writer.create_warc_record(exchange.url, "revisit", http_headers=http,
                                           warc_headers_dict=common | _refers_to(original))
        digest, sha256 = (original.payload_digest, original.payload_sha256) if original else (None, None)
    else:
        record = writer.create_warc_record(exchange.url, "response", payload=BytesIO(exchange.body),
                                           length=len(exchange.body), http_headers=http, warc_headers_dict=common)
        digest = record.rec_headers.get_header("WARC-Payload-Digest")
        sha256 = hashlib.sha256(exchange.body).hexdigest()
    writer.write_record(record)
    length = out.tell()
    record_id = record.rec_headers.get_header("WARC-Record-ID")
    writer.write_record(_request_record(writer, exchange, common | {"WARC-Concurrent-To": record_id}))
    return Records(out.getvalue(), record.rec_type, record_id, length, digest, sha256)


def _refers_to(original: Original | None) -> dict[str, str]:
    headers = {"WARC-Profile": NOT_MODIFIED_PROFILE}
    if original is None:  # none archived (fetched before the archive was kept, or POSTed): nothing to point at
        return headers
    headers |= {"WARC-Refers-To": original.record_id, "WARC-Refers-To-Target-URI": original.url,
                "WARC-Refers-To-Date": _iso(original.fetched_at)}
    if original.payload_digest:
        headers["WARC-Payload-Digest"] = original.payload_digest
    return headers


def _request_record(writer: WARCWriter, exchange: Exchange, warc_headers: dict[str, str]):
    url = urlsplit(exchange.url)
    target = (url.path or "/") + (f"?{url.query}" if url.query else "")
    headers = exchange.request_headers
    if not any(name.lower() == "host" for name, _ in headers):  # added by the download handler, below Scrapy
        headers = [("Host", url.netloc), *headers]
    http = StatusAndHeaders(f"{exchange.method} {target} HTTP/1.1", headers, is_http_request=True)
    return writer.create_warc_record(exchange.url, "request", payload=BytesIO(exchange.request_body),
                                     length=len(exchange.request_body), http_headers=http,
                                     warc_headers_dict=warc_headers)


def _iso(moment: datetime) -> str:
    return datetime_to_iso_date(moment.replace(tzinfo=None), use_micros=True)


class WarcFiles:
    """The run's WARC files in one folder: each begins with a warcinfo record and is closed for a new one when the
    next append would take it past max_bytes. Appends from any thread, one at a time."""

    def __init__(self, directory: Path, prefix: str, max_bytes: int, info: dict[str, str]):
        self.directory = directory
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.info = info
        self._lock = threading.Lock()
        self._stream: BinaryIO | None = None
        self._name = ""
        self._serial = 0
        self._size = 0
        self._records = 0

    def append(self, blob: bytes) -> tuple[str, int]:
        """Append the records; returns the file's name and the offset they start at."""
        with self._lock:
            if self._stream is None or (self._records and self._size + len(blob) > self.max_bytes):
                self._open_next()
            offset = self._size
            self._stream.write(blob)
            self._stream.flush()  # a reader of the file (or a crash) sees whole records only
            self._size += len(blob)
            self._records += 1
            return self._name, offset

    def close(self) -> None:
        with self._lock:
            if self._stream is not None:
                self._stream.close()
                self._stream = None

    def _open_next(self) -> None:
        if self._stream is not None:
            self._stream.close()
        self._serial += 1
        self._name = f"{self.prefix}-{self._serial:05d}-{_host()}.warc.gz"
        self.directory.mkdir(parents=True, exist_ok=True)
        self._stream = (self.directory / self._name).open("xb")  # never append to another run's file
        writer = WARCWriter(self._stream, gzip=True, warc_version=WARC_VERSION)
        writer.write_record(writer.create_warcinfo_record(self._name, self.info))
        self._size = self._stream.tell()
        self._records = 0


def _host() -> str:
    """This machine's name as a file name part: crawls on several machines may share one archive folder."""
    return "".join(c if c.isalnum() or c in "-." else "_" for c in socket.gethostname()) or "host"
