"""The audit's plain inputs and outputs: dataclasses with no tie to storage, filled by the caller's loader."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from nianbao.audit.deadlines import parse_month_day
from nianbao.audit.facts import ReportFacts, facts_of
from nianbao.template import (  # noqa: F401 (LEVELS, LEVEL_LABELS, SITE_OUTCOMES: re-exported for the audit)
    AUDIT_STATUS_LABELS,
    AUDIT_STATUSES,
    LEVEL_LABELS,
    LEVELS,
    SITE_OUTCOME_LABELS,
    SITE_OUTCOMES,
    Finding,
)

_SPACE = re.compile(r"\s+")
# The vocabulary the audit speaks is declared in nianbao.template; imported here under the names the audit uses.
STATUSES, STATUS_LABELS = AUDIT_STATUSES, AUDIT_STATUS_LABELS
NEVER_CRAWLED_LABEL = "从未抓取"  # a listing with no attempt yet (outcome None)


def site_outcome_label(outcome: str | None) -> str:
    return SITE_OUTCOME_LABELS.get(outcome, outcome) if outcome else NEVER_CRAWLED_LABEL


def name_key(name: str) -> str:
    """An agency name as reports and the registry are matched on it: NFKC, white space ignored."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", name))


@dataclass(frozen=True, slots=True)
class Agency:
    id: str
    name: str
    level: str  # one of LEVELS
    parent_id: str | None = None
    division: str | None = None  # 行政区划代码 of a government (nianbao.divisions)


@dataclass(frozen=True, slots=True)
class StoredReport:
    """One stored report: `parsed`, the parse JSON of CONTRACT.md, or the facts the audit needs of it, which a
    database loader reads without the texts and tables (then `version_id` names the stored version)."""

    agency_id: str | None
    agency_name: str
    year: int
    title: str
    source_url: str
    published: date | None
    parsed: dict | None = field(default=None, hash=False, compare=False, repr=False)
    facts: ReportFacts = field(default=None, hash=False, compare=False, repr=False)  # type: ignore[assignment]
    version_id: int | None = None

    def __post_init__(self):
        if self.facts is None:
            object.__setattr__(self, "facts", facts_of(self.parsed or {}))


@dataclass(frozen=True, slots=True)
class UnstoredReport:
    """A report a listing showed that could not be stored: proof of publication, with why it is not here."""

    agency_id: str | None
    agency_name: str | None
    year: int
    url: str
    cause: str
    attempted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SiteState:
    """The last crawl attempt of one of an agency's listing pages; outcome None means never crawled."""

    agency_id: str
    outcome: str | None  # one of SITE_OUTCOMES, or None
    attempted_at: datetime | None = None
    listing_url: str = ""


@dataclass(frozen=True, slots=True)
class Settings:
    township_deadline: str = "01-31"  # month-day in Y+1; the law names no date (DOMAIN.md)
    copy_threshold: float = 0.9  # shingle (Dice) similarity with last year's text at or above which it is 内容雷同

    def __post_init__(self):
        parse_month_day(self.township_deadline)  # a bad value fails here, not halfway through an audit
        if not 0 < self.copy_threshold <= 1:
            raise ValueError(f"copy threshold {self.copy_threshold}: expected a number in (0, 1]")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """NIANBAO_TOWNSHIP_DEADLINE (MM-DD) and NIANBAO_COPY_THRESHOLD (0-1), for a caller that reads os.environ."""
        defaults = cls()
        try:
            threshold = float(env.get("NIANBAO_COPY_THRESHOLD", defaults.copy_threshold))
        except ValueError as exc:
            raise ValueError(f"NIANBAO_COPY_THRESHOLD: {exc}") from exc
        return cls(env.get("NIANBAO_TOWNSHIP_DEADLINE", defaults.township_deadline), threshold)


@dataclass(frozen=True, slots=True)
class Note:
    """A remark on an agency's line: `code` says which, `text` is the English the JSON and CSV carry, `text_zh`
    the Chinese the page shows."""

    code: str
    text: str
    text_zh: str


@dataclass(frozen=True, slots=True)
class AgencyAudit:
    """One registered agency's line in the audit."""

    agency_id: str
    name: str
    level: str
    parent_id: str | None
    region_id: str
    region_name: str
    status: str  # one of STATUSES
    deadline: date
    published: date | None = None
    days_late: int | None = None
    title: str | None = None
    source_url: str | None = None
    site_outcome: str | None = None  # the outcome that decided `unreachable`, or the last one seen
    last_crawled: datetime | None = None  # the last crawl attempt at any of its listing pages
    findings: tuple[Finding, ...] = ()  # the report's parse findings: errors and warnings only
    checks: tuple[Finding, ...] = ()  # the audit's own checks: carry-over, copied text, implausible figures
    notes: tuple[Note, ...] = ()

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)


@dataclass(frozen=True, slots=True)
class Completeness:
    """How a county's or prefecture's subordinate agencies (parent_id chain) stand."""

    agency_id: str
    name: str
    level: str
    counts: dict[str, int]  # status -> number of subordinate agencies
    missing: tuple[str, ...]  # agency ids
    late: tuple[str, ...]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Summary:
    total: int
    by_status: dict[str, int]
    by_level: dict[str, dict[str, int]]  # level -> status -> count
    by_region: dict[str, dict[str, int]]  # region id -> status -> count
    region_names: dict[str, str]
    with_errors: int  # agencies whose report has parse errors
    with_checks: int  # agencies flagged by an audit check
    unattributed_reports: int  # reports of the year that match no registered agency


@dataclass(frozen=True, slots=True)
class AuditResult:
    year: int
    as_of: date
    settings: Settings
    rows: tuple[AgencyAudit, ...]
    summary: Summary
    completeness: tuple[Completeness, ...]
    unattributed: tuple[StoredReport, ...] = ()  # reports of the year that match no registered agency
    coverage: tuple = ()  # nianbao.audit.coverage.Coverage: the registry against the administrative divisions

    def row(self, agency_id: str) -> AgencyAudit:
        return next(r for r in self.rows if r.agency_id == agency_id)
