"""One crawl task's process: `python -m nianbao.queue.child PARENT_PID DB_URL TRIGGER NIGHT TASK SITE…`. It dies with
the worker that started it, runs nianbao.crawl on the sites (the run records its night and task; its reports are
stored to be parsed by parse tasks, nianbao.pending), and prints the summary as one JSON line last."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with(parent: int) -> None:
    """Linux: be killed when the parent dies; if it already has, stop now."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the lock TTL still frees what an orphan holds
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        sys.exit(1)


def main(argv: list[str]) -> int:
    parent, db_url, trigger, night, task, *sites = argv
    die_with(int(parent))
    from nianbao.crawl import crawl
    from nianbao.logs import configure

    configure(default_level="WARNING")  # the crawl's log to stderr: the worker's log
    summary = crawl(db_url, sites, trigger, {"NIANBAO_NIGHT": night, "NIANBAO_TASK": task,
                                                 "NIANBAO_PARSE_LATER": True})
    print(json.dumps({"run_id": summary.run_id, "finish_reason": summary.finish_reason, "left": summary.left,
                      "line": summary.line()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
