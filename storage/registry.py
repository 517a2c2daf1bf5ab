"""The agency registry: validate the registry CSV, import it in place, list agencies with their last outcomes."""

from __future__ import annotations

import contextlib
import csv
import io
import ipaddress
import os
import re
import socket
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from nianbao.audit.model import LEVEL_LABELS
from nianbao.divisions import UnknownDivision, division, fits, matching
from storage.attribution import attribute_reports
from storage.db import dialect_insert
from storage.models import LEVELS, ORIGINS, Agency, ListingPage, SiteOutcome, utcnow
from storage.runs import last_confirmed, last_outcomes

REQUIRED_COLUMNS = ("id", "name", "level", "parent", "listing_url")
GOVERNMENT_LEVELS = ("province", "prefecture", "county")  # the levels that have a 行政区划代码
_SLUG = re.compile(r"[^\s:]+")
_TRUE = {"true", "yes", "y", "1", "是"}
_FALSE = {"false", "no", "n", "0", "否", ""}
# A level as people write it in their own sheets: 县级 as well as county (and County).
_LEVEL_BY_NAME = {**{label: level for level, label in LEVEL_LABELS.items()}, **{level: level for level in LEVELS}}
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Crawling loopback and private networks is for tests and the demo; elsewhere a registry row or a redirect could
# point the crawler at the machine it runs on or its network (cloud metadata at 169.254.169.254, local databases).
ALLOW_PRIVATE_ADDRESSES = "NIANBAO_ALLOW_PRIVATE_ADDRESSES"
# Controls, bidirectional overrides and isolates, zero-width marks, line separators: text that reads other than it is.
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}
# Hosts a resolver may read as an IPv4 address: 2130706433, 0x7f.1, 017700000001, 127.1.
_NUMERIC_HOST = re.compile(r"[0-9][0-9a-fx.]*", re.IGNORECASE)
_AUTHORITY = re.compile(r"[^:/?#]+://(?P<authority>[^/?#]*)")
_NOT_PUBLIC = ("unspecified", "loopback", "link_local", "multicast", "private", "site_local", "reserved")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv4 addresses as DNS64 hands them to IPv6-only networks


class RegistryError(Exception):
    """A registry file or record that cannot be imported; the message is one line naming the file and line."""


@dataclass(frozen=True)
class AgencyRecord:
    id: str
    name: str
    level: str
    parent: str | None = None
    listing_urls: tuple[str, ...] = ()
    verified: bool = False  # from the optional `verified` column: someone checked the listing page by hand
    origin: str | None = None  # optional `origin` column (storage.models.ORIGINS); none given: kept, or "manual"
    division: str | None = None  # optional `division` column: the government's 行政区划代码 (nianbao.divisions)


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int
    attributed: int = 0  # stored reports now filed under an imported agency (they had only its name)
    unmatched: tuple[str, ...] = ()  # governments whose division was neither given nor found by name


@dataclass(frozen=True)
class AgencyStatus:
    """One registry row for `nianbao sites list`: the agency, its listing pages and its latest crawl outcome."""

    id: str
    name: str
    level: str
    parent_id: str | None
    verified: bool
    listing_urls: tuple[str, ...]
    last_outcome: SiteOutcome | None
    enabled: bool = True
    origin: str = "manual"
    division: str | None = None
    confirmed_at: datetime | None = None  # its listing last read whole by a crawl (found, or listed nothing)


def read_registry(path: str | Path, session: Session | None = None, say=None) -> list[AgencyRecord]:
    """Read and validate a registry CSV; parents must be in the file, or in the database when a session is given.

    Without a session the parent check waits for import_registry, which always makes it. A file saved as GBK or
    GB18030 (Excel and WPS on Chinese Windows) is read as such, and say(line) tells the caller so.
    """
    path = Path(path)
    rows = _sheet_rows(path) if path.suffix.lower() == ".xlsx" else _csv_rows(path, say)
    header = [name.strip().lower() for name in rows[0][1]]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise RegistryError(f"{path}: missing columns: {', '.join(missing)} (header: {','.join(header)})")
    records = [_record(path, line, dict(zip(header, values, strict=False))) for line, values in rows[1:]]
    if not records:
        raise RegistryError(f"{path}: no agencies below the header")
    _check_unique(records, where=str(path))
    if session is not None:
        _check_parents(records, _known_ids(session), where=str(path))
    return records


def _csv_rows(path: Path, say=None) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank row, the header first."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RegistryError(f"{path}: no such file") from None
    except OSError as error:
        raise RegistryError(f"{path}: cannot read: {error.strerror}") from None
    text, encoding = _decode(path, raw)
    if say is not None and encoding != "utf-8":
        say(f"{path}: read as GB18030 (GBK), not UTF-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [(reader.line_num, cells) for cells in reader if any(cell.strip() for cell in cells)]
    except csv.Error as error:  # e.g. a quote never closed, so the rest of the file became one oversized field
        raise RegistryError(f"{path}: line {reader.line_num}: not a CSV row: {error}") from None
    if not rows:
        raise RegistryError(f"{path}: empty; a header row {','.join(REQUIRED_COLUMNS)} is required")
    return rows


def _sheet_rows(path: Path) -> list[tuple[int, list[str]]]:
    """(row number, cells as text) of every non-blank row of an Excel workbook's first sheet, the header first."""
    import openpyxl  # only for workbooks

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise RegistryError(f"{path}: no such file") from None
    except Exception as error:  # openpyxl has no one error type for "not a workbook": zipfile, KeyError, XML errors
        raise RegistryError(f"{path}: not an Excel workbook (.xlsx): {error}") from None
    try:
        rows = [(number, [_cell_text(value) for value in values])
                for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1)
                if any(_cell_text(value).strip() for value in values)]
    finally:
        book.close()
    if not rows:
        raise RegistryError(f"{path}: empty; a header row {','.join(REQUIRED_COLUMNS)} is required")
    return rows


def _cell_text(value) -> str:
    """A cell as the CSV would hold it: numbers typed as ids (1001.0) without the float's tail."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-8 with or without a BOM; else GB18030 (a superset of GBK) when that reads
    cleanly and gives Chinese text."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as error:
        utf8_error = error
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if _CJK.search(text):
        return text, "gb18030"
    position = utf8_error.start
    raise RegistryError(f"{path}: neither UTF-8 nor GBK (byte {raw[position]:#04x} at offset {position})")


def _record(path: Path, line: int, row: dict[str, str | None]) -> AgencyRecord:
    def field(name: str) -> str:
        return (row.get(name) or "").strip()

    where = f"{path}: line {line}"
    if any(row.get(name) is None for name in REQUIRED_COLUMNS):
        raise RegistryError(f"{where}: fewer fields than the header ({','.join(REQUIRED_COLUMNS)})")
    verified = field("verified").lower()
    if verified not in _TRUE | _FALSE:
        raise RegistryError(f"{where}: verified must be true or false, not {verified!r}")
    urls = tuple(dict.fromkeys(field("listing_url").split()))
    level = _LEVEL_BY_NAME.get(field("level"), _LEVEL_BY_NAME.get(field("level").lower(), field("level")))
    origin = field("origin").lower() or None
    if origin is not None and origin not in ORIGINS:
        raise RegistryError(f"{where}: origin must be one of {', '.join(ORIGINS)}, not {origin!r}")
    record = AgencyRecord(field("id"), field("name"), level, field("parent") or None, urls, verified in _TRUE,
                          origin, field("division") or None)
    problem = _problem(record)
    if problem:
        raise RegistryError(f"{where}: {problem}")
    return record


def _problem(record: AgencyRecord) -> str | None:
    """What is wrong with one record on its own, if anything."""
    if not record.id:
        return "empty id"
    if not _SLUG.fullmatch(record.id):
        # "name:" keys stand for unregistered agencies in reports, so a colon could make two agencies one.
        return f"id {record.id!r} must be a slug without spaces or colons"
    if not record.name:
        return f"empty name for {record.id!r}"
    hidden = _hidden_character(record)
    if hidden:  # PostgreSQL refuses NUL in text; a U+202E would reverse how the row prints
        return f"invisible or control character U+{ord(hidden[1]):04X} in the {hidden[0]} of {record.id!r}"
    if record.level not in LEVELS:
        names = ", ".join(f"{level} ({LEVEL_LABELS[level]})" for level in LEVELS)
        return f"unknown level {record.level!r} for {record.id!r} (expected one of {names})"
    if not record.listing_urls:
        return f"no listing_url for {record.id!r}: the page that lists its reports is required"
    for url in record.listing_urls:
        problem = _url_problem(url)
        if problem:
            return f"listing_url {redact_url(url)!r} of {record.id!r} {problem}"
    return _division_problem(record) if record.division else None


def _division_problem(record: AgencyRecord) -> str | None:
    if record.level not in GOVERNMENT_LEVELS:
        return f"division {record.division!r} of {record.id!r}: codes are for governments of county level and above"
    try:
        found = division(record.division)
    except UnknownDivision as error:
        return f"division of {record.id!r}: {error}"
    if found.level != record.level:
        return f"division {found.code} ({found.name}) of {record.id!r} is a {found.level}, not a {record.level}"
    if not fits(record.name, found):
        return f"{record.name!r} ({record.id}) is not the government of division {found.code} ({found.name})"
    return None


def _hidden_character(record: AgencyRecord) -> tuple[str, str] | None:
    """(field, character) of the first control or invisible formatting character in the record's text."""
    fields = [("id", record.id), ("name", record.name), ("parent", record.parent or "")]
    fields += [("listing_url", url) for url in record.listing_urls]
    for field, text in fields:
        for ch in text:
            if unicodedata.category(ch) in _HIDDEN_CATEGORIES:
                return field, ch
    return None


def _url_problem(url: str) -> str | None:
    if not is_http_url(url):
        return "is not an http(s) URL"
    if "@" in urlsplit(url).netloc:
        return "has a user name or password in it: the registry is printed and logged, so it holds no credentials"
    host = url_host(url)
    kind = None if private_addresses_allowed() else host_kind(host)
    if kind:
        address = literal_address(host)
        spelled = f"{host} ({address})" if address and str(address) != host else host  # 2130706433 (127.0.0.1)
        return f"points at {spelled}, not a public address ({kind}; {ALLOW_PRIVATE_ADDRESSES}=1 allows it)"
    return None


def is_http_url(url: str) -> bool:
    """True for an absolute http or https URL with a host; the registry never fetches anything to check."""
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. a malformed IPv6 host or port
        return False


def redact_url(url: str) -> str:
    """The URL with the password of its user:password@ part, if any, shown as ***."""
    match = _AUTHORITY.match(url)
    if not match or "@" not in match["authority"]:
        return url
    userinfo, _, host = match["authority"].rpartition("@")
    user, colon, _ = userinfo.partition(":")
    return f"{url[: match.start('authority')]}{user}{':***' if colon else ''}@{host}{url[match.end():]}"


def private_addresses_allowed() -> bool:
    """The NIANBAO_ALLOW_PRIVATE_ADDRESSES setting ("1" or "true"): listing pages may be on private addresses."""
    return os.environ.get(ALLOW_PRIVATE_ADDRESSES, "").strip().lower() in ("1", "true")


def url_host(url: str) -> str:
    """The host as the fetcher will see it: full-width and other Unicode forms folded (IDNA), no trailing dot."""
    host = urlsplit(url).hostname or ""
    if not host.isascii():
        with contextlib.suppress(UnicodeError):  # not a valid international name: checked as written
            host = host.encode("idna").decode("ascii")
    return host.removesuffix(".")


def host_kind(host: str) -> str | None:
    """Why a host is off limits without asking DNS: localhost, or a literal address that is not public."""
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback"
    address = literal_address(host)
    return address_kind(address) if address else None


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a host spells, in any form a resolver accepts (dotted, integer, hex, octal), else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            pass
    return None


def address_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is not public ("loopback", "link-local", "private" …), or None when it is."""
    address = _embedded_ipv4(address) or address
    for kind in _NOT_PUBLIC:
        if getattr(address, f"is_{kind}", False):
            return kind.replace("_", "-")
    return None if address.is_global else "not globally routable"


def _embedded_ipv4(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), 6to4 or NAT64 (64:ff9b::/96) IPv6 address."""
    if address.version == 4:
        return None
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.ipv4_mapped or address.sixtofour


def _check_unique(records: list[AgencyRecord], *, where: str) -> None:
    seen: set[str] = set()
    for record in records:
        if record.id in seen:
            raise RegistryError(f"{where}: duplicate id {record.id!r}")
        seen.add(record.id)


def _known_ids(session: Session) -> set[str]:
    return set(session.scalars(select(Agency.id)))


def _check_parents(records: list[AgencyRecord], known: set[str], *, where: str) -> None:
    ids = known | {r.id for r in records}
    for record in records:
        if record.parent is not None and record.parent not in ids:
            raise RegistryError(
                f"{where}: parent {record.parent!r} of {record.id!r} is neither in the file nor registered"
            )


def import_registry(session: Session, records: Iterable[AgencyRecord]) -> ImportResult:
    """Insert new agencies and update changed ones in place, replacing their listing pages with the records' ones.

    Everything is validated before anything is written. Agencies absent from the records are left as they are.
    Reports stored under an imported agency's name (it was not registered when they were crawled) are filed under it.
    """
    records = list(records)
    _check_unique(records, where="registry")
    for record in records:
        problem = _problem(record)
        if problem:
            raise RegistryError(f"registry: {problem}")
    stored = _stored_state(session)
    _check_parents(records, set(stored), where="registry")
    ordered = _parents_first(records, {k: v[2] for k, v in stored.items()})
    ordered, unmatched = _with_divisions(ordered, stored)
    changed = [r for r in ordered if stored.get(r.id) != _state(r, stored.get(r.id))]
    added = sum(1 for r in changed if r.id not in stored)
    _upsert_agencies(session, [replace(r, origin=_state(r, stored.get(r.id))[5]) for r in changed])
    _replace_listing_pages(session, changed)
    attribution = attribute_reports(session, [(r.id, r.name) for r in records])
    return ImportResult(added=added, updated=len(changed) - added, unchanged=len(records) - len(changed),
                        attributed=attribution.attributed, unmatched=tuple(unmatched))


def _with_divisions(ordered: list[AgencyRecord], stored: dict[str, _State]) -> tuple[list[AgencyRecord], list[str]]:
    """Governments given no division get the one their name and their parent's division single out (a stored one
    stays while it still fits the row's name and level); those matching none or several are named, for a person to
    give the code."""
    known = {agency_id: state[6] for agency_id, state in stored.items()}
    result, unmatched = [], []
    for record in ordered:  # parents first: a parent's division narrows its children's names (four 鼓楼区)
        if record.division is None and record.level in GOVERNMENT_LEVELS:
            stored = known.get(record.id)
            found = stored if _still_fits(stored, record) else _single(
                matching(record.name, record.level, known.get(record.parent)))
            record = replace(record, division=found)
            if found is None:
                unmatched.append(f"{record.id} ({record.name})")
        known[record.id] = record.division
        result.append(record)
    return result, unmatched


def _still_fits(code: str | None, record: AgencyRecord) -> bool:
    if code is None:
        return False
    try:
        found = division(code)
    except UnknownDivision:
        return False
    return found.level == record.level and fits(record.name, found)


def _single(found: list) -> str | None:
    return found[0].code if len(found) == 1 else None


_State = tuple[str, str, str | None, bool, frozenset[str], str, str | None]


def _state(record: AgencyRecord, stored: _State | None = None) -> _State:
    """What a record sets; an origin not given keeps the stored one (a new row: manual)."""
    origin = record.origin or (stored[5] if stored else "manual")
    return (record.name, record.level, record.parent, record.verified, frozenset(record.listing_urls), origin,
            record.division)


def _stored_state(session: Session) -> dict[str, _State]:
    # Plain columns, not entities: the upsert below bypasses the identity map, which would then hold stale rows.
    urls: dict[str, set[str]] = {}
    for agency_id, url in session.execute(select(ListingPage.agency_id, ListingPage.url)):
        urls.setdefault(agency_id, set()).add(url)
    rows = session.execute(select(Agency.id, Agency.name, Agency.level, Agency.parent_id, Agency.verified,
                                  Agency.origin, Agency.division))
    return {row.id: (row.name, row.level, row.parent_id, row.verified, frozenset(urls.get(row.id, ())), row.origin,
                     row.division) for row in rows}


def _parents_first(records: list[AgencyRecord], stored_parents: dict[str, str | None]) -> list[AgencyRecord]:
    """The records ordered so that a parent is written before its children; a parent cycle is an error."""
    by_id = {r.id: r for r in records}
    parents = {**stored_parents, **{r.id: r.parent for r in records}}
    ordered: list[AgencyRecord] = []
    placed: set[str] = set()
    for record in records:
        chain: list[str] = []
        current: str | None = record.id
        while current is not None and current not in placed:
            if current in chain:
                raise RegistryError(f"registry: parent cycle {' -> '.join([*chain, current])}")
            chain.append(current)
            current = parents.get(current)
        for agency_id in reversed(chain):
            placed.add(agency_id)
            if agency_id in by_id:
                ordered.append(by_id[agency_id])
    return ordered


def _upsert_agencies(session: Session, records: list[AgencyRecord]) -> None:
    if not records:
        return
    now = utcnow()
    stmt = dialect_insert(session, Agency.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={name: stmt.excluded[name] for name in ("name", "level", "parent_id", "verified", "origin", "division",
                                                     "updated_at")},
    )
    session.execute(
        stmt,
        [
            {
                "id": r.id,
                "name": r.name,
                "level": r.level,
                "parent_id": r.parent,
                "verified": r.verified,
                "origin": r.origin,
                "division": r.division,
                "updated_at": now,
            }
            for r in records
        ],
    )


def _replace_listing_pages(session: Session, records: list[AgencyRecord]) -> None:
    if not records:
        return
    session.execute(delete(ListingPage).where(ListingPage.agency_id.in_([r.id for r in records])))
    pages = [{"agency_id": r.id, "url": url} for r in records for url in r.listing_urls]
    if pages:
        session.execute(ListingPage.__table__.insert(), pages)


def list_agencies(session: Session) -> list[AgencyStatus]:
    """Every registered agency by id, with its latest site outcome (recorded under its id or a listing URL)."""
    outcomes = last_outcomes(session)
    confirmed = last_confirmed(session)
    agencies = session.scalars(select(Agency).options(selectinload(Agency.listing_pages)).order_by(Agency.id))
    result = []
    for agency in agencies:
        urls = tuple(page.url for page in agency.listing_pages)
        candidates = [outcomes[key] for key in (agency.id, *urls) if key in outcomes]
        latest = max(candidates, key=lambda o: o.id, default=None)
        result.append(
            AgencyStatus(agency.id, agency.name, agency.level, agency.parent_id, agency.verified, urls, latest,
                         agency.enabled, agency.origin, agency.division,
                         max((confirmed[key] for key in (agency.id, *urls) if key in confirmed), default=None))
        )
    return result


def agencies_for_listing(session: Session, url: str) -> list[Agency]:
    """The agencies whose registered listing pages include this exact URL, by id."""
    stmt = select(Agency).join(ListingPage).where(ListingPage.url == url).order_by(Agency.id)
    return list(session.scalars(stmt))
