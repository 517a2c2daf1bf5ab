"""Converts DOC and WPS files to DOCX with headless LibreOffice, one private profile and a time limit per call."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from nianbao.document.model import UnreadableInput

TIMEOUT_SETTING = "NIANBAO_CONVERT_TIMEOUT"
DEFAULT_TIMEOUT = 120.0
_CONVERTERS = ("soffice", "libreoffice")


def convert_to_docx(data: bytes, suffix: str) -> bytes:
    """The DOCX LibreOffice makes of a .doc/.wps file's bytes. Raises UnreadableInput when it cannot."""
    binary = next(filter(None, map(shutil.which, _CONVERTERS)), None)
    if binary is None:
        raise UnreadableInput("cannot read .doc/.wps files: LibreOffice (soffice) is not installed")
    suffix = suffix.lower() if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix or "") else ".doc"
    timeout = convert_timeout()
    with tempfile.TemporaryDirectory(prefix="nianbao-convert-") as tmp:
        work = Path(tmp)
        source, outdir = work / f"report{suffix}", work / "out"
        source.write_bytes(data)
        command = [
            binary,
            # A profile of its own: a second soffice sharing the user's profile hands its job to the first and exits.
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            "--convert-to",
            "docx",
            "--outdir",
            str(outdir),
            str(source),
        ]
        returncode, stderr = _run(command, timeout, suffix)
        result = outdir / "report.docx"
        if returncode != 0 or not result.is_file():
            detail = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit code {returncode}, no output"
            raise UnreadableInput(f"LibreOffice could not convert the {suffix} file: {detail}")
        return result.read_bytes()


def convert_timeout() -> float:
    """Seconds one conversion may take: the NIANBAO_CONVERT_TIMEOUT setting, default 120."""
    value = os.environ.get(TIMEOUT_SETTING, "").strip()
    if not value:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"{TIMEOUT_SETTING} must be a number of seconds, not {value!r}") from None
    if seconds <= 0:
        raise ValueError(f"{TIMEOUT_SETTING} must be positive, not {value!r}")
    return seconds


def _run(command: list[str], timeout: float, suffix: str) -> tuple[int, str]:
    """Run the converter in its own process group, so that a timeout kills soffice.bin and its helpers too."""
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):  # the whole group may have exited just now
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise UnreadableInput(f"LibreOffice did not convert the {suffix} file within {timeout:g} s") from None
    return process.returncode, stderr.decode("utf-8", errors="replace")
