"""`nianbao demo` as a new user runs it (no internet, no test suite, nothing beside the project), and its replay."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from importlib.resources import files
from urllib.parse import urlsplit

import pytest

from nianbao.report.parse import parse_bytes
from nianbao.sampleweb import load_recording, serve
from nianbao.sampleweb.replay import REGISTRY, request_key

# The sample as of any day after 31 March 2025: the statuses follow from the recorded publication dates.
EXPECTED_STATUS = {
    "xj-tuoli-county": "published",
    "xj-tuoli-hatu": "published_late",
    "xj-tuoli-czj": "published",
    "xj-tuoli-jyj": "missing",  # the listing was read and has nothing of it
    "xj-tacheng-city": "published",
    "xj-tacheng-asier": "published",
    "xj-tacheng-wjw": "published_late",
    "ha-jiaxian-county": "published",
    "ha-jiaxian-fgw": "published_late",
    "ha-jiaxian-tangjie": "published_late",
    "xj-hoboksar-county": "published",
    "xj-hoboksar-hstlg": "published_late",
    "xj-yumin-county": "published",
    "xj-wusu-city": "missing",  # only news on its listing
    "xj-emin-county": "unreachable",  # HTTP 500 (a timeout in the fixture web)
    "xj-huocheng-county": "unreachable",  # HTTP 500
    "xj-shawan-city": "unreachable",  # 412 challenge
    "xj-qiemo-county": "unreachable",  # layout changed: absence not proven
}
# Packages the demo must not need: shadowed on PYTHONPATH by packages that refuse to import.
FORBIDDEN = ("tests", "reportlab")


def sample_registry() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files("nianbao.sampleweb").joinpath(REGISTRY).read_text("utf-8"))))


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    """Two `python -m nianbao demo --format json` runs in an empty folder, as on a machine without the repository."""
    work, blockers = tmp_path_factory.mktemp("demo"), tmp_path_factory.mktemp("blockers")
    for name in FORBIDDEN:
        (blockers / name).mkdir()
        (blockers / name / "__init__.py").write_text(f"raise ImportError('the demo must not import {name}')\n")
    environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and "NIANBAO_" not in k}
    environment["PYTHONPATH"] = str(blockers)
    environment["NIANBAO_DATABASE_URL"] = f"sqlite:///{work / 'mine.sqlite'}"  # the user's own: the demo leaves it be
    command = [sys.executable, "-m", "nianbao", "demo", "--format", "json"]
    runs = [
        subprocess.run(command, cwd=work, env=environment, capture_output=True, text=True, timeout=180)
        for _ in range(2)
    ]
    return work, runs


def test_demo_crawls_into_its_own_database_and_prints_the_audit(demo_runs):
    work, (first, _) = demo_runs
    assert first.returncode == 0, first.stderr[-3000:]
    assert (work / "nianbao-demo.sqlite").is_file()
    assert not (work / "mine.sqlite").exists() and not (work / "nianbao.sqlite").exists()
    assert first.stderr.splitlines()[-1].startswith("the sample is in sqlite:///nianbao-demo.sqlite")
    audit = json.loads(first.stdout)
    assert (audit["year"], audit["summary"]["total"]) == (2024, len(EXPECTED_STATUS))
    assert {row["agency_id"]: row["status"] for row in audit["rows"]} == EXPECTED_STATUS
    assert "sample sites: 18 added" in first.stderr
    assert "reports: 18 new" in first.stderr


def test_second_demo_run_stores_nothing_new(demo_runs):
    _, (first, second) = demo_runs
    assert second.returncode == 0, second.stderr[-3000:]
    assert "sample sites: 0 added, 0 updated, 18 unchanged" in second.stderr
    assert "reports: 0 new, 0 revised" in second.stderr
    assert json.loads(second.stdout)["rows"] == json.loads(first.stdout)["rows"]


def fetch(proxy_url: str, url: str, headers: dict[str, str] | None = None):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy_url}))
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def replay():
    recording = load_recording()
    with serve(recording) as proxy_url:
        yield proxy_url, recording


def test_replay_answers_robots_txt_and_a_listing_page(replay):
    proxy_url, _ = replay
    listing = sample_registry()[0]["listing_url"]
    status, headers, body = fetch(proxy_url, f"http://{urlsplit(listing).hostname}/robots.txt")
    assert (status, headers["Content-Type"]) == (200, "text/plain")
    assert body.startswith(b"User-agent:")
    status, headers, body = fetch(proxy_url, listing)
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert "政府信息公开" in body.decode("utf-8")


def test_replay_serves_a_pdf_that_parses(replay):
    proxy_url, recording = replay
    url = next(
        key.split()[1]
        for key, answers in recording.items()
        if key.startswith("GET ") and answers[-1].headers.get("Content-Type") == "application/pdf"
    )
    status, headers, body = fetch(proxy_url, url)
    assert (status, headers["Content-Type"]) == (200, "application/pdf")
    parsed = parse_bytes(body, name="report.pdf", url=url)
    assert (parsed["template"], parsed["title"].endswith("政府信息公开工作年度报告")) == ("2021", True)
    assert parsed["agency"] and parsed["year"] in (2023, 2024)
    assert parsed["applications"]["new"]["total"] is not None


def test_replay_honours_validators_and_answers_404_for_the_unknown(replay):
    proxy_url, _ = replay
    listing = sample_registry()[0]["listing_url"]
    _, headers, _ = fetch(proxy_url, listing)
    assert fetch(proxy_url, listing, {"If-None-Match": headers["ETag"]})[0] == 304
    assert fetch(proxy_url, listing, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert fetch(proxy_url, listing, {"If-None-Match": '"other"'})[0] == 200
    assert fetch(proxy_url, "http://www.tuoli.gov.test/no/such/page.html")[0] == 404


def test_replay_repeats_a_flaky_page_failing_once(replay):
    proxy_url, recording = replay
    flaky = next(key for key, answers in recording.items() if [a.status for a in answers] == [500, 200])
    assert flaky == request_key("GET", flaky.split()[1])
    assert [fetch(proxy_url, flaky.split()[1])[0] for _ in range(3)] == [500, 200, 200]
