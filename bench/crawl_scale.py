"""Crawl at scale: a generated web of 500+ agencies on localhost, crawled twice with politeness off.

Run: .venv/bin/python bench/crawl_scale.py [--agencies N] [--db URL]. Prints requests against the minimum needed,
reports per second end to end, what the second crawl of the unchanged web costs, and the crawl's peak memory.
Asserts nothing (tests assert behaviour).

The minimum is computed from the site specs and the built web, not from the crawl: robots.txt once per host, each
listing pagination page once (Hanweb: the column page, which holds page 1, plus one dataproxy.jsp request per group
of 3 further pages, as jpage asks), every listed report page once and every attachment document once; news pages
listed beside the reports are not needed.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # a script run from anywhere still imports the project and its fixture web

from peak_rss import PEAK_RSS  # noqa: E402  (beside this script)
from sqlalchemy.orm import Session  # noqa: E402

from storage.db import make_engine  # noqa: E402
from storage.reports import iter_reports  # noqa: E402
from tests.fixtureweb import FixtureWeb, build_web, generate_sites, registry_csv, report_urls  # noqa: E402
from tests.fixtureweb.crawl import FAST, import_registry_file  # noqa: E402
from tests.fixtureweb.spec import ReportSpec, SiteSpec, registry_rows  # noqa: E402

AGENCIES_PER_COUNTY = 11  # generate_sites' defaults: the county government, 6 departments, 4 towns
# Politeness stays off (FAST); a longer timeout and more parallelism, since nothing here is meant to fail.
SETTINGS = {
    **FAST,
    "DOWNLOAD_TIMEOUT": "30",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "LOG_LEVEL": "INFO",
}
# jpage (Hanweb) fetches this many listing pages per dataproxy.jsp request: its groupSize, 3 in the fixture.
HANWEB_GROUP = 3
KINDS = ("robots.txt", "listing", "report page", "attachment", "news page")


class CountingWeb(FixtureWeb):
    """The fixture web, also counting body bytes sent per URL and answers per status."""

    def __init__(self, hosts):
        super().__init__(hosts)
        self.sent: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()

    def answer(self, method, url, headers, form):
        status, answer_headers, body = super().answer(method, url, headers, form)
        with self.lock:
            self.statuses[status] += 1
            if method != "HEAD":
                self.sent[url] += len(body)
        return status, answer_headers, body


def listing_pages_needed(site: SiteSpec) -> int:
    """Pagination pages once each; Hanweb's column page holds page 1, jpage groups the rest per request."""
    pages = max(1, math.ceil(len(site.entries) / site.per_page))
    if site.platform == "hanweb":
        return 1 + math.ceil((pages - 1) / HANWEB_GROUP)
    return pages


def classify(sites: list[SiteSpec], web: FixtureWeb) -> tuple[dict[str, int], dict[str, str]]:
    """(minimum requests per kind, URL → kind of every known report page, news page and attachment)."""
    kinds: dict[str, str] = {}
    needed = Counter()
    for site in sites:
        needed["listing"] += listing_pages_needed(site)
        for url, entry in zip(report_urls(site).values(), site.entries, strict=True):
            kinds[url] = "report page" if isinstance(entry, ReportSpec) else "news page"
    # Attachments: every document the built web serves that is not itself a listed page.
    for name, host in web.hosts.items():
        for target, resource in host.resources.items():
            url = f"http://{name}{target}"
            if url not in kinds and not resource.content_type.startswith(("text/html", "text/xml")):
                kinds[url] = "attachment"
    hosts = {site.host for site in sites} | {url.split("/")[2] for url in kinds}
    needed["robots.txt"] = len(hosts)
    needed["report page"] = sum(kind == "report page" for kind in kinds.values())
    needed["attachment"] = sum(kind == "attachment" for kind in kinds.values())
    return dict(needed), kinds


def kind_of(url: str, kinds: dict[str, str]) -> str:
    if url.endswith("/robots.txt"):
        return "robots.txt"
    return kinds.get(url, "listing")  # everything else the crawl asks for is listing pages (or their aliases)


def crawl(web: FixtureWeb, db_url: str, log: Path, profile: Path | None = None,
          settings: dict[str, str] | None = None) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in KiB, exit code) of one `scrapy crawl reports` into db_url, as a child process;
    with `profile`, the crawl process runs under cProfile and writes its statistics there; `settings` add to
    SETTINGS."""
    profiler = ["-m", "cProfile", "-o", str(profile)] if profile else []
    command = [sys.executable, *profiler, "-m", "scrapy", "crawl", "reports", "-s", f"NIANBAO_DATABASE_URL={db_url}"]
    for name, value in {**SETTINGS, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and "NIANBAO_" not in k}
    environment["NIANBAO_ALLOW_PRIVATE_ADDRESSES"] = "1"  # the fixture web answers on loopback
    environment["http_proxy"] = web.proxy_url
    start = time.perf_counter()
    with log.open("w") as stderr:
        done = subprocess.run(
            [sys.executable, "-c", PEAK_RSS, *command], cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=stderr
        )
    wall = time.perf_counter() - start
    printed = done.stdout.split()
    return wall, int(printed[-1]) if printed else 0, done.returncode


def stored_reports(db_url: str) -> Counter[str]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            return Counter(report["status"] for report in iter_reports(session))
    finally:
        engine.dispose()


def snapshot(web: CountingWeb) -> tuple[Counter, Counter, Counter, Counter]:
    with web.lock:
        return Counter(web.requests), Counter(web.bodies), Counter(web.sent), Counter(web.statuses)


def by_kind(counts: Counter[str], kinds: dict[str, str]) -> Counter[str]:
    out: Counter[str] = Counter()
    for url, n in counts.items():
        out[kind_of(url, kinds)] += n
    return out


def extra_requests(sites: list[SiteSpec], requests: Counter[str], kinds: dict[str, str]) -> list[str]:
    """What made the crawl ask more than the minimum: repeated URLs, news pages, listing pages beyond a site's own."""
    lines = [f"{n}× {kind_of(url, kinds)} {url}" for url, n in sorted(requests.items()) if n > 1]
    lines += [f"news page {url}" for url in sorted(requests) if kind_of(url, kinds) == "news page"]
    for site in sites:
        listing = sorted(url for url in requests if url.split("/")[2] == site.host and kind_of(url, kinds) == "listing")
        if sum(requests[url] for url in listing) > listing_pages_needed(site):
            lines.append(f"{site.platform} listing of {site.host}, {listing_pages_needed(site)} needed: {listing}")
    return lines


def size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.1f} KiB"


def row(label: str, value: object) -> None:
    print(f"  {label:<44} {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=500, help="more than this many agencies (default 500)")
    parser.add_argument("--db", metavar="URL", help="an empty database to store into (default: a temporary SQLite)")
    parser.add_argument("--profile", metavar="DIR", type=Path,
                        help="run each crawl process under cProfile, writing DIR/crawl1.prof and DIR/crawl2.prof")
    args = parser.parse_args()

    counties = args.agencies // AGENCIES_PER_COUNTY + 1
    sites = generate_sites(counties=counties)
    agencies = len(registry_rows(sites))  # the registry's rows: what a crawl of the whole registry starts from
    print(f"{counties} counties, {agencies} agencies: rendering every document …", flush=True)
    start = time.perf_counter()
    web = CountingWeb(list(build_web(sites).hosts.values())).prerender()
    print(f"rendered in {time.perf_counter() - start:.0f} s", flush=True)
    needed, kinds = classify(sites, web)
    with tempfile.TemporaryDirectory(prefix="nianbao-crawl-scale-") as folder:
        work = Path(folder)
        registry = work / "registry.csv"
        registry.write_text(registry_csv(sites), encoding="utf-8")
        db_url = args.db or f"sqlite:///{work / 'nianbao.sqlite'}"
        import_registry_file(db_url, registry)
        runs = []
        with web:
            for number in (1, 2):
                print(f"crawl {number} …", flush=True)
                before = snapshot(web)
                profile = args.profile / f"crawl{number}.prof" if args.profile else None
                wall, peak, code = crawl(web, db_url, work / f"crawl{number}.log", profile)
                after = snapshot(web)
                runs.append((wall, peak, *(a - b for a, b in zip(after, before, strict=True))))
                if code:
                    tail = (work / f"crawl{number}.log").read_text(encoding="utf-8", errors="replace")[-3000:]
                    print(f"crawl {number} exited {code}; its log ends:\n{tail}")
        reports = stored_reports(db_url)
    print(f"\nfixture web: {agencies} agencies on {len(web.hosts)} hosts, {db_url.split(':')[0]} database")
    first(runs[0], reports, needed, kinds)
    second(runs[1], needed, kinds)
    surplus = extra_requests(sites, runs[0][2], kinds)
    if surplus:
        print("\nfirst crawl: requests beyond the minimum (up to 20)")
        for line in surplus[:20]:
            print(f"  {line}")


def first(run: tuple, reports: Counter[str], needed: dict[str, int], kinds: dict[str, str]) -> None:
    wall, peak, requests, _, sent, statuses = run
    made, stored = by_kind(requests, kinds), sum(reports.values())
    print("\nfirst crawl (fresh database)")
    row("wall time, scrapy start to exit", f"{wall:.1f} s")
    row("reports stored", f"{stored} ({', '.join(f'{n} {s}' for s, n in sorted(reports.items()))})")
    row("reports per second, end to end", f"{stored / wall:.2f}")
    total, minimum = sum(requests.values()), sum(needed.values())
    row("requests made / minimum needed", f"{total} / {minimum} = {total / minimum:.3f}×")
    for kind in KINDS:
        row(f"  {kind}", f"{made[kind]} / {needed.get(kind, 0)}")
    row("answers by status", dict(sorted(statuses.items())))
    row("body bytes served", size(sum(sent.values())))
    row("peak RSS of the crawl process", size(peak * 1024))


def second(run: tuple, needed: dict[str, int], kinds: dict[str, str]) -> None:
    wall, peak, requests, bodies, sent, statuses = run
    made, again = by_kind(requests, kinds), by_kind(bodies, kinds)
    print("\nsecond crawl (nothing changed)")
    row("wall time", f"{wall:.1f} s")
    budget = needed.get("listing", 0) + needed.get("robots.txt", 0)
    row("requests made / (listing pages + robots.txt)", f"{sum(requests.values())} / {budget}")
    for kind in KINDS:
        row(f"  {kind}", made[kind])
    row("answers by status", dict(sorted(statuses.items())))
    row("body bytes served", size(sum(sent.values())))
    for kind in ("report page", "attachment", "listing"):
        row(f"bodies downloaded again: {kind}", again[kind])
    row("peak RSS of the crawl process", size(peak * 1024))


if __name__ == "__main__":
    main()
