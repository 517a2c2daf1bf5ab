"""`nianbao sites discover URL`: from each fixture portal's home page (TRS menus in lists, Hanweb menus in tables, a
site cluster's script-built menu, a county platform with department and township sub-platforms) discovery proposes
exactly the annual-report columns, never the look-alikes (政府工作报告, 统计年报, 统计公报, 财政预决算), which it does
not even fetch."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest

from tests.fixtureweb.crawl import REPOSITORY, import_registry_file
from tests.fixtureweb.portals import portal_web, trs_portal
from tests.fixtureweb.spec import registry_csv


@pytest.fixture(scope="module")
def portals(tmp_path_factory):
    """The portals, and a registry that already holds the TRS portal's column (for agency "a")."""
    web, portals = portal_web()
    db_url = f"sqlite:///{tmp_path_factory.mktemp('discover') / 'n.sqlite'}"
    registry = tmp_path_factory.mktemp("registry") / "registry.csv"
    registry.write_text(registry_csv(web_sites()[:1]), encoding="utf-8")
    import_registry_file(db_url, registry)
    with web.prerender():
        yield web, portals, db_url


def web_sites():
    return [site for make in (trs_portal,) for site in make()[0]]


def discover(web, db_url: str, url: str, *args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and "NIANBAO_" not in k}
    environment |= {"http_proxy": web.proxy_url, "NIANBAO_DOWNLOAD_DELAY": "0", "NIANBAO_AUTOTHROTTLE": "0"}
    return subprocess.run([sys.executable, "-m", "nianbao", "sites", "discover", url, *args, "--db", db_url],
                          cwd=REPOSITORY,
                          env=environment, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("which", ["trs", "hanweb", "cluster", "platform"])
def test_discovery_finds_exactly_the_annual_report_columns(portals, which):
    web, found, db_url = portals
    portal = found[["trs", "hanweb", "cluster", "platform"].index(which)]
    done = discover(web, db_url, portal.url, "--parent", "region")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    base = f"http://{portal.host}"
    assert sorted((r["name"], r["level"], r["listing_url"], r["evidence"]) for r in rows) == sorted(
        (e.name, e.level, base + e.listing, e.evidence) for e in portal.expected)
    own, *others = rows
    assert (own["parent"], own["origin"]) == ("region", "discovered") and own["id"].startswith("region-")
    assert {r["parent"] for r in others} <= {own["id"]}
    assert all(int(r["reports"]) >= 1 for r in rows)
    assert [r["registered"] for r in rows] == (["a"] if which == "trs" else [""] * len(rows))  # already there
    fetched = {url.split(portal.host, 1)[1] for url in web.requests if portal.host in url}
    assert not fetched & set(portal.lookalikes)
    assert done.stderr.strip().splitlines()[-1].startswith(f"{len(portal.expected)} agencies with annual-report "
                                                           "columns found on ")


def test_a_bad_url_or_a_page_that_is_not_there_is_a_one_line_error(portals):
    web, _, db_url = portals
    bad = discover(web, db_url, "ftp://www.portal-a.gov.test/")
    assert (bad.returncode, bad.stderr.strip()) == (2, "nianbao: error: not an http(s) URL: ftp://www.portal-a.gov.test/")
    gone = discover(web, db_url, "http://www.portal-a.gov.test/no-such-page.html")
    assert gone.returncode == 1
    assert gone.stderr.strip().splitlines()[-1] == (
        "nianbao: error: nothing could be read at http://www.portal-a.gov.test/no-such-page.html (see the log above)")
