"""The `nianbao` console script: `nianbao parse FILE` answered at once (nianbao.parse_command), every other call,
`parse` with options or several files included, by the Typer application in nianbao.cli."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    try:
        _run(sys.argv[1:])
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:  # `nianbao … | head`: the reader left; say nothing more (Python's documented recipe)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


def _run(args: list[str]) -> None:
    if len(args) == 2 and args[0] == "parse" and not args[1].startswith("-"):
        from nianbao.parse_command import parse_one

        sys.exit(parse_one(Path(args[1])))
    from nianbao.cli import main as cli_main

    cli_main()
