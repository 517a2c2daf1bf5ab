"""Crawl runs, per-site outcomes and unregistered agency names."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import CrawlRun, SiteOutcome
from storage.runs import (
    finish_run,
    last_outcomes,
    outcome_history,
    record_site_outcome,
    record_unknown_agency,
    start_run,
    unknown_agencies,
)

LISTING = "http://xjtc.gov.cn/zfxxgk/xxgkzl/zfxxgk1/zfxxgknb/"



def test_a_run_records_outcomes_and_finishes(engine):
    with Session(engine) as session, session.begin():
        run_id = start_run(session, "scheduled")
        record_site_outcome(session, run_id, LISTING, "found", pages=3, reports_found=12, reports_new=2)
        record_site_outcome(session, run_id, "xj-tacheng-city", "blocked", errors=1, message="HTTP 412")
        finish_run(session, run_id, "completed")
    with Session(engine) as session:
        run = session.get(CrawlRun, run_id)
        assert (run.trigger, run.status) == ("scheduled", "completed")
        assert run.finished_at >= run.started_at
        outcomes = last_outcomes(session)
        found = outcomes[LISTING]
        assert (found.outcome, found.pages, found.reports_found, found.reports_new, found.reports_revised) == (
            "found",
            3,
            12,
            2,
            0,
        )
        assert (outcomes["xj-tacheng-city"].outcome, outcomes["xj-tacheng-city"].message) == ("blocked", "HTTP 412")


def test_last_outcomes_are_the_latest_per_site_and_a_rerecord_replaces(engine):
    with Session(engine) as session, session.begin():
        first = start_run(session, "scheduled")
        record_site_outcome(session, first, LISTING, "found", reports_found=5)
        finish_run(session, first, "completed")
        second = start_run(session, "manual")
        record_site_outcome(session, second, LISTING, "unreachable", errors=1)
        record_site_outcome(session, second, LISTING, "layout_changed", pages=1)  # same run: replaces
        finish_run(session, second, "failed")
    with Session(engine) as session:
        latest = last_outcomes(session)[LISTING]
        assert (latest.run_id, latest.outcome, latest.errors, latest.pages) == (second, "layout_changed", 0, 1)
        assert [o.outcome for o in outcome_history(session, LISTING)] == ["layout_changed", "found"]
        assert session.scalar(select(func.count()).select_from(SiteOutcome)) == 2


def test_outcome_values_are_checked(engine):
    with Session(engine) as session, session.begin():
        run_id = start_run(session, "manual")
        with pytest.raises(ValueError, match="outcome"):
            record_site_outcome(session, run_id, LISTING, "timeout")
        with pytest.raises(TypeError, match="reports"):
            record_site_outcome(session, run_id, LISTING, "found", reports=3)
        with pytest.raises(ValueError, match="trigger"):
            start_run(session, "cron")
        with pytest.raises(ValueError, match="run status"):
            finish_run(session, run_id, "done")
        with pytest.raises(LookupError):
            finish_run(session, run_id + 100, "completed")


def test_unknown_agencies_are_counted_per_name_and_listing(engine):
    with Session(engine) as session, session.begin():
        record_unknown_agency(session, "托里县库普乡人民政府", LISTING)
        record_unknown_agency(session, "托里县库普乡人民政府", LISTING)
        record_unknown_agency(session, "托里县发展和改革委员会", LISTING)
    with Session(engine) as session:
        seen = unknown_agencies(session)
        assert [(u.name, u.times_seen) for u in seen] == [("托里县库普乡人民政府", 2), ("托里县发展和改革委员会", 1)]
        assert seen[0].last_seen >= seen[0].first_seen
