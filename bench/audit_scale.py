"""The audit at national size: a synthetic database of N agencies with two years of reports, audited by the CLI.

Run: .venv/bin/python bench/audit_scale.py [--agencies N] [--db URL [--reuse]] [--keep]. Builds the database
(by default a temporary SQLite file; `--db postgresql+psycopg://…/name` fills that PostgreSQL database, which must
be empty unless --reuse names one this script filled), then runs `nianbao audit --format json` on it as a whole
process `--repeats` times and prints the median wall time and the peak RSS of the audit process, with the statuses
it found. Building 100,000 agencies takes about 6 minutes and 7 GB on SQLite. Asserts nothing (tests assert
behaviour).

The registry: prefectures of 10 counties, each county a government with 14 townships and 20 departments. Every
agency has a report for Y-1; 95% have one for Y, so 100,000 agencies hold 195,000 reports. Every report carries all
226 cells of the 2021 template, a finding, a text of about 1,200 characters (a fifth of them copied from last year)
and its sketch; 3% of the agencies were unreachable at the last crawl.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from peak_rss import PEAK_RSS  # noqa: E402  (beside this script)
from sqlalchemy import func, select  # noqa: E402

from nianbao.similarity import sketch  # noqa: E402
from storage.cells import TEMPLATE_KEYS  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402
from storage.models import Agency, Report  # noqa: E402

YEAR = 2024
AS_OF = "2025-06-01"
PER_COUNTY = (14, 20)  # townships, departments
COUNTIES_PER_PREFECTURE = 10
# Rows left at 0, so the checks on them (规章 from a non-rule-maker, carry-over) flag only what is made to be flagged.
QUIET_ROWS = frozenset({"rules", "carried_over", "carried_forward"})
TEXTS = 400  # distinct texts; reports draw from them
CELLS = [(t, r, c) for t, rows in TEMPLATE_KEYS.items() for r, cols in rows.items() for c in sorted(cols)]
SENTENCES = [f"第{i}条：" + "".join(chr(0x4E00 + (i * 37 + j * 11) % 6000) for j in range(60)) for i in range(300)]


def registry(n: int) -> list[tuple[str, str, str, str | None]]:
    """(id, name, level, parent) for about n agencies, parents first."""
    per_county = 1 + sum(PER_COUNTY)
    counties = max(1, n // per_county)
    rows = []
    for p in range(max(1, counties // COUNTIES_PER_PREFECTURE)):
        rows.append((f"p{p}", f"第{p}地区行政公署", "prefecture", None))
    prefectures = len(rows)
    for c in range(counties):
        county = f"c{c}"
        rows.append((county, f"第{c}县人民政府", "county", f"p{c % prefectures}"))
        rows += [(f"{county}-t{t}", f"第{c}县第{t}镇人民政府", "township", county) for t in range(PER_COUNTY[0])]
        rows += [(f"{county}-d{d}", f"第{c}县第{d}局", "department", county) for d in range(PER_COUNTY[1])]
    return rows


def texts(rnd: random.Random) -> list[str]:
    return ["".join(rnd.sample(SENTENCES, 20)) for _ in range(TEXTS)]


def generate(url: str, n: int, reuse: bool) -> tuple[int, int]:
    """Fill the empty database at url; returns (agencies, reports). With reuse, a database this script filled
    before is audited as it is."""
    rnd = random.Random(7)
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as connection:
        if connection.scalar(select(func.count()).select_from(Agency)):
            if not reuse:
                sys.exit(f"{url}: not empty; give an empty database, or --reuse one this script filled")
            counts = [connection.scalar(select(func.count()).select_from(m)) for m in (Agency, Report)]
            engine.dispose()
            return counts[0], counts[1]
    agencies = registry(n)
    pool = texts(rnd)
    sketches = [sketch(t) for t in pool]
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = _rows(agencies, pool, sketches, rnd, now)
    raw = engine.raw_connection()
    try:
        writer = _copy_rows if engine.dialect.name == "postgresql" else _insert_rows
        for table, columns, values in rows:
            writer(raw, table, columns, values)
        # each report's one version has the report's id; set only now, as the two tables point at each other
        raw.cursor().execute("UPDATE reports SET current_version_id = id")
        raw.commit()
        if engine.dialect.name == "postgresql":  # statistics, as autovacuum would gather them in a while
            raw.cursor().execute("ANALYZE")
            raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return len(agencies), sum(1 for _ in _reports(agencies, random.Random(7)))


def _reports(agencies, rnd: random.Random):
    for agency_id, name, level, _ in agencies:
        yield agency_id, name, level, YEAR - 1
        if rnd.random() < 0.95:
            yield agency_id, name, level, YEAR


def _rows(agencies, pool, sketches, rnd: random.Random, now: datetime):
    """(table, columns, row iterator) in the order foreign keys need; report rows come out as they are generated."""
    yield "agencies", ("id", "name", "level", "parent_id", "verified", "updated_at"), (
        (a, name, level, parent, False, now) for a, name, level, parent in agencies)
    yield "listing_pages", ("agency_id", "url"), ((a[0], f"http://{a[0]}.example.gov.cn/nb/") for a in agencies)
    yield "crawl_runs", ("id", "started_at", "finished_at", "status", "trigger"), [(1, now, now, "completed", "manual")]
    yield "site_outcomes", ("run_id", "site_key", "outcome", "pages", "reports_found", "reports_new",
                            "reports_revised", "errors", "recorded_at"), (
        (1, a[0], "unreachable" if rnd.random() < 0.03 else "found", 1, 1, 0, 0, 0, now) for a in agencies)
    reports = list(_reports(agencies, random.Random(7)))
    text_of: dict[str, int] = {}
    picks = []
    for agency_id, _, level, year in reports:
        # a fifth copy last year's text; a few counties report all zeros
        index = text_of[agency_id] if year == YEAR and rnd.random() < 0.2 else rnd.randrange(TEXTS)
        text_of[agency_id] = index
        picks.append((index, level == "county" and rnd.random() < 0.05))
    published = [_published(level, year, rnd) for _, _, level, year in reports]
    yield "documents", ("sha256", "content_type", "size", "data", "stored_at"), (
        (f"{i:064x}", "text/html", 1, b"x", now) for i in range(len(reports)))
    yield "reports", ("id", "agency_key", "agency_id", "agency_name", "year", "current_version_id", "updated_at"), (
        (i + 1, r[0], r[0], r[1], r[3], None, now) for i, r in enumerate(reports))
    yield "report_versions", ("id", "report_id", "version", "document_sha256", "source_url", "title", "published",
                              "template", "parsed", "fetched_at", "status", "text_sketch"), (
        (i + 1, i + 1, 1, f"{i:064x}", f"http://{r[0]}.example.gov.cn/nb/{r[3]}.html",
         f"{r[1]}{r[3]}年政府信息公开工作年度报告", published[i], "2021",
         json.dumps({"template": "2021", "title": f"{r[1]}{r[3]}年政府信息公开工作年度报告",
                     "published": published[i].isoformat(), "text": pool[picks[i][0]]}, ensure_ascii=False),
         now, "ok", sketches[picks[i][0]])
        for i, r in enumerate(reports))
    yield "report_cells", ("version_id", "table_key", "row_key", "column_key", "value"), (
        (i + 1, t, row, col, 0 if zero or row in QUIET_ROWS else rnd.randrange(6))
        for i, (_, zero) in enumerate(picks) for t, row, col in CELLS)
    yield "report_findings", ("version_id", "rule", "severity", "location", "message"), (
        (i + 1, "cell_count", "warning", "applications.granted", "a row with one number too many")
        for i in range(len(reports)))


def _published(level: str, year: int, rnd: random.Random) -> date:
    month = 1 if level in ("township", "department") else 3
    return date(year + 1, month, rnd.randint(1, 28)) if rnd.random() < 0.9 else date(year + 1, 4, rnd.randint(1, 28))


def _insert_rows(raw, table: str, columns: tuple[str, ...], values) -> None:
    cursor = raw.cursor()
    if not raw.in_transaction:  # the engine's SQLite connections autocommit; one transaction, not one per row
        cursor.execute("BEGIN")
    marks = ", ".join("?" * len(columns))
    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", _as_sqlite(values))


def _as_sqlite(values):
    for row in values:
        yield tuple(v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat() if isinstance(v, date) else v
                    for v in row)


def _copy_rows(raw, table: str, columns: tuple[str, ...], values) -> None:
    cursor = raw.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in values:
            copy.write_row(row)


def audit_once(url: str, out: Path, fmt: str = "json") -> tuple[float, int, int]:
    """Wall seconds, peak RSS in KiB and exit code of one whole-process `nianbao audit`."""
    command = [str(ROOT / ".venv" / "bin" / "nianbao"), "audit", "--year", str(YEAR), "--as-of", AS_OF,
               "--format", fmt, "--out", str(out), "--db", url]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK_RSS, *command], capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"audit failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return wall, int(done.stdout.strip() or 0), done.returncode


def html_vs_json(url: str, workdir: Path, repeats: int) -> None:
    """The HTML page (with each verdict's evidence gathered) against JSON, run A B A B, medians and their ratio."""
    runs: dict[str, list[tuple[float, int, int]]] = {"json": [], "html": []}
    for _ in range(repeats):
        for fmt in runs:
            runs[fmt].append(audit_once(url, workdir / f"audit.{fmt}", fmt))
    wall = {fmt: statistics.median(r[0] for r in done) for fmt, done in runs.items()}
    peak = {fmt: statistics.median(r[1] for r in done) / 1024 for fmt, done in runs.items()}
    size = (workdir / "audit.html").stat().st_size / 2**20
    print(f"html vs json, {repeats} pairs: {wall['html']:.1f} s vs {wall['json']:.1f} s (ratio "
          f"{wall['html'] / wall['json']:.2f}), peak RSS {peak['html']:.0f} vs {peak['json']:.0f} MiB, "
          f"page {size:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=100_000)
    parser.add_argument("--db", help="an empty database to fill (default: a temporary SQLite file)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file and say where")
    parser.add_argument("--reuse", action="store_true", help="audit --db as it is when this script filled it before")
    parser.add_argument("--html", action="store_true",
                        help="also time --format html (the page with every verdict's evidence), alternating with json")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="nianbao-audit-bench-"))
    url = args.db or f"sqlite:///{workdir / 'audit.sqlite'}"
    started = time.perf_counter()
    agencies, reports = generate(url, args.agencies, args.reuse)
    print(f"database: {agencies:,} agencies, {reports:,} reports, {reports * len(CELLS):,} cells, "
          f"built in {time.perf_counter() - started:.0f} s ({url.split(':')[0]})")
    runs = [audit_once(url, workdir / "audit.json") for _ in range(args.repeats)]
    summary = json.loads((workdir / "audit.json").read_text(encoding="utf-8"))["summary"]
    walls, peaks = [r[0] for r in runs], [r[1] for r in runs]
    print(f"nianbao audit --format json, {args.repeats} runs: median {statistics.median(walls):.1f} s "
          f"(min {min(walls):.1f}, max {max(walls):.1f}), peak RSS median {statistics.median(peaks) / 1024:.0f} MiB "
          f"(max {max(peaks) / 1024:.0f})")
    print(f"rows {summary['total']:,}; by status {summary['by_status']}; with checks {summary['with_checks']:,}")
    if args.html:
        html_vs_json(url, workdir, args.repeats)
    if args.keep and not args.db:
        print(f"kept: {url}")
    elif not args.db:
        for path in workdir.iterdir():
            path.unlink()
        workdir.rmdir()


if __name__ == "__main__":
    main()
