"""`nianbao runs`: the recent runs with what each found, and a night's runs read together (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from nianbao.cli import app
from storage.pending import add_pending
from storage.runs import finish_run, record_site_outcome, start_run

runner = CliRunner()
NIGHT = "2026-12-01"


def _runs(engine, db_url: str, *args: str) -> tuple[int, str]:
    done = runner.invoke(app, ["runs", "--db", db_url, *args])
    return done.exit_code, done.output


def test_runs_lists_what_each_run_found_and_reads_a_night_together(engine, db_url):
    with Session(engine) as session, session.begin():
        manual = start_run(session, "manual", "box-a/4026531836:11")
        record_site_outcome(session, manual, "a", "found")
        record_site_outcome(session, manual, "b", "unreachable", failure_class="timeout")
        finish_run(session, manual, "completed")
        first = start_run(session, "scheduled", "box-a/4026531836:12", NIGHT, "h1:80, job 1, attempt 1")
        record_site_outcome(session, first, "c", "incomplete")
        finish_run(session, first, "failed", "the crawl process exited -9 (its log is the worker's)")
        second = start_run(session, "scheduled", "box-b:13", NIGHT, "h1:80, job 1, attempt 2")
        record_site_outcome(session, second, "c", "found")
        record_site_outcome(session, second, "d", "blocked", failure_class="blocked")
        finish_run(session, second, "completed")
        add_pending(session, second, site_id="c", agency_id="c", agency_name=None, year=2025, url="http://h1/r.html",
                    item={})

    code, out = _runs(engine, db_url, "--format", "json")
    assert code == 0, out
    shown = json.loads(out)
    assert [(r["id"], r["found"], r["failed"], r["unfinished"], r["machine"]) for r in shown["runs"]] == [
        (second, 1, 1, 0, "box-b"), (first, 0, 0, 1, "box-a"), (manual, 1, 1, 0, "box-a")]
    night = shown["night"]  # the latest night a run recorded (no queue on SQLite)
    assert (night["night"], night["sites_found"], night["sites_failed"], night["machines"]) == (
        NIGHT, 1, 1, ["box-a", "box-b"])
    assert night["reports_to_parse"] == 1  # stored by the night's crawl, waiting for a worker's parse task
    assert [(t["task"], t["status"]) for t in night["failed_tasks"]] == [("h1:80, job 1, attempt 1", "failed")]

    code, out = _runs(engine, db_url, "--night", NIGHT, "--limit", "5")
    lines = out.splitlines()
    assert lines[0].startswith(f"night {NIGHT}: sites: 1 found, 1 failed; 1 reports waiting to be parsed; "
                               "2 machine(s): box-a, box-b; ")
    assert lines[0].endswith(" so far")  # a report still to parse: the night is not over
    assert lines[1] == (f"  failed: h1:80, job 1, attempt 1 (run {first}, failed): the crawl process exited -9 "
                        "(its log is the worker's)")
    assert lines[2].split()[:3] == ["run", "started", "(UTC)"]
    assert [line.split()[0] for line in lines[3:]] == [str(second), str(first)]  # only the night's runs


def test_runs_on_an_empty_database(db_url):
    code, out = _runs(None, db_url)
    assert (code, out) == (0, "no crawl run recorded yet\n")
