"""The publication audit: every registered agency's status for a year, judged against its deadline as of a date."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from nianbao.audit import deadlines
from nianbao.audit.checks import run_checks
from nianbao.audit.hierarchy import Hierarchy
from nianbao.audit.model import (
    Agency,
    AgencyAudit,
    AuditResult,
    Finding,
    Settings,
    SiteState,
    StoredReport,
    UnstoredReport,
)
from nianbao.audit.summary import summarize

# Listing outcomes that prove a report is absent; anything else (or no attempt) leaves absence unproven.
PROVING_OUTCOMES = frozenset({"found", "nothing_found"})
_SPACE = re.compile(r"\s+")


def audit(agencies: Iterable[Agency], reports: Iterable[StoredReport], site_states: Iterable[SiteState],
          year: int, as_of: date, settings: Settings | None = None,
          unstored: Iterable[UnstoredReport] = ()) -> AuditResult:
    """Audit every agency for `year`. `reports` should hold years `year` and `year - 1` (the checks compare them);
    `site_states` may hold every attempt: the latest per listing page counts. `unstored`: reports of `year` that
    were listed but could not be stored; they prove publication, so their agencies are never `missing`."""
    settings = settings or Settings()
    tree = Hierarchy(agencies)
    attributed, unattributed = _attribute(tree.by_id.values(), reports)
    listed, _ = _attribute(tree.by_id.values(), unstored)
    states = _latest_states(site_states)
    rows = [_audit_agency(a, tree, attributed, listed.get((a.id, year), []), states.get(a.id, []), year, as_of,
                          settings)
            for a in tree.by_id.values()]
    position = {agency_id: i for i, agency_id in enumerate(tree.tree_order())}
    rows.sort(key=lambda r: position[r.agency_id])
    unattributed_now = sum(r.year == year for r in unattributed)
    return AuditResult(year, as_of, settings, tuple(rows), summarize(rows, unattributed_now), tree.completeness(rows))


def _key(name: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", name))


def _attribute(agencies: Iterable[Agency], reports: Iterable[StoredReport | UnstoredReport]):
    """Reports by (agency id, year): by the stored agency id, else by the exact (normalized) agency name."""
    ids = {a.id for a in agencies}
    by_name = {_key(a.name): a.id for a in agencies}
    attributed: dict[tuple[str, int], list[StoredReport]] = defaultdict(list)
    unattributed: list[StoredReport] = []
    for report in reports:
        agency_id = report.agency_id if report.agency_id in ids else by_name.get(_key(report.agency_name or ""))
        if agency_id is None:
            unattributed.append(report)
        else:
            attributed[(agency_id, report.year)].append(report)
    return attributed, unattributed


def _latest_states(site_states: Iterable[SiteState]) -> dict[str, list[SiteState]]:
    latest: dict[tuple[str, str], SiteState] = {}
    for state in site_states:
        key = (state.agency_id, state.listing_url)
        if key not in latest or _when(state) >= _when(latest[key]):
            latest[key] = state
    by_agency: dict[str, list[SiteState]] = defaultdict(list)
    for (agency_id, _), state in latest.items():
        by_agency[agency_id].append(state)
    return by_agency


def _when(state: SiteState) -> datetime:
    return state.attempted_at or datetime.min


def unparseable(parsed: dict) -> bool:
    """Its tables could not be read: no text layer, or table 三 (the applications) not found."""
    findings = parsed.get("findings") or []
    return (not parsed.get("applications")
            or any(f.get("rule") == "no_text_layer" for f in findings)
            or any(f.get("rule") == "missing_table" and f.get("where") == "applications" for f in findings))


def _primary(reports: list[StoredReport]) -> StoredReport | None:
    """Of several versions (图片版, 超链版, an attachment...), the readable one published first."""
    if not reports:
        return None
    return min(reports, key=lambda r: (unparseable(r.parsed), r.published or date.max, r.source_url))


def _findings(parsed: dict) -> tuple[Finding, ...]:
    return tuple(Finding(f.get("rule", ""), f.get("severity", ""), f.get("where", ""), f.get("message", ""))
                 for f in parsed.get("findings") or () if f.get("severity") in ("error", "warning"))


def _audit_agency(agency: Agency, tree: Hierarchy, attributed, unstored: list[UnstoredReport],
                  states: list[SiteState], year: int, as_of: date, settings: Settings) -> AgencyAudit:
    due = deadlines.deadline(agency.level, year, settings.township_deadline)
    region = tree.region(agency.id)
    base = dict(agency_id=agency.id, name=agency.name, level=agency.level, parent_id=agency.parent_id,
                region_id=region.id, region_name=region.name, deadline=due)
    # A report published after as_of was not there yet on that day: the audit can be re-run for a past date.
    found = [r for r in attributed.get((agency.id, year), []) if r.published is None or r.published <= as_of]
    report = _primary(found)
    if report is None and unstored:
        latest = max(unstored, key=lambda u: u.attempted_at or datetime.min)
        return AgencyAudit(**base, status="not_stored", source_url=latest.url, site_outcome=_last_outcome(states),
                           notes=(f"listed but not stored: {latest.cause}",))
    if report is None:
        return AgencyAudit(**base, **_absent(states, due, as_of))
    published = min((r.published for r in found if r.published), default=None)
    last = _primary(attributed.get((agency.id, year - 1), []))
    notes = [] if published else ["publication date unknown: counted as on time"]
    if len(found) > 1:
        notes.append(f"{len(found)} versions found")
    late = deadlines.days_late(due, published)
    status = "unparseable" if unparseable(report.parsed) else "published_late" if late else "published"
    return AgencyAudit(
        **base, status=status, published=published, days_late=late,
        title=report.title, source_url=report.source_url, site_outcome=_last_outcome(states),
        findings=_findings(report.parsed),
        checks=run_checks(agency.level, report.parsed, last.parsed if last else None, settings.copy_threshold),
        notes=tuple(notes))


def _absent(states: list[SiteState], due: date, as_of: date) -> dict:
    """No report: unreachable unless every listing page was read at its last attempt, else missing or not due."""
    if not states:
        return dict(status="unreachable", notes=("never crawled",))
    failed = [s for s in states if s.outcome not in PROVING_OUTCOMES]
    if failed:
        worst = max(failed, key=_when)
        when = f" at {worst.attempted_at:%Y-%m-%d %H:%M}" if worst.attempted_at else ""
        return dict(status="unreachable", site_outcome=worst.outcome,
                    notes=(f"listing {worst.outcome or 'never crawled'}{when}: absence not proven",))
    status = "missing" if deadlines.is_passed(due, as_of) else "not_due"
    return dict(status=status, site_outcome=_last_outcome(states))


def _last_outcome(states: list[SiteState]) -> str | None:
    return max(states, key=_when).outcome if states else None
