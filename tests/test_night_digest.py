"""A queued night's one digest (nianbao.alerts.digest.gather_night): all its runs read together, a site judged by its
latest attempt of the night, the reports its parse tasks stored after the crawls counted as the night's."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from nianbao.alerts.digest import gather_night
from nianbao.alerts.render import compose
from storage.documents import store_document
from storage.models import CrawlRun, utcnow
from storage.reports import upsert_report
from storage.runs import finish_run, record_site_outcome, start_run
from tests.storage_fixtures import parsed_report

NIGHT = "2026-12-02"


def _run(session: Session, night: str | None, outcomes: dict[str, str], hours_ago: float, task: str = "h") -> int:
    run = start_run(session, "scheduled", "box:1", night, task)
    for site, outcome in outcomes.items():
        record_site_outcome(session, run, site, outcome, failure_class=None if outcome == "found" else "timeout")
    finish_run(session, run, "completed")
    moment = utcnow() - timedelta(hours=hours_ago)
    session.execute(update(CrawlRun).where(CrawlRun.id == run).values(started_at=moment, finished_at=moment))
    return run


def test_a_night_is_one_digest_of_its_hosts_attempts_and_parses(engine):
    with Session(engine) as session, session.begin():
        _run(session, "2026-12-01", {"a": "found", "b": "found", "c": "found", "d": "found"}, hours_ago=30)
        # a failed its first attempt and was read by the retry; d failed both attempts.
        _run(session, NIGHT, {"a": "unreachable", "d": "unreachable"}, hours_ago=5, task="h1, attempt 1")
        _run(session, NIGHT, {"a": "found", "b": "unreachable", "d": "unreachable"}, hours_ago=4, task="h1, attempt 2")
        _run(session, NIGHT, {"c": "found"}, hours_ago=3, task="h2")
        # A report the night's parse tasks stored after the last crawl ended: the night's all the same.
        sha = store_document(session, b"<html>report</html>", content_type="html")
        upsert_report(session, agency_id=None, agency_name="托里县人民政府", year=2025, source_url="http://h1/r.html",
                      document_sha256=sha, parsed=parsed_report(year=2025))
    with Session(engine) as session:
        digest = gather_night(session, NIGHT)
    assert (digest.run.night, digest.run.status) == (NIGHT, "completed")
    assert [site.site_key for site in digest.failing] == ["b", "d"]  # a: its second attempt read it
    assert [report.source_url for report in digest.new] == ["http://h1/r.html"]
    message = compose(digest)
    assert message.subject.endswith(": 1 new, 2 sites failing")
    assert message.body.startswith(f"**nianbao** {NIGHT} 夜间抓取 / night {NIGHT} (completed)")
