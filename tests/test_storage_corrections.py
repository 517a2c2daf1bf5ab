"""Provenance and corrections in storage, on SQLite and PostgreSQL alike: cells keep how and where they were read,
a correction applies to the bytes it was made on and is stale on a new version, the review queue counts both."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy.orm import Session

from nianbao.report.parse import parse_file
from storage.corrections import add_correction, corrections_by_version, corrections_of_years
from storage.documents import store_document
from storage.evidence_reads import find_report
from storage.reports import NEW, REVISED, UNCHANGED, iter_reports, upsert_report
from storage.review_reads import review_queue
from tests.evaluation import FORMS

NAME = "托里县人民政府"


@pytest.fixture(scope="module")
def parsed_pdf(tmp_path_factory) -> tuple[bytes, dict]:
    path = FORMS["pdf"]("tuoli-county-2024", tmp_path_factory.mktemp("pdf"))
    return path.read_bytes(), parse_file(path)


def _store(engine, data: bytes, parsed: dict) -> str:
    with Session(engine) as session, session.begin():
        sha = store_document(session, data, content_type="application/pdf")
        return upsert_report(session, agency_id=None, agency_name=NAME, year=2024, source_url="http://127.0.0.2/r.pdf",
                             document_sha256=sha, parsed=parsed)


def _export(engine) -> dict:
    with Session(engine) as session:
        (report,) = iter_reports(session, 2024)
        return report


def _correct(engine, cell: str, value, note: str = "the page prints it") -> None:
    with Session(engine) as session, session.begin():
        add_correction(session, find_report(session, f"{NAME}/2024"), cell, value, note, "checker")


def test_cells_keep_their_provenance(engine, parsed_pdf):
    data, parsed = parsed_pdf
    assert _store(engine, data, parsed) == NEW
    assert _export(engine)["provenance"] == parsed["provenance"]


def test_a_correction_lives_on_its_bytes_and_goes_stale_on_new_ones(engine, parsed_pdf):
    data, parsed = parsed_pdf
    _store(engine, data, parsed)
    was = parsed["applications"]["new"]["total"]
    _correct(engine, "applications.new.total", was + 5)
    exported = _export(engine)
    assert exported["applications"]["new"]["total"] == was + 5
    assert exported["corrections"]["applications.new.total"]["parsed_value"] == was
    assert _store(engine, data, parsed) == UNCHANGED  # the same bytes again: still applied
    assert _export(engine)["applications"]["new"]["total"] == was + 5
    with Session(engine) as session:
        assert review_queue(session, 2024) == []  # read cell for cell, no correction stale: nothing to review
        version_id = find_report(session, f"{NAME}/2024").current_version_id
        (live,) = corrections_by_version(session, [version_id])[version_id]
        assert (live.value, live.stale) == (was + 5, False)
        assert corrections_of_years(session, [2024]) == {version_id: [live]}
    revised = copy.deepcopy(parsed)
    revised["applications"]["new"]["total"] = was + 1
    assert _store(engine, data + b"\n% revised", revised) == REVISED
    exported = _export(engine)
    assert exported["applications"]["new"]["total"] == was + 1  # the new bytes' own value
    assert exported["corrections"]["applications.new.total"] == {
        **exported["corrections"]["applications.new.total"], "value": was + 5, "parsed_value": was + 1, "stale": True}
    with Session(engine) as session:
        (item,) = review_queue(session, 2024)
        assert item.stale == 1


def test_a_correction_of_an_unread_row_and_a_blank(engine, parsed_pdf):
    data, parsed = parsed_pdf
    _store(engine, data, parsed)
    _correct(engine, "applications.other_handling.total", 0)
    _correct(engine, "applications.new.natural_person", None, "the cell is blank in the PDF")
    exported = _export(engine)
    assert exported["applications"]["other_handling"]["total"] == 0
    assert exported["applications"]["new"]["natural_person"] is None
    with Session(engine) as session, pytest.raises(ValueError, match="cannot be negative"):
        add_correction(session, find_report(session, f"{NAME}/2024"), "applications.new.total", -1, "x", "checker")


def test_show_checks_the_sums_again_with_the_corrections(engine, parsed_pdf):
    from nianbao.show import render_text

    data, parsed = parsed_pdf
    _store(engine, data, parsed)
    _correct(engine, "applications.new.total", parsed["applications"]["new"]["total"], "checked: as printed")
    assert "with the corrections, every sum the format requires holds" in render_text(_export(engine))
    _correct(engine, "applications.new.total", parsed["applications"]["new"]["total"] + 1, "a typo")
    shown = render_text(_export(engine))
    assert "these sums still fail:" in shown and "row_total applications.new" in shown
