"""Alerts: after a run, one digest of what that run brought (new, revised with their cells, withdrawn, newly overdue,
sites turned failing, a failed run), sent through Apprise to a local SMTP server and a local webhook; nothing when
nothing happened; the scheduler sends after its runs and is never failed by an alert."""

from __future__ import annotations

import copy
import email
import email.policy
import logging
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from nianbao import scheduled_crawl
from nianbao.alerts.digest import Digest, FailingSite, NewReport, Revision, Run, gather
from nianbao.alerts.render import compose
from nianbao.alerts.send import addresses
from nianbao.cli import app
from nianbao.revisions import CellChange
from storage.db import make_engine, upgrade
from storage.documents import store_document
from storage.models import CrawlRun, Report, SiteOutcome
from storage.registry import AgencyRecord, import_registry
from storage.reports import upsert_report
from storage.runs import finish_run, record_site_outcome, start_run
from tests.storage_fixtures import parsed_report
from tests.webhook import webhook_on

YEAR = 2025  # the year a run in spring 2026 audits
FIRST, SECOND = datetime(2026, 3, 30, 2, tzinfo=UTC), datetime(2026, 4, 2, 2, tzinfo=UTC)  # 10:00 in Shanghai
COUNTY_DUE = date(2026, 3, 31)  # between the two runs; departments were due on 31 January
WITHDRAWN = "gone from its listing; its URL answers 404"
AGENCIES = [  # id, name, level, parent
    ("jia-county", "甲县人民政府", "county", None),
    ("yi-county", "乙县人民政府", "county", None),
    ("bing-county", "丙县人民政府", "county", None),
    ("jia-edu", "甲县教育局", "department", "jia-county"),
    ("jia-finance", "甲县财政局", "department", "jia-county"),
    ("jia-police", "甲县公安局", "department", "jia-county"),
    ("jia-health", "甲县卫生健康委员会", "department", "jia-county"),
    ("jia-water", "甲县水利局", "department", "jia-county"),
]
NAMES = {agency_id: name for agency_id, name, _, _ in AGENCIES}
runner = CliRunner()


# ---- a database with runs, each at a time of our choosing -----------------------------------------------------


@dataclass
class Night:
    """What one crawl run did: outcomes per site (outcome or (outcome, failure class)), reports stored (agency id,
    parse, version tag for its bytes), reports withdrawn."""

    start: datetime
    outcomes: dict[str, str | tuple[str, str]] = field(default_factory=dict)
    reports: list[tuple[str, dict, str]] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    status: str = "completed"
    message: str | None = None


def crawl(url: str, night: Night) -> int:
    """Record a run as the crawl would, then move it and what it recorded to night.start (the functions that record
    stamp the present): the digest finds what a run brought by its times."""
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        run_id = start_run(session, "scheduled")
        for site, outcome in night.outcomes.items():
            outcome, failure = outcome if isinstance(outcome, tuple) else (outcome, None)
            record_site_outcome(session, run_id, site, outcome, failure_class=failure)
        for agency_id, parsed, tag in night.reports:
            sha = store_document(session, f"{agency_id} {tag}".encode(), content_type="text/plain")
            upsert_report(session, agency_id=agency_id, agency_name=NAMES[agency_id], year=YEAR,
                          source_url=f"https://{agency_id}.example/nb/{YEAR}.html", document_sha256=sha,
                          parsed=parsed, fetched_at=night.start + timedelta(minutes=10))
        session.execute(update(Report).where(Report.agency_id.in_(night.withdrawn))
                        .values(withdrawn_at=night.start + timedelta(minutes=20), withdrawn_reason=WITHDRAWN))
        finish_run(session, run_id, night.status, night.message)
        session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(
            started_at=night.start, heartbeat_at=night.start, finished_at=night.start + timedelta(minutes=30)))
        session.execute(update(SiteOutcome).where(SiteOutcome.run_id == run_id)
                        .values(recorded_at=night.start + timedelta(minutes=25)))
    engine.dispose()
    return run_id


def report(agency_id: str) -> dict:
    return parsed_report(NAMES[agency_id], YEAR)


def corrected(parsed: dict) -> dict:
    """The same report with two cells of table 三 corrected and a line of text added."""
    fixed = copy.deepcopy(parsed)
    fixed["applications"]["new"]["natural_person"] += 10
    fixed["applications"]["new"]["total"] += 10
    fixed["text"] += "\n更正说明：申请数量有误，已更正。"
    return fixed


@pytest.fixture
def world(db_url) -> str:
    """Eight agencies and two runs. The first: 甲县 and two of its departments publish (卫健委 then withdrawn), 财政局
    times out, 水利局 is blocked, the rest list nothing. The second, three days later and past the counties' deadline:
    甲县 corrects two cells, 丙县 publishes, 卫健委's page is re-rendered (same report), 公安局 times out and its report
    is withdrawn, 财政局 lists nothing, 水利局 is still blocked."""
    engine = make_engine(db_url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        import_registry(session, [AgencyRecord(agency_id, name, level, parent, (f"https://{agency_id}.example/nb/",))
                                  for agency_id, name, level, parent in AGENCIES])
    engine.dispose()
    quiet = {"yi-county": "nothing_found", "bing-county": "nothing_found", "jia-edu": "nothing_found",
             "jia-water": ("blocked", "blocked")}
    first = {**quiet, "jia-county": "found", "jia-police": "found", "jia-health": "found",
             "jia-finance": ("unreachable", "timeout")}
    published = [(agency_id, report(agency_id), "v1") for agency_id in ("jia-county", "jia-police", "jia-health")]
    crawl(db_url, Night(FIRST, first, published, withdrawn=["jia-health"]))
    second = {**quiet, "jia-county": "found", "bing-county": "found", "jia-health": "found",
              "jia-police": ("unreachable", "timeout"), "jia-finance": "nothing_found"}
    stored = [("jia-county", corrected(report("jia-county")), "v2"), ("bing-county", report("bing-county"), "v1"),
              ("jia-health", report("jia-health"), "re-rendered")]
    crawl(db_url, Night(SECOND, second, stored, withdrawn=["jia-police"]))
    return db_url


def digest_of(url: str, run_id: int | None = None) -> Digest:
    engine = make_engine(url)
    with Session(engine) as session:
        found = gather(session, run_id)
    engine.dispose()
    return found


# ---- local receivers: an SMTP server and a webhook, each on its own loopback address ---------------------------


class Mailbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, str]]:
    """A plain SMTP server (no TLS, no login) on 127.0.0.2, and the Apprise URL that sends to it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.2", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.2", port=port)
    controller.start()
    yield mailbox, f"mailto://127.0.0.2:{port}?from=nianbao@example.org&to=ops@example.org"
    controller.stop()


@pytest.fixture
def webhook(monkeypatch) -> Iterator[tuple[list[dict], str]]:
    """A JSON webhook on 127.0.0.3 that keeps what it is sent, and the Apprise URL that posts to it."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with webhook_on("127.0.0.3") as hook:
        yield hook


def closed_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]  # nobody listens once it is closed


def notify(url: str, *args: str, to: str = "", always: str = ""):
    result = runner.invoke(app, ["notify", "--db", url, *args],
                           env={"NIANBAO_NOTIFY": to, "NIANBAO_NOTIFY_ALWAYS": always})
    return result.exit_code, result.stdout, result.stderr


def plain_text(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# ---- what a digest holds ----------------------------------------------------------------------------------------


def test_the_digest_holds_exactly_what_the_second_run_brought(world):
    digest = digest_of(world, 2)
    assert [(n.agency_id, n.year) for n in digest.new] == [("bing-county", YEAR)]
    [revision] = digest.revised
    before = report("jia-county")["applications"]["new"]
    assert (revision.agency_id, revision.version) == ("jia-county", 2)
    assert revision.cells == [
        CellChange("applications", "new", "natural_person", before["natural_person"], before["natural_person"] + 10),
        CellChange("applications", "new", "total", before["total"], before["total"] + 10)]
    assert [(w.agency_id, w.reason) for w in digest.withdrawn] == [("jia-police", WITHDRAWN)]
    assert digest.overdue_year == YEAR
    assert {(o.agency_id, o.deadline) for o in digest.overdue} == {("yi-county", COUNTY_DUE),
                                                                   ("jia-finance", date(2026, 1, 31))}
    assert digest.failing == [FailingSite("jia-police", "甲县公安局", "found", "timeout")]
    assert not digest.run_failed


def test_the_first_run_compares_with_nothing_before_it(world):
    digest = digest_of(world, 1)
    assert {n.agency_id for n in digest.new} == {"jia-county", "jia-police", "jia-health"}
    assert [w.agency_id for w in digest.withdrawn] == ["jia-health"]
    assert [o.agency_id for o in digest.overdue] == ["jia-edu"]  # departments were due; counties were not yet
    assert digest.revised == [] and digest.failing == []  # nothing was good before to turn failing


def test_the_digest_is_sent_by_mail_and_webhook_with_the_formats_labels(world, smtp, webhook):
    (mailbox, mail_url), (posts, hook_url) = smtp, webhook
    code, out, err = notify(world, to=f"{mail_url}, {hook_url}")
    assert (code, err) == (0, "")
    assert out == "run 2: digest sent to 2 address(es)\n"  # the latest finished run by default
    [mail], [post] = mailbox.messages, posts
    subject = "nianbao 2026-04-02: 1 new, 1 revised, 1 withdrawn, 2 newly overdue, 1 site failing"
    assert mail["Subject"] == post["title"] == subject
    assert post["path"] == "/hook" and post["type"] == "warning"
    bodies = post["message"], plain_text(mail)  # Markdown, and Apprise's text of it
    before = report("jia-county")["applications"]["new"]["natural_person"]
    for line in ["- 丙县人民政府 · 2025 · 丙县人民政府2025年政府信息公开工作年度报告 · https://bing-county.example/nb/2025.html",
                 "- 甲县人民政府 · 2025 · v2 vs v1: 2 cell(s) changed, text +1/-0 lines",
                 f"一、本年新收政府信息公开申请数量：自然人: {before} → {before + 10}",
                 f"- 甲县公安局 · 2025 · {WITHDRAWN}",
                 "- 乙县人民政府 (yi-county) · 县级 · 截止 / due 2026-03-31",
                 "- 甲县财政局 (jia-finance) · 部门 · 截止 / due 2026-01-31",
                 "- jia-police 甲县公安局: found → timeout"]:
        assert all(line in body for body in bodies), line
    for earlier in ("甲县卫生健康委员会", "甲县教育局", "甲县水利局"):  # the first run's, or nothing new
        assert not any(earlier in body for body in bodies), earlier


def test_a_quiet_run_sends_nothing_unless_asked(world, webhook):
    posts, hook_url = webhook
    quiet = {"yi-county": "nothing_found", "bing-county": "found", "jia-edu": "nothing_found",
             "jia-water": ("blocked", "blocked"), "jia-county": "found", "jia-health": "found",
             "jia-police": ("unreachable", "timeout"), "jia-finance": "nothing_found"}
    run_id = crawl(world, Night(SECOND + timedelta(days=1), quiet))
    assert notify(world, to=hook_url) == (0, "", f"run {run_id}: nothing to report; nothing sent\n")
    assert posts == []
    assert notify(world, "--always", to=hook_url)[0] == 0
    assert notify(world, to=hook_url, always="1")[0] == 0
    assert [post["title"] for post in posts] == ["nianbao 2026-04-03: nothing new"] * 2
    assert "Nothing new in this run." in posts[0]["message"]


def test_a_failed_run_is_reported_with_its_message(world, webhook):
    posts, hook_url = webhook
    run_id = crawl(world, Night(SECOND + timedelta(days=2), status="failed",
                                message="the database stopped answering; 3 sites not finished"))
    assert notify(world, "--run", str(run_id), to=hook_url)[0] == 0
    [post] = posts
    assert post["title"] == "nianbao 2026-04-04: run failed" and post["type"] == "failure"
    assert "### 抓取失败 / Run failed\nthe database stopped answering; 3 sites not finished" in post["message"]


# ---- the command's edges ----------------------------------------------------------------------------------------


def test_dry_run_prints_the_digest_and_sends_nothing(world, webhook):
    posts, hook_url = webhook
    code, out, _ = notify(world, "--run", "1", "--dry-run", to=hook_url)
    assert code == 0 and posts == []
    assert out.startswith("nianbao 2026-03-30: 3 new, 1 withdrawn, 1 newly overdue\n\n**nianbao** 第 1 次抓取")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_bad_addresses_and_failed_sends_are_one_line_errors(world):
    code, _, err = notify(world, to="json://127.0.0.3:9/hook nosuch://secret-token@host")
    assert (code, err) == (1, "nianbao: error: NIANBAO_NOTIFY: address 2 (nosuch://…) is not a URL Apprise can use\n")
    code, _, err = notify(world, to=f"json://user:secret@127.0.0.3:{closed_port('127.0.0.3')}/hook")
    assert code == 1 and len(err.splitlines()) == 1 and "secret" not in err
    assert err.startswith("nianbao: error: could not send to 1 of 1 address(es): json://user:****@127.0.0.3:")
    assert notify(world)[::2] == (1, "nianbao: error: NIANBAO_NOTIFY is not set: no address to send to\n")
    assert notify(world, "--run", "9", to="json://127.0.0.3/hook")[::2] == (1, "nianbao: error: no crawl run 9\n")


def test_long_lists_are_cut_for_a_phone():
    run = Run(7, "scheduled", "completed", FIRST, FIRST + timedelta(minutes=30), None)
    new = [NewReport(f"a{i}", f"第{i}县人民政府", YEAR, None, f"https://a{i}.example/") for i in range(13)]
    cells = [["applications", "new", "natural_person", i, i + 1] for i in range(8)]
    changes = {"from_version": 1, "cells": cells, "text": {"added": 0, "removed": 0}}
    revised = [Revision("a0", "第0县人民政府", YEAR, 2, changes, "https://a0.example/")]
    body = compose(Digest(run, YEAR, new, revised, [], [], [])).body
    assert body.count("\n- 第") == 11 and "\n- … 另有 3 项 / and 3 more\n" in body
    assert body.count("\n    - 一、") == 5 and "\n    - … 另有 3 项 / and 3 more\n" in body


def test_addresses_are_separated_by_spaces_or_commas():
    assert addresses(" mailto://a.example, json://b.example/x\n dingtalk://t ") == [
        "mailto://a.example", "json://b.example/x", "dingtalk://t"]


# ---- after a scheduled run ------------------------------------------------------------------------------------


def failing_crawl() -> list[str]:
    """Stands in for `nianbao crawl`: exits 3 before recording a run, so the scheduler records it as failed."""
    return [sys.executable, "-c", "raise SystemExit(3)"]


@pytest.fixture
def empty_db(db_url) -> str:
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    return db_url


def test_the_scheduler_sends_the_digest_after_a_scheduled_run(empty_db, webhook, monkeypatch):
    posts, hook_url = webhook
    monkeypatch.setenv("NIANBAO_NOTIFY", hook_url)
    assert scheduled_crawl.run_nightly_crawl(empty_db, 60, failing_crawl()) == 3
    [post] = posts
    assert post["title"].endswith(": run failed") and "第 1 次抓取 / run 1 (scheduled, failed)" in post["message"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_alert_that_cannot_be_sent_never_fails_the_scheduler(empty_db, monkeypatch, caplog):
    monkeypatch.setenv("NIANBAO_NOTIFY", f"json://127.0.0.3:{closed_port('127.0.0.3')}/hook")
    with caplog.at_level(logging.INFO, logger="nianbao"):
        assert scheduled_crawl.run_nightly_crawl(empty_db, 60, failing_crawl()) == 3
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name == "nianbao.alerts"]
    assert error.getMessage().startswith("alert not sent: could not send to 1 of 1 address(es): json://127.0.0.3:")
