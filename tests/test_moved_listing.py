"""A registered listing page that moved: after it has failed three runs in a row, `nianbao sites rediscover`
(and the scheduler's nightly job) searches the site's home page again and proposes the column's new address;
`sites health` shows the proposal and the registry is left as it was."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from nianbao import scheduled_crawl
from tests.fixtureweb.crawl import REPOSITORY, run_crawl
from tests.fixtureweb.portals import MOVED_FROM, moved_portal, portal_web


def _nianbao(web, db_url: str, *args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and "NIANBAO_" not in k}
    environment |= {"http_proxy": web.proxy_url, "NIANBAO_DOWNLOAD_DELAY": "0", "NIANBAO_AUTOTHROTTLE": "0"}
    return subprocess.run([sys.executable, "-m", "nianbao", *args, "--db", db_url], cwd=REPOSITORY, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_a_moved_listing_is_proposed_after_the_failing_runs_and_the_registry_is_left_alone(tmp_path, monkeypatch):
    web, [portal] = portal_web([moved_portal()])
    old = f"http://{portal.host}{MOVED_FROM}"
    new = f"http://{portal.host}{portal.expected[0].listing}"
    registry = tmp_path / "registry.csv"
    registry.write_text(f"id,name,level,parent,listing_url\ne,{portal.expected[0].name},county,,{old}\n",
                        encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'n.sqlite'}"
    with web.prerender():
        for night in range(3):
            run_crawl(web, registry, tmp_path / f"night{night}.jsonl", db_url=db_url)
            # The scheduler's nightly job searches again only once a site has failed three runs in a row.
            monkeypatch.setenv("http_proxy", web.proxy_url)
            monkeypatch.setenv("NIANBAO_DOWNLOAD_DELAY", "0")
            assert scheduled_crawl.rediscover_failing(db_url) == (0 if night == 2 else None)
        health = json.loads(_nianbao(web, db_url, "sites", "health", "--format", "json").stdout)
        searched = _nianbao(web, db_url, "sites", "rediscover")  # by hand: the same proposal, renewed
        assert searched.returncode == 0, searched.stderr[-3000:]
        assert searched.stdout == f"e: proposed {new} (首页 > 政府信息公开 > 政府信息公开年报)\n"
        assert searched.stderr.strip().splitlines()[-1] == ("1 failing site(s) searched again, 1 new listing page(s) "
                                                            "proposed")
        fetched = {url.split(portal.host, 1)[1] for url in web.requests if portal.host in url}
    [site] = health
    assert (site["id"], site["failure_class"], site["consecutive_failures"]) == ("e", "http_4xx_gone", 3)
    assert [p["url"] for p in site["proposed"]] == [new]
    listed = _nianbao(web, db_url, "sites", "list").stdout.splitlines()[1].split("\t")
    assert listed[4] == old  # proposed, never written into the registry
    assert not fetched & set(portal.lookalikes)
