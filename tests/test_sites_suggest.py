"""`nianbao sites suggest`: the agencies a crawled county column lists that no registry row holds, proposed as
registry rows with the right levels and parent; importing them files their stored reports under them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from tests.faultweb import CRAWL_ENV, REPOSITORY, crawl, prepared
from tests.fixtureweb.generate import generate_sites
from tests.fixtureweb.loopback import LoopbackWeb
from tests.fixtureweb.spec import registry_csv

LEFT_OUT = ("gen-county-001-d2", "gen-county-001-d4", "gen-county-001-t3")  # 教育局, 自然资源局, 东风乡


def _nianbao(db_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nianbao", *args, "--db", db_url], cwd=REPOSITORY,
                          env={**CRAWL_ENV, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120)


def test_suggestions_from_a_crawled_column_are_its_unknown_agencies_and_import_files_their_reports(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'n.sqlite'}"
    with LoopbackWeb(generate_sites(counties=1, departments=4, towns=3)) as web:
        lines = registry_csv(web.sites).splitlines()
        registry = tmp_path / "registry.csv"
        registry.write_text("\n".join(line for line in lines if not line.startswith(LEFT_OUT)) + "\n", encoding="utf-8")
        prepared(db_url, registry)
        done = crawl(db_url)
        assert done.returncode == 0, done.stderr[-3000:]
        listing = next(line.split(",")[-1] for line in lines if line.startswith("gen-county-001,"))

    suggested = _nianbao(db_url, "sites", "suggest", "--out", str(tmp_path / "suggested.csv"))
    assert suggested.returncode == 0, suggested.stderr
    assert suggested.stderr.strip().startswith("3 unregistered agencies suggested (0 with no word")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "suggested.csv").read_text(encoding="utf-8"))))
    county = "示例甲甲乙县"
    assert sorted((r["id"], r["name"], r["level"], r["level_guess"], r["parent"], r["listing_url"], r["reports"],
                   r["origin"]) for r in rows) == sorted([
        ("gen-county-001-jyj", f"{county}教育局", "department", "局", "gen-county-001", listing, "1", "suggested"),
        ("gen-county-001-zrzyj", f"{county}自然资源局", "department", "局", "gen-county-001", listing, "1",
         "suggested"),
        ("gen-county-001-dfx", f"{county}东风乡人民政府", "township", "乡", "gen-county-001", listing, "1",
         "suggested"),
    ])

    imported = _nianbao(db_url, "sites", "import", str(tmp_path / "suggested.csv"))
    assert imported.stdout.strip() == "3 added, 0 updated, 0 unchanged; 3 stored report(s) filed under their agency"
    audited = json.loads(_nianbao(db_url, "audit", "--year", "2024", "--as-of", "2025-12-31", "--format",
                                  "json").stdout)
    statuses = {row["agency_id"]: row["status"] for row in audited["rows"]}
    assert {statuses[r["id"]] for r in rows} <= {"published", "published_late"}  # their reports, attributed
    assert audited["unattributed"] == []
    listed = _nianbao(db_url, "sites", "list").stdout.splitlines()
    origins = {line.split("\t")[0]: line.split("\t")[7] for line in listed[1:]}
    assert {origins[r["id"]] for r in rows} == {"suggested"} and origins["gen-county-001"] == "manual"
    confirmed = {line.split("\t")[0]: line.split("\t")[9] for line in listed[1:]}
    assert confirmed["gen-county-001"] and not confirmed["gen-county-001-jyj"]  # read whole by the crawl; not yet
    again = _nianbao(db_url, "sites", "suggest")
    assert (again.stdout, again.stderr.split(" (")[0]) == ("id,name,level,parent,listing_url,origin,level_guess,"
                                                           "reports,seen\n", "0 unregistered agencies suggested")
