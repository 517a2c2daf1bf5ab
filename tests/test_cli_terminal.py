"""What a person at a terminal sees: tables in a 100-column terminal (a real pseudo-terminal of that size) with every
name and id whole, and a crawl of unreachable and unresolvable sites that says one line per failing site, with no
traceback, beside its progress line."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.no_dns import NO_DNS

REPOSITORY = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
# Long, real-looking names and ids: the ones a 100-column table used to cut to "托里县 …".
AGENCIES = (
    ("xj-tacheng-prefecture-government", "新疆维吾尔自治区塔城地区行政公署", "prefecture", ""),
    ("xj-tacheng-tuoli-county-government", "新疆维吾尔自治区塔城地区托里县人民政府", "county",
     "xj-tacheng-prefecture-government"),
    ("xj-tacheng-tuoli-county-hatu-town", "新疆维吾尔自治区塔城地区托里县哈图镇人民政府", "township",
     "xj-tacheng-tuoli-county-government"),
    ("xj-tacheng-tuoli-county-education", "托里县教育局（托里县科学技术局）", "department",
     "xj-tacheng-tuoli-county-government"),
    ("xj-tacheng-tuoli-county-water-resources", "托里县水利局", "department", "xj-tacheng-tuoli-county-government"),
)


def _environment(**extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and "NIANBAO_" not in k}
    return environment | {"NIANBAO_ALLOW_PRIVATE_ADDRESSES": "1", "NIANBAO_RETRY_BACKOFF": "0.05",
                          "NIANBAO_DOWNLOAD_DELAY": "0", "NIANBAO_AUTOTHROTTLE": "0", "TERM": "xterm-256color",
                          **extra}


def in_terminal(args: list[str], columns: int = 100, timeout: float = 180) -> str:
    """Run `python -c NO_DNS args…` with stdout and stderr on a pseudo-terminal `columns` wide; its text, ANSI-free."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    process = subprocess.Popen([sys.executable, "-c", NO_DNS, *args], cwd=REPOSITORY, stdin=subprocess.DEVNULL,
                               stdout=slave, stderr=slave, env=_environment(COLUMNS=str(columns)))
    os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        assert process.wait(timeout=max(1.0, deadline - time.monotonic())) == 0, b"".join(chunks)[-3000:]
    finally:
        process.kill()
        os.close(master)
    return ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))


def plain(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", NO_DNS, *args], cwd=REPOSITORY, env=_environment(),
                          capture_output=True, text=True, timeout=180)


@pytest.fixture
def registry(tmp_path) -> tuple[str, Path]:
    db = f"sqlite:///{tmp_path / 'n.sqlite'}"
    path = tmp_path / "sites.csv"
    rows = [f"{i},{name},{level},{parent},http://127.0.0.{20 + n}:9/zfxxgknb/"
            for n, (i, name, level, parent) in enumerate(AGENCIES)]
    path.write_text("id,name,level,parent,listing_url\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert plain(["sites", "import", str(path), "--db", db]).returncode == 0
    return db, path


def test_tables_in_a_100_column_terminal_keep_every_name_and_id_whole(registry):
    db, _ = registry
    listed = in_terminal(["sites", "list", "--db", db])
    audited = in_terminal(["audit", "--year", "2024", "--as-of", "2025-06-01", "--db", db])
    for text in (listed, audited):
        assert max(len(line) for line in text.splitlines()) <= 100
    for agency_id, name, _, _ in AGENCIES:
        assert agency_id in listed and name in listed
        assert name in audited
    assert "…" not in listed + audited.replace("auditing 2024 …", "")
    # Every agency's line of the audit carries its whole name, its status and its whole deadline date.
    for _, name, _, _ in AGENCIES:
        line = next(line for line in audited.splitlines() if f" {name} " in f" {line} ")
        assert "无法访问" in line and re.search(r"2025-0[1-5]-\d\d", line), line  # never crawled: not "missing"


def test_a_crawl_of_failing_sites_says_one_line_for_each_and_no_traceback(registry, tmp_path):
    db, path = registry
    # One more site, on a host name that does not resolve.
    with path.open("a", encoding="utf-8") as registry_file:
        registry_file.write("xj-unresolvable,不存在县人民政府,county,,http://zfxxgk.nosuch-county.invalid/nb/\n")
    assert plain(["sites", "import", str(path), "--db", db]).returncode == 0
    log = tmp_path / "crawl.log"
    done = plain(["--log-file", str(log), "crawl", "--db", db])
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stderr.splitlines()
    assert "Traceback" not in done.stderr and len(lines) == len(AGENCIES) + 1, done.stderr
    ids = [*(a[0] for a in AGENCIES), "xj-unresolvable"]
    for agency_id in ids:
        (line,) = [line for line in lines if f" {agency_id}: " in line]
        assert "unreachable" in line
    (unresolved,) = [line for line in lines if "xj-unresolvable" in line]
    assert "DNS lookup failed" in unresolved or "resolve" in unresolved.lower()
    assert done.stdout.startswith("run 1: 6 sites (6 unreachable)")
    # The log file has the whole story: Scrapy's retries, with tracebacks.
    logged = log.read_text(encoding="utf-8")
    assert "Gave up retrying" in logged and "Traceback" in logged

    # At a terminal: the same lines, each on its own line beside the progress display, and still no traceback.
    shown = in_terminal(["crawl", "--db", db])
    assert "Traceback" not in shown
    for agency_id in ids:
        assert re.search(rf"^.*\b{re.escape(agency_id)}: unreachable", shown, re.MULTILINE), shown
    assert "run 2: 6 sites (6 unreachable)" in shown
