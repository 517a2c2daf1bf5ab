"""Faults on real sockets for the fault tests: county sites on their own loopback address that cut, trickle, stream
huge files or redirect away; a TCP proxy in front of PostgreSQL that can drop the database; the crawl as a user runs
it, with its peak memory; and the database's view of what it stored."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import make_engine
from storage.models import CrawlRun, SiteOutcome, UnstoredReport
from storage.reports import iter_reports
from tests.fixtureweb.crawl import import_registry_file
from tests.fixtureweb.documents import docx_bytes, link_page, list_items, listing_page, report_data, report_page
from tests.hostile_files import docx_bomb, form_fanout_pdf, inflating_content_pdf, nest_body

REPOSITORY = Path(__file__).resolve().parents[1]
LISTING = "/xxgk/nb/index.html"
MAX_SECONDS = 60  # no answer of the fault web lasts longer than this, whatever the crawl does
YEAR = 2024
MIB = 2**20


@dataclass(frozen=True)
class Entry:
    title: str
    href: str
    date: str


@dataclass
class Answer:
    """What one path answers. length=False sends no Content-Length and ends the body by closing the connection;
    cut_at stops after that many bytes; trickle sends one byte every trickle seconds; delay waits first."""

    body: bytes | Callable[[], Iterator[bytes]] = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    length: bool = True
    size: int | None = None  # Content-Length of a streamed body
    cut_at: int | None = None
    trickle: float | None = None
    delay: float = 0.0


class FaultSite:
    """One county site on its own loopback address: its listing page lists the given reports."""

    def __init__(self, address: str, name: str):
        self.name = name
        self.answers: dict[str, Answer] = {}
        self.hits: dict[str, int] = {}
        self.server = ThreadingHTTPServer((address, 0), _handler(self))
        self.server.daemon_threads = True
        self.base = f"http://{address}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def listing_url(self) -> str:
        return self.base + LISTING

    def list_reports(self, entries: list[Entry]) -> None:
        html = listing_page(self.name, "政府信息公开年报", list_items(entries), "", "utf-8")
        self.answers[LISTING] = Answer(html)

    def report(self, path: str, agency: str, year: int = 2024, seed: str = "jiaxian-county-2024") -> Entry:
        """Serve a whole report page at path (a seed's values under this agency's name); its listing entry."""
        title = f"{agency}{year}年政府信息公开工作年度报告"
        self.answers[path] = Answer(report_page(report_data(seed, agency, year, title, f"{year + 1}-01-20"), "utf-8"))
        return Entry(title, path, f"{year + 1}-01-20")

    def __enter__(self) -> FaultSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(site: FaultSite):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # a body without Content-Length ends when the connection closes

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            site.hits[path] = site.hits.get(path, 0) + 1
            answer = site.answers.get(path)
            if answer is None:
                self.send_error(404)
                return
            time.sleep(answer.delay)
            body = answer.body if isinstance(answer.body, bytes) else None
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            if answer.length:
                self.send_header("Content-Length", str(len(body) if body is not None else answer.size))
            self.end_headers()
            with contextlib.suppress(OSError):  # the crawler may hang up first (timeouts, size limits)
                self._send(answer, body)

        def _send(self, answer: Answer, body: bytes | None) -> None:
            if body is None:
                for chunk in answer.body():
                    self.wfile.write(chunk)
                return
            body = body[: answer.cut_at] if answer.cut_at is not None else body
            if answer.trickle is None:
                self.wfile.write(body)
                return
            started = time.monotonic()
            for index in range(len(body)):
                if time.monotonic() - started > MAX_SECONDS:
                    return
                self.wfile.write(body[index : index + 1])
                self.wfile.flush()
                time.sleep(answer.trickle)

        def log_message(self, *args) -> None:
            pass

    return Handler


# ---- county sites that serve hostile files ---------------------------------------------------------------------------

# Each site serves its county's report in one hostile way; "good" is an ordinary report page.
HOSTILE_SITES = {"good": "甲县人民政府", "fanout": "乙县人民政府", "inflate": "丙县人民政府", "docx": "丁县人民政府",
                 "many": "戊县人民政府", "deep": "己县人民政府", "koi8": "庚县人民政府"}
BOMBS = ("fanout", "inflate", "docx")  # sites whose report cannot be read: the rest must be stored whole


def hostile_sites(first_address: int, keys=tuple(HOSTILE_SITES)) -> dict[str, FaultSite]:
    """The chosen HOSTILE_SITES, started, on 127.0.0.<first_address> on: the fan-out PDF, the PDF stream inflating
    to 200 MiB, the 512 MiB DOCX bomb, a report page with 60 attachments of 40 MB, HTML nested 1,000 deep, and a
    GBK page that declares koi8-r."""
    sites = {key: FaultSite(f"127.0.0.{first_address + i}", HOSTILE_SITES[key]).__enter__()
             for i, key in enumerate(keys)}
    for key, site in sites.items():
        _SERVE[key](site, site.name)
    return sites


def _serve_good(site: FaultSite, agency: str) -> None:
    site.list_reports([site.report("/nb/1.html", agency)])


def _serve_many_attachments(site: FaultSite, agency: str) -> None:
    entry = site.report("/nb/many.html", agency)
    links = "".join(f'<p><a href="/files/{n}.pdf">附件{n}.pdf</a></p>' for n in range(60))
    page = site.answers["/nb/many.html"]
    page.body = page.body.replace(b"</body>", f'<div class="attach">{links}</div></body>'.encode())
    for n in range(60):
        site.answers[f"/files/{n}.pdf"] = Answer(streamed_pdf(40 * MIB), content_type="application/pdf",
                                                 size=40 * MIB)
    site.list_reports([entry])


def _serve_deep(site: FaultSite, agency: str) -> None:
    entry = site.report("/nb/deep.html", agency)
    site.answers["/nb/deep.html"].body = nest_body(site.answers["/nb/deep.html"].body, 1000)
    site.list_reports([entry])


def _serve_koi8(site: FaultSite, agency: str) -> None:
    title = f"{agency}{YEAR}年政府信息公开工作年度报告"
    report = report_data("jiaxian-county-2024", agency, YEAR, title, f"{YEAR + 1}-01-20")
    page = report_page(report, "gbk").replace(b"<head>", b'<head><meta charset="koi8-r">', 1)
    site.answers["/nb/koi8.html"] = Answer(page, content_type="text/html; charset=koi8-r")
    site.list_reports([Entry(title, "/nb/koi8.html", f"{YEAR + 1}-01-20")])


def _serve_docx_bomb(site: FaultSite, agency: str) -> None:
    good = docx_bytes(report_data("jiaxian-county-2024", agency, YEAR, "x", f"{YEAR + 1}-01-20"))
    site.list_reports([link_only(site, agency, "/f/bomb.docx", docx_bomb(good), "application/octet-stream")])


_SERVE = {
    "good": _serve_good,
    "fanout": lambda site, agency: site.list_reports(
        [link_only(site, agency, "/f/fan.pdf", form_fanout_pdf(), "application/pdf")]),
    "inflate": lambda site, agency: site.list_reports(
        [link_only(site, agency, "/f/big.pdf", inflating_content_pdf(), "application/pdf")]),
    "docx": _serve_docx_bomb,
    "many": _serve_many_attachments,
    "deep": _serve_deep,
    "koi8": _serve_koi8,
}


def link_only(site: FaultSite, agency: str, href: str, body: bytes, content_type: str) -> Entry:
    """A report page that only links its file (what many towns publish), and the file."""
    title = f"{agency}{YEAR}年政府信息公开工作年度报告"
    report = report_data("jiaxian-county-2024", agency, YEAR, title, f"{YEAR + 1}-01-20")
    page = f"/xxgk/nb/{href.strip('/').replace('/', '_')}.html"
    site.answers[page] = Answer(link_page(report, "utf-8", f'<a href="{href}">{title}.pdf</a>'))
    site.answers[href] = Answer(body, content_type=content_type)
    return Entry(title, page, f"{YEAR + 1}-01-20")


def streamed_pdf(size: int):
    """A PDF-typed body of `size` bytes made as it is sent, so the server never holds it."""
    def chunks():
        yield b"%PDF-1.4\n"
        left = size - 9 - 6
        while left > 0:
            piece = min(left, MIB)
            yield b"\0" * piece
            left -= piece
        yield b"%%EOF\n"
    return chunks


def registry_file(folder: Path, sites: list[tuple[str, str, FaultSite]]) -> Path:
    """A registry CSV of (id, name, site) rows, county governments each on its own site."""
    lines = ["id,name,level,parent,listing_url"]
    lines += [f"{agency_id},{name},county,,{site.listing_url}" for agency_id, name, site in sites]
    path = folder / "registry.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---- the crawl as a user runs it ---------------------------------------------------------------------------------

CRAWL_ENV = {
    "NIANBAO_ALLOW_PRIVATE_ADDRESSES": "1",  # the fault web answers on loopback
    "NIANBAO_DOWNLOAD_DELAY": "0",
    "NIANBAO_AUTOTHROTTLE": "0",
    "NIANBAO_RETRY_BACKOFF": "0.1",
    "NIANBAO_DOWNLOAD_TIMEOUT": "5",
}


def archive_env(db_url: str) -> dict[str, str]:
    """Beside a SQLite file the evidence archive lands in the test's folder; for PostgreSQL it would land in the
    crawl's working directory, the repository, so it goes to a folder of its own, removed at exit."""
    if db_url.startswith("sqlite"):
        return {}
    folder = tempfile.mkdtemp(prefix="nianbao-archive-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return {"NIANBAO_ARCHIVE_DIR": folder}


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str
    max_rss_mb: float  # the crawl's peak resident memory, its reader processes included
    seconds: float


def start_crawl(db_url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and "NIANBAO_" not in k}
    environment |= CRAWL_ENV | archive_env(db_url) | (env or {})
    command = [sys.executable, "-m", "nianbao", "crawl", "--db", db_url, *args]
    return subprocess.Popen(command, cwd=REPOSITORY, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def finish(process: subprocess.Popen, timeout: float = 240) -> Finished:
    """Wait for a crawl started by start_crawl; its exit code, output and peak memory (from wait4)."""
    started = time.monotonic()
    output: dict[str, str] = {}
    readers = [threading.Thread(target=lambda name=name, s=stream: output.__setitem__(name, s.read()), daemon=True)
               for name, stream in (("stdout", process.stdout), ("stderr", process.stderr))]
    for reader in readers:
        reader.start()
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            os.killpg(process.pid, 9)
            raise AssertionError(f"the crawl ran over {timeout} s")
        time.sleep(0.05)
    process.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join(10)
    process.stdout.close()
    process.stderr.close()
    return Finished(process.returncode, output.get("stdout", ""), output.get("stderr", ""), usage.ru_maxrss / 1024,
                    time.monotonic() - started)


def crawl(db_url: str, *args: str, env: dict[str, str] | None = None, timeout: float = 240) -> Finished:
    return finish(start_crawl(db_url, *args, env=env), timeout)


def audit(db_url: str, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "nianbao", "audit", "--db", db_url, *args]
    return subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True, timeout=120)


# ---- what the database says ----------------------------------------------------------------------------------------

def stored(db_url: str) -> dict[str, dict]:
    """The current report of each agency id (or name:…), as exported."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            return {r["agency_id"] or f"name:{r['agency_name']}": r for r in iter_reports(session)}
    finally:
        engine.dispose()


def runs(db_url: str) -> list[tuple[int, str, str | None]]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            return [(r.id, r.status, r.message) for r in session.scalars(select(CrawlRun).order_by(CrawlRun.id))]
    finally:
        engine.dispose()


def outcomes(db_url: str, run_id: int) -> dict[str, str]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(SiteOutcome).where(SiteOutcome.run_id == run_id))
            return {row.site_key: row.outcome for row in rows}
    finally:
        engine.dispose()


def unstored(db_url: str) -> dict[str, str]:
    """Agency id → cause of each report listed but not stored."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            return {u.agency_id or u.agency_name: u.cause for u in session.scalars(select(UnstoredReport))}
    finally:
        engine.dispose()


def prepared(db_url: str, registry: Path) -> str:
    import_registry_file(db_url, registry)
    return db_url


# ---- a database that goes away ----------------------------------------------------------------------------------

class TcpProxy:
    """Forwards 127.0.0.1:<port> to a server; down() drops every connection and refuses new ones until up()."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepting = True
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.accepting:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):  # the other direction's thread finds them shut, and ends too
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        source.close()

    def down(self) -> None:
        self.accepting = False
        with self.lock:
            for sock in self.open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self.open.clear()

    def up(self) -> None:
        self.accepting = True

    def close(self) -> None:
        self.closed = True
        self.down()
        self.listener.close()
