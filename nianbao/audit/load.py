"""The audit's inputs read from storage: the registry with its last crawl outcomes, the facts of the current
reports of Y and Y-1, reports listed but not stored, and a copy scorer that reads text sketches in batches."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from nianbao.audit.facts import SHOWN_SEVERITIES, UNPARSEABLE_RULES, ReportFacts
from nianbao.audit.model import Agency, SiteState, StoredReport, UnstoredReport
from nianbao.similarity import sketch_similarity
from storage.audit_reads import agency_rows, current_version_facts, text_sketches
from storage.pending import pending_reports
from storage.runs import unstored_reports


def load(session: Session, year: int) -> tuple[list[Agency], list[StoredReport], list[SiteState]]:
    registry = agency_rows(session)
    agencies = [Agency(a.id, a.name, a.level, a.parent_id, a.division) for a in registry]
    states = [SiteState(a.id, a.last_outcome, None) for a in registry]
    versions = current_version_facts(session, year, SHOWN_SEVERITIES, UNPARSEABLE_RULES)
    versions.reverse()
    reports = []
    while versions:  # each read row freed as its report is made: the two never sit in memory side by side
        reports.append(_stored(versions.pop(), year))
    return agencies, reports, states


def load_unstored(session: Session, year: int) -> list[UnstoredReport]:
    """Reports of the year that were listed but could not be stored (the audit's not_stored), and those stored that
    wait for a worker to parse them: listed, so never missing (one of a year known only once parsed counts for every
    year until then)."""
    unstored = [UnstoredReport(u.agency_id, u.agency_name, u.year, u.url, u.cause, u.recorded_at)
                for u in unstored_reports(session, year)]
    waiting = [UnstoredReport(p.agency_id, p.agency_name, year, p.url,
                              f"downloaded {p.stored_at:%Y-%m-%d %H:%M} UTC, waiting to be parsed", p.stored_at)
               for p in pending_reports(session, year)]
    return waiting + unstored


def copy_scorer(session: Session, batch: int = 400):
    """The audit's copy scorer for loaded reports: the sketches of `batch` pairs read at a time, never all at once."""

    def scores(pairs: Sequence[tuple[StoredReport, StoredReport]]) -> list[float | None]:
        result: list[float | None] = []
        for start in range(0, len(pairs), batch):
            chunk = pairs[start:start + batch]
            sketches = dict(text_sketches(session, {r.version_id for pair in chunk for r in pair}))
            result += [sketch_similarity(sketches.get(now.version_id), sketches.get(before.version_id))
                       for now, before in chunk]
        return result

    return scores


def _stored(v, year: int) -> StoredReport:
    carried = {"carried_over" if v.year == year else "carried_forward": tuple(v.carried)}
    facts = ReportFacts(findings=tuple(v.findings), has_applications=v.has_applications, rules=tuple(v.rules),
                        numbers=v.numbers, nonzero=v.nonzero, revisions=tuple(v.revisions),
                        withdrawn=v.withdrawn, corrections=tuple(v.corrections), **carried)
    return StoredReport(v.agency_id, v.agency_name, v.year, v.title or "", v.source_url, v.published,
                        facts=facts, version_id=v.version_id)
