"""The schema: one DeclarativeBase, typed models, natural-key unique constraints that the upserts target."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from nianbao.template import LEVELS, SITE_OUTCOMES, TABLES

# Allowed values, enforced by check constraints. Changing one needs a hand-written migration: Alembic's autogenerate
# does not compare check constraints, so the schema test would not notice.
# Where a registry row came from: typed in or imported by hand, proposed by `sites discover`, or by `sites suggest`.
ORIGINS = ("manual", "discovered", "suggested")
VERSION_STATUSES = ("ok", "unreadable")
TRIGGERS = ("manual", "scheduled")
RUN_STATUSES = ("running", "completed", "failed", "interrupted")
# "incomplete": recorded for every site a run takes, replaced by the real outcome when the run finishes it; one left
# behind (a crawl that died or could not store) proves nothing about the site.
OUTCOMES = SITE_OUTCOMES
# What went wrong at a site, finer than its outcome (crawler.outcomes); null for "found", and for rows recorded before
# it was kept or by a run that never finished the site, whose outcome then says it.
FAILURE_CLASSES = ("dns_failure", "refused", "timeout", "connection_failed", "http_4xx_gone", "http_5xx",
                   "redirected_offsite", "blocked", "layout_changed", "nothing_found", "crawler_error", "incomplete")
WARC_RECORD_TYPES = ("response", "revisit")  # a revisit: a 304, whose payload is the stored copy

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp on every backend (a naive value given is taken as UTC).

    SQLite stores no zone, so values are written there as naive UTC and read back with the zone attached.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), str: String(), dict[str, Any]: JSON()}


class Agency(Base):
    """A registered reporting agency (a government, a department or a town) from the registry CSV."""

    __tablename__ = "agencies"
    __table_args__ = (one_of("level", LEVELS), one_of("origin", ORIGINS))

    id: Mapped[str] = mapped_column(primary_key=True)  # the registry's stable slug
    name: Mapped[str]
    level: Mapped[str]
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"))
    verified: Mapped[bool] = mapped_column(default=False)
    # A disabled agency keeps its row and reports but is neither crawled nor audited (`nianbao sites disable`).
    enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    origin: Mapped[str] = mapped_column(default="manual", server_default="manual")
    division: Mapped[str | None]  # 行政区划代码 of a government (nianbao.divisions), six digits
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    listing_pages: Mapped[list[ListingPage]] = relationship(
        cascade="all, delete-orphan", order_by="ListingPage.url", passive_deletes=True
    )


class ListingPage(Base):
    """A page that lists an agency's reports; several agencies often share one page."""

    __tablename__ = "listing_pages"

    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str] = mapped_column(Text, primary_key=True, index=True)


class ListingProposal(Base):
    """A new listing page proposed for an agency whose registered one keeps failing, found by discovery from its
    site's home page (`nianbao sites rediscover`): shown by `sites health`, never written into the registry."""

    __tablename__ = "listing_proposals"
    __table_args__ = (UniqueConstraint("agency_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)  # the link texts that led there from the home page
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Document(Base):
    """Original bytes of a downloaded file, content-addressed so a re-download stores nothing new."""

    __tablename__ = "documents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str | None]
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class Fetch(Base):
    """The last answer for a URL, kept for conditional requests (If-None-Match / If-Modified-Since)."""

    __tablename__ = "fetches"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    status: Mapped[int]
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]  # the header as sent, to send back verbatim
    sha256: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(Base):
    """One agency's report for one year; its versions are every distinct document seen for it.

    agency_key is the natural key the upsert targets: the agency id, or "name:" + the name read from the report
    when no registered agency matched. A check constraint keeps it derived from the other two columns.
    """

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("agency_key", "year"),
        CheckConstraint("agency_key = coalesce(agency_id, 'name:' || agency_name)", name="agency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_key: Mapped[str]
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    agency_name: Mapped[str]
    year: Mapped[int]
    # use_alter: reports and report_versions point at each other.
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_versions.id", use_alter=True, ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Gone from the listing where it was found and from its URL (404/410); kept, never deleted. Cleared if it returns.
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    # post_update: the two tables point at each other, so this key is set by a second UPDATE, not the INSERT.
    current_version: Mapped[ReportVersion | None] = relationship(foreign_keys=[current_version_id], post_update=True)


class ReportVersion(Base):
    """One distinct main document of a report, with what the parser read from it."""

    __tablename__ = "report_versions"
    __table_args__ = (
        UniqueConstraint("report_id", "document_sha256", "parser_version"),
        UniqueConstraint("report_id", "version"),
        one_of("status", VERSION_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    version: Mapped[int]
    document_sha256: Mapped[str] = mapped_column(ForeignKey("documents.sha256"), index=True)
    source_url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date)
    template: Mapped[str]
    # The parse JSON less its tables and findings, which live in report_cells and report_findings. JSON, not JSONB:
    # JSONB reorders keys, and the export should read in the parser's order on every backend.
    parsed: Mapped[dict[str, Any]]
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str]
    # The text's bottom-k sketch (nianbao.similarity), made once here so the audit's copy check never reads texts.
    text_sketch: Mapped[bytes | None] = mapped_column(LargeBinary)
    # How it differs from the version current when it came (nianbao.revisions.changes_record); null for a first one.
    changes: Mapped[dict[str, Any] | None]
    # The parser that read it (nianbao.report.PARSER_VERSION); null for versions stored before this was kept.
    parser_version: Mapped[str | None]

    report: Mapped[Report] = relationship(foreign_keys=[report_id])


class ReportAttachment(Base):
    """A file linked from a report page (附件), stored as a document."""

    __tablename__ = "report_attachments"
    __table_args__ = (UniqueConstraint("version_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("report_versions.id", ondelete="CASCADE"))
    document_sha256: Mapped[str] = mapped_column(ForeignKey("documents.sha256"))
    url: Mapped[str] = mapped_column(Text)


class ReportCell(Base):
    """One number of a report's tables, keyed by the template's table, row and column keys; null when blank."""

    __tablename__ = "report_cells"
    __table_args__ = (
        UniqueConstraint("version_id", "table_key", "row_key", "column_key"),
        one_of("table_key", TABLES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("report_versions.id", ondelete="CASCADE"))
    table_key: Mapped[str]
    row_key: Mapped[str]
    column_key: Mapped[str]
    # asdecimal=False: counts and 万元 amounts read back as int/float; SQLite has no native decimal.
    value: Mapped[float | None] = mapped_column(Numeric(asdecimal=False))
    # How the value came to stand here (nianbao.template.PLACEMENTS) and where its source printed it (JSON: page and
    # bbox, table/row/cell, line/field); null for a null cell and for versions stored before provenance was kept.
    how: Mapped[str | None]
    source: Mapped[str | None] = mapped_column(Text)


class Correction(Base):
    """A person's correction of one cell of a report, made against the bytes of one version (document_sha256).

    Never an update of the parsed cell: the parse stays as it was read. A correction applies while the report's
    current version has those bytes; when a new version arrives it is stale (shown, not applied) until a person
    corrects again. Corrections are never changed: a later one of the same cell supersedes the earlier.
    """

    __tablename__ = "corrections"
    __table_args__ = (one_of("table_key", TABLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    document_sha256: Mapped[str] = mapped_column(String(64))
    table_key: Mapped[str]
    row_key: Mapped[str]
    column_key: Mapped[str]
    value: Mapped[float | None] = mapped_column(Numeric(asdecimal=False))  # null: the cell is blank in truth
    parsed_value: Mapped[float | None] = mapped_column(Numeric(asdecimal=False))  # what the parser read there
    note: Mapped[str] = mapped_column(Text)
    corrected_by: Mapped[str] = mapped_column(Text)
    corrected_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportFinding(Base):
    """One finding the parser raised about a report version (rule names from nianbao.template.RULES and others)."""

    __tablename__ = "report_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("report_versions.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str]
    severity: Mapped[str]
    location: Mapped[str | None] = mapped_column(Text)  # the JSON "where"; renamed because WHERE is SQL
    message: Mapped[str] = mapped_column(Text)


class CrawlRun(Base):
    """One crawl, manual or scheduled."""

    __tablename__ = "crawl_runs"
    __table_args__ = (one_of("status", RUN_STATUSES), one_of("trigger", TRIGGERS))

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(default="running")
    trigger: Mapped[str]
    holder: Mapped[str | None]  # host:pid of the crawl process, so a dead one's run can be told from a live one's
    heartbeat_at: Mapped[datetime | None]  # renewed while the crawl lives; a stale one marks a dead crawl
    message: Mapped[str | None] = mapped_column(Text)  # why a run failed, and the sites it could not finish
    # A run a queue worker made (nianbao.queue): the night it belongs to, and its task ("HOST, job 17, attempt 2").
    night: Mapped[str | None] = mapped_column(Text, index=True)
    task: Mapped[str | None] = mapped_column(Text)


class SiteOutcome(Base):
    """What one crawl run found at one site (an agency id or a listing URL)."""

    __tablename__ = "site_outcomes"
    __table_args__ = (
        UniqueConstraint("run_id", "site_key"), one_of("outcome", OUTCOMES), one_of("failure_class", FAILURE_CLASSES)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"))
    site_key: Mapped[str] = mapped_column(Text, index=True)
    outcome: Mapped[str]
    failure_class: Mapped[str | None]
    pages: Mapped[int] = mapped_column(default=0)
    reports_found: Mapped[int] = mapped_column(default=0)
    reports_new: Mapped[int] = mapped_column(default=0)
    reports_revised: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    run: Mapped[CrawlRun] = relationship()


class UnknownAgency(Base):
    """A name read from report titles on a listing page that matched no registered agency."""

    __tablename__ = "unknown_agencies"
    __table_args__ = (UniqueConstraint("name", "listing_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    listing_url: Mapped[str] = mapped_column(Text)
    times_seen: Mapped[int] = mapped_column(default=1)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)


class UnstoredReport(Base):
    """A report a listing showed that a run could not store (too large, timed out, redirected off the site, a storage
    failure): proof that the agency published, so the audit never calls it missing."""

    __tablename__ = "unstored_reports"
    __table_args__ = (UniqueConstraint("run_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"))
    site_id: Mapped[str] = mapped_column(Text)
    agency_id: Mapped[str | None] = mapped_column(index=True)
    agency_name: Mapped[str | None]
    year: Mapped[int | None]
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    listing_url: Mapped[str] = mapped_column(Text)
    cause: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class PendingParse(Base):
    """A report a queued crawl stored the bytes of and left for a parse task (nianbao.pending): its item, documents
    by digest. Deleted in the transaction that stores the parsed report; until then the audit reads it as listed."""

    __tablename__ = "pending_parses"
    __table_args__ = (UniqueConstraint("url", "agency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"))
    site_id: Mapped[str] = mapped_column(Text, index=True)
    agency_id: Mapped[str | None] = mapped_column(index=True)
    agency_name: Mapped[str | None]
    year: Mapped[int | None]
    # One waiting parse per report page and agency (a page two sites list is two agencies' report): the newest bytes.
    url: Mapped[str] = mapped_column(Text)
    agency_key: Mapped[str] = mapped_column(Text)  # the agency id, or "name:" + the name (storage.reports.agency_key)
    item: Mapped[dict[str, Any]] = mapped_column(JSON)  # the ReportItem's fields, its documents without bodies
    queued_at: Mapped[datetime | None]  # when a parse task was last deferred for it
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class WarcRecord(Base):
    """Where one response a crawl received lies in the evidence archive (crawler/archive.py), and its digests."""

    __tablename__ = "warc_records"
    __table_args__ = (one_of("record_type", WARC_RECORD_TYPES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # SET NULL: evidence outlives the bookkeeping of the run that gathered it.
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(Text, index=True)
    # The registered listing page the response was read for (its pagination pages too); null for other fetches.
    listing_url: Mapped[str | None] = mapped_column(Text, index=True)
    status: Mapped[int]
    fetched_at: Mapped[datetime]
    record_type: Mapped[str]
    record_id: Mapped[str] = mapped_column(unique=True)  # WARC-Record-ID, "<urn:uuid:…>"
    file: Mapped[str] = mapped_column(Text)  # the WARC file's name inside the archive folder
    offset: Mapped[int] = mapped_column(BigInteger)  # of the record's gzip member
    length: Mapped[int] = mapped_column(BigInteger)  # of the compressed record
    # Both over the body as it came (any Content-Encoding kept), as in WARC. A revisit carries its original's; both
    # are null when the original came before the archive was kept.
    payload_sha256: Mapped[str | None] = mapped_column(String(64), index=True)  # hex, as documents.sha256
    payload_digest: Mapped[str | None]  # WARC-Payload-Digest as written ("sha1:BASE32")


# ---- Crawl locks (storage/locks.py) and tables other programs own in this database --------------------------------

# APScheduler creates and owns its job store table (scheduler.py), Procrastinate its queue's tables (nianbao.queue,
# all named procrastinate_*); the migrations leave them alone.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})
FOREIGN_TABLE_PREFIXES = ("procrastinate_",)


def is_foreign_table(name: str | None) -> bool:
    return bool(name) and (name in FOREIGN_TABLES or name.startswith(FOREIGN_TABLE_PREFIXES))


class SiteLock(Base):
    """A crawl's claim on a site until expires_at, so two crawls never run one site at once; an expired one is free."""

    __tablename__ = "site_locks"

    site_id: Mapped[str] = mapped_column(Text, primary_key=True)
    holder: Mapped[str]
    expires_at: Mapped[datetime]
