"""A crawl meeting each hostile file beside good sites: its wall time and memory, against good sites only.

Run: .venv/bin/python bench/hostile_crawl.py [--rounds N]. Each variant serves the good county sites (an ordinary
report page, a page nested 1,000 deep, a GBK page declared koi8-r) plus one hostile site, or all of them, on
127.0.0.x, and runs `nianbao crawl` into a fresh SQLite file. Variants run interleaved (A B C … A B C …) and the
medians are printed, with each variant's ratio to good sites only. Memory is the peak of the sum of the resident sets
of the crawl and every process it started (its reader pool), sampled from /proc every 50 ms. Asserts nothing; it
prints whether every good report was stored whole and every hostile one recorded unreadable with its cause.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # a script run from anywhere still imports the project and its fault web
os.environ["NIANBAO_ALLOW_PRIVATE_ADDRESSES"] = "1"  # the registry import here: the fault web is on loopback

from tests.faultweb import BOMBS, finish, hostile_sites, prepared, registry_file, start_crawl, stored  # noqa: E402

GOOD = ("good", "deep", "koi8")
VARIANTS = {
    "good sites only": GOOD,
    "+ fan-out PDF": (*GOOD, "fanout"),
    "+ 200 MiB PDF stream": (*GOOD, "inflate"),
    "+ 512 MiB DOCX bomb": (*GOOD, "docx"),
    "+ 60 x 40 MB attachments": (*GOOD, "many"),
    "all of them": (*GOOD, "fanout", "inflate", "docx", "many"),
}
PAGE = os.sysconf("SC_PAGE_SIZE")


def session_rss_mib(session: int) -> float:
    """The resident memory of every process in the session (the crawl was started as its leader)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[3]) == session:  # field 6 of stat: the session id
                total += int(fields[21]) * PAGE  # field 24: rss in pages
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
    return total / 2**20


def run_once(keys: tuple[str, ...], folder: Path) -> dict:
    sites = hostile_sites(101, keys)
    peak = 0.0
    try:
        rows = [(key, site.name, site) for key, site in sites.items()]
        db_url = prepared(f"sqlite:///{folder / 'n.sqlite'}", registry_file(folder, rows))
        process = start_crawl(db_url)
        done_sampling = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done_sampling.wait(0.05):
                peak = max(peak, session_rss_mib(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        done = finish(process, timeout=600)
        done_sampling.set()
        sampler.join()
    finally:
        for site in sites.values():
            site.__exit__()
    reports = stored(db_url)
    good = all(reports.get(key, {}).get("status") == "ok" for key in keys if key not in BOMBS)
    bombs = all(reports.get(key, {}).get("status") == "unreadable" for key in keys if key in BOMBS)
    return {"seconds": done.seconds, "peak_mib": peak, "largest_mib": done.max_rss_mb, "exit": done.returncode,
            "right": good and bombs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    results: dict[str, list[dict]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory() as temporary:
        for round_number in range(rounds):
            for variant, (name, keys) in enumerate(VARIANTS.items()):
                folder = Path(temporary) / f"round{round_number}-variant{variant}"
                folder.mkdir()
                results[name].append(run_once(keys, folder))
    base = statistics.median(r["seconds"] for r in results["good sites only"])
    base_peak = statistics.median(r["peak_mib"] for r in results["good sites only"])
    print(f"{'variant':28} {'wall s':>7} {'ratio':>6} {'peak MiB (all processes)':>25} {'ratio':>6} "
          f"{'largest process MiB':>20}  exit  every report right")
    for name, runs in results.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        peak = statistics.median(r["peak_mib"] for r in runs)
        largest = max(r["largest_mib"] for r in runs)
        exits = ",".join(sorted({str(r["exit"]) for r in runs}))
        right = "yes" if all(r["right"] for r in runs) else "NO"
        print(f"{name:28} {seconds:7.1f} {seconds / base:5.2f}x {peak:25.0f} {peak / base_peak:5.2f}x "
              f"{largest:20.0f}  {exits:>4}  {right}")
    print(f"medians of {rounds} interleaved rounds; without the limits each bomb grew past 8 GB and never finished")


if __name__ == "__main__":
    main()
