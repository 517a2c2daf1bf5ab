"""The audit's reads, done by the database: current versions of two years with only the cells and counts the checks
need, and text sketches fetched in batches for the pairs the copy check compares. No text or whole table is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from sys import intern

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from nianbao.revisions import is_revision
from nianbao.template import ALL_ZERO_LEVELS, APPLICANT_COLUMNS
from storage.cells import stored_number
from storage.corrections import corrections_of_years
from storage.models import Agency, ListingPage, Report, ReportCell, ReportFinding, ReportVersion, SiteOutcome

# Levels whose reports the all-zero check judges: their cells are counted.
COUNTED_LEVELS = tuple(sorted(ALL_ZERO_LEVELS))
_COLUMN_INDEX = {column: i for i, column in enumerate(APPLICANT_COLUMNS)}
_FETCH = 10_000  # rows per fetch
_BATCH = 900  # version ids per IN (...) list: under the 999 parameters of older SQLite builds


@dataclass(slots=True)
class VersionFacts:
    """One current report version, with what the audit checks read of it (see nianbao.audit.facts)."""

    version_id: int
    agency_id: str | None
    agency_name: str  # "" where agency_id names a registered agency
    year: int
    title: str | None  # None for year - 1
    source_url: str
    published: date | None
    findings: list[tuple[str, str, str, str]] = field(default_factory=list)  # rule, severity, where, message
    has_applications: bool = False
    rules: list[tuple[str, float]] = field(default_factory=list)  # 规章 cells that are not 0, of year Y only
    # Year Y: 二、上年结转; year Y-1: 四、结转下年度. One value per APPLICANT_COLUMNS, None where blank.
    carried: list[float | None] = field(default_factory=lambda: [None] * len(APPLICANT_COLUMNS))
    numbers: int | None = None
    nonzero: int | None = None
    revisions: list[tuple[int, int, int, int]] = field(default_factory=list)  # nianbao.audit.facts.Revision
    withdrawn: tuple[str, str] | None = None  # ISO date, reason
    # A person's corrections: cell, value, parsed value, note, stale (nianbao.audit.facts.Corrected)
    corrections: list[tuple[str, float | None, float | None, str, bool]] = field(default_factory=list)


def _rows(session: Session, stmt):
    """Plain rows through the session's connection, fetched many at a time: the ORM's row handling and one fetch
    per row cost more than these reads themselves."""
    return session.connection().execute(stmt.execution_options(yield_per=_FETCH))


@dataclass(frozen=True)
class AgencyRow:
    """A registered agency with the outcome of the latest crawl of it (under its id or one of its listing pages)."""

    id: str
    name: str
    level: str
    parent_id: str | None
    last_outcome: str | None
    division: str | None = None


def agency_rows(session: Session) -> list[AgencyRow]:
    latest_ids = select(func.max(SiteOutcome.id)).group_by(SiteOutcome.site_key)
    outcomes = select(SiteOutcome.site_key, SiteOutcome.id, SiteOutcome.outcome).where(SiteOutcome.id.in_(latest_ids))
    latest = {key: (oid, outcome) for key, oid, outcome in _rows(session, outcomes)}
    keys: dict[str, list[str]] = {}
    for agency_id, url in _rows(session, select(ListingPage.agency_id, ListingPage.url)):
        keys.setdefault(agency_id, []).append(url)
    rows = []
    # A disabled agency (abolished, merged, or taken out of the watch) is not judged.
    registered = (select(Agency.id, Agency.name, Agency.level, Agency.parent_id, Agency.division)
                  .where(Agency.enabled).order_by(Agency.id))
    for agency_id, name, level, parent_id, division in _rows(session, registered):
        seen = [latest[k] for k in (agency_id, *keys.get(agency_id, ())) if k in latest]
        rows.append(AgencyRow(agency_id, name, level, parent_id, max(seen)[1] if seen else None, division))
    return rows


def current_version_facts(session: Session, year: int, findings: Iterable[str], rules: Iterable[str],
                          ) -> list[VersionFacts]:
    """Every current report version of `year` and `year - 1`, with the cells its checks compare and, of its
    findings, those of the given severities or rules."""
    years = [year - 1, year]
    current = and_(Report.current_version_id == ReportVersion.id, Report.year.in_(years))
    # Only what the audit shows or matches on: a name only where no registered id attributes the report, a title
    # only for the year audited (last year's reports are read for their checks alone).
    name = case((Agency.id.is_(None), Report.agency_name), else_="")
    title = case((Report.year == year, ReportVersion.title), else_=None)
    versions = (select(ReportVersion.id, Report.agency_id, name, Report.year, title, ReportVersion.source_url,
                       ReportVersion.published)
                .join(Report, current).outerjoin(Agency, Agency.id == Report.agency_id).order_by(ReportVersion.id))
    by_id = {row[0]: VersionFacts(*row) for row in _rows(session, versions)}
    _add_findings(session, by_id, current, tuple(findings), tuple(rules))
    _add_cells(session, by_id, year)
    _add_counts(session, by_id, years)
    _add_revisions(session, by_id, year)
    _add_withdrawals(session, by_id, year)
    _add_corrections(session, by_id, years)
    return list(by_id.values())


def _add_findings(session: Session, by_id: dict[int, VersionFacts], current, severities: tuple[str, ...],
                  rules: tuple[str, ...]) -> None:
    stmt = (select(ReportFinding.version_id, ReportFinding.rule, ReportFinding.severity, ReportFinding.location,
                   ReportFinding.message)
            .join(ReportVersion, ReportVersion.id == ReportFinding.version_id).join(Report, current)
            .where(or_(ReportFinding.severity.in_(severities), ReportFinding.rule.in_(rules)))
            .order_by(ReportFinding.id))
    for version_id, rule, severity, where, message in _rows(session, stmt):
        # interned: a hundred thousand findings share a few dozen rules and places
        by_id[version_id].findings.append((intern(rule), intern(severity), intern(where or ""), message))


def _current_ids(years: list[int]):
    return select(Report.current_version_id).where(Report.year.in_(years))


def _add_cells(session: Session, by_id: dict[int, VersionFacts], year: int) -> None:
    """Whether table 三 was read; this year's 规章 row of table 二 and 二、上年结转, last year's 四、结转下年度: a few
    cells per report, each found through the (version, table, row, column) index, never by a scan of all cells."""
    cell = ReportCell
    wanted = ((year, "active_disclosure", "rules"), (year, "applications", "carried_over"),
              (year - 1, "applications", "carried_forward"))
    for of_year, table, row in wanted:
        stmt = (select(cell.version_id, cell.column_key, cell.value)
                .where(cell.version_id.in_(_current_ids([of_year])), cell.table_key == table, cell.row_key == row)
                .order_by(cell.id))
        for version_id, column_key, value in _rows(session, stmt):
            facts = by_id[version_id]
            if value is None:
                continue
            if row == "rules":
                if value != 0:
                    facts.rules.append((intern(column_key), stored_number(value)))
            elif column_key in _COLUMN_INDEX:
                facts.carried[_COLUMN_INDEX[column_key]] = stored_number(value)
    has_table = (select(cell.version_id).where(cell.version_id == Report.current_version_id,
                                               cell.table_key == "applications").exists())
    current = select(Report.current_version_id).where(Report.year.in_([year - 1, year]), has_table)
    for (version_id,) in _rows(session, current):
        by_id[version_id].has_applications = True


def _add_counts(session: Session, by_id: dict[int, VersionFacts], years: list[int]) -> None:
    """Numbers and non-zero numbers in all three tables, for reports of the counted levels and of agencies the
    registry does not know by id (the audit may still attribute those by name). Counted per version through the
    cells index (correlated subqueries): a join lets PostgreSQL choose a scan of every cell of every report."""
    cells_of = ReportCell.version_id == Report.current_version_id
    numbers = select(func.count(ReportCell.value)).where(cells_of).scalar_subquery()
    nonzero = select(func.sum(case((ReportCell.value != 0, 1), else_=0))).where(cells_of).scalar_subquery()
    stmt = (select(Report.current_version_id, numbers, nonzero)
            .outerjoin(Agency, Agency.id == Report.agency_id)
            .where(Report.year.in_(years), or_(Agency.level.in_(COUNTED_LEVELS), Agency.id.is_(None))))
    for version_id, count, nonzero_count in _rows(session, stmt):
        if count:
            by_id[version_id].numbers, by_id[version_id].nonzero = count, nonzero_count or 0


def _add_revisions(session: Session, by_id: dict[int, VersionFacts], year: int) -> None:
    """The versions of this year's reports, up to the current one, that changed cells or text (few: most reports
    are never revised). A version kept but not made current (a suspect fetch) is no revision of what is shown."""
    current = aliased(ReportVersion)
    stmt = (select(Report.current_version_id, ReportVersion.version, ReportVersion.changes)
            .join(current, current.id == Report.current_version_id)
            .join(ReportVersion, ReportVersion.report_id == Report.id)
            .where(Report.year == year, ReportVersion.changes.is_not(None), ReportVersion.version <= current.version)
            .order_by(ReportVersion.version))
    for version_id, number, changes in _rows(session, stmt):
        if version_id in by_id and is_revision(changes):
            text = changes["text"]
            by_id[version_id].revisions.append((number, len(changes["cells"]), text["added"], text["removed"]))


def _add_withdrawals(session: Session, by_id: dict[int, VersionFacts], year: int) -> None:
    stmt = (select(Report.current_version_id, Report.withdrawn_at, Report.withdrawn_reason)
            .where(Report.year == year, Report.withdrawn_at.is_not(None)))
    for version_id, when, reason in _rows(session, stmt):
        if version_id in by_id:
            by_id[version_id].withdrawn = (when.date().isoformat(), reason or "")


def _add_corrections(session: Session, by_id: dict[int, VersionFacts], years: list[int]) -> None:
    """A person's corrections: the live ones replace the parsed values the checks read (and the counts), every one
    is listed for the audit to mark (few reports have any)."""
    for version_id, corrections in corrections_of_years(session, years).items():
        facts = by_id.get(version_id)
        if facts is None:
            continue
        for c in corrections:
            facts.corrections.append((c.cell, c.value, c.parsed_value, c.note, c.stale))
            if not c.stale:
                _corrected_cell(facts, facts.year == max(years), c.cell, c.parsed_value, c.value)


def _corrected_cell(facts: VersionFacts, audited: bool, cell: str, parsed, value) -> None:
    """What _add_cells and _add_counts read of this cell, as corrected."""
    table, row, column = cell.split(".")
    if (table, row) == ("active_disclosure", "rules") and audited:
        facts.rules = [(k, v) for k, v in facts.rules if k != column] + ([(column, value)] if value else [])
    elif table == "applications" and column in _COLUMN_INDEX and row == (
            "carried_over" if audited else "carried_forward"):
        facts.carried[_COLUMN_INDEX[column]] = value
    if facts.numbers is not None:
        facts.numbers += (value is not None) - (parsed is not None)
        facts.nonzero += (value not in (None, 0)) - (parsed not in (None, 0))


def text_sketches(session: Session, version_ids: Iterable[int]) -> Iterator[tuple[int, bytes | None]]:
    """(version id, sketch) for these versions, read in batches so only one batch's sketches are held at once."""
    ids = sorted(set(version_ids))
    for start in range(0, len(ids), _BATCH):
        batch = ReportVersion.id.in_(ids[start:start + _BATCH])
        yield from _rows(session, select(ReportVersion.id, ReportVersion.text_sketch).where(batch))
