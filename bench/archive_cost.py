"""What the evidence archive costs: WARC bytes per stored report, and a crawl's throughput with and without it.

Run: .venv/bin/python bench/archive_cost.py [--agencies N] [--pairs P]. Renders the generated fixture web of
crawl_scale.py, then crawls all of it into a fresh SQLite database 2×P times, alternately with the archive and
without (NIANBAO_ARCHIVE=0), A B A B …, so a drift in the machine's speed falls on both; prints each run, the medians
of reports stored per second and their ratio, and the WARC bytes written per stored report. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # a script run from anywhere still imports the project and its fixture web

from crawl_scale import AGENCIES_PER_COUNTY, CountingWeb, crawl, size, snapshot, stored_reports  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from storage.db import make_engine  # noqa: E402
from storage.models import WarcRecord  # noqa: E402
from tests.fixtureweb import build_web, generate_sites, registry_csv  # noqa: E402
from tests.fixtureweb.crawl import import_registry_file  # noqa: E402
from tests.fixtureweb.spec import registry_rows  # noqa: E402


@dataclass(frozen=True)
class Run:
    archive: bool
    wall: float
    reports: int
    warc_bytes: int
    records: int
    served: int  # body bytes the web sent
    peak_kib: int
    code: int

    @property
    def rate(self) -> float:
        return self.reports / self.wall


def one_run(web: CountingWeb, registry: Path, folder: Path, archive: bool) -> Run:
    """A first crawl of the whole web into a fresh database, its archive (when on) in the run's folder."""
    folder.mkdir()
    db_url = f"sqlite:///{folder / 'nianbao.sqlite'}"
    import_registry_file(db_url, registry)
    warc = folder / "archive"
    settings = {"NIANBAO_ARCHIVE": "1" if archive else "0", "NIANBAO_ARCHIVE_DIR": str(warc)}
    before = sum(snapshot(web)[2].values())
    wall, peak, code = crawl(web, db_url, folder / "crawl.log", settings=settings)
    served = sum(snapshot(web)[2].values()) - before
    engine = make_engine(db_url)
    with Session(engine) as session:
        records = session.scalar(select(func.count()).select_from(WarcRecord))
    engine.dispose()
    warc_bytes = sum(file.stat().st_size for file in warc.glob("*.warc.gz"))
    return Run(archive, wall, sum(stored_reports(db_url).values()), warc_bytes, records, served, peak, code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=500, help="more than this many agencies (default 500)")
    parser.add_argument("--pairs", type=int, default=3, help="crawls with and without the archive (default 3 each)")
    args = parser.parse_args()

    sites = generate_sites(counties=args.agencies // AGENCIES_PER_COUNTY + 1)
    print(f"{len(registry_rows(sites))} agencies: rendering every document …", flush=True)
    web = CountingWeb(list(build_web(sites).hosts.values())).prerender()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="nianbao-archive-cost-") as folder, web:
        work = Path(folder)
        registry = work / "registry.csv"
        registry.write_text(registry_csv(sites), encoding="utf-8")
        for number in range(2 * args.pairs):
            archive = number % 2 == 0
            print(f"crawl {number + 1}, archive {'on' if archive else 'off'} …", flush=True)
            started = time.perf_counter()
            runs.append(one_run(web, registry, work / f"run{number + 1}", archive))
            print(f"  {time.perf_counter() - started:.0f} s", flush=True)
    report(runs, len(registry_rows(sites)), len(web.hosts))


def report(runs: list[Run], agencies: int, hosts: int) -> None:
    print(f"\nfixture web: {agencies} agencies on {hosts} hosts; first crawls into fresh SQLite files")
    print(f"  {'run':>3} {'archive':>7} {'wall s':>7} {'reports':>7} {'reports/s':>9} {'WARC':>10} {'records':>7} "
          f"{'served':>10} {'peak RSS':>9} {'exit':>4}")
    for number, run in enumerate(runs, 1):
        print(f"  {number:>3} {'on' if run.archive else 'off':>7} {run.wall:>7.1f} {run.reports:>7} {run.rate:>9.2f} "
              f"{size(run.warc_bytes):>10} {run.records:>7} {size(run.served):>10} {size(run.peak_kib * 1024):>9} "
              f"{run.code:>4}")
    on = [run for run in runs if run.archive]
    off = [run for run in runs if not run.archive]
    rate_on, rate_off = (statistics.median(run.rate for run in side) for side in (on, off))
    print(f"\n  median reports/s: with the archive {rate_on:.2f}, without {rate_off:.2f}, "
          f"ratio {rate_on / rate_off:.3f}")
    per_report = statistics.median(run.warc_bytes / run.reports for run in on if run.reports)
    per_served = statistics.median(run.warc_bytes / run.served for run in on if run.served)
    print(f"  WARC bytes per stored report (median): {size(int(per_report))}; "
          f"WARC bytes / body bytes served: {per_served:.2f}")
    peak_on, peak_off = (statistics.median(run.peak_kib for run in side) for side in (on, off))
    print(f"  median peak RSS of the crawl: with {size(int(peak_on * 1024))}, without {size(int(peak_off * 1024))}")


if __name__ == "__main__":
    main()
