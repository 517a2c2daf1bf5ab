"""A night on the work queue: 2,000 agencies on 100 hosts (distinct loopback addresses), each host answering with a
politeness delay between our requests, crawled by 1, 2 and 4 `nianbao worker` processes on a fresh PostgreSQL
database each time, in alternating rounds (1 2 4 1 2 4 …).

Run: .venv/bin/python bench/queue_scale.py [--hosts 100] [--per-host 20] [--delay 0.1] [--concurrency 2]
[--rounds 1] [--workers 1,2,4]. Prints per worker count: the night's wall time (median over rounds) and its ratio
to one worker, the most requests ever in flight to one host, the peak memory of one worker with its crawl and
reader processes (sampled every 0.5 s), and the politeness bound: the slowest host's requests × delay, and all
hosts' requests × delay spread over workers × concurrency. Asserts nothing (tests assert behaviour).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # a script run from anywhere still imports the project and its fixture web

from sqlalchemy import create_engine, text  # noqa: E402

from tests.faultweb import CRAWL_ENV, prepared  # noqa: E402
from tests.fixtureweb.generate import generate_sites  # noqa: E402
from tests.fixtureweb.loopback import LoopbackWeb  # noqa: E402
from tests.fixtureweb.spec import registry_csv  # noqa: E402
from tests.storage_fixtures import PG_ADMIN_URL  # noqa: E402

PAGE = 4096


def main() -> None:
    options = _options()
    os.environ["NIANBAO_ALLOW_PRIVATE_ADDRESSES"] = "1"  # the registry import refuses loopback otherwise
    departments = min(options.per_host - 1, 12)  # the generator's 12 department names, then up to 8 towns
    sites = generate_sites(counties=options.hosts, departments=departments, towns=options.per_host - 1 - departments)
    agencies = sum(len(site.agencies) for site in sites)
    counts = [int(n) for n in options.workers.split(",")]
    results: dict[int, list[dict]] = {n: [] for n in counts}
    with LoopbackWeb(sites) as web, tempfile.TemporaryDirectory() as scratch:
        registry = Path(scratch) / "registry.csv"
        registry.write_text(registry_csv(web.sites), encoding="utf-8")
        print(f"{agencies} agencies on {len(sites)} hosts; delay {options.delay} s between requests to a host; "
              f"{options.concurrency} crawls at once per worker", flush=True)
        for round_ in range(options.rounds):
            for workers in counts:
                figures = night(web, registry, workers, options, Path(scratch) / f"r{round_}w{workers}")
                results[workers].append(figures)
                print(f"  round {round_ + 1}, {workers} worker(s): {figures['seconds']:.1f} s, most in flight "
                      f"{figures['in_flight']}, peak {figures['peak_mib']:.0f} MiB per worker", flush=True)
    report(results, options)


def night(web: LoopbackWeb, registry: Path, workers: int, options, scratch: Path) -> dict:
    web.most_in_flight.clear()
    web.requests.clear()
    url, drop = _fresh_database()
    try:
        prepared(url, registry)
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and "NIANBAO_" not in k}
        env |= CRAWL_ENV | {"NIANBAO_DOWNLOAD_DELAY": str(options.delay), "NIANBAO_DOCUMENT_WORKERS": "1",
                            "NIANBAO_ARCHIVE_DIR": str(scratch / "archive")}
        queued = subprocess.run([sys.executable, "-m", "nianbao", "crawl", "--enqueue", "--db", url], cwd=ROOT,
                                env=env, capture_output=True, text=True, check=True)
        assert "0 already" in queued.stdout, queued.stdout
        started = time.monotonic()
        processes = [subprocess.Popen([sys.executable, "-m", "nianbao", "worker", "--concurrency",
                                       str(options.concurrency), "--db", url], cwd=ROOT, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
        peaks = [0] * workers
        sampler = threading.Thread(target=_sample, args=(processes, peaks), daemon=True)
        sampler.start()
        engine = create_engine(url)
        try:
            deadline = started + 3600  # bounded: a stuck night ends the bench, not the machine
            while _unfinished(engine) and time.monotonic() < deadline:
                time.sleep(0.5)
            seconds = time.monotonic() - started
        finally:
            engine.dispose()
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(120)
        return {"seconds": seconds, "in_flight": max(web.most_in_flight.values(), default=0),
                "peak_mib": max(peaks) * PAGE / 2**20, "requests": dict(web.requests)}
    finally:
        drop()


def _unfinished(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status::text <> 'succeeded'"
                                       )).scalar()


def _sample(processes: list[subprocess.Popen], peaks: list[int]) -> None:
    """Each worker's process tree RSS (pages), its highest so far, every half second while any runs."""
    while any(process.poll() is None for process in processes):
        for n, process in enumerate(processes):
            peaks[n] = max(peaks[n], sum(_rss(pid) for pid in _tree(process.pid)))
        time.sleep(0.5)


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _fresh_database():
    admin = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    name = f"nianbao_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin.url.set(database=name).render_as_string(hide_password=False), drop


def report(results: dict[int, list[dict]], options) -> None:
    base = statistics.median(r["seconds"] for r in results[min(results)])
    requests = results[min(results)][0]["requests"]
    slowest = max(requests.values()) * options.delay
    total = sum(requests.values()) * options.delay
    print(f"\npoliteness bound: the busiest host {max(requests.values())} requests × {options.delay} s = "
          f"{slowest:.1f} s; all hosts {sum(requests.values())} requests × {options.delay} s = {total:.0f} s of host "
          "time")
    print("workers  wall (median)  ratio to 1  bound for this many  most in flight/host  peak MiB/worker")
    for workers, rows in results.items():
        wall = statistics.median(r["seconds"] for r in rows)
        bound = max(slowest, total / (workers * options.concurrency))
        print(f"{workers:>7}  {wall:>11.1f} s  {base / wall:>10.2f}  {bound:>17.1f} s  "
              f"{max(r['in_flight'] for r in rows):>19}  {max(r['peak_mib'] for r in rows):>15.0f}")


def _options():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--per-host", type=int, default=20, help="agencies per host (a county, departments, towns)")
    parser.add_argument("--delay", type=float, default=0.1, help="seconds between two requests to one host")
    parser.add_argument("--concurrency", type=int, default=2, help="crawls at once per worker")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workers", default="1,2,4")
    return parser.parse_args()


if __name__ == "__main__":
    main()
