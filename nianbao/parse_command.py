"""`nianbao parse FILE`: one report file's parse JSON on stdout, or one error line on stderr and a non-zero exit.

Importable without the command-line framework, so that nianbao.entry can answer the commonest call, one file run
by a script or a scorer, without Typer's start-up (it builds a pydantic adapter per parameter: about 100 ms, a
third of parsing a small PDF).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from nianbao.document import UnreadableInput


def error_line(message: str) -> None:
    sys.stderr.write(f"nianbao: error: {message}\n")


def parse_one(file: Path) -> int:
    """Print the file's parse JSON and return 0, or print why not and return 1 (2 for a bug of ours)."""
    from nianbao.report.parse import parse_file

    if not file.is_file():
        error_line(f"{file}: no such file")
        return 1
    try:
        result = parse_file(file)
    except UnreadableInput as exc:
        error_line(str(exc))
        return 1
    except Exception as exc:  # a reader bug must still end in one line, not a traceback in a user's script
        error_line(f"{file.name}: internal error while parsing ({type(exc).__name__}: {exc})")
        return 2
    json.dump(result, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0
