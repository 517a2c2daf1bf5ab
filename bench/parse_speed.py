"""Parse speed: seconds per PDF page for pdfminer's extract_text and for our full parse, the same as whole processes
(`nianbao parse FILE` against a bare `extract_text` script), and HTML reports per second.

Run: .venv/bin/python bench/parse_speed.py [--repeats N]. Prints figures; asserts nothing (tests assert behaviour).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # a script run from anywhere still imports the project and its test renderers

from pdfminer.high_level import extract_text  # noqa: E402
from pdfminer.pdfpage import PDFPage  # noqa: E402

from tests.render.pdf import render_pdf  # noqa: E402
from tests.render.report_data import SEED_NAMES, seed_report  # noqa: E402

TARGET_RATIO = 1.5  # our full parse may take at most this many times pdfminer's plain text extraction
WHOLE_PROCESS_TARGET = 1.1  # and `nianbao parse FILE` this many times a process that only runs extract_text
BARE_EXTRACT = "import sys\nfrom pdfminer.high_level import extract_text\nsys.stdout.write(extract_text(sys.argv[1]))\n"


def full_parse() -> tuple[Callable[[Path], object], str]:
    """parse_file when the report parser is there; the PDF reader alone until it is."""
    try:
        from nianbao.report.parse import parse_file
    except ImportError:
        from nianbao.document.pdf import read_pdf

        return (lambda path: read_pdf(path.read_bytes())), "read_pdf (parse_file not importable)"
    return parse_file, "parse_file"


def render_pdfs(directory: Path) -> list[Path]:
    paths = []
    for name in SEED_NAMES:
        report = seed_report(name)
        for split in (False, True):
            paths.append(render_pdf(report, directory / f"{name}{'-split' if split else ''}.pdf", split_table=split))
    return paths


def page_count(path: Path) -> int:
    with path.open("rb") as fp:
        return sum(1 for _ in PDFPage.get_pages(fp))


def median_seconds(work: Callable[[Path], object], paths: list[Path], repeats: int) -> float:
    """Median over repeats of the time to run work over all paths, after one untimed warm-up round."""
    for path in paths:
        work(path)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for path in paths:
            work(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pdf_section(paths: list[Path], repeats: int) -> None:
    pages = sum(page_count(p) for p in paths)
    parse, label = full_parse()
    print(f"PDF: {len(paths)} files, {pages} pages, median of {repeats} runs")
    baseline = median_seconds(extract_text, paths, repeats) / pages
    ours = median_seconds(parse, paths, repeats) / pages
    print(f"  pdfminer extract_text  {baseline * 1000:8.1f} ms/page")
    print(f"  {label:<22} {ours * 1000:8.1f} ms/page")
    verdict = "meets" if ours <= TARGET_RATIO * baseline else "MISSES"
    print(f"  ratio ours/extract_text {ours / baseline:6.2f}  ({verdict} the target of <= {TARGET_RATIO})")


def whole_process_section(paths: list[Path], repeats: int) -> None:
    """Start-up counts here: each file is read by a fresh `nianbao parse FILE` and by a fresh Python process that
    imports pdfminer and prints extract_text, alternately (A B A B), so that the machine's noise falls on both."""
    script = Path(sys.executable).with_name("nianbao")
    ours_command = [str(script)] if script.exists() else [sys.executable, "-m", "nianbao"]
    commands = {"nianbao parse": [*ours_command, "parse"], "extract_text": [sys.executable, "-c", BARE_EXTRACT]}
    rounds: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(repeats):
        totals = dict.fromkeys(commands, 0.0)
        for path in paths:
            for label, command in commands.items():
                totals[label] += _process_seconds([*command, str(path)])
        for label, total in totals.items():
            rounds[label].append(total)
    ours, bare = (statistics.median(rounds[label]) for label in commands)
    print(f"PDF as whole processes: {len(paths)} files, one process each, median of {repeats} rounds")
    print(f"  nianbao parse FILE     {ours / len(paths) * 1000:8.0f} ms/file")
    print(f"  python extract_text    {bare / len(paths) * 1000:8.0f} ms/file")
    verdict = "meets" if ours <= WHOLE_PROCESS_TARGET * bare else "MISSES"
    print(f"  ratio ours/extract_text {ours / bare:6.2f}  ({verdict} the target of <= {WHOLE_PROCESS_TARGET})")


def _process_seconds(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ, check=False)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{command[0]} failed: {done.stderr.decode(errors='replace').strip()[-300:]}")
    return seconds


def html_section(directory: Path, repeats: int) -> None:
    try:
        from tests.render.html import render_html
    except ImportError:
        print("HTML: skipped: renderer not available")
        return
    try:
        from nianbao.report.parse import parse_file
    except ImportError:
        print("HTML: skipped: parse_file not available")
        return
    paths = []
    for name in SEED_NAMES:
        path = directory / f"{name}.html"
        path.write_bytes(render_html(seed_report(name)))
        paths.append(path)
    seconds = median_seconds(parse_file, paths, repeats)
    print(f"HTML: {len(paths)} reports, median of {repeats} runs")
    print(f"  parse_file  {len(paths) / seconds:8.1f} reports/s  ({seconds / len(paths) * 1000:.1f} ms/report)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per measurement (median taken)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nianbao-bench-") as tmp:
        paths = render_pdfs(Path(tmp))
        pdf_section(paths, args.repeats)
        whole_process_section(paths, args.repeats)
        html_section(Path(tmp), args.repeats)


if __name__ == "__main__":
    main()
