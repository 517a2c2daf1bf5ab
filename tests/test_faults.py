"""Faults and hostile input inside real crawls: nothing good is lost, no process passes its limit, and the audit never
calls an agency missing whose report was listed. Each test serves its sites on its own loopback addresses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from storage.db import make_engine
from storage.locks import held_sites
from storage.models import CrawlRun
from tests.faultweb import (
    BOMBS,
    CRAWL_ENV,
    HOSTILE_SITES,
    MIB,
    REPOSITORY,
    YEAR,
    Answer,
    Entry,
    FaultSite,
    TcpProxy,
    archive_env,
    audit,
    crawl,
    finish,
    hostile_sites,
    link_only,
    outcomes,
    prepared,
    registry_file,
    runs,
    start_crawl,
    stored,
    streamed_pdf,
    unstored,
)

AS_OF = "2025-06-01"  # every deadline of 2024 has passed


def statuses(db_url: str) -> dict[str, dict]:
    done = audit(db_url, "--year", str(YEAR), "--as-of", AS_OF, "--format", "json")
    assert done.returncode == 0, done.stderr
    return {row["agency_id"]: row for row in json.loads(done.stdout)["rows"]}


# ---- hostile files -------------------------------------------------------------------------------------------------

def test_hostile_files_beside_good_sites_cost_only_their_own_report(tmp_path):
    sites = hostile_sites(21)
    try:
        many = sites["many"]
        rows = [(key, site.name, site) for key, site in sites.items()]
        db_url = prepared(f"sqlite:///{tmp_path / 'n.sqlite'}", registry_file(tmp_path, rows))
        done = crawl(db_url, env={"NIANBAO_DOCUMENT_TIMEOUT": "60", "NIANBAO_DOCUMENT_MEMORY_MB": "1536"})
        assert done.returncode == 0, done.stderr[-3000:]
        assert sum(many.hits.get(f"/files/{n}.pdf", 0) for n in range(60)) <= 3  # 100 MiB cap: three of 40 MB
    finally:
        for site in sites.values():
            site.__exit__()

    assert done.max_rss_mb < 1024, done.max_rss_mb  # the crawl and its readers; the bombs alone would take 8+ GB
    reports = stored(db_url)
    audited = statuses(db_url)
    for key in set(HOSTILE_SITES) - set(BOMBS):
        assert reports[key]["status"] == "ok", (key, reports[key]["findings"])
        assert reports[key]["applications"]["new"]["total"] == reports["good"]["applications"]["new"]["total"]
        assert audited[key]["status"] == "published", key
    assert len(reports["many"]["attachments"]) <= 3
    [skipped] = [f for f in reports["many"]["findings"] if f["rule"] == "attachments_skipped"]
    assert skipped["message"].startswith(f"{60 - len(reports['many']['attachments'])} attachment(s)")
    for key, cause in (("fanout", "drawing operations"), ("inflate", "inflates to more than"), ("docx", "ZIP bomb")):
        assert reports[key]["status"] == "unreadable", key
        message = " ".join(f["message"] for f in reports[key]["findings"])
        assert cause in message, (key, message)
        assert audited[key]["status"] == "unparseable", key  # found, never missing


# ---- failures that must never read as "missing" --------------------------------------------------------------------

def test_reports_listed_but_not_stored_are_never_missing(tmp_path):
    names = {"good": "甲县人民政府", "slow": "乙县人民政府", "huge": "丙县人民政府", "away": "丁县人民政府"}
    sites = {key: FaultSite(f"127.0.0.{31 + i}", name) for i, (key, name) in enumerate(names.items())}
    elsewhere = FaultSite("127.0.0.39", "not registered")
    for site in [*sites.values(), elsewhere]:
        site.__enter__()
    try:
        sites["good"].list_reports([sites["good"].report("/nb/1.html", names["good"])])
        slow = sites["slow"]
        entry = slow.report("/nb/slow.html", names["slow"])
        slow.answers["/nb/slow.html"].trickle = 0.05  # far slower than the crawl's 2 s download timeout
        slow.list_reports([entry])
        huge = sites["huge"]
        huge.answers["/f/report.pdf"] = Answer(streamed_pdf(60 * MIB), content_type="application/pdf", size=60 * MIB)
        huge.list_reports([Entry(f"{names['huge']}{YEAR}年政府信息公开工作年度报告", "/f/report.pdf", "2025-01-20")])
        away = sites["away"]
        away.answers["/nb/moved.html"] = Answer(status=302, headers={"Location": elsewhere.base + "/nb/1.html"})
        elsewhere.report("/nb/1.html", names["away"])
        away.list_reports([Entry(f"{names['away']}{YEAR}年政府信息公开工作年度报告", "/nb/moved.html", "2025-01-20")])

        rows = [(key, name, sites[key]) for key, name in names.items()]
        db_url = prepared(f"sqlite:///{tmp_path / 'n.sqlite'}", registry_file(tmp_path, rows))
        done = crawl(db_url, env={"NIANBAO_DOWNLOAD_TIMEOUT": "2"})
    finally:
        for site in [*sites.values(), elsewhere]:
            site.__exit__()
    assert done.returncode == 0, done.stderr[-3000:]
    causes = unstored(db_url)
    assert "3 not_stored" in done.stdout, causes
    assert "took longer than" in causes["slow"] or "timeout" in causes["slow"].lower(), causes["slow"]
    assert "larger than download max size" in causes["huge"], causes["huge"]
    assert "127.0.0.39" in causes["away"]
    audited = statuses(db_url)
    assert audited["good"]["status"] == "published"
    for key in ("slow", "huge", "away"):
        assert audited[key]["status"] == "not_stored", (key, audited[key])
        assert any("not stored" in note for note in audited[key]["notes"])
    summary = audit(db_url, "--year", str(YEAR), "--as-of", AS_OF, "--format", "csv").stdout
    assert summary.count("not_stored") >= 3
    html = audit(db_url, "--year", str(YEAR), "--as-of", AS_OF, "--format", "html").stdout
    assert "s-not_stored" in html and "已发现未保存" in html


def test_a_cut_page_never_becomes_the_report(tmp_path):
    with FaultSite("127.0.0.41", "甲县人民政府") as site:
        entry = site.report("/nb/1.html", "甲县人民政府")
        site.list_reports([entry])
        whole = site.answers["/nb/1.html"].body
        site.answers["/nb/1.html"].length = False  # sent without Content-Length, ended by closing: whole here
        db_url = prepared(f"sqlite:///{tmp_path / 'n.sqlite'}",
                          registry_file(tmp_path, [("jia", "甲县人民政府", site)]))
        first = crawl(db_url)
        assert first.returncode == 0 and "1 new" in first.stdout, first.stdout + first.stderr[-2000:]
        good = stored(db_url)["jia"]
        site.answers["/nb/1.html"].cut_at = int(len(whole) * 0.6)  # before table 四 and the page's end
        second = crawl(db_url)
        assert second.returncode == 0, second.stderr[-2000:]
        assert "ends early" in unstored(db_url)["jia"]
        assert stored(db_url)["jia"]["version"] == good["version"] == 1
        site.answers["/nb/1.html"] = Answer(b"", headers={"ETag": '"empty"'})  # a whole answer, and empty
        third = crawl(db_url)
        assert third.returncode == 0, third.stderr[-2000:]
        assert stored(db_url)["jia"]["version"] == 1
        site.answers["/nb/1.html"] = Answer(whole)
        fourth = crawl(db_url)
    assert fourth.returncode == 0
    now = stored(db_url)["jia"]
    assert now["version"] == 1 and now["review_litigation"] == good["review_litigation"]
    assert statuses(db_url)["jia"]["status"] == "published"


# ---- crawls that die, databases that go away -----------------------------------------------------------------------

def slow_county_sites(first_address: int, count: int, delay: float) -> list[FaultSite]:
    sites = []
    for number in range(count):
        site = FaultSite(f"127.0.0.{first_address + number}", f"第{number}县人民政府")
        entry = site.report("/nb/1.html", site.name)
        site.answers["/nb/1.html"].delay = delay
        site.list_reports([entry])
        sites.append(site.__enter__())
    return sites


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


def test_a_killed_crawl_is_taken_over_at_once(tmp_path):
    sites = slow_county_sites(51, 6, delay=1.5)
    try:
        rows = [(f"c{n}", site.name, site) for n, site in enumerate(sites)]
        db_url = prepared(f"sqlite:///{tmp_path / 'n.sqlite'}", registry_file(tmp_path, rows))
        victim = start_crawl(db_url)
        wait_for(lambda: any(site.hits.get("/nb/1.html") for site in sites))
        os.killpg(victim.pid, signal.SIGKILL)  # no chance to record anything: as the OOM killer or a power cut
        finish(victim)
        again = crawl(db_url)
    finally:
        for site in sites:
            site.__exit__()
    assert again.returncode == 0, again.stderr[-3000:]
    assert "left alone" not in again.stderr
    (_, first_status, message), (second_id, second_status, _) = runs(db_url)
    assert first_status == "interrupted" and "died" in message
    assert second_status == "completed"
    assert set(outcomes(db_url, second_id).values()) == {"found"}
    reports = stored(db_url)
    assert sorted(reports) == [f"c{n}" for n in range(6)] and {r["version"] for r in reports.values()} == {1}


@pytest.fixture
def postgres_url(postgres_test_database):
    from tests.storage_fixtures import _empty_schema

    _empty_schema(postgres_test_database)
    return postgres_test_database


def through(proxy: TcpProxy, url) -> str:
    return url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


def test_a_database_outage_mid_crawl_is_ridden_out(tmp_path, postgres_url):
    sites = slow_county_sites(61, 8, delay=0.8)
    proxy = TcpProxy((postgres_url.host or "127.0.0.1", postgres_url.port or 5432))
    try:
        rows = [(f"c{n}", site.name, site) for n, site in enumerate(sites)]
        prepared(postgres_url.render_as_string(hide_password=False), registry_file(tmp_path, rows))
        process = start_crawl(through(proxy, postgres_url))
        wait_for(lambda: sum(site.hits.get("/nb/1.html", 0) for site in sites) >= 2)
        proxy.down()
        time.sleep(8)  # past every in-flight write; the crawl must wait, not count anything as stored
        proxy.up()
        done = finish(process)
    finally:
        proxy.close()
        for site in sites:
            site.__exit__()
    direct = postgres_url.render_as_string(hide_password=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(stored(direct)) == [f"c{n}" for n in range(8)]
    [(run_id, status, _)] = runs(direct)
    assert status == "completed" and set(outcomes(direct, run_id).values()) == {"found"}


def test_a_database_that_stays_away_stops_the_crawl_and_proves_nothing(tmp_path, postgres_url):
    sites = slow_county_sites(71, 6, delay=0.8)
    proxy = TcpProxy((postgres_url.host or "127.0.0.1", postgres_url.port or 5432))
    direct = postgres_url.render_as_string(hide_password=False)
    try:
        rows = [(f"c{n}", site.name, site) for n, site in enumerate(sites)]
        prepared(direct, registry_file(tmp_path, rows))
        process = start_crawl(through(proxy, postgres_url), env={"NIANBAO_STORAGE_RETRY_SECONDS": "3"})
        wait_for(lambda: sum(site.hits.get("/nb/1.html", 0) for site in sites) >= 1)
        proxy.down()
        done = finish(process, timeout=120)
        assert done.returncode != 0
        assert "could not store" in done.stderr
        assert len(done.stderr.splitlines()) < 60, done.stderr[-3000:]  # one clear error, not a flood
        # Whatever it recorded before the database went: no site of the run proves an absence.
        [(run_id, status, _)] = runs(direct)
        assert status in ("running", "failed")  # running: the database was away when it ended; the next closes it
        assert "found" not in set(outcomes(direct, run_id).values()) - {"incomplete"}
        audited = statuses(direct)
        assert all(audited[f"c{n}"]["status"] != "missing" for n in range(6)), audited
        proxy.up()
        healed = crawl(through(proxy, postgres_url))
    finally:
        proxy.close()
        for site in sites:
            site.__exit__()
    assert healed.returncode == 0, healed.stderr[-3000:]
    assert [status for _, status, _ in runs(direct)] == ["interrupted" if status == "running" else status,
                                                          "completed"]
    assert sorted(stored(direct)) == [f"c{n}" for n in range(6)]


def _scrapy_job(db_url: str, retry_seconds: str) -> subprocess.Popen:
    """A crawl as Scrapyd starts one: `scrapy crawl reports`, the database given as a setting."""
    environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and "NIANBAO_" not in k}
    environment |= CRAWL_ENV | archive_env(db_url)
    command = [sys.executable, "-m", "scrapy", "crawl", "reports", "-s", f"NIANBAO_DATABASE_URL={db_url}",
               "-s", f"NIANBAO_STORAGE_RETRY_SECONDS={retry_seconds}"]
    return subprocess.Popen(command, cwd=REPOSITORY, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def test_a_scrapy_job_waits_out_a_database_away_at_its_start_or_says_so_in_one_line(tmp_path, postgres_url):
    [site] = slow_county_sites(91, 1, delay=0)
    proxy = TcpProxy((postgres_url.host or "127.0.0.1", postgres_url.port or 5432))
    direct = postgres_url.render_as_string(hide_password=False)
    try:
        prepared(direct, registry_file(tmp_path, [("c0", site.name, site)]))
        proxy.down()
        gone = finish(_scrapy_job(through(proxy, postgres_url), "1"), timeout=60)
        assert gone.returncode != 0
        errors = [line for line in gone.stderr.splitlines() if " ERROR: " in line and "crawler.database" in line]
        [error] = [line.split(" ERROR: ", 1)[1] for line in errors]  # the proxy drops what it accepts
        assert error.startswith("the crawl cannot start, the database is unreachable: connection failed: connection "
                                f'to server at "127.0.0.1", port {proxy.port} failed: ')
        assert error.endswith(" (no run could be recorded)")
        assert runs(direct) == []

        waited = _scrapy_job(through(proxy, postgres_url), "30")
        time.sleep(2)
        proxy.up()  # a database restarting at night: the job goes on once it is back
        done = finish(waited, timeout=120)
    finally:
        proxy.close()
        site.__exit__()
    assert done.returncode == 0, done.stderr[-3000:]
    assert [status for _, status, _ in runs(direct)] == ["completed"]
    assert list(stored(direct)) == ["c0"]


def test_a_full_disk_stops_the_crawl_and_keeps_what_was_stored(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("making a small full disk (a tmpfs) needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], check=True)
    try:
        with FaultSite("127.0.0.81", "甲县人民政府") as first, FaultSite("127.0.0.82", "乙县人民政府") as second:
            first.list_reports([first.report("/nb/1.html", first.name)])
            fat = [link_only(second, second.name, f"/f/{n}.pdf", b"%PDF-1.4\n" + os.urandom(MIB) + b"\n%%EOF\n",
                             "application/pdf") for n in range(4)]
            second.list_reports(fat)
            db_url = f"sqlite:///{disk / 'n.sqlite'}"
            prepared(db_url, registry_file(tmp_path, [("jia", first.name, first), ("yi", second.name, second)]))
            kept = crawl(db_url, "--site", "jia")
            assert kept.returncode == 0, kept.stderr[-2000:]
            full = crawl(db_url, "--site", "yi", env={"NIANBAO_STORAGE_RETRY_SECONDS": "2"})
        assert full.returncode != 0
        assert "could not store" in full.stderr and "full" in full.stderr
        engine = create_engine(db_url)
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        engine.dispose()
        assert stored(db_url)["jia"]["status"] == "ok"
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


# ---- a crawl that lives ----------------------------------------------------------------------------------------------

def test_a_long_crawl_renews_its_heartbeat_and_frees_its_locks_at_the_end(tmp_path):
    name = "戊县人民政府"
    with FaultSite("127.0.0.95", name) as site:
        entry = site.report("/nb/late.html", name)
        site.answers["/nb/late.html"].delay = 3.0  # the crawl lives through several heartbeats of a 4 s lock
        site.list_reports([entry])
        db_url = prepared(f"sqlite:///{tmp_path / 'n.sqlite'}", registry_file(tmp_path, [("late", name, site)]))
        done = crawl(db_url, env={"NIANBAO_LOCK_TTL": "4"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert stored(db_url)["late"]["status"] == "ok"
    engine = make_engine(db_url)
    with Session(engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        held = held_sites(session)
    engine.dispose()
    assert run.status == "completed"
    assert (run.heartbeat_at - run.started_at).total_seconds() >= 1  # renewed through the writer while it crawled
    assert held == {}  # no heartbeat left in the writer's queue took the locks back after their release
