"""A night on many machines: `nianbao crawl --enqueue` queues one job per host on PostgreSQL, three `nianbao worker`
processes (three machines) crawl them against 30 hosts on distinct loopback addresses; one worker is killed with
SIGKILL in the middle. Every site is crawled, nothing stored twice, one request in flight per host, and the night
queued again adds nothing. The crawls store the reports' bytes and any worker parses them (parse tasks); one
digest is sent for the night once it is over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from nianbao.queue.tasks import PARSE_TASK
from storage.db import make_engine
from storage.models import Report, ReportVersion, SiteOutcome
from storage.nights import CRAWL_TASK, DIGEST_TASK
from storage.runs import last_outcomes
from tests.faultweb import CRAWL_ENV, REPOSITORY, archive_env, prepared
from tests.fixtureweb import loopback
from tests.fixtureweb.generate import generate_sites
from tests.fixtureweb.loopback import LoopbackWeb
from tests.fixtureweb.spec import registry_csv
from tests.storage_fixtures import _empty_schema
from tests.webhook import webhook_on

NIGHT = "2026-12-01"
COUNTIES, AGENCIES_PER_COUNTY = 30, 10  # a county, 6 departments and 3 townships, all on the county's host
WORKER_ENV = {"NIANBAO_WORKER_STALLED_AFTER": "6",  # a killed worker's job is queued again within seconds
              "NIANBAO_DIGEST_CHECK_SECONDS": "2",  # the night's digest sent within seconds of its end
              "NIANBAO_DOCUMENT_WORKERS": "1"}  # six crawls at once on a small machine: one reader each


@pytest.fixture
def pg_url(postgres_test_database, monkeypatch) -> str:
    monkeypatch.setenv("NIANBAO_ALLOW_PRIVATE_ADDRESSES", "1")  # the registry import refuses loopback otherwise
    _empty_schema(postgres_test_database)
    return postgres_test_database.render_as_string(hide_password=False)


def _environment(db_url: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and "NIANBAO_" not in k}
    return inherited | CRAWL_ENV | archive_env(db_url) | WORKER_ENV


def _nianbao(db_url: str, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "nianbao", *args, "--db", db_url]
    return subprocess.run(command, cwd=REPOSITORY, env=_environment(db_url), capture_output=True, text=True,
                          timeout=120)


def _start_worker(db_url: str, name: str, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "nianbao", "worker", "--concurrency", "2", "--name", name, "--db", db_url]
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=REPOSITORY, env=_environment(db_url), stdout=out, stderr=out,
                                start_new_session=True)


def _jobs(engine, task: str = CRAWL_TASK) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT status::text, count(*) FROM procrastinate_jobs WHERE task_name = :task "
                                       "GROUP BY 1"), {"task": task})
        return dict(rows.all())


def _parsed(engine) -> bool:
    """Every report the crawls stored was parsed by a parse task, none of which is left to run or failed."""
    with engine.connect() as connection:
        waiting = connection.execute(text("SELECT count(*) FROM pending_parses")).scalar()
    return waiting == 0 and set(_jobs(engine, PARSE_TASK)) == {"succeeded"}


def _crawling(engine, worker: subprocess.Popen) -> bool:
    """A crawl process of the worker has opened its run and is in the middle of it."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    pids = children.read_text().split() if children.exists() else []
    with engine.connect() as connection:
        holders = connection.execute(text("SELECT holder FROM crawl_runs WHERE status = 'running'")).scalars().all()
    return any(holder.endswith(f":{pid}") for holder in holders for pid in pids)


def _wait(condition, seconds: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {log.name}\n{log.read_text()[-2500:]}" for log in logs)
            raise AssertionError(f"{what} not within {seconds} s\n{tails}")
        time.sleep(0.2)


def test_three_workers_share_a_night_and_survive_a_killed_one(tmp_path, pg_url, monkeypatch):
    with LoopbackWeb(generate_sites(counties=COUNTIES, departments=6, towns=3)) as web, \
            webhook_on("127.0.0.250") as (posts, hook):
        monkeypatch.setitem(WORKER_ENV, "NIANBAO_NOTIFY", hook)
        registry = tmp_path / "registry.csv"
        registry.write_text(registry_csv(web.sites), encoding="utf-8")
        prepared(pg_url, registry)

        queued = _nianbao(pg_url, "crawl", "--enqueue", "--night", NIGHT, "--trigger", "scheduled")
        assert queued.returncode == 0, queued.stderr
        assert queued.stdout.strip() == f"night {NIGHT}: {COUNTIES} hosts queued ({COUNTIES * AGENCIES_PER_COUNTY} "\
                                        "sites), 0 already queued or done"

        logs = [tmp_path / f"worker{n}.log" for n in range(3)]
        workers = [_start_worker(pg_url, f"machine-{n}", log) for n, log in enumerate(logs)]
        engine = make_engine(pg_url)
        try:
            # Kill the first worker with a crawl in its hands, once the night is under way.
            _wait(lambda: _jobs(engine).get("succeeded", 0) >= 3 and _crawling(engine, workers[0]), 120,
                  "a finished job and a crawl in progress", logs)
            os.kill(workers[0].pid, signal.SIGKILL)
            workers[0].wait(10)
            _wait(lambda: _jobs(engine) == {"succeeded": COUNTIES}, 240, "every host's job succeeded", logs)
            _wait(lambda: _parsed(engine), 120, "every stored report parsed", logs)
            _wait(lambda: posts and set(_jobs(engine, DIGEST_TASK)) == {"succeeded"}, 60, "the night's digest sent",
                  logs)
            [post] = posts  # one digest for the night, whatever the hosts, attempts and parse tasks
            # The generated sites hold 2024 reports: every agency is newly proven missing for last year.
            sites = COUNTIES * AGENCIES_PER_COUNTY
            assert post["title"].split(": ", 1)[1] == f"{sites} new, {sites} newly overdue"
            assert f"night {NIGHT} (completed)" in post["message"]

            again = _nianbao(pg_url, "crawl", "--enqueue", "--night", NIGHT, "--trigger", "scheduled")
            assert again.stdout.strip() == f"night {NIGHT}: 0 hosts queued (0 sites), {COUNTIES} already queued "\
                                           "or done"
            assert _jobs(engine) == {"succeeded": COUNTIES}
            assert _jobs(engine, DIGEST_TASK).get("todo") is None and len(posts) == 1
            _assert_stored_once(engine, web)
            _assert_the_night_reads_back(pg_url)
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(30)
            engine.dispose()
    assert len(web.most_in_flight) == COUNTIES
    assert max(web.most_in_flight.values()) == 1  # never two requests in flight to one host, across all workers


def _assert_stored_once(engine, web: LoopbackWeb) -> None:
    sites = {agency.id for site in web.sites for agency in site.agencies}
    with Session(engine) as session:
        assert {site: row.outcome for site, row in last_outcomes(session).items()} == dict.fromkeys(sites, "found")
        reports = session.execute(select(Report.agency_id, func.count(ReportVersion.id))
                                  .join(ReportVersion, ReportVersion.report_id == Report.id)
                                  .group_by(Report.agency_id)).all()
        assert {agency for agency, _ in reports} == sites
        assert {versions for _, versions in reports} == {1}  # nothing stored twice
        # Only the hosts whose crawl was cut short were crawled again: every other site has one outcome.
        outcomes = session.execute(select(SiteOutcome.site_key, func.count()).group_by(SiteOutcome.site_key)).all()
        assert len([site for site, count in outcomes if count > 1]) <= 2 * AGENCIES_PER_COUNTY  # the killed 2 jobs


def test_the_queue_needs_postgresql(tmp_path):
    sqlite = f"sqlite:///{tmp_path / 'one-machine.sqlite'}"
    for args in (("crawl", "--enqueue"), ("worker",)):
        done = _nianbao(sqlite, *args)
        assert done.returncode == 1
        assert done.stderr.strip().splitlines() == [
            "nianbao: error: the work queue needs PostgreSQL, not sqlite (on SQLite `nianbao crawl` does the whole "
            "night in one process)"]


def test_enqueueing_an_unknown_site_is_refused(tmp_path, pg_url):
    with LoopbackWeb(generate_sites(counties=1, departments=1, towns=0)) as web:
        registry = tmp_path / "registry.csv"
        registry.write_text(registry_csv(web.sites), encoding="utf-8")
        prepared(pg_url, registry)
    done = _nianbao(pg_url, "crawl", "--enqueue", "--site", "gen-county-001", "--site", "no-such-site")
    assert (done.returncode, done.stderr.strip()) == (
        1, "nianbao: error: not registered, disabled or without a listing page: no-such-site")
    done = _nianbao(pg_url, "crawl", "--enqueue", "--site", "gen-county-001", "--night", "2026-12-02")
    assert done.stdout.strip() == "night 2026-12-02/manual:gen-county-001: 1 hosts queued (1 sites), 0 already "\
                                  "queued or done"


def _assert_the_night_reads_back(db_url: str) -> None:
    shown = _nianbao(db_url, "runs", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    night = json.loads(shown.stdout)["night"]
    assert (night["night"], night["hosts"]) == (NIGHT, {"done": COUNTIES})
    assert (night["sites_found"], night["sites_failed"], night["sites_waiting"]) == (
        COUNTIES * AGENCIES_PER_COUNTY, 0, 0)
    assert len(night["machines"]) == 1  # three workers, one machine here
    # The killed worker's tasks are listed: their runs closed as failed by the worker that queued them again, or as
    # interrupted by the next crawl to start here (or, for a crawl that had not opened its run, a failed run).
    assert 1 <= len(night["failed_tasks"]) <= 2
    assert {task["status"] for task in night["failed_tasks"]} <= {"failed", "interrupted"}
    assert all(task["night"] == NIGHT and ", job " in task["task"] for task in night["failed_tasks"])
    table = _nianbao(db_url, "runs").stdout.splitlines()
    assert table[0].startswith(f"night {NIGHT}: {COUNTIES} hosts ({COUNTIES} done, 0 running, 0 waiting, 0 failed); "
                               f"sites: {COUNTIES * AGENCIES_PER_COUNTY} found, 0 failed, 0 waiting; 1 machine(s)")
    assert sum(line.startswith("  failed: ") for line in table) == len(night["failed_tasks"])


def test_a_stopped_worker_puts_its_crawls_back_in_the_queue(tmp_path, pg_url, monkeypatch):
    """SIGTERM (systemd stop): after a short grace the running crawls are stopped, their runs closed as
    interrupted, their locks released, and their jobs queued again for another worker."""
    monkeypatch.setattr(loopback, "RESPONSE_SECONDS", 0.5)  # a crawl still running when the worker is stopped
    with LoopbackWeb(generate_sites(counties=1, departments=6, towns=3)) as web:
        registry = tmp_path / "registry.csv"
        registry.write_text(registry_csv(web.sites), encoding="utf-8")
        prepared(pg_url, registry)
        assert _nianbao(pg_url, "crawl", "--enqueue").returncode == 0
        log = tmp_path / "worker.log"
        worker = _start_worker(pg_url, "machine-0", log)
        engine = make_engine(pg_url)
        try:
            _wait(lambda: _runs(engine) == [("running",)], 60, "a crawl running", [log])
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(90) == 0
            assert _runs(engine) == [("interrupted",)]
            assert _jobs(engine) == {"todo": 1}
            with engine.connect() as connection:
                assert connection.execute(text("SELECT count(*) FROM site_locks")).scalar() == 0
        finally:
            if worker.poll() is None:
                worker.kill()
            engine.dispose()


def _runs(engine) -> list[tuple[str]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text("SELECT status FROM crawl_runs"))]
