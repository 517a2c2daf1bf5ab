"""One logging setup for every command: on a terminal, Rich lines that share the console with the progress display
(so neither breaks the other); elsewhere plain timestamped lines; with --log-file, everything at INFO with full
tracebacks in the file. On the console a failure is one line: fetch errors are the site's outcome line, not a
traceback."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVEL_VARIABLE = "NIANBAO_LOG_LEVEL"  # the console's level (default WARNING); the log file takes INFO at least
# Scrapy's own reports of a failed download: the spider turns each into its site's outcome, logged in one line.
FETCH_FAILURE_LOGGERS = ("scrapy.downloadermiddlewares.retry", "scrapy.downloadermiddlewares.robotstxt")

_stderr: Console | None = None


def stderr_console() -> Console:
    """The one Rich console on stderr: progress displays and log lines must share it to stay readable."""
    global _stderr
    if _stderr is None:
        _stderr = Console(stderr=True)
    return _stderr


class OneLineFormatter(logging.Formatter):
    """A record's message with its exception's last line, never a traceback (the log file keeps those)."""

    def format(self, record: logging.LogRecord) -> str:
        if not (record.exc_info or record.stack_info):
            return super().format(record)
        saved = record.exc_info, record.exc_text, record.stack_info
        error = record.exc_info[1] if record.exc_info else None
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        detail = f"{type(error).__name__}: {error}" if error is not None else ""
        return f"{line} ({detail})" if detail and str(error) not in line else line


class NotFetchFailures(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith(FETCH_FAILURE_LOGGERS)


def configure(log_file: Path | None = None, default_level: str = "WARNING") -> None:
    """Replace the root logger's handlers with nianbao's; called once by the CLI before any command runs."""
    level = logging.getLevelName(os.environ.get(LEVEL_VARIABLE, default_level).upper())
    if not isinstance(level, int):
        raise ValueError(f"{LEVEL_VARIABLE}: unknown level {os.environ[LEVEL_VARIABLE]!r}")
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "nianbao", False)]:  # a test runner's stay
        root.removeHandler(handler)
        handler.close()
    handlers = [_console_handler(level)]
    if log_file is not None:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
        handlers[-1].setFormatter(logging.Formatter(PLAIN_FORMAT))
        handlers[-1].setLevel(min(level, logging.INFO))
    for handler in handlers:
        handler.nianbao = True
        root.addHandler(handler)
    root.setLevel(min(h.level for h in handlers))
    # Alembic says at INFO which plugins and dialect it set up, on every command that opens the database.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def configured() -> bool:
    """Whether the root logger has handlers (ours, or an embedding program's): then Scrapy must not add its own."""
    return bool(logging.getLogger().handlers)


def _console_handler(level: int) -> logging.Handler:
    if sys.stderr.isatty():
        handler: logging.Handler = RichHandler(console=stderr_console(), show_path=False, rich_tracebacks=False,
                                               markup=False, log_time_format="%H:%M:%S")
        handler.setFormatter(OneLineFormatter("%(name)s: %(message)s"))
    else:
        handler = _Stderr()
        handler.setFormatter(OneLineFormatter(PLAIN_FORMAT))
    handler.setLevel(level)
    if level <= logging.DEBUG:  # an operator debugging wants every record Scrapy makes, tracebacks and all
        handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    else:
        handler.addFilter(NotFetchFailures())
    return handler


class _Stderr(logging.StreamHandler):
    """Whatever sys.stderr is when a record comes (a test runner swaps it), not the one it was at set-up."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass
