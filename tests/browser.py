"""Headless Chromium for the tests of the HTML pages nianbao writes (the audit page, `nianbao show --format html`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

INSTALL_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "install-browser.sh"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


def _chromium() -> str | None:
    return shutil.which("chromium") or (os.access("/usr/bin/chromium", os.X_OK) and "/usr/bin/chromium") or None


@pytest.fixture(scope="module")
def chromium() -> str:
    """Chromium, installed by scripts/install-browser.sh when missing and we are root; a clear failure otherwise."""
    if _chromium() is None and os.geteuid() == 0:
        subprocess.run(["bash", str(INSTALL_SCRIPT)], check=False, timeout=900)
    path = _chromium()
    if path is None:
        pytest.fail("chromium is not installed: run `sudo bash scripts/install-browser.sh` (Debian's chromium package)")
    return path


def run_chromium(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=60, check=True)
