"""`nianbao reparse`: stored originals read again by the current parser, with no download; the same values update a
version in place, different ones make a new version of the same bytes, marked as a re-parse; on PostgreSQL the work
is queued and done by a `nianbao worker`."""

from __future__ import annotations

import copy
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from nianbao.isolated import read_and_parse
from nianbao.report import PARSER_VERSION
from nianbao.revisions import is_revision
from storage.documents import store_document
from storage.models import Report, ReportVersion
from storage.reports import upsert_report
from tests.faultweb import REPOSITORY
from tests.fixtureweb.documents import report_data, report_page
from tests.fixtureweb.generate import generate_sites
from tests.fixtureweb.loopback import LoopbackWeb

OLD_PARSER = "2020.1"
MISREAD = ("applications", "new", "total")  # the cell the "old parser" got wrong


def _store(engine, agency: str, url: str, misread: bool) -> None:
    page = report_page(report_data("tuoli-county-2024", agency, 2024, f"{agency}2024年政府信息公开工作年度报告",
                                   "2025-01-20"), "utf-8")
    parsed, sketch = read_and_parse(page, url, url, url)
    if misread:
        parsed = copy.deepcopy(parsed)
        table, row, column = MISREAD
        parsed[table][row][column] += 100
    with Session(engine) as session, session.begin():
        sha = store_document(session, page, content_type="text/html")
        upsert_report(session, agency_id=None, agency_name=agency, year=2024, source_url=url, document_sha256=sha,
                      parsed=parsed, text_sketch=sketch)
        session.execute(update(ReportVersion).values(parser_version=OLD_PARSER))


def _nianbao(db_url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nianbao", *args, "--db", db_url], cwd=REPOSITORY,
                          capture_output=True, text=True, timeout=timeout)


def _on_a_worker(engine, db_url: str, log: Path) -> None:
    queued = _nianbao(db_url, "reparse", "--enqueue")
    assert queued.stdout.strip() == "2 stored version(s) queued for re-parsing in 1 task(s)", queued.stderr
    with log.open("w") as out:
        worker = subprocess.Popen([sys.executable, "-m", "nianbao", "worker", "--queue", "parse", "--db", db_url],
                                  cwd=REPOSITORY, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                states = connection.execute(text("SELECT status::text FROM procrastinate_jobs")).scalars().all()
            if states == ["succeeded"]:
                break
            assert "failed" not in states, log.read_text()[-3000:]
            time.sleep(0.3)
        assert states == ["succeeded"], log.read_text()[-3000:]
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)


def test_reparse_reads_stored_originals_again_without_a_download(engine, db_url, tmp_path):
    with LoopbackWeb(generate_sites(counties=1, departments=0, towns=0)) as web:
        base = f"http://{web.sites[0].host}"
        _store(engine, "甲县人民政府", f"{base}/a.html", misread=True)
        _store(engine, "乙县人民政府", f"{base}/b.html", misread=False)
        if db_url.startswith("postgresql"):
            _on_a_worker(engine, db_url, tmp_path / "worker.log")
        else:
            done = _nianbao(db_url, "reparse", "--year", "2024")
            assert done.returncode == 0, done.stderr
            assert done.stdout.strip() == "re-parsed 2 stored version(s): 1 same, 1 revised, 0 kept, 0 unreadable, "\
                                          "0 gone"
        assert sum(web.requests.values()) == 0  # not one HTTP request

    with Session(engine) as session:
        versions = {(name, v.version): v for name, v in session.execute(
            select(Report.agency_name, ReportVersion).join(ReportVersion, ReportVersion.report_id == Report.id))}
        current = dict(session.execute(select(Report.agency_name, Report.current_version_id)).all())
    # The misread report: a second version of the same bytes, current, naming exactly the corrected cell.
    first, second = versions[("甲县人民政府", 1)], versions[("甲县人民政府", 2)]
    assert current["甲县人民政府"] == second.id
    assert second.document_sha256 == first.document_sha256
    assert (first.parser_version, second.parser_version) == (OLD_PARSER, PARSER_VERSION)
    assert second.changes["reparse"] is True and not is_revision(second.changes)  # never an agency's revision
    assert [tuple(cell[:3]) for cell in second.changes["cells"]] == [MISREAD]
    assert second.changes["cells"][0][3] == second.changes["cells"][0][4] + 100
    # The report read the same: one version, now recorded as this parser's.
    assert ("乙县人民政府", 2) not in versions
    assert versions[("乙县人民政府", 1)].parser_version == PARSER_VERSION

    again = _nianbao(db_url, "reparse")
    assert again.stdout.strip() == "re-parsed 0 stored version(s): 0 same, 0 revised, 0 kept, 0 unreadable, 0 gone"


def test_reparse_enqueue_needs_postgresql(tmp_path):
    done = _nianbao(f"sqlite:///{tmp_path / 'x.sqlite'}", "reparse", "--enqueue")
    assert (done.returncode, done.stderr.strip()) == (1, "nianbao: error: the work queue needs PostgreSQL, not "
                                                         "sqlite (on SQLite `nianbao crawl` does the whole night in "
                                                         "one process)")
