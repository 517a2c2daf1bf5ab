"""The scheduler: the nightly job runs once, restarts and a second scheduler never double it, missed runs, signals."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command as alembic
from sqlalchemy import select, text

import scheduler
from nianbao import scheduled_crawl
from storage.db import alembic_config, make_engine, session_factory, upgrade
from storage.locks import held_sites
from storage.models import FOREIGN_TABLES, CrawlRun, SiteOutcome
from tests.fixtureweb import build_web, registry_csv
from tests.fixtureweb.sample import tuoli

REPOSITORY = Path(__file__).resolve().parents[1]
FAST = {"lease_seconds": 3}  # renewed, and a standby polls, every second

# Stands in for `nianbao crawl`: notes its pid in the marker file, then behaves as told.
STAND_IN = """
import os, subprocess, sys, time
from pathlib import Path
marker, mode, url = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
if mode in ("records-run", "dies-mid-run", "records-run-and-hangs"):
    from storage.db import make_engine, session_factory
    from storage.runs import finish_run, start_run
    engine = make_engine(url)
    with session_factory(engine)() as session, session.begin():
        run_id = start_run(session, "scheduled")
if mode.endswith("hangs"):  # and so does its child
    child = subprocess.Popen(["sleep", "600"])
    marker.with_suffix(".child").write_text(str(child.pid))
with marker.open("a") as out:
    out.write(f"{os.getpid()}\\n")
if mode == "records-run":
    with session_factory(engine)() as session, session.begin():
        finish_run(session, run_id, "completed")
elif mode == "dies-mid-run":
    os._exit(1)
elif mode == "fails":
    sys.exit(3)
elif mode.endswith("hangs"):
    time.sleep(600)
"""


@pytest.fixture
def url(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    return db_url


@pytest.fixture
def stand_in(tmp_path, url) -> Callable[[str], list[str]]:
    """The command line of a stand-in crawl behaving as `mode`; its runs are counted with ran()."""
    script = tmp_path / "stand_in.py"
    script.write_text(STAND_IN, encoding="utf-8")
    return lambda mode: [sys.executable, str(script), str(tmp_path / "ran.txt"), mode, url]


def ran(tmp_path: Path) -> int:
    marker = tmp_path / "ran.txt"
    return len(marker.read_text().splitlines()) if marker.exists() else 0


def runs(url: str) -> list[tuple[str, str]]:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        found = [(run.trigger, run.status) for run in session.scalars(select(CrawlRun).order_by(CrawlRun.id))]
    engine.dispose()
    return found


def stored_jobs(url: str) -> list[tuple[str, float]]:
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT id, next_run_time FROM {scheduler.JOBS_TABLE}")).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def lease_holder(url: str) -> str | None:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        holder = held_sites(session).get(scheduler.LEASE_KEY, (None,))[0]
    engine.dispose()
    return holder


def eventually(condition: Callable[[], object], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true"
        time.sleep(0.1)


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


class Scheduler:
    """serve() in a thread, as `nianbao schedule` runs it, with stop() in place of SIGTERM."""

    def __init__(self, url: str, settings: scheduler.Settings, command: list[str] | None, *, run_now: bool = False):
        self.stopping = threading.Event()
        self.codes: list[int] = []
        self.thread = threading.Thread(target=self.serve, args=(url, settings, command, run_now), daemon=True)
        self.thread.start()

    def serve(self, url: str, settings: scheduler.Settings, command: list[str] | None, run_now: bool) -> None:
        self.codes.append(scheduler.serve(url, settings, self.stopping, run_now=run_now, command=command))

    def stop(self) -> int:
        self.stopping.set()
        self.thread.join(60)
        assert not self.thread.is_alive()
        return self.codes[0]


@pytest.fixture
def start() -> Iterator[Callable[..., Scheduler]]:
    """Starts schedulers; any that a failed test left running are stopped before its database goes."""
    started: list[Scheduler] = []

    def begin(*args, **options) -> Scheduler:
        started.append(Scheduler(*args, **options))
        return started[-1]

    yield begin
    for running in started:
        running.stopping.set()
        running.thread.join(60)


def in_shanghai(offset: dt.timedelta) -> dt.time:
    return (dt.datetime.now(scheduler.TIMEZONE) + offset).time()


# ---- the job ------------------------------------------------------------------------------------------------------


def test_the_crawl_command_is_nianbao_crawl_scheduled():
    assert scheduled_crawl.crawl_command("sqlite:///x.sqlite")[1:] == [
        "-m", "nianbao", "crawl", "--trigger", "scheduled", "--db", "sqlite:///x.sqlite"
    ]  # fmt: skip
    assert scheduled_crawl.crawl_command("postgresql://h/db", enqueue=True)[1:] == [
        "-m", "nianbao", "crawl", "--trigger", "scheduled", "--enqueue", "--db", "postgresql://h/db"
    ]  # fmt: skip


def test_a_crawl_that_records_its_run_is_not_recorded_twice(url, stand_in, tmp_path):
    assert scheduled_crawl.run_nightly_crawl(url, 60, stand_in("records-run")) == 0
    assert ran(tmp_path) == 1
    assert runs(url) == [("scheduled", "completed")]


def test_a_crawl_that_fails_before_recording_gets_a_failed_run(url, stand_in):
    assert scheduled_crawl.run_nightly_crawl(url, 60, stand_in("fails")) == 3
    assert runs(url) == [("scheduled", "failed")]


def test_a_crawl_that_dies_mid_run_has_its_run_closed_as_failed(url, stand_in):
    assert scheduled_crawl.run_nightly_crawl(url, 60, stand_in("dies-mid-run")) == 1
    assert runs(url) == [("scheduled", "failed")]


def test_a_crawl_over_its_time_limit_is_killed_with_its_children(url, stand_in, tmp_path):
    code = scheduled_crawl.run_nightly_crawl(url, 2, stand_in("hangs"))
    assert code == -signal.SIGTERM
    assert runs(url) == [("scheduled", "interrupted")]
    grandchild = int((tmp_path / "ran.child").read_text())
    eventually(lambda: not alive(grandchild))


# ---- the scheduler ------------------------------------------------------------------------------------------------


def test_nightly_job_runs_once_and_a_second_scheduler_neither_doubles_it_nor_runs_it(url, stand_in, tmp_path, start):
    settings = scheduler.Settings(crawl_time=in_shanghai(dt.timedelta(seconds=3)), **FAST)
    first = start(url, settings, stand_in("records-run"))
    eventually(lambda: lease_holder(url))
    holder = lease_holder(url)
    second = start(url, settings, stand_in("records-run"))  # waits: one scheduler per job store
    eventually(lambda: ran(tmp_path) == 1 and runs(url) == [("scheduled", "completed")])
    assert first.stop() == 0
    eventually(lambda: lease_holder(url) not in (None, holder))  # the standby takes over
    assert second.stop() == 0
    assert ran(tmp_path) == 1
    assert runs(url) == [("scheduled", "completed")]
    [(job_id, next_run)] = stored_jobs(url)
    assert job_id == scheduler.NIGHTLY_JOB
    assert next_run > time.time() + 20 * 3600  # tomorrow's
    assert lease_holder(url) is None  # released on a clean stop


@pytest.mark.parametrize(
    ("late", "grace", "expected"),
    [(dt.timedelta(days=2, hours=1), 72, 1), (dt.timedelta(hours=7), 6, 0)],
    ids=["within-grace", "outside-grace"],
)
def test_a_run_missed_while_stopped_is_caught_up_once_within_the_grace(
    url, stand_in, tmp_path, caplog, start, late, grace, expected
):
    settings = scheduler.Settings(crawl_time=in_shanghai(-late), misfire_grace=dt.timedelta(hours=grace), **FAST)
    # The scheduler stopped before its run: the job store holds a next run time `late` in the past.
    engine = make_engine(url)
    paused = scheduler.build_scheduler(engine)
    paused.start(paused=True)
    job = scheduler.schedule_nightly(paused, url, settings, stand_in("records-run"))
    job.modify(next_run_time=dt.datetime.now(scheduler.TIMEZONE) - late)
    scheduler.shut_down(paused)
    restarted = start(url, settings, stand_in("records-run"))
    eventually(lambda: stored_jobs(url)[0][1] > time.time())  # the overdue run was dealt with
    eventually(lambda: ran(tmp_path) == expected)
    assert restarted.stop() == 0
    assert ran(tmp_path) == expected  # once, though several daily runs were missed within the grace
    assert ("was missed by" in caplog.text) == (expected == 0)


def test_stopping_the_scheduler_stops_a_running_crawl_and_closes_its_run(url, stand_in, tmp_path, start):
    settings = scheduler.Settings(crawl_time=in_shanghai(dt.timedelta(hours=12)), **FAST)
    running = start(url, settings, stand_in("records-run-and-hangs"), run_now=True)
    eventually(lambda: ran(tmp_path) == 1)
    assert running.stop() == 0
    assert runs(url) == [("scheduled", "interrupted")]
    eventually(lambda: not alive(int((tmp_path / "ran.child").read_text())))


def test_the_job_store_table_does_not_upset_alembic_check(url):
    assert scheduler.JOBS_TABLE in FOREIGN_TABLES
    engine = make_engine(url)
    started = scheduler.build_scheduler(engine)
    started.start(paused=True)  # creates its table
    scheduler.shut_down(started)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        alembic.check(config)  # raises when autogenerate would change something
    engine.dispose()


def test_the_nightly_crawl_runs_once_against_the_fixture_web(tmp_path, start, monkeypatch):
    """End to end: `nianbao sites import`, then the scheduler starts the real `nianbao crawl` at its time.

    SQLite only, to keep this file quick: the crawl's own tests cover PostgreSQL, the tests above the scheduler's.
    """
    url = f"sqlite:///{tmp_path / 'nianbao.sqlite'}"
    registry = tmp_path / "registry.csv"
    registry.write_text(registry_csv([tuoli()]), encoding="utf-8")
    command = [sys.executable, "-m", "nianbao", "sites", "import", str(registry), "--db", url]
    imported = subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True, timeout=60)
    assert imported.returncode == 0, imported.stderr
    # The crawl process inherits this environment: only the fixture answers, and politely fast.
    for name in [name for name in os.environ if name.lower().endswith("_proxy") or name.startswith("NIANBAO_")]:
        monkeypatch.delenv(name)
    for name, value in {
        "NIANBAO_RETRY_BACKOFF": "0.1",
        "NIANBAO_DOWNLOAD_DELAY": "0",
        "NIANBAO_AUTOTHROTTLE": "0",
    }.items():
        monkeypatch.setenv(name, value)
    with build_web([tuoli()]).prerender() as web:
        monkeypatch.setenv("http_proxy", web.proxy_url)
        settings = scheduler.Settings(crawl_time=in_shanghai(dt.timedelta(seconds=3)), **FAST)
        running = start(url, settings, None)  # None: the real crawl command
        eventually(lambda: runs(url) and runs(url)[-1][1] != "running", 120)
        assert running.stop() == 0
    assert runs(url) == [("scheduled", "completed")]
    engine = make_engine(url)
    with session_factory(engine)() as session:
        outcomes = {row.site_key: row.outcome for row in session.scalars(select(SiteOutcome))}
    engine.dispose()
    assert set(outcomes) == {agency.id for agency in tuoli().agencies}  # every site has its outcome
    assert outcomes["xj-tuoli-county"] == "found"


def test_on_postgresql_the_nightly_job_can_queue_the_night_for_workers(url, tmp_path):
    """`nianbao schedule --enqueue`: the job queues one crawl per host and returns; it crawls nothing itself."""
    if not url.startswith("postgresql"):
        with pytest.raises(scheduler.ScheduleError, match="the work queue needs PostgreSQL"):
            scheduler.check_queue(url)
        return
    registry = tmp_path / "registry.csv"
    registry.write_text(registry_csv([tuoli()]), encoding="utf-8")
    command = [sys.executable, "-m", "nianbao", "sites", "import", str(registry), "--db", url]
    assert subprocess.run(command, cwd=REPOSITORY, capture_output=True, timeout=60).returncode == 0
    assert scheduled_crawl.run_nightly_crawl(url, 60, enqueue=True) == 0
    assert runs(url) == []
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            jobs = connection.execute(text(
                "SELECT task_name, args->>'trigger', jsonb_array_length(args->'sites'), queueing_lock "
                "FROM procrastinate_jobs ORDER BY id")).all()
        night = dt.date.today().isoformat()  # the night the CLI names by default
        # One crawl per host, and the night's one digest, sent by a worker once the night is over.
        assert [job[:3] for job in jobs] == [("nianbao:crawl_host", "scheduled", len(tuoli().agencies)),
                                             ("nianbao:night_digest", None, None)]
        assert [job[3].split(":")[:2] for job in jobs] == [["crawl", night], ["digest", night]]
        config = alembic_config()
        with engine.begin() as connection:  # the queue's tables are Procrastinate's, not the migrations'
            config.attributes["connection"] = connection
            alembic.check(config)
    finally:
        engine.dispose()


# ---- settings and the command -------------------------------------------------------------------------------------


def test_settings_come_from_the_environment_and_at_overrides_the_time():
    assert scheduler.Settings.from_env({}) == scheduler.Settings()
    environ = {"NIANBAO_CRAWL_TIME": "03:30", "NIANBAO_MISFIRE_GRACE_HOURS": "12", "NIANBAO_CRAWL_TIMEOUT_HOURS": "1.5"}
    settings = scheduler.Settings.from_env(environ)
    assert (settings.crawl_time, settings.misfire_grace, settings.timeout) == (
        dt.time(3, 30), dt.timedelta(hours=12), dt.timedelta(minutes=90)
    )  # fmt: skip
    assert scheduler.Settings.from_env(environ, at="23:05").crawl_time == dt.time(23, 5)


@pytest.mark.parametrize(
    "environ",
    [{"NIANBAO_CRAWL_TIME": "25:00"}, {"NIANBAO_CRAWL_TIME": "2am"}, {"NIANBAO_MISFIRE_GRACE_HOURS": "0"},
     {"NIANBAO_CRAWL_TIMEOUT_HOURS": "six"}],
)  # fmt: skip
def test_bad_settings_are_one_line_errors(environ):
    with pytest.raises(scheduler.ScheduleError, match=next(iter(environ.values()))):
        scheduler.Settings.from_env(environ)


def test_schedule_command_rejects_a_bad_time(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "nianbao", "schedule", "--at", "7", "--db", f"sqlite:///{tmp_path / 'n.sqlite'}"],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == ["nianbao: error: bad crawl time '7': expected HH:MM, e.g. 02:00"]


@pytest.mark.parametrize(
    ("command", "signum"),
    [(["-m", "nianbao", "schedule"], signal.SIGTERM), (["scheduler.py"], signal.SIGTERM),
     (["-m", "nianbao", "schedule"], signal.SIGINT)],
    ids=["nianbao-schedule-SIGTERM", "scheduler.py-SIGTERM", "nianbao-schedule-SIGINT"],
)  # fmt: skip
def test_a_signal_stops_the_scheduler_cleanly(tmp_path, command, signum):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NIANBAO_")}
    environment["NIANBAO_DATABASE_URL"] = f"sqlite:///{tmp_path / 'n.sqlite'}"
    log: list[str] = []
    argv = [sys.executable, *command]
    with subprocess.Popen(argv, cwd=REPOSITORY, env=environment, stderr=subprocess.PIPE, text=True) as process:

        def read() -> None:
            for line in process.stderr:
                log.append(line)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        eventually(lambda: process.poll() is not None or any("scheduler started" in line for line in log), 30)
        assert process.poll() is None, "".join(log)
        process.send_signal(signum)
        assert process.wait(timeout=30) == 0, "".join(log)
        reader.join(10)
    assert "nianbao.scheduler: scheduler stopped" in "".join(log)
    assert f"exiting after {signum.name}" in log[-1]
