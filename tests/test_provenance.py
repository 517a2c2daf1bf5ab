"""Provenance: every cell of the parse JSON says where its source printed it and how it was placed; read back from
the source file at that place (PDF box, HTML or DOCX table cell, text line and field, OFD text object) by the tests'
own reader, the printed text is the cell's value. Stored and exported with the report."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nianbao.cli import app
from nianbao.report.numbers import read_cell
from nianbao.report.parse import parse_bytes, parse_file
from nianbao.template import PLACEMENTS
from tests.evaluation import FORMS
from tests.provenance_source import Source
from tests.render.report_data import SEED_NAMES, seed_report
from tests.render.text import render_text
from tests.storage_fixtures import store_parsed
from tests.test_parse_run_together import NEW, _parse

TABLES = ("active_disclosure", "applications", "review_litigation")
RECOVERED = {"recovered_row_sum", "recovered_total"}  # computed, not printed: no place to point at


def _cells(parsed: dict):
    for table in TABLES:
        for row, columns in parsed[table].items():
            for column, value in columns.items():
                if value is not None:
                    yield f"{table}.{row}.{column}", value


def _check_points_at_values(path: Path, parsed: dict) -> dict[str, int]:
    """Every non-null cell has provenance; each one with a place holds the value there. Returns the hows."""
    source, hows, seen = Source(path), {}, {}
    try:
        for key, value in _cells(parsed):
            entry = parsed["provenance"][key]
            assert entry["how"] in PLACEMENTS, entry
            hows[entry["how"]] = hows.get(entry["how"], 0) + 1
            place = {k: v for k, v in entry.items() if k != "how"}
            if entry["how"] in RECOVERED:
                assert not place, (key, entry)
                continue
            assert place, (key, entry)
            if entry["how"] != "digits_split":  # a printed number is the value of one cell only
                where = json.dumps(place, sort_keys=True)
                whole_line = not {"field", "cell", "bbox", "boundary"} & set(place)  # a line may hold several
                assert where not in seen or whole_line, (key, seen.get(where), place)
                seen[where] = key
            printed = source.text_at(place)
            assert read_cell(printed).value == value, (key, value, printed, place)
    finally:
        source.close()
    return hows


@pytest.mark.parametrize("form", ["text-tabs", "text-lines", "text-lines-broken", "markdown", "markdown-br",
                                  "markdown-split", "pdf", "pdf-split-table", "docx", "html", "html-gbk-no-charset",
                                  "ofd"])
def test_every_cell_points_at_its_printed_value(form, tmp_path):
    for name in SEED_NAMES:
        folder = tmp_path / name
        folder.mkdir()
        path = FORMS[form](name, folder)
        parsed = parse_file(path)
        hows = _check_points_at_values(path, parsed)
        assert hows.get("read", 0) > 100, (name, hows)
        assert set(parsed["provenance"]) == {key for key, _ in _cells(parsed)}


def test_the_kind_of_place_follows_the_source(tmp_path):
    expected = {"pdf": {"page", "bbox"}, "docx": {"table", "row", "cell"}, "html": {"table", "row", "cell"},
                "text-tabs": {"line", "field"}, "markdown": {"line", "field"}, "text-lines": {"line"},
                "ofd": {"page", "boundary"}}
    for form, keys in expected.items():
        parsed = parse_file(FORMS[form]("hatu-town-2024", tmp_path))
        entry = parsed["provenance"]["applications.new.total"]
        assert set(entry) - {"how"} == keys, (form, entry)


def test_the_seed_texts_as_given_point_at_their_lines():
    for name in SEED_NAMES:
        with tempfile.TemporaryDirectory() as folder:
            path = FORMS["as-given"](name, Path(folder))
            hows = _check_points_at_values(path, parse_file(path))
        assert hows.get("read", 0) > 0


def test_a_row_that_lost_a_cell_says_which_cells_were_placed_and_which_recovered():
    report = seed_report("jiaxian-county-2024")
    text = render_text(report).decode()
    line_no, printed = next((i, line) for i, line in enumerate(text.splitlines(), 1) if line.startswith(NEW))
    fields = printed.split("\t")
    lost = next(i for i in range(1, len(fields) - 1) if fields[i] not in ("", "0"))  # a number, not the total
    broken = text.replace(printed, "\t".join(fields[:lost] + fields[lost + 1:]))
    parsed = parse_bytes(broken.encode(), name="r.txt")
    assert parsed["applications"]["new"] == report["applications"]["new"]
    row = {k.rsplit(".", 1)[1]: v for k, v in parsed["provenance"].items() if k.startswith("applications.new.")}
    column = list(report["applications"]["new"])[lost - 1]
    assert row[column] == {"how": "recovered_row_sum"}
    for name, entry in row.items():
        if name != column:
            assert entry["how"] in ("row_sum", "column_sums") and entry["line"] == line_no
            printed_there = broken.splitlines()[line_no - 1].split("\t")[entry["field"]]
            assert read_cell(printed_there).value == parsed["applications"]["new"][name]


def test_digits_split_point_at_the_run_they_were_cut_from():
    parsed = _parse("3500001\t36")
    row = {k.rsplit(".", 1)[1]: v for k, v in parsed["provenance"].items() if k.startswith("applications.new.")}
    assert {e["how"] for name, e in row.items() if name != "total"} == {"digits_split"}
    assert row["total"]["how"] == "digits_split" and row["total"]["field"] == 2
    assert {e["field"] for name, e in row.items() if name != "total"} == {1}


def test_provenance_is_stored_and_exported(tmp_path):
    path = FORMS["pdf"]("hatu-town-2024", tmp_path)
    parsed = parse_file(path)
    db = f"sqlite:///{tmp_path / 'n.sqlite'}"
    store_parsed(db, path.read_bytes(), parsed, "哈图镇人民政府")
    result = CliRunner().invoke(app, ["export", "--db", db])
    (exported,) = json.loads(result.stdout)
    assert exported["provenance"] == parsed["provenance"]
