"""`nianbao browse`: the database in Datasette, read-only, with Chinese labels, facets and canned queries.

Datasette serves a snapshot made for the purpose (nianbao.browse_snapshot), opened immutable, so neither it nor the
store can be written through it; only the originals' bytes are read from the store, when one is downloaded.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import signal
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from tempfile import TemporaryDirectory
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo

import uvicorn
from datasette import hookimpl
from datasette.app import Datasette
from datasette.plugins import pm
from datasette.utils.asgi import Response
from markupsafe import Markup
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from nianbao.browse_metadata import metadata
from nianbao.browse_snapshot import make_snapshot
from storage.db import read_only
from storage.models import Document, ReportAttachment, ReportVersion

DATABASE = "nianbao"  # the snapshot's file name, and so Datasette's name for it in every URL
BEIJING = ZoneInfo("Asia/Shanghai")
SETTINGS = {"max_returned_rows": 10_000}  # a canned query lists every missing agency of a province, not 1,000
SHA256 = re.compile(r"[0-9a-f]{64}")

# How a stored document (its kind, from nianbao.document.sniff) is sent: media type, and the file name suffixes that
# already say what it is (the first is added to a name that does not).
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", (".pdf",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "ole": ("application/msword", (".doc", ".wps")),
    "html": ("text/html", (".html", ".htm", ".shtml", ".jhtml")),
    "text": ("text/plain", (".txt",)),
    "zip": ("application/zip", (".zip",)),
}


class BrowseError(Exception):
    """Why the database cannot be served, in one line."""


def serve(engine: Engine, *, host: str, port: int, say: Callable[[str], object]) -> None:
    """Snapshot the database, then serve it on host:port until interrupted; the snapshot is removed on the way out."""
    with _listening(host, port) as listener, TemporaryDirectory(prefix="nianbao-browse-") as folder:
        path = Path(folder) / f"{DATABASE}.sqlite"
        note = _snapshot(engine, path)
        say(f"snapshot of {_source(engine)} written to {path} (removed when the server stops)")
        datasette = Datasette(immutables=[str(path)], metadata=metadata(DATABASE, note), settings=SETTINGS)
        # Datasette 0.65 prints every error page, a 404 or a mistyped query included, as a traceback with its locals
        # when rich is installed (nianbao uses it); without rich it prints only server errors, as plain text.
        # (Imported here, not at the top: imported before datasette.app, it would be registered half-loaded.)
        importlib.import_module("datasette.handle_exception").rich = None
        with _registered(Originals(engine)), _stopped_by_sigterm():
            app = datasette.app()  # reads the plugin's routes
            say(f"serving {_url(host, port)}/{DATABASE} (Ctrl-C stops)")
            uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on")).run(sockets=[listener])


def _snapshot(engine: Engine, path: Path) -> str:
    """Write the snapshot, audited as of today as `nianbao audit` is; returns what every page says about it."""
    made_at, today = datetime.now(BEIJING), date.today()
    try:
        years = make_snapshot(engine, path, as_of=today)
    except (SQLAlchemyError, sqlite3.Error, OSError, ValueError) as exc:  # ValueError: a bad NIANBAO_ setting
        raise BrowseError(f"cannot make the snapshot: {str(exc).splitlines()[0]}") from exc
    return (f"{_source(engine)} 数据库的快照，生成于 {made_at:%Y-%m-%d %H:%M}（北京时间）；"
            f"核查年度：{'、'.join(map(str, years)) or '无'}，按 {today:%Y-%m-%d} 判断。")


@contextmanager
def _listening(host: str, port: int) -> Iterator[socket.socket]:
    """The server's socket, bound before the snapshot is made: a port in use fails at once, not after minutes."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        listener = socket.create_server((host, port), family=family)
    except OSError as exc:
        raise BrowseError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    with listener:
        yield listener


@contextmanager
def _stopped_by_sigterm() -> Iterator[None]:
    """SIGTERM stops the server as Ctrl-C does (KeyboardInterrupt), so the snapshot is removed: uvicorn re-raises the
    signal after its graceful shutdown, and its default action would end the process before any clean-up."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread receives signals
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _registered(plugin: Originals) -> Iterator[None]:
    pm.register(plugin, name=plugin.__name__)
    try:
        yield
    finally:
        pm.unregister(plugin)


def _source(engine: Engine) -> str:
    """The store by kind and name only: no host, user or password on a page anyone on the network may read."""
    name = engine.url.database or ""
    if engine.dialect.name == "sqlite":
        return f"SQLite {Path(name).name or '(memory)'}"
    return f"{'PostgreSQL' if engine.dialect.name == 'postgresql' else engine.dialect.name} {name}"


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class Originals:
    """Datasette plugin: /-/original/<sha256> sends a stored document as it was downloaded, and every sha256 cell links
    there. The bytes are read from the store (read-only) when asked for, never copied into the snapshot."""

    __name__ = "nianbao-originals"  # Datasette names its plugins by module name; this one is an object

    def __init__(self, engine: Engine):
        self.engine = read_only(engine)

    @hookimpl
    def register_routes(self):
        return [(r"^/-/original/(?P<sha256>[0-9a-f]{64})$", self.download)]

    @hookimpl
    def render_cell(self, value, column, datasette):
        if isinstance(value, dict):  # a foreign key Datasette expanded: {"value": …, "label": …}
            value = value.get("value")
        if column in ("document_sha256", "sha256") and isinstance(value, str) and SHA256.fullmatch(value):
            href = datasette.urls.path(f"/-/original/{value}")
            return Markup('<a href="{}" title="{}">原件 {}…</a>').format(href, value, value[:12])
        return None

    async def download(self, request) -> Response:
        sha256 = request.url_vars["sha256"]
        found = await asyncio.to_thread(self._read, sha256)
        if found is None:
            return Response.text("no stored document has this sha256", status=404)
        data, kind, url = found
        media_type, suffixes = KINDS.get(kind or "", ("application/octet-stream", ()))
        name = _file_name(url, sha256, suffixes)
        return Response(data, content_type=media_type, headers={
            "content-disposition": f"attachment; filename=\"{_ascii(name)}\"; filename*=UTF-8''{quote(name)}",
            # A scraped page must never run as a page of this site: downloaded, not shown, and sandboxed if shown.
            "x-content-type-options": "nosniff", "content-security-policy": "sandbox",
        })

    def _read(self, sha256: str) -> tuple[bytes, str | None, str | None] | None:
        """The bytes and kind of a document, and the URL it was downloaded from (an attachment's names the file)."""
        with self.engine.connect() as connection:
            document = connection.execute(
                select(Document.data, Document.content_type).where(Document.sha256 == sha256)).first()
            if document is None:
                return None
            named_by = (select(ReportAttachment.url).where(ReportAttachment.document_sha256 == sha256),
                        select(ReportVersion.source_url).where(ReportVersion.document_sha256 == sha256))
            url = next(filter(None, (connection.scalar(query.limit(1)) for query in named_by)), None)
        return bytes(document.data), document.content_type, url


def _file_name(url: str | None, sha256: str, suffixes: tuple[str, ...]) -> str:
    """The last segment of the URL it came from, with a suffix that says what it is; else the sha256's head."""
    name = PurePosixPath(unquote(urlsplit(url or "").path)).name
    name = re.sub(r'[\x00-\x1f\x7f"\\/]', "_", name) or sha256[:16]
    if suffixes and PurePosixPath(name).suffix.lower() not in suffixes:
        name += suffixes[0]
    return name


def _ascii(name: str) -> str:
    """The file name for clients that do not read filename*: non-ASCII letters become _."""
    return name.encode("ascii", "replace").decode("ascii").replace("?", "_")
