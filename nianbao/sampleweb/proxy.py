"""A threaded HTTP server on 127.0.0.1 used as the crawler's http_proxy, answering for many simulated hosts."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# (method, URL as http://host/path?query, request headers, request body) → (status, headers, body)
AnswerFunction = Callable[[str, str, object, bytes], tuple[int, dict[str, str], bytes]]


def start_proxy(answer: AnswerFunction) -> ThreadingHTTPServer:
    """Serve `answer` on a free port in a daemon thread; the caller shuts the server down."""
    server = _QuietServer(("127.0.0.1", 0), _handler(answer))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def proxy_url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def stop_proxy(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # Crawlers drop keep-alive connections when they finish or time out; that is not a server error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler(answer: AnswerFunction) -> type[BaseHTTPRequestHandler]:
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
            raw = self.path if self.path.startswith("http") else f"http://{self.headers['Host']}{self.path}"
            parts = urlsplit(raw)
            url = f"http://{parts.hostname}{parts.path}" + (f"?{parts.query}" if parts.query else "")
            status, headers, body = answer(method, url, self.headers, form)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the crawler stopped listening (it gave up on a slow site, as it should)

        def log_message(self, format: str, *args) -> None:
            pass

    return Handler
