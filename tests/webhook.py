"""A JSON webhook on a loopback address that keeps what it is sent: the receiving end of Apprise's json:// URLs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def webhook_on(host: str) -> Iterator[tuple[list[dict], str]]:
    """What the hook received (each post's path and JSON), and the Apprise URL that posts to it."""
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append({"path": self.path, **json.loads(self.rfile.read(int(self.headers["Content-Length"])))})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, f"json://{host}:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
