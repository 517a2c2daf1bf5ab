"""The project deployed to a real Scrapyd on 127.0.0.1 with scrapyd-deploy, as the README says: a job stores reports
in PostgreSQL (its migrations read from inside the egg) and leaves alone a site whose lock is held elsewhere."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import make_engine
from storage.locks import acquire_sites
from storage.models import CrawlRun, Report
from tests.faultweb import CRAWL_ENV, REPOSITORY, prepared
from tests.fixtureweb.generate import generate_sites
from tests.fixtureweb.loopback import LoopbackWeb
from tests.fixtureweb.spec import registry_csv
from tests.storage_fixtures import _empty_schema

BIN = Path(sys.executable).parent
ELSEWHERE = "another-machine/4026531836:4242"  # a live crawl on another machine: its lock cannot be taken over
HELD = ["gen-county-002", "gen-county-002-d1"]
SKIPPED = {".git", ".venv", "tests", "bench", "__pycache__", "build", "nianbao-archive"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


@pytest.fixture
def scrapyd(tmp_path):
    """A Scrapyd on 127.0.0.1 with its own folders, and a copy of the project deployed to it by scrapyd-deploy
    (which writes build files beside the project: the copy keeps them out of the repository)."""
    if not (BIN / "scrapyd").exists():
        pytest.fail("scrapyd is not installed: run scripts/setup.sh (it is in the dev extras)")
    port, home = _free_port(), tmp_path / "scrapyd"
    home.mkdir()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {home}/eggs\nlogs_dir = {home}/logs\n"
        f"dbs_dir = {home}/dbs\nitems_dir =\nmax_proc = 2\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and "NIANBAO_" not in k}
    env |= CRAWL_ENV | {"NIANBAO_ARCHIVE_DIR": str(tmp_path / "archive"), "PATH": f"{BIN}:{env.get('PATH', '')}"}
    with (home / "scrapyd.log").open("w") as log:
        server = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}/"
    try:
        _wait(lambda: _alive(base), 30, "Scrapyd answering", home / "scrapyd.log")
        project = tmp_path / "project"
        shutil.copytree(REPOSITORY, project, ignore=lambda _, names: [n for n in names if n in SKIPPED
                                                                     or n.endswith((".sqlite", ".egg-info"))])
        config = project / "scrapy.cfg"
        config.write_text(config.read_text(encoding="utf-8").replace("http://127.0.0.1:6800/", base),
                          encoding="utf-8")
        deployed = subprocess.run([str(BIN / "scrapyd-deploy")], cwd=project, env=env, capture_output=True,
                                  text=True, timeout=180)
        assert deployed.returncode == 0 and '"status": "ok"' in deployed.stdout, deployed.stdout + deployed.stderr
        yield base, home
    finally:
        server.terminate()
        server.wait(30)


def _alive(base: str) -> bool:
    try:
        return _get(base + "daemonstatus.json")["status"] == "ok"
    except OSError:
        return False


def _wait(condition, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {seconds} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def _schedule(base: str, **settings: str) -> str:
    form = [("project", "nianbao"), ("spider", "reports"), *(("setting", f"{k}={v}") for k, v in settings.items())]
    request = urllib.request.Request(base + "schedule.json", data=urllib.parse.urlencode(form).encode())
    with urllib.request.urlopen(request, timeout=10) as answer:
        reply = json.load(answer)
    assert reply["status"] == "ok", reply
    return reply["jobid"]


def _finished(base: str, job: str) -> bool:
    return any(j["id"] == job for j in _get(base + "listjobs.json?project=nianbao")["finished"])


def test_a_scrapyd_job_stores_reports_and_leaves_a_locked_site_alone(scrapyd, postgres_test_database, monkeypatch,
                                                                     tmp_path):
    base, home = scrapyd
    monkeypatch.setenv("NIANBAO_ALLOW_PRIVATE_ADDRESSES", "1")  # the registry import refuses loopback otherwise
    _empty_schema(postgres_test_database)
    db_url = postgres_test_database.render_as_string(hide_password=False)
    with LoopbackWeb(generate_sites(counties=2, departments=1, towns=0)) as web:
        registry = tmp_path / "registry.csv"
        registry.write_text(registry_csv(web.sites), encoding="utf-8")
        prepared(db_url, registry)
        engine = make_engine(db_url)
        with Session(engine) as session, session.begin():
            # Another machine crawls the second county's host: both its sites are locked.
            assert acquire_sites(session, HELD, ELSEWHERE, 600) == HELD
        job = _schedule(base, NIANBAO_DATABASE_URL=db_url)
        _wait(lambda: _finished(base, job), 120, "the job finished", home / "scrapyd.log")
        requested = dict(web.requests)
    log = next((home / "logs").rglob(f"{job}.log")).read_text(encoding="utf-8")
    with Session(engine) as session:
        stored = set(session.scalars(select(Report.agency_id)))
        runs = session.execute(select(CrawlRun.status, CrawlRun.trigger)).all()
    engine.dispose()
    assert stored == {"gen-county-001", "gen-county-001-d1"}, log[-3000:]
    assert runs == [("completed", "manual")]
    assert "[storage.db] INFO: migrations read from the installed package (" in log  # the egg's, not a source tree
    for site in HELD:
        assert f"site {site} left alone: another crawl ({ELSEWHERE}) holds it" in log
    assert requested.get("127.0.0.2", 0) > 0 and "127.0.0.3" not in requested


def test_the_requirements_file_for_eggs_lists_the_package_dependencies():
    import tomllib

    declared = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    listed = [line.strip() for line in (REPOSITORY / "requirements.txt").read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    assert listed == declared
