"""The publication audit: every registered agency's status for a year, judged against its deadline as of a date."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime

from nianbao import template
from nianbao.audit import deadlines
from nianbao.audit.checks import copied, copy_score, run_checks
from nianbao.audit.coverage import coverage
from nianbao.audit.facts import SHOWN_SEVERITIES
from nianbao.audit.hierarchy import Hierarchy
from nianbao.audit.model import (
    NEVER_CRAWLED_LABEL,
    Agency,
    AgencyAudit,
    AuditResult,
    Finding,
    Note,
    Settings,
    SiteState,
    StoredReport,
    UnstoredReport,
    name_key,
    site_outcome_label,
)
from nianbao.audit.summary import summarize

# Listing outcomes that prove a report is absent; anything else (or no attempt) leaves absence unproven.
PROVING_OUTCOMES = template.PROVING_OUTCOMES
# Scores the copy check for (this year's report, last year's) pairs, all at once so a loader can batch its reads.
CopyScorer = Callable[[Sequence[tuple[StoredReport, StoredReport]]], list[float | None]]


def score_in_memory(pairs: Sequence[tuple[StoredReport, StoredReport]]) -> list[float | None]:
    return [copy_score(now.facts, before.facts) for now, before in pairs]


def audit(agencies: Iterable[Agency], reports: Iterable[StoredReport], site_states: Iterable[SiteState],
          year: int, as_of: date, settings: Settings | None = None,
          unstored: Iterable[UnstoredReport] = (), copy_scores: CopyScorer = score_in_memory) -> AuditResult:
    """Audit every agency for `year`. `reports` should hold years `year` and `year - 1` (the checks compare them);
    `site_states` may hold every attempt: the latest per listing page counts. `unstored`: reports of `year` that
    were listed but could not be stored; they prove publication, so their agencies are never `missing`.
    `copy_scores`: the text similarity of report pairs, from the reports' facts unless a loader reads it itself."""
    settings = settings or Settings()
    tree = Hierarchy(agencies)
    attributed, unattributed = _attribute(tree.by_id.values(), reports)
    listed, _ = _attribute(tree.by_id.values(), unstored)
    states = _latest_states(site_states)
    audited = [_audit_agency(a, tree, attributed, listed.get((a.id, year), []), states.get(a.id, []), year, as_of,
                             settings)
               for a in tree.by_id.values()]
    rows = _with_copy_check([row for row, _ in audited], [pair for _, pair in audited], copy_scores,
                            settings.copy_threshold)
    position = {agency_id: i for i, agency_id in enumerate(tree.tree_order())}
    rows.sort(key=lambda r: position[r.agency_id])
    unattributed_now = tuple(sorted((r for r in unattributed if r.year == year),
                                    key=lambda r: (r.agency_name, r.published or date.max, r.source_url)))
    return AuditResult(year, as_of, settings, tuple(rows), summarize(rows, len(unattributed_now)),
                       tree.completeness(rows), unattributed_now, coverage(tree.by_id.values()))


def _attribute(agencies: Iterable[Agency], reports: Iterable[StoredReport | UnstoredReport]):
    """Reports by (agency id, year): by the stored agency id, else by the exact (normalized) agency name."""
    ids = {a.id for a in agencies}
    by_name = {name_key(a.name): a.id for a in agencies}
    attributed: dict[tuple[str, int], list[StoredReport]] = defaultdict(list)
    unattributed: list[StoredReport] = []
    for report in reports:
        agency_id = report.agency_id if report.agency_id in ids else by_name.get(name_key(report.agency_name or ""))
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


def _primary(reports: list[StoredReport]) -> StoredReport | None:
    """Of several versions (图片版, 超链版, an attachment...), the readable one published first."""
    if not reports:
        return None
    return min(reports, key=lambda r: (r.facts.unparseable, r.published or date.max, r.source_url))


def _findings(report: StoredReport) -> tuple[Finding, ...]:
    return tuple(Finding(*f) for f in report.facts.findings if f[1] in SHOWN_SEVERITIES)


def _with_copy_check(rows: list[AgencyAudit], pairs: list[tuple[StoredReport, StoredReport] | None],
                     copy_scores: CopyScorer, threshold: float) -> list[AgencyAudit]:
    """Rows with 内容雷同 added to the checks of those whose text nearly repeats last year's."""
    compared = [i for i, pair in enumerate(pairs) if pair is not None]
    scores = copy_scores([pairs[i] for i in compared]) if compared else []
    for i, score in zip(compared, scores, strict=True):
        found = copied(score, threshold)
        if found is not None:
            rows[i] = dataclasses.replace(rows[i], checks=(*rows[i].checks, found))
    return rows


def _audit_agency(agency: Agency, tree: Hierarchy, attributed, unstored: list[UnstoredReport],
                  states: list[SiteState], year: int, as_of: date, settings: Settings,
                  ) -> tuple[AgencyAudit, tuple[StoredReport, StoredReport] | None]:
    """The agency's row, and its report with last year's when the copy check should compare them."""
    due = deadlines.deadline(agency.level, year, settings.township_deadline)
    region = tree.region(agency.id)
    base = dict(agency_id=agency.id, name=agency.name, level=agency.level, parent_id=agency.parent_id,
                region_id=region.id, region_name=region.name, deadline=due,
                last_crawled=max((s.attempted_at for s in states if s.attempted_at), default=None))
    # A report published after as_of was not there yet on that day: the audit can be re-run for a past date.
    found = [r for r in attributed.get((agency.id, year), []) if r.published is None or r.published <= as_of]
    report = _primary(found)
    if report is None and unstored:
        latest = max(unstored, key=lambda u: u.attempted_at or datetime.min)
        return AgencyAudit(**base, status="not_stored", source_url=latest.url, site_outcome=_last_outcome(states),
                           notes=(_not_stored_note(latest.cause),)), None
    if report is None:
        return AgencyAudit(**base, **_absent(states, due, as_of)), None
    published = min((r.published for r in found if r.published), default=None)
    last = _primary(attributed.get((agency.id, year - 1), []))
    notes = [] if published else [DATE_UNKNOWN]
    if len(found) > 1:
        notes.append(_versions_note(len(found)))
    late = deadlines.days_late(due, published)
    status = "unparseable" if report.facts.unparseable else "published_late" if late else "published"
    row = AgencyAudit(
        **base, status=status, published=published, days_late=late,
        title=report.title, source_url=report.source_url, site_outcome=_last_outcome(states),
        findings=_findings(report), checks=run_checks(agency.level, report.facts, last.facts if last else None),
        notes=tuple(notes))
    return row, (report, last) if last else None


def _absent(states: list[SiteState], due: date, as_of: date) -> dict:
    """No report: unreachable unless every listing page was read at its last attempt, else missing or not due."""
    if not states:
        return dict(status="unreachable", notes=(NEVER_CRAWLED,))
    failed = [s for s in states if s.outcome not in PROVING_OUTCOMES]
    if failed:
        worst = max(failed, key=_when)
        return dict(status="unreachable", site_outcome=worst.outcome, notes=(_unproven_note(worst),))
    status = "missing" if deadlines.is_passed(due, as_of) else "not_due"
    return dict(status=status, site_outcome=_last_outcome(states))


def _last_outcome(states: list[SiteState]) -> str | None:
    return max(states, key=_when).outcome if states else None


# ---- notes, in English for the JSON and CSV and in Chinese for the page -------------------------------------------

NEVER_CRAWLED = Note("never_crawled", "never crawled", NEVER_CRAWLED_LABEL)
DATE_UNKNOWN = Note("date_unknown", "publication date unknown: counted as on time", "发布日期不详，视为按时发布")


def _versions_note(count: int) -> Note:
    return Note("versions", f"{count} versions found", f"共发现 {count} 个版本")


def _not_stored_note(cause: str) -> Note:
    return Note("not_stored", f"listed but not stored: {cause}", f"已发现但未能保存：{cause}")


def _unproven_note(state: SiteState) -> Note:
    """Why the listing's last attempt does not prove the report absent."""
    when = f" at {state.attempted_at:%Y-%m-%d %H:%M}" if state.attempted_at else ""
    when_zh = f"（{state.attempted_at:%Y-%m-%d %H:%M}）" if state.attempted_at else ""
    return Note("absence_unproven", f"listing {state.outcome or 'never crawled'}{when}: absence not proven",
                f"栏目页{site_outcome_label(state.outcome)}{when_zh}，无法证明未发布")
