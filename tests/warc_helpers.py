"""Reading WARC files back with warcio, as any other tool would, for the archive's tests."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator


@dataclass(frozen=True)
class ReadRecord:
    type: str
    headers: dict[str, str]  # the WARC headers
    status: int | None  # of the HTTP message, when there is one
    payload: bytes  # the HTTP body as stored (not decoded)
    offset: int
    length: int

    @property
    def sha1(self) -> str:
        return "sha1:" + base64.b32encode(hashlib.sha1(self.payload).digest()).decode()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()


def read_records(stream: BinaryIO) -> list[ReadRecord]:
    records = []
    iterator = ArchiveIterator(stream)
    for record in iterator:
        payload = record.raw_stream.read()
        status = int(record.http_headers.get_statuscode()) if record.http_headers and record.rec_type in (
            "response", "revisit") else None
        records.append(ReadRecord(record.rec_type, dict(record.rec_headers.headers), status, payload,
                                  iterator.get_record_offset(), 0))
    # The iterator knows a record's length once it has moved past it.
    ends = [r.offset for r in records[1:]] + [stream.seek(0, 2)]
    return [ReadRecord(r.type, r.headers, r.status, r.payload, r.offset, end - r.offset)
            for r, end in zip(records, ends, strict=True)]


def read_file(path: Path) -> list[ReadRecord]:
    with path.open("rb") as stream:
        return read_records(stream)


def record_at(path: Path, offset: int, length: int) -> ReadRecord:
    """The one record in that span of the file, read on its own."""
    with path.open("rb") as stream:
        stream.seek(offset)
        span = stream.read(length)
    records = read_records(BytesIO(span))
    assert len(records) == 1, f"{len(records)} records at {path.name} @ {offset} (+{length})"
    return records[0]
