"""The `nianbao` command: one thin verb per job, each calling one library function."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from nianbao.document import UnreadableInput

app = typer.Typer(help="Harvest and check 政府信息公开工作年度报告 (government information-disclosure annual reports).",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def main() -> None:
    """nianbao: harvest, parse, store and audit government information-disclosure annual reports."""


def fail(message: str, code: int = 1) -> None:
    """One line on stderr and a non-zero exit: how every command reports bad input."""
    typer.echo(f"nianbao: error: {message}", err=True)
    raise typer.Exit(code)


ReportFile = Annotated[Path, typer.Argument(help="A report file: .html .pdf .docx .txt (.doc .wps need LibreOffice).")]


@app.command()
def parse(file: ReportFile):
    """Parse one local report file and print its parse JSON to stdout."""
    from nianbao.report.parse import parse_file

    if not file.is_file():
        fail(f"{file}: no such file")
    try:
        result = parse_file(file)
    except UnreadableInput as exc:
        fail(str(exc))
    except Exception as exc:  # a reader bug must still end in one line, not a traceback in a user's script
        fail(f"{file.name}: internal error while parsing ({type(exc).__name__}: {exc})", code=2)
    json.dump(result, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
