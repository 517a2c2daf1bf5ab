"""`nianbao browse` as a user runs it: the demo database served in Datasette, read in Chromium and over HTTP, and a
PostgreSQL store served as a snapshot."""

from __future__ import annotations

import hashlib
import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import pytest
from sqlalchemy.orm import Session

from nianbao.sampleweb.demo import import_sample
from storage.db import make_engine, upgrade
from storage.documents import store_document
from storage.reports import upsert_report
from tests.browser import FLAGS
from tests.storage_fixtures import parsed_report

YEAR = 2024  # the demo's audit year
HOST = "127.0.0.9"  # a loopback address of its own: no clash with the fixture webs on 127.0.0.1
# The local server is asked directly, whatever proxy the environment names.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def get(self, path: str) -> tuple[bytes, dict[str, str]]:
        with HTTP.open(self.url + path, timeout=30) as response:
            return response.read(), dict(response.headers)

    def json(self, path: str):
        return json.loads(self.get(path)[0])

    def status(self, path: str) -> int:
        try:
            with HTTP.open(self.url + path, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            with error:  # it holds the connection open
                return error.code

    def stop(self) -> int:
        """Ctrl-C, as a user stops it; killed if it does not stop within 20 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                return self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@contextmanager
def browsing(db_url: str, folder: Path) -> Iterator[Server]:
    """`nianbao browse` in a subprocess, answering on HOST; stopped however the test ends."""
    port, log = free_port(HOST), folder / "browse.log"
    command = [sys.executable, "-m", "nianbao", "browse", "--db", db_url, "--host", HOST, "--port", str(port)]
    with log.open("w") as stderr:
        server = Server(f"http://{HOST}:{port}", subprocess.Popen(command, stderr=stderr), log)
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.process.poll() is not None:
                pytest.fail(f"nianbao browse exited {server.process.returncode}: {log.read_text()[-3000:]}")
            try:
                server.get("/-/versions.json")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    pytest.fail(f"nianbao browse did not answer within 120 s: {log.read_text()[-3000:]}")
                time.sleep(0.2)
        yield server
    finally:
        server.stop()


def file_state(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    """The demo's database and its JSON audit."""
    path = tmp_path_factory.mktemp("browse") / "demo.sqlite"
    command = [sys.executable, "-m", "nianbao", "demo", "--db", f"sqlite:///{path}", "--format", "json"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return path, json.loads(run.stdout)


@pytest.fixture(scope="module")
def source_before(demo) -> tuple[str, int]:
    return file_state(demo[0])


@pytest.fixture(scope="module")
def server(demo, source_before, tmp_path_factory) -> Iterator[Server]:
    with browsing(f"sqlite:///{demo[0]}", tmp_path_factory.mktemp("server")) as server:
        yield server


def agencies_with(audit: dict, status: str) -> list[str]:
    return sorted(row["agency_id"] for row in audit["rows"] if row["status"] == status)


def test_missing_page_in_chromium_lists_exactly_the_missing_agencies(server, demo, request, tmp_path):
    _, audit = demo
    assert agencies_with(audit, "missing")  # the demo has some: the comparison below means something
    browser = request.getfixturevalue("chromium")
    dumped = subprocess.run(
        [browser, *FLAGS, "--no-proxy-server", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         f"{server.url}/nianbao/missing?year={YEAR}"],
        capture_output=True, text=True, timeout=60, check=True).stdout
    page = lxml.html.fromstring(dumped)
    table = '//table[contains(@class, "rows-and-columns")]'
    listed = [cell.text_content().strip() for cell in page.xpath(f'{table}//td[contains(@class, "col-agency_id")]')]
    assert sorted(listed) == agencies_with(audit, "missing")
    assert "未发布的单位" in page.xpath("string(//h1)")
    assert "数据库的快照，生成于" in page.text_content()


def test_canned_queries_answer_as_the_audit_does(server, demo):
    _, audit = demo
    for query, status in (("missing", "missing"), ("late", "published_late")):
        rows = server.json(f"/nianbao/{query}.json?year={YEAR}&_shape=array")
        assert sorted(row["agency_id"] for row in rows) == agencies_with(audit, status), query
    # Without ?year= the queries show the latest audited year, the demo's.
    assert sorted(r["agency_id"] for r in server.json("/nianbao/missing.json?_shape=array")) == agencies_with(
        audit, "missing")
    unattributed = server.json(f"/nianbao/unattributed.json?year={YEAR}&_shape=array")
    assert len(unattributed) == audit["summary"]["unattributed_reports"]
    with_errors = server.json(f"/nianbao/reports_with_errors.json?year={YEAR}&_shape=array")
    assert len(with_errors) == audit["summary"]["with_errors"]
    assert server.json(f"/nianbao/revised.json?year={YEAR}&_shape=array") == []  # one crawl: one version each


def test_every_original_downloads_as_stored(server, demo):
    path, _ = demo
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as store:
        stored = dict(store.execute("SELECT sha256, data FROM documents"))
    versions = server.json("/nianbao/report_versions.json?_shape=array&_size=max")
    assert versions
    for version in versions:
        sha256 = version["document_sha256"]
        body, headers = server.get(f"/-/original/{sha256}")
        assert body == stored[sha256]
        assert headers["content-disposition"].startswith("attachment; filename=")
        assert headers["x-content-type-options"] == "nosniff"
    page, _ = server.get("/nianbao/report_versions")
    assert f'href="/-/original/{versions[0]["document_sha256"]}"'.encode() in page
    assert server.status(f"/-/original/{'0' * 64}") == 404


def test_the_served_database_refuses_writes(server):
    (database,) = server.json("/-/databases.json")
    assert (database["name"], database["is_mutable"]) == ("nianbao", False)
    assert server.status("/nianbao.json?sql=DELETE+FROM+audit") == 400  # Datasette runs only SELECTs
    assert server.json("/nianbao/audit.json?_shape=array&_size=1")  # still all there


def test_the_source_database_is_never_written(server, demo, source_before):
    server.json(f"/nianbao/audit.json?year={YEAR}&_shape=array")
    assert file_state(demo[0]) == source_before


def test_ctrl_c_stops_and_removes_the_snapshot(demo, tmp_path):
    with browsing(f"sqlite:///{demo[0]}", tmp_path) as server:
        said = server.log.read_text().splitlines()
        snapshot = Path(said[0].split(" written to ")[1].split(" (")[0])
        assert snapshot.is_file()
        assert said[1] == f"serving {server.url}/nianbao (Ctrl-C stops)"
        assert server.stop() == 130
    assert not snapshot.exists()


def test_a_port_in_use_is_one_line_and_no_snapshot(demo):
    with socket.create_server((HOST, 0)) as taken:
        port = taken.getsockname()[1]
        run = subprocess.run([sys.executable, "-m", "nianbao", "browse", "--db", f"sqlite:///{demo[0]}",
                              "--host", HOST, "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.startswith(f"nianbao: error: cannot listen on {HOST}:{port}: ")
    assert len(run.stderr.splitlines()) == 1


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_is_served_as_a_snapshot(db_url, tmp_path):
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        import_sample(engine)
        original = b"%PDF-1.7\n" + "托里县人民政府2024年政府信息公开工作年度报告".encode() + b"\n%%EOF\n"
        with Session(engine) as session, session.begin():
            sha256 = store_document(session, original, content_type="pdf")
            upsert_report(session, agency_id="xj-tuoli-county", agency_name="托里县人民政府", year=YEAR,
                          source_url="http://www.tuoli.gov.test/zfxxgk/P020250117.pdf", document_sha256=sha256,
                          parsed=parsed_report())
    finally:
        engine.dispose()
    with browsing(db_url, tmp_path) as server:
        page, _ = server.get("/nianbao")
        assert "PostgreSQL" in page.decode() and "数据库的快照，生成于" in page.decode()
        assert "snapshot of PostgreSQL" in server.log.read_text()
        row = server.json(f"/nianbao/audit.json?year={YEAR}&agency_id=xj-tuoli-county&_shape=array")[0]
        assert (row["status"], row["status_label"]) == ("published", "按时发布")
        body, headers = server.get(f"/-/original/{sha256}")
        assert body == original
        assert headers["content-type"] == "application/pdf"
        assert "filename=\"P020250117.pdf\"" in headers["content-disposition"]
