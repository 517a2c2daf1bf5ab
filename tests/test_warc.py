"""The WARC records and files of the evidence archive, read back with warcio; where the archive lies by default."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from scrapy import Request
from scrapy.http import Response

from crawler.archive import exchange_of
from crawler.warc import NOT_MODIFIED_PROFILE, Exchange, Original, WarcFiles, build_records
from storage.archive import SHARED_ARCHIVE_DIR, archive_dir
from tests.warc_helpers import read_file, read_records, record_at

URL = "http://www.tuoli.gov.test/zfxxgk/nb.pdf?id=7"
WHEN = datetime(2026, 3, 1, 2, 30, 15, 123456, tzinfo=UTC)


def exchange(status: int = 200, body: bytes = b"%PDF-1.7 report", **changes) -> Exchange:
    fields = dict(url=URL, method="GET", request_headers=[("User-Agent", "nianbao")], request_body=b"",
                  status=status, reason="OK", protocol="HTTP/1.1",
                  response_headers=[("Content-Type", "application/pdf"), ("ETag", '"v1"')], body=body,
                  fetched_at=WHEN, ip_address="10.1.2.3")
    return Exchange(**(fields | changes))


def test_a_response_is_a_response_record_then_its_request():
    built = build_records(exchange())
    response, request = read_records(BytesIO(built.blob))
    assert (response.type, response.status, response.payload) == ("response", 200, b"%PDF-1.7 report")
    assert response.headers["WARC-Target-URI"] == URL and response.headers["WARC-IP-Address"] == "10.1.2.3"
    assert response.headers["WARC-Date"] == "2026-03-01T02:30:15.123456Z"
    assert response.headers["WARC-Record-ID"] == built.record_id
    assert response.headers["WARC-Payload-Digest"] == response.sha1 == built.payload_digest
    assert response.sha256 == built.payload_sha256
    assert request.type == "request" and request.headers["WARC-Concurrent-To"] == built.record_id


def test_a_304_is_a_revisit_that_points_at_the_response_it_confirms():
    first = build_records(exchange())
    original = Original(first.record_id, URL, WHEN, first.payload_digest, first.payload_sha256)
    built = build_records(exchange(status=304, body=b"", reason="Not Modified"), original)
    revisit, _ = read_records(BytesIO(built.blob))
    assert (revisit.type, revisit.status, built.record_type) == ("revisit", 304, "revisit")
    assert revisit.headers["WARC-Profile"] == NOT_MODIFIED_PROFILE
    assert revisit.headers["WARC-Refers-To"] == first.record_id
    assert revisit.headers["WARC-Refers-To-Target-URI"] == URL
    assert revisit.headers["WARC-Payload-Digest"] == first.payload_digest == built.payload_digest
    assert built.payload_sha256 == first.payload_sha256


def test_a_revisit_without_an_archived_original_claims_no_digest():
    built = build_records(exchange(status=304, body=b""))
    revisit, _ = read_records(BytesIO(built.blob))
    assert "WARC-Refers-To" not in revisit.headers and "WARC-Payload-Digest" not in revisit.headers
    assert built.payload_digest is None and built.payload_sha256 is None


def test_the_request_record_is_the_request_as_sent_without_credentials():
    request = Request("http://www.tacheng.gov.test/module/web/jpage/dataproxy.jsp?page=2", method="POST",
                      body=b"col=1&webid=5", headers={"Proxy-Authorization": "Basic c2VjcmV0", "Cookie": "a=b",
                                                     "Accept": "text/html"})
    response = Response(request.url, status=200, body=b"<xml/>", request=request)
    built = build_records(exchange_of(request, response))
    _, sent = read_records(BytesIO(built.blob))
    assert sent.payload == b"col=1&webid=5"
    record = BytesIO(built.blob[built.length:])
    head = read_raw_request(record)
    assert head.startswith(b"POST /module/web/jpage/dataproxy.jsp?page=2 HTTP/1.1\r\n")
    assert b"Host: www.tacheng.gov.test" in head and b"Accept: text/html" in head
    assert b"c2VjcmV0" not in built.blob and b"Cookie" not in head


def test_files_rotate_at_their_size_and_each_begins_with_warcinfo(tmp_path):
    files = WarcFiles(tmp_path, "nianbao-000007-20260301023015", max_bytes=4000, info={"isPartOf": "run 7"})
    body = bytes(range(256)) * 8  # incompressible enough that two exchanges fill a file
    built = [build_records(exchange(body=body + bytes([n]))) for n in range(5)]
    places = [files.append(records.blob) for records in built]
    files.close()
    names = sorted({name for name, _ in places})
    assert len(names) >= 2 and all(name.startswith("nianbao-000007-20260301023015-0000") for name in names)
    for name in names:
        records = read_file(tmp_path / name)
        assert records[0].type == "warcinfo" and records[0].headers["WARC-Filename"] == name
        assert {r.type for r in records[1:]} == {"response", "request"}
    for (name, offset), records, n in zip(places, built, range(5), strict=True):
        assert record_at(tmp_path / name, offset, records.length).payload == body + bytes([n])


def test_the_archive_lies_beside_a_sqlite_file_else_in_the_working_directory(tmp_path):
    assert archive_dir(f"sqlite:///{tmp_path / 'county.sqlite'}") == tmp_path / "county-archive"
    assert archive_dir("sqlite:///nianbao.sqlite") == Path("nianbao-archive")
    assert archive_dir("postgresql://crawler@db.example/nianbao") == Path(SHARED_ARCHIVE_DIR)
    assert archive_dir("sqlite:///x.sqlite", configured=str(tmp_path / "warc")) == tmp_path / "warc"


def read_raw_request(stream: BytesIO) -> bytes:
    """The HTTP head of a gzipped request record, as bytes."""
    record = gzip.decompress(stream.getvalue())
    block = record.split(b"\r\n\r\n", 1)[1]
    return block.split(b"\r\n\r\n", 1)[0] + b"\r\n"

