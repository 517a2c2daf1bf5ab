"""Site health: the registered sites whose crawls keep failing, how many runs in a row, since when, and why.

For health a run fails a site unless it found the site's reports: "nothing_found" counts too (a registered list
that holds no report is worth a look), although the audit takes it as proof of absence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from storage.models import Agency, CrawlRun, SiteOutcome


@dataclass(frozen=True)
class BrokenSite:
    id: str
    name: str
    failure_class: str  # of the latest run; its outcome for rows recorded before classes were kept
    outcome: str
    consecutive_failures: int  # runs in a row that took the site and did not find its reports
    failing_since: datetime  # when the first of them started
    last_run: int
    last_message: str | None


def broken_sites(session: Session) -> list[BrokenSite]:
    """Every enabled registered site whose latest finished run did not find its reports, longest broken first.

    Computed from the recorded outcomes rather than kept as counters: the history already holds the answer, and a
    counter would be a second record to keep right when a run dies, re-records a site or is closed by another
    crawl. A site's runs are ordered by run id (two crawls never hold one site at once); a run still going is left
    out, since its sites read "incomplete" until it records them.
    """
    finished = CrawlRun.status != "running"
    last_found = (select(SiteOutcome.site_key, func.max(SiteOutcome.run_id).label("run_id"))
                  .join(CrawlRun).where(finished, SiteOutcome.outcome == "found")
                  .group_by(SiteOutcome.site_key).subquery())
    streaks = (select(SiteOutcome.site_key, func.count().label("failures"),
                      func.min(SiteOutcome.run_id).label("first_run"), func.max(SiteOutcome.run_id).label("last_run"))
               .join(CrawlRun)
               .outerjoin(last_found, last_found.c.site_key == SiteOutcome.site_key)
               .where(finished, SiteOutcome.run_id > func.coalesce(last_found.c.run_id, 0))
               .group_by(SiteOutcome.site_key).subquery())
    latest, first_run = aliased(SiteOutcome), aliased(CrawlRun)
    stmt = (select(Agency.id, Agency.name, latest, streaks.c.failures, first_run.started_at)
            .join(streaks, streaks.c.site_key == Agency.id)
            .join(latest, (latest.site_key == streaks.c.site_key) & (latest.run_id == streaks.c.last_run))
            .join(first_run, first_run.id == streaks.c.first_run)
            .where(Agency.enabled)
            .order_by(streaks.c.failures.desc(), first_run.started_at, Agency.id))
    return [BrokenSite(agency_id, name, row.failure_class or row.outcome, row.outcome, failures, since, row.run_id,
                       row.message)
            for agency_id, name, row, failures, since in session.execute(stmt)]
