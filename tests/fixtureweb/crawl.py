"""Runs the real crawl (`scrapy crawl reports`) in a fresh process against a FixtureWeb and reads back its items."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fixtureweb.server import FixtureWeb

REPOSITORY = Path(__file__).resolve().parents[2]
# Politeness off and short timeouts: the fixture answers at once, except the sites that must fail.
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "DOWNLOAD_TIMEOUT": "1",
    "RETRY_TIMES": "1",
    "NIANBAO_RETRY_BACKOFF": "0.1",
    "LOG_LEVEL": "INFO",
}


def run_crawl(
    web: FixtureWeb,
    registry: Path,
    out: Path,
    *,
    sites: list[str] | None = None,
    settings: dict[str, str] | None = None,
) -> tuple[list[dict], str]:
    """The crawl's items (document bodies decoded back to bytes) and its log."""
    command = [sys.executable, "-m", "scrapy", "crawl", "reports", "-O", str(out), "-s", f"NIANBAO_REGISTRY={registry}"]
    if sites:
        command += ["-a", "site=" + ",".join(sites)]
    for name, value in {**FAST, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    # Only the fixture answers: no inherited proxy, no NIANBAO_ settings of the developer's shell.
    environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and "NIANBAO_" not in k}
    environment["http_proxy"] = web.proxy_url
    done = subprocess.run(command, cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"crawl failed ({done.returncode}):\n{done.stderr[-4000:]}")
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    for item in items:
        for document in item.get("documents", []):
            document["body"] = base64.b64decode(document["body"])
    return items, done.stderr
