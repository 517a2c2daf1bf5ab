"""Site health: each failing site's failure class, its run of consecutive failures with the first one's date, and
`nianbao sites health`; home pages and foreign columns answering for a listing are layout changes, not absences."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from scrapy import Request
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError
from scrapy.http import HtmlResponse, Response
from scrapy.spidermiddlewares.httperror import HttpError
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from twisted.internet import error as tx
from twisted.python.failure import Failure

from crawler.columns import foreign_column, moved_home
from crawler.outcomes import OffsiteRedirect, classify_failure
from storage.db import make_engine
from storage.health import broken_sites
from storage.models import FAILURE_CLASSES, Agency, CrawlRun, SiteOutcome
from storage.runs import finish_run, record_site_outcome, start_run
from tests.faultweb import CRAWL_ENV, LISTING, REPOSITORY, Answer, Entry, FaultSite, archive_env, audit, prepared
from tests.fixtureweb.documents import list_items, listing_page
from tests.no_dns import NO_DNS

URL = "http://www.xx.gov.test/xxgk/nb/index.html"

# ---- failure classes -----------------------------------------------------------------------------------------------


def _failure(error: Exception) -> Failure:
    failure = Failure(error)
    failure.request = Request(URL)
    return failure


@pytest.mark.parametrize(("error", "expected"), [
    (CannotResolveHostError("DNS lookup failed"), ("unreachable", "dns_failure")),
    (tx.DNSLookupError("no results"), ("unreachable", "dns_failure")),
    (DownloadConnectionRefusedError("refused"), ("unreachable", "refused")),
    (tx.ConnectionRefusedError(), ("unreachable", "refused")),
    (DownloadTimeoutError("took longer than 60 seconds"), ("unreachable", "timeout")),
    (tx.TCPTimedOutError(), ("unreachable", "timeout")),
    (tx.ConnectionLost(), ("unreachable", "connection_failed")),
    (HttpError(Response(URL, status=404), "404"), ("layout_changed", "http_4xx_gone")),
    (HttpError(Response(URL, status=410), "410"), ("layout_changed", "http_4xx_gone")),
    (HttpError(Response(URL, status=503), "503"), ("unreachable", "http_5xx")),
    (HttpError(Response(URL, status=403), "403"), ("blocked", "blocked")),
    (OffsiteRedirect("redirected off the site to http://elsewhere.test/"), ("layout_changed", "redirected_offsite")),
], ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None)
def test_a_failed_listing_request_gets_its_failure_class(error, expected):
    verdict = classify_failure(_failure(error))
    assert (verdict.outcome, verdict.failure_class) == expected
    assert verdict.failure_class in FAILURE_CLASSES and URL in verdict.detail


# ---- what a listing page says it is --------------------------------------------------------------------------------

NEWS = [Entry("关于开展2025年春季义务植树活动的通知", "/tzgg/1.html", "2025-03-01"),
        Entry("县人民政府召开2025年第一次常务会议", "/tzgg/2.html", "2025-02-20")]


def column_page(site: str, column: str | None, entries: list[Entry]) -> bytes:
    """A page as the national website rules have it: SiteName and ColumnName (when given) in its head."""
    page = listing_page(site, column or "首页", list_items(entries), "", "utf-8")
    tags = f'<meta name="SiteName" content="{site}">'
    tags += f'<meta name="ColumnName" content="{column}">' if column else ""
    return page.replace(b"<head>", b"<head>" + tags.encode(), 1)


def _response(url: str, column: str | None, redirected_from: str | None = None) -> HtmlResponse:
    meta = {"redirect_urls": [redirected_from]} if redirected_from else {}
    return HtmlResponse(url, body=column_page("某县人民政府网", column, NEWS), encoding="utf-8",
                        request=Request(url, meta=meta))


def test_a_listing_answered_by_the_home_page_has_moved():
    assert moved_home(_response(URL, "首页"), URL) == f"{URL} now answers with the home page of 某县人民政府网"
    root = "http://www.xx.gov.test/"
    assert moved_home(_response(root, None, redirected_from=URL), URL) == f"{URL} now redirects to the home page {root}"
    assert moved_home(_response(URL, "政府信息公开年报"), URL) is None
    assert moved_home(_response(root, "首页"), root) is None  # registered as the home page: nothing moved
    columned = "http://www.xx.gov.test/index.jsp?columnId=12"
    assert moved_home(_response(root, None, redirected_from=columned), columned) is not None


@pytest.mark.parametrize(("column", "foreign"), [
    ("通知公告", True),
    ("政务动态", True),
    ("政府信息公开年报", False),
    ("年度报告", False),
    ("法定主动公开内容", False),  # a county's disclosure column lists its reports among everything else
    ("政府信息公开", False),
    ("教育局", False),  # named after the agency registering the listing
    (None, False),
])
def test_a_column_that_lists_no_reports_is_foreign(column, foreign):
    said = foreign_column(_response(URL, column), ["某县人民政府", "某县教育局"])
    assert (said is not None) == foreign
    if foreign:
        assert said == f"the column «{column}» of 某县人民政府网"


# ---- consecutive failures, from the recorded outcomes --------------------------------------------------------------

DAY1 = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)


def _run(session: Session, day: int, outcomes: dict[str, tuple[str, str | None]], status="completed") -> int:
    run_id = start_run(session, "scheduled")
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(started_at=DAY1 + timedelta(days=day)))
    for site, (outcome, failure_class) in outcomes.items():
        record_site_outcome(session, run_id, site, outcome, failure_class=failure_class, message=f"{outcome} {day}")
    if status != "running":
        finish_run(session, run_id, status)
    return run_id


def test_broken_sites_count_failures_in_a_row_since_the_last_found(engine):
    with Session(engine) as session, session.begin():
        for agency_id in "abcdef":
            session.add(Agency(id=agency_id, name=f"{agency_id}县人民政府", level="county", enabled=agency_id != "d"))
        session.flush()
        _run(session, 0, {"a": ("found", None), "b": ("blocked", "blocked"), "c": ("nothing_found", "nothing_found"),
                          "d": ("blocked", "blocked"), "e": ("unreachable", None), "f": ("found", None)})
        _run(session, 1, {"a": ("unreachable", "timeout"), "b": ("blocked", "blocked"), "c": ("found", None),
                          "d": ("blocked", "blocked"), "e": ("unreachable", None)})
        _run(session, 2, {"b": ("layout_changed", "redirected_offsite")}, status="interrupted")
        _run(session, 3, {"a": ("incomplete", None), "f": ("incomplete", None)}, status="running")
    with Session(engine) as session:
        broken = broken_sites(session)
    # c recovered, d is disabled, f only "fails" in a run still going; e's rows predate failure classes.
    assert [(s.id, s.failure_class, s.consecutive_failures, s.failing_since) for s in broken] == [
        ("b", "redirected_offsite", 3, DAY1),
        ("e", "unreachable", 2, DAY1),
        ("a", "timeout", 1, DAY1 + timedelta(days=1)),
    ]
    assert (broken[0].outcome, broken[0].last_message) == ("layout_changed", "layout_changed 2")


def test_an_unknown_failure_class_is_refused(engine):
    with Session(engine) as session, session.begin():
        run_id = start_run(session, "manual")
        with pytest.raises(ValueError, match="unknown failure class"):
            record_site_outcome(session, run_id, "a", "unreachable", failure_class="gremlins")


# ---- real crawls of failing sites, night after night ---------------------------------------------------------------

SITES = {"good": "甲县人民政府", "moved": "乙县人民政府", "home": "丙县人民政府", "column": "丁县人民政府",
         "empty": "戊县人民政府", "gone": "己县人民政府", "down": "庚县人民政府", "away": "辛县人民政府",
         "refresh": "壬县人民政府", "slow": "癸县人民政府"}
FIRST_ADDRESS = 160
ELSEWHERE = f"127.0.0.{FIRST_ADDRESS + len(SITES)}"


def nianbao(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    """`nianbao ARGS` in a process of its own, with the fault web's crawl settings and no real DNS."""
    environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and "NIANBAO_" not in k}
    db_url = args[args.index("--db") + 1] if "--db" in args else "sqlite"
    environment |= CRAWL_ENV | archive_env(db_url) | {"NIANBAO_DOWNLOAD_TIMEOUT": "1"}
    return subprocess.run([sys.executable, "-c", NO_DNS, *args], cwd=REPOSITORY, env=environment,
                          capture_output=True, text=True, timeout=timeout)


def closed_port(address: str) -> int:
    """A port nothing listens on: taken from the system, then let go."""
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def serve(sites: dict[str, FaultSite], elsewhere: FaultSite) -> None:
    """The first night: every site but good and moved fails in its own way (down recovers on the third)."""
    for key in ("good", "moved"):
        site = sites[key]
        site.list_reports([site.report("/nb/1.html", site.name)])
    home = sites["home"]  # its home page shows this year's report in a "latest" box: still not the list
    entry = home.report("/nb/1.html", home.name)
    home.answers[LISTING] = Answer(column_page(f"{home.name}网", "首页", [*NEWS, entry]))
    sites["column"].answers[LISTING] = Answer(column_page(f"{SITES['column']}网", "通知公告", NEWS))
    sites["empty"].answers[LISTING] = Answer(column_page(f"{SITES['empty']}网", "政府信息公开年报", NEWS))
    sites["down"].answers[LISTING] = Answer(b"<html><body>Internal Server Error</body></html>", status=500)
    sites["away"].answers[LISTING] = Answer(status=302, headers={"Location": f"{elsewhere.base}/xxgk/"})
    refresh = f'<html><head><meta http-equiv="refresh" content="0;url={elsewhere.base}/nb/"></head></html>'
    sites["refresh"].answers[LISTING] = Answer(refresh.encode())
    slow = sites["slow"]
    slow.list_reports([slow.report("/nb/1.html", slow.name)])
    slow.answers[LISTING].delay = 3  # the crawl waits 1 s
    # sites["gone"] answers 404 to everything


def health(db_url: str) -> list[dict]:
    done = nianbao("sites", "health", "--db", db_url, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def started(db_url: str) -> list[datetime]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(CrawlRun.started_at).order_by(CrawlRun.id)))
    finally:
        engine.dispose()


def run_outcomes(db_url: str, run: int) -> dict[str, tuple[str, str | None, str | None]]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(SiteOutcome).where(SiteOutcome.run_id == run))
            return {row.site_key: (row.outcome, row.failure_class, row.message) for row in rows}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    """Three crawls of the sites: the second finds moved's listing redirected to its home page, the third finds
    down mended. Yields the database, the crawls' stderr and health after the second and third."""
    folder = tmp_path_factory.mktemp("health")
    sites = {key: FaultSite(f"127.0.0.{FIRST_ADDRESS + i}", name) for i, (key, name) in enumerate(SITES.items())}
    elsewhere = FaultSite(ELSEWHERE, "不是登记的网站")
    nobody = f"127.0.0.{FIRST_ADDRESS + len(SITES) + 1}"
    rows = [(f"x-{key}", site.name, site.listing_url) for key, site in sites.items()]
    rows += [("x-refused", "子县人民政府", f"http://{nobody}:{closed_port(nobody)}{LISTING}"),
             ("x-dns", "丑县人民政府", "http://zfxxgk.nosuch-county.invalid/xxgk/nb/")]
    registry = folder / "registry.csv"
    registry.write_text("id,name,level,parent,listing_url\n" + "".join(f"{i},{n},county,,{u}\n" for i, n, u in rows),
                        encoding="utf-8")
    db_url = prepared(f"sqlite:///{folder / 'n.sqlite'}", registry)
    for site in [*sites.values(), elsewhere]:
        site.__enter__()
    try:
        serve(sites, elsewhere)
        logs = [_crawl(db_url)]
        moved = sites["moved"]
        moved.answers[LISTING] = Answer(status=302, headers={"Location": "/"})
        moved.answers["/"] = Answer(listing_page(f"{moved.name}网", "首页", list_items(NEWS), "", "utf-8"))
        logs.append(_crawl(db_url))
        second = health(db_url)
        down = sites["down"]
        down.list_reports([down.report("/nb/1.html", down.name)])
        logs.append(_crawl(db_url))
    finally:
        for site in [*sites.values(), elsewhere]:
            site.__exit__()
    yield db_url, logs, second, health(db_url)


def _crawl(db_url: str) -> str:
    done = nianbao("crawl", "--db", db_url)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


BROKEN_SINCE_FIRST = {  # id → (outcome, failure class, what the message says)
    "x-away": ("layout_changed", "redirected_offsite", f"redirected off the site to http://{ELSEWHERE}"),
    "x-column": ("layout_changed", "layout_changed", "is now the column «通知公告» of 丁县人民政府网: 2 links"),
    "x-dns": ("unreachable", "dns_failure", "zfxxgk.nosuch-county.invalid"),
    "x-empty": ("nothing_found", "nothing_found", "none a report"),
    "x-gone": ("layout_changed", "http_4xx_gone", "HTTP 404"),
    "x-home": ("layout_changed", "layout_changed", "now answers with the home page of 丙县人民政府网"),
    "x-refresh": ("layout_changed", "redirected_offsite", f"redirected off the site to http://{ELSEWHERE}"),
    "x-refused": ("unreachable", "refused", "refused"),
    "x-slow": ("unreachable", "timeout", "took longer than"),
}


def test_each_failing_site_is_classified_and_said_in_one_line(nights):
    db_url, logs, _, _ = nights
    outcomes = run_outcomes(db_url, 3)
    for site_id, (outcome, failure_class, said) in BROKEN_SINCE_FIRST.items():
        assert outcomes[site_id][:2] == (outcome, failure_class), (site_id, outcomes[site_id])
        assert said in outcomes[site_id][2], (site_id, outcomes[site_id])
    assert outcomes["x-good"][:2] == outcomes["x-down"][:2] == ("found", None)
    moved = outcomes["x-moved"]
    assert moved[:2] == ("layout_changed", "layout_changed") and "now redirects to the home page" in moved[2]
    for said in ("x-away: layout_changed (redirected_offsite): ", "x-refused: unreachable (refused): ",
                 "x-dns: unreachable (dns_failure): ", "x-gone: layout_changed (http_4xx_gone): ",
                 "x-home: layout_changed: "):  # the class where it says more than the outcome
        assert f" {said}" in logs[0], logs[0]


def test_health_lists_the_broken_sites_longest_broken_first(nights):
    db_url, _, second, third = nights
    runs = started(db_url)
    assert [(s["id"], s["failure_class"], s["consecutive_failures"]) for s in third] == [
        *((site_id, failure_class, 3) for site_id, (_, failure_class, _) in sorted(BROKEN_SINCE_FIRST.items())),
        ("x-moved", "layout_changed", 2),
    ]
    assert {datetime.fromisoformat(s["failing_since"]) for s in third[:-1]} == {runs[0]}
    assert datetime.fromisoformat(third[-1]["failing_since"]) == runs[1]
    assert all(s["last_run"] == 3 and s["last_message"] for s in third)
    # The second night down was still failing; the third found its report, and it dropped out.
    down = next(s for s in second if s["id"] == "x-down")
    assert (down["failure_class"], down["consecutive_failures"], down["last_run"]) == ("http_5xx", 2, 2)
    assert "x-down" not in {s["id"] for s in third} and "x-good" not in {s["id"] for s in second}


def test_health_prints_tab_separated_lines_off_a_terminal(nights):
    db_url, _, _, third = nights
    done = nianbao("sites", "health", "--db", db_url)
    assert done.returncode == 0, done.stderr
    header, *lines = done.stdout.splitlines()
    assert header.split("\t") == ["id", "name", "class", "failures", "failing since (UTC)", "last message",
                                  "proposed listing"]
    assert [line.split("\t")[:4] for line in lines] == [
        [s["id"], s["name"], s["failure_class"], str(s["consecutive_failures"])] for s in third]


def test_a_changed_column_never_reads_as_missing(nights):
    db_url = nights[0]
    done = audit(db_url, "--year", "2024", "--as-of", "2025-06-01", "--format", "json")
    assert done.returncode == 0, done.stderr
    statuses = {row["agency_id"]: row["status"] for row in json.loads(done.stdout)["rows"]}
    assert statuses["x-empty"] == "missing"  # its own column was read whole: absence proven, as before
    for site_id in ("x-column", "x-away", "x-refresh", "x-gone", "x-dns", "x-refused", "x-slow"):
        assert statuses[site_id] == "unreachable", (site_id, statuses[site_id])
    # Stored on the first night (moved), or from the home page's "latest" box (home): published all the same.
    assert statuses["x-moved"] == statuses["x-home"] == "published"
