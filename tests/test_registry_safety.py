"""Registry rows cannot point the crawler at private addresses, carry passwords or hide characters in names."""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.http import Response
from scrapy.utils.test import get_crawler
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from crawler.addresses import PrivateAddressMiddleware, RefusedAddress
from nianbao.cli import app
from nianbao.sampleweb.proxy import proxy_url, start_proxy, stop_proxy
from storage.db import make_engine, upgrade
from storage.models import Agency, ListingPage
from storage.registry import (
    ALLOW_PRIVATE_ADDRESSES,
    ImportResult,
    RegistryError,
    import_registry,
    read_registry,
    redact_url,
)
from tests.fixtureweb.crawl import run_crawl

HEADER = "id,name,level,parent,listing_url\n"
GOOD = HEADER + (
    "xj-tacheng-prefecture,塔城地区行政公署,prefecture,,https://www.xjtc.gov.cn/nb/\n"
    "xj-tuoli-county,托里县人民政府,county,xj-tacheng-prefecture,https://www.xjtl.gov.cn/nb/\n"
)
PRIVATE_URLS = {
    "loopback database port": ("http://127.0.0.1:5432/", "loopback"),
    "cloud metadata": ("http://169.254.169.254/latest/meta-data/", "link-local"),
    "private network": ("http://10.0.0.8/nb/", "private"),
    "ipv6 loopback": ("http://[::1]/nb/", "loopback"),
    "ipv4-mapped ipv6": ("http://[::ffff:169.254.169.254]/", "link-local"),
    "decimal integer host": ("http://2130706433/nb/", "loopback"),
    "hex and short host": ("http://0x7f.1/nb/", "loopback"),
    "octal host": ("http://017700000001/nb/", "loopback"),
    "full-width digits": ("http://１２７．０．０．１/nb/", "loopback"),
    "unspecified": ("http://0.0.0.0/nb/", "unspecified"),
    "multicast": ("http://224.0.0.1/nb/", "multicast"),
    "localhost": ("http://localhost:8080/nb/", "loopback"),
    "localhost with a dot": ("http://LOCALHOST./nb/", "loopback"),
}
HIDDEN = {
    "right-to-left override in the name": ("xj-a", "甲县\u202e府政民人", "", "U+202E in the name"),
    "isolate in the name": ("xj-a", "\u2066甲县人民政府\u2069", "", "U+2066 in the name"),
    "zero-width space in the name": ("xj-a", "甲县\u200b人民政府", "", "U+200B in the name"),
    "right-to-left mark in the name": ("xj-a", "甲县人民政府\u200f", "", "U+200F in the name"),
    "arabic letter mark in the name": ("xj-a", "\u061c甲县人民政府", "", "U+061C in the name"),
    "override in the id": ("xj-\u202ea", "甲县人民政府", "", "U+202E in the id"),
    "override in the parent": ("xj-a", "甲镇人民政府", "xj-tuoli-county\u202e", "U+202E in the parent"),
    "tab in the name": ("xj-a", "甲县\t人民政府", "", "U+0009 in the name"),
}
PASSWORD = "s3cret-pw"


def write(tmp_path: Path, content: str, name: str = "registry.csv") -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def load(engine, path: Path) -> ImportResult:
    with Session(engine) as session, session.begin():
        return import_registry(session, read_registry(path, session))


def snapshot(session: Session) -> tuple[list, list]:
    agencies = session.execute(select(Agency.id, Agency.name, Agency.parent_id, Agency.updated_at).order_by(Agency.id))
    pages = session.execute(select(ListingPage.agency_id, ListingPage.url).order_by(ListingPage.url))
    return agencies.all(), pages.all()


@pytest.fixture
def strict(monkeypatch):
    """The setting as in production: off (the test session turns it on for the fixture servers)."""
    monkeypatch.delenv(ALLOW_PRIVATE_ADDRESSES, raising=False)


def refused(engine, path: Path) -> str:
    """The one-line error importing the file gives, checked to leave the database as it was."""
    with Session(engine) as session, session.begin():
        before = snapshot(session)
        with pytest.raises(RegistryError) as raised:
            import_registry(session, read_registry(path, session))
        assert snapshot(session) == before
    message = str(raised.value)
    assert "\n" not in message and f"{path}: line 4:" in message
    return message


@pytest.mark.parametrize("case", PRIVATE_URLS, ids=list(PRIVATE_URLS))
def test_listing_urls_on_private_addresses_are_refused(engine, tmp_path, strict, case):
    url, kind = PRIVATE_URLS[case]
    load(engine, write(tmp_path, GOOD, "good.csv"))
    message = refused(engine, write(tmp_path, GOOD + f"xj-a,甲县人民政府,county,,{url}\n"))
    assert f"not a public address ({kind}; {ALLOW_PRIVATE_ADDRESSES}=1 allows it)" in message


def test_listing_urls_with_credentials_are_refused_without_printing_the_password(engine, tmp_path, monkeypatch):
    monkeypatch.setenv(ALLOW_PRIVATE_ADDRESSES, "1")  # the setting is about addresses, never about credentials
    load(engine, write(tmp_path, GOOD, "good.csv"))
    shown = {
        f"http://admin:{PASSWORD}@www.xjtl.gov.cn/nb/": "'http://admin:***@www.xjtl.gov.cn/nb/'",
        "http://www.xjtl.gov.cn@127.0.0.1/nb/": "'http://www.xjtl.gov.cn@127.0.0.1/nb/'",  # looks like the county
    }
    for url, redacted in shown.items():
        message = refused(engine, write(tmp_path, GOOD + f"xj-a,甲县人民政府,county,,{url}\n"))
        assert f"listing_url {redacted} of 'xj-a' has a user name or password" in message
        assert PASSWORD not in message


@pytest.mark.parametrize("case", HIDDEN, ids=list(HIDDEN))
def test_hidden_characters_in_ids_names_and_parents_are_refused(engine, tmp_path, case):
    agency_id, name, parent, words = HIDDEN[case]
    load(engine, write(tmp_path, GOOD, "good.csv"))
    message = refused(engine, write(tmp_path, GOOD + f'"{agency_id}","{name}",county,{parent},https://a.gov.cn/\n'))
    assert words in message
    assert not re.search("[\u202a-\u202e\u2066-\u2069\u200b\u200e\u200f\u061c\t]", message)  # escaped, not printed


def test_private_addresses_import_when_allowed(engine, tmp_path, monkeypatch):
    monkeypatch.setenv(ALLOW_PRIVATE_ADDRESSES, "true")
    rows = "".join(f"xj-{n},甲{n}县人民政府,county,,{url}\n" for n, (url, _) in enumerate(PRIVATE_URLS.values()))
    assert load(engine, write(tmp_path, HEADER + rows)).added == len(PRIVATE_URLS)


def test_cli_import_refuses_in_one_line_and_list_hides_stored_passwords(db_url, tmp_path, strict):
    runner = CliRunner()
    bad = write(tmp_path, HEADER + "xj-a,甲县人民政府,county,,http://169.254.169.254/latest/\n")
    result = runner.invoke(app, ["sites", "import", str(bad), "--db", db_url])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "line 2" in result.stderr and "link-local" in result.stderr
    # A password stored before imports refused them (an older database) is never printed.
    engine = make_engine(db_url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        session.add(Agency(id="xj-old", name="旧县人民政府", level="county"))
        session.flush()
        session.add(ListingPage(agency_id="xj-old", url=f"http://admin:{PASSWORD}@www.old.gov.cn/nb/"))
    engine.dispose()
    result = runner.invoke(app, ["sites", "list", "--db", db_url])
    assert result.exit_code == 0 and "http://admin:***@www.old.gov.cn/nb/" in result.stdout
    assert PASSWORD not in result.stdout and "xj-a" not in result.stdout


def test_redact_url_keeps_everything_but_the_password():
    assert redact_url(f"https://user:{PASSWORD}@a.gov.cn:8443/p?q=1") == "https://user:***@a.gov.cn:8443/p?q=1"
    assert redact_url(f"http://:{PASSWORD}@a.gov.cn/") == "http://:***@a.gov.cn/"
    assert redact_url("http://user@a.gov.cn/x@y") == "http://user@a.gov.cn/x@y"
    assert redact_url("https://a.gov.cn/nb/?mail=a@b.cn") == "https://a.gov.cn/nb/?mail=a@b.cn"


# ---- at fetch time -------------------------------------------------------------------------------------------


def middleware(allowed: bool) -> PrivateAddressMiddleware:
    return PrivateAddressMiddleware.from_crawler(get_crawler(settings_dict={ALLOW_PRIVATE_ADDRESSES: allowed}))


def fetch(guard: PrivateAddressMiddleware, url: str) -> None:
    asyncio.run(guard.process_request(Request(url)))


@pytest.fixture
def intranet_name(monkeypatch):
    """A host name that resolves to loopback, as an intranet name or a hostile DNS record would (no real DNS)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "nb.intranet.gov.cn":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 0)),
                    (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 0, 0, 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return "nb.intranet.gov.cn"


def test_requests_to_private_addresses_are_refused_and_counted(intranet_name):
    guard = middleware(allowed=False)
    expected = {
        "http://127.0.0.1:5432/": "127.0.0.1 is not a public address (loopback)",
        "http://169.254.169.254/latest/meta-data/": "169.254.169.254 is not a public address (link-local)",
        "http://localhost/nb/": "localhost is not a public address (loopback)",
        f"http://{intranet_name}/nb/": f"{intranet_name} resolves to ::1, not a public address (loopback)",
        "http://0x7f.1/": "0x7f.1 is not a public address (loopback)",
    }
    for url, reason in expected.items():
        with pytest.raises(RefusedAddress, match=re.escape(reason)):
            fetch(guard, url)
    with pytest.raises(RefusedAddress):  # the host's verdict is kept for the crawl
        fetch(guard, "http://127.0.0.1:5432/other")
    assert guard.stats.get_value("nianbao/refused_address") == len(expected) + 1
    assert set(guard.refusals) == {"127.0.0.1", "169.254.169.254", "localhost", intranet_name, "0x7f.1"}


def test_public_and_hostless_requests_pass_and_everything_passes_when_allowed():
    guard = middleware(allowed=False)
    fetch(guard, "http://8.8.8.8/nb/")
    fetch(guard, "data:,")
    allowed = middleware(allowed=True)
    for url in ("http://127.0.0.1:5432/", "http://169.254.169.254/", "http://localhost/"):
        fetch(allowed, url)
    assert guard.stats.get_value("nianbao/refused_address") is None
    assert allowed.stats.get_value("nianbao/refused_address") is None


def test_a_redirect_to_a_private_address_is_refused():
    crawler = get_crawler(settings_dict={ALLOW_PRIVATE_ADDRESSES: False})
    guard = PrivateAddressMiddleware.from_crawler(crawler)
    listing = Request("http://www.xjtl.gov.cn/nb/", meta={"listing": "http://www.xjtl.gov.cn/nb/"})
    moved = Response(listing.url, status=302, headers={"Location": "http://127.0.0.3:8080/admin"}, request=listing)
    redirected = RedirectMiddleware.from_crawler(crawler).process_response(listing, moved)
    assert isinstance(redirected, Request) and redirected.meta["listing"] == listing.url
    with pytest.raises(RefusedAddress, match=r"127\.0\.0\.3 is not a public address"):
        asyncio.run(guard.process_request(redirected))


def test_the_crawl_refuses_stored_rows_and_redirects_to_private_addresses(tmp_path):
    """Rows stored without the import check (an older database) and a redirect: blocked, never fetched.

    Every request goes to the fixture proxy; the public addresses are literal so that nothing asks DNS.
    """
    asked: list[str] = []

    def answer(method, url, headers, form):
        asked.append(url)
        if url.endswith("/robots.txt"):
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow:\n"
        if url == "http://93.184.216.34/nb/":
            return 302, {"Location": "http://127.0.0.3:8080/moved/"}, b""
        return 200, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body><p>nothing</p></body></html>"

    rows = {
        "xj-loopback": "http://127.0.0.3:8080/nb/",  # also puts 127.0.0.3 among the hosts the crawl may follow
        "xj-metadata": "http://169.254.169.254/latest/",
        "xj-moved": "http://93.184.216.34/nb/",
        "xj-public": "http://93.184.216.35/nb/",
    }
    registry = write(tmp_path, HEADER + "".join(f"{i},{i}人民政府,county,,{url}\n" for i, url in rows.items()))
    server = start_proxy(answer)
    try:
        # Imported here with the session's allowance on; the crawl itself runs with it off.
        _, log = run_crawl(SimpleNamespace(proxy_url=proxy_url(server)), registry, tmp_path / "items.jsonl",
                           settings={ALLOW_PRIVATE_ADDRESSES: "0"})
    finally:
        stop_proxy(server)
    # Read from the crawl's log and stats, which the spider writes before any pipeline sees the outcomes.
    outcomes = dict(re.findall(r"'nianbao/site/([\w-]+)/outcome': '(\w+)'", log))
    assert outcomes == {"xj-loopback": "blocked", "xj-metadata": "blocked", "xj-moved": "blocked",
                        "xj-public": outcomes["xj-public"]}
    assert outcomes["xj-public"] not in ("blocked", "unreachable")
    for url, refusal in (("http://127.0.0.3:8080/nb/", "127.0.0.3 is not a public address (loopback)"),
                         ("http://169.254.169.254/latest/", "169.254.169.254 is not a public address (link-local)"),
                         ("http://127.0.0.3:8080/moved/", "127.0.0.3 is not a public address (loopback)")):
        assert f": blocked: refused: {refusal}; {ALLOW_PRIVATE_ADDRESSES}=1 allows it ({url})" in log
    assert {"http://93.184.216.34/nb/", "http://93.184.216.35/nb/"} <= set(asked)
    assert not [url for url in asked if re.match(r"http://(127|169\.254)\.", url)]
    assert "'nianbao/refused_address': 3" in log
