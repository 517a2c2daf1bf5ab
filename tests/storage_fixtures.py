"""The `db_url` fixture: an empty database, once as a SQLite file and once as a throwaway PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from nianbao.template import ACTIVE_2021, APPLICATION_ROWS, REVIEW_COLUMNS, REVIEW_GROUPS
from storage.db import database_url, make_engine, upgrade

__all__ = ["db_url", "engine", "postgres_test_database"]

# The server to create throwaway databases on; the default is the local trust-auth server.
PG_ADMIN_URL = os.environ.get("NIANBAO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def postgres_test_database() -> Iterator[URL]:
    """One fresh database per test session (concurrent runs get different names), dropped at the end.

    Without a server the PostgreSQL cases are skipped, except under CI, where that is a failure.
    """
    admin_url = make_url(database_url(PG_ADMIN_URL))
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"nianbao_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            # Tests need no durability: not waiting for each commit's WAL flush makes migrations several times faster.
            connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except OperationalError as error:
        admin.dispose()
        reason = f"no PostgreSQL at {admin_url.render_as_string()}: {str(error.orig).strip().splitlines()[0]}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield admin_url.set(database=name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty_schema(url: URL) -> None:
    # Recreating the schema is far cheaper than a database per test and leaves it just as empty.
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of an empty database: a SQLite file in a temporary directory, or an emptied PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'nianbao.sqlite'}"
    url = request.getfixturevalue("postgres_test_database")
    _empty_schema(url)
    return url.render_as_string(hide_password=False)


@pytest.fixture
def engine(db_url: str):
    """An engine on an up-to-date schema in the db_url database."""
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


# ---- Report dicts for storage tests, built from the template so no label or key is typed here -------------------


def parsed_report(agency: str = "托里县人民政府", year: int = 2024, seed: int = 0) -> dict:
    """A 2021-format parse JSON, every cell filled (seed varies the numbers) but one blank, with two findings."""
    applications = {
        row.key: {column: (index + position + seed) % 9 for position, column in enumerate(row.columns)}
        for index, row in enumerate(APPLICATION_ROWS)
        if row.key != "other_handling"
    }
    applications["new"]["research"] = None  # blank in the source: null, never 0
    active = {row.key: {column: seed + len(column) for column in row.columns} for row in ACTIVE_2021}
    active["fees"]["amount"] = 75.45 + seed  # 万元 may be fractional
    return {
        "agency": agency,
        "year": year,
        "template": "2021",
        "title": f"{agency}{year}年政府信息公开工作年度报告",
        "published": f"{year + 1}-01-17",
        "text": "一、总体情况\n本年度……",
        "active_disclosure": active,
        "applications": applications,
        "review_litigation": {group: {c: seed for c in REVIEW_COLUMNS} for group, _ in REVIEW_GROUPS},
        "findings": [
            {
                "rule": "balance",
                "severity": "error",
                "where": "applications.total",
                "message": "一+二 = 95 but 三(七)+四 = 96",
            },
            {"rule": "missing_section", "severity": "warning", "where": None, "message": "六、其他需要报告的事项"},
        ],
    }


def broken_report(agency: str = "托里县人民政府", year: int = 2024) -> dict:
    """What a broken fetch parses to: the tables are missing (an image, a login page, a truncated file)."""
    report = parsed_report(agency, year)
    report |= {"active_disclosure": {}, "applications": {}, "review_litigation": {}}
    report["findings"] = [
        {"rule": "missing_table", "severity": "error", "where": "applications", "message": "表三未找到"},
    ]
    return report


def store_parsed(db_url: str, data: bytes, parsed: dict, agency_name: str, year: int = 2024) -> None:
    """A report's bytes and their parse stored as a crawl stores them (an unregistered agency's), schema upgraded."""
    from sqlalchemy.orm import Session

    from storage.documents import store_document
    from storage.reports import upsert_report

    engine = make_engine(db_url)
    upgrade(engine)
    with Session(engine) as session:
        sha = store_document(session, data, content_type=None)
        upsert_report(session, agency_id=None, agency_name=agency_name, year=year,
                      source_url=f"http://127.0.0.2/{agency_name}", document_sha256=sha, parsed=parsed)
        session.commit()
    engine.dispose()
