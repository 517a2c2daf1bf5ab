"""Per-site crawl locks on a SQLite file and on PostgreSQL: racing holders, release, expiry; the migrations since."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text, update

from storage.db import alembic_config, make_engine, session_factory, upgrade
from storage.locks import acquire_sites, held_sites, release_sites
from storage.models import Base, SiteLock, utcnow
from storage.runs import INCOMPLETE, record_site_outcome

HOUR = 3600


@pytest.fixture
def sessions(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


def acquire(sessions, site_ids, holder, ttl=HOUR) -> list[str]:
    with sessions() as session, session.begin():
        return acquire_sites(session, site_ids, holder, ttl)


def test_free_sites_are_taken_and_held_ones_skipped(sessions):
    assert acquire(sessions, ["b", "a", "a"], "run-1") == ["a", "b"]
    assert acquire(sessions, ["b", "c"], "run-2") == ["c"]
    with sessions() as session:
        held = held_sites(session)
    assert {site: holder for site, (holder, _) in held.items()} == {"a": "run-1", "b": "run-1", "c": "run-2"}
    assert all(expires > utcnow() + timedelta(minutes=59) for _, expires in held.values())
    assert acquire(sessions, [], "run-3") == []


def test_holder_renews_its_own_locks(sessions):
    acquire(sessions, ["a"], "run-1", ttl=60)
    assert acquire(sessions, ["a"], "run-1", ttl=HOUR) == ["a"]
    with sessions() as session:
        assert held_sites(session)["a"][1] > utcnow() + timedelta(minutes=59)


def test_release_frees_only_the_holders_own_locks(sessions):
    acquire(sessions, ["a", "b"], "run-1")
    acquire(sessions, ["c"], "run-2")
    with sessions() as session, session.begin():
        release_sites(session, ["a", "c"], "run-1")
        release_sites(session, [], "run-1")
    with sessions() as session:
        assert {site: holder for site, (holder, _) in held_sites(session).items()} == {"b": "run-1", "c": "run-2"}
    assert acquire(sessions, ["a", "c"], "run-3") == ["a"]



def test_a_national_registry_is_locked_renewed_and_released_whole(sessions):
    """More sites than one statement may carry parameters (SQLite 32,766, PostgreSQL 65,535)."""
    sites = [f"site-{number:05d}" for number in range(70_000)]
    assert acquire(sessions, sites[:100], "run-2") == sites[:100]
    assert acquire(sessions, sites, "run-1") == sites[100:]
    assert acquire(sessions, sites, "run-1") == sites[100:]  # the heartbeat's renewal
    with sessions() as session, session.begin():
        release_sites(session, sites, "run-1")
    with sessions() as session:
        assert sorted(held_sites(session)) == sites[:100]

def test_an_expired_lock_is_taken_over(sessions):
    acquire(sessions, ["a", "b"], "crashed")
    with sessions() as session, session.begin():
        # The crashed crawl's time ran out for one site.
        session.execute(update(SiteLock).where(SiteLock.site_id == "a").values(expires_at=utcnow() - timedelta(1)))
    with sessions() as session:
        assert set(held_sites(session)) == {"b"}  # an expired lock is not held
    assert acquire(sessions, ["a", "b"], "next") == ["a"]
    with sessions() as session:
        assert held_sites(session)["a"][0] == "next"


def test_a_waiting_transaction_sees_the_lock_the_other_one_commits(sessions):
    """B starts while A's transaction is open: it waits for A and then skips what A took."""
    results: dict[str, list[str]] = {}
    with sessions() as first, first.begin():
        results["a"] = acquire_sites(first, ["x", "y"], "a", HOUR)
        waiting = threading.Thread(target=lambda: results.update(b=acquire(sessions, ["y", "z"], "b")))
        waiting.start()
    waiting.join()
    assert results == {"a": ["x", "y"], "b": ["z"]}


def test_racing_holders_never_both_get_a_site(sessions):
    sites = [f"site-{n:02}" for n in range(12)]
    wanted = {"a": sites[:8], "b": sites[4:]}  # sites 4..7 are wanted by both
    for _ in range(10):
        start = threading.Barrier(2)
        got: dict[str, list[str]] = {}
        errors: list[BaseException] = []

        def race(holder: str, start=start, got=got, errors=errors) -> None:
            try:
                start.wait()
                got[holder] = acquire(sessions, wanted[holder], holder)
            except Exception as error:  # reported below; a thread cannot fail the test itself
                errors.append(error)

        threads = [threading.Thread(target=race, args=(holder,)) for holder in wanted]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert not set(got["a"]) & set(got["b"])
        assert set(got["a"]) | set(got["b"]) == set(sites)
        with sessions() as session, session.begin():
            for holder in wanted:
                release_sites(session, got[holder], holder)


def test_migration_from_0001_adds_the_locks_and_matches_the_models(db_url):
    engine = make_engine(db_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    assert "site_locks" not in inspect(engine).get_table_names()
    upgrade(engine)
    with engine.connect() as connection:
        head = ScriptDirectory.from_config(config).get_current_head()
        assert MigrationContext.configure(connection).get_current_revision() == head
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert "site_locks" not in inspect(engine).get_table_names()
    engine.dispose()


def test_migration_0003_keeps_existing_outcomes_and_their_ids_going_on(db_url):
    """A database in use at 0002 takes the new outcome, and new rows follow the old ones (ids rank outcomes)."""
    engine = make_engine(db_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        run_id = connection.execute(text(
            "INSERT INTO crawl_runs (started_at, status, trigger) VALUES (:now, 'completed', 'manual') RETURNING id"
        ), {"now": utcnow()}).scalar_one()
        for site in ("a", "b"):
            connection.execute(text(
                "INSERT INTO site_outcomes (run_id, site_key, outcome, pages, reports_found, reports_new,"
                " reports_revised, errors, recorded_at) VALUES (:run, :site, 'found', 1, 1, 1, 0, 0, :now)"
            ), {"run": run_id, "site": site, "now": utcnow()})
    upgrade(engine)
    with session_factory(engine)() as session, session.begin():
        record_site_outcome(session, run_id, "c", INCOMPLETE)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT site_key, outcome FROM site_outcomes ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [("a", "found"), ("b", "found"), ("c", INCOMPLETE)]
    engine.dispose()
