"""A row whose numbers were printed run together ("350000136" for 35 0 0 0 0 1 36): split only where exactly one
split satisfies the row's own sum, with a finding that says so; otherwise the row is left unread with a finding that
says why, never read as lost cells or as one large number."""

from __future__ import annotations

from nianbao.report.parse import parse_bytes
from tests.parse_helpers import rules
from tests.render.report_data import seed_report
from tests.render.text import render_text

NEW = "一、本年新收政府信息公开申请数量"


def _parse(row: str) -> dict:
    report = seed_report("jiaxian-county-2024")
    text = render_text(report).decode()
    printed = next(line for line in text.splitlines() if line.startswith(NEW))
    return parse_bytes(text.replace(printed, f"{NEW}\t{row}").encode(), name="r.txt")


def test_digits_run_together_are_split_the_only_way_the_row_adds_up():
    parsed = _parse("3500001\t36")  # a narrow column ran six cells together; the total stood apart
    assert parsed["applications"]["new"] == seed_report("jiaxian-county-2024")["applications"]["new"]
    [finding] = [f for f in parsed["findings"] if f["rule"] == "digits_split"]
    assert finding["severity"] == "warning"
    assert finding["message"] == ("numbers printed run together (3500001 36) split as 35 0 0 0 0 1 36: the only split "
                                  "the row's sums allow")
    assert "cell_count" not in rules(parsed) and "row_total" not in rules(parsed)


def test_a_run_that_no_single_split_fits_leaves_the_row_unread_and_says_why():
    parsed = _parse("35000013")  # 35 0 0 0 0 1 3 does not add up, nor does any other cut
    assert parsed["applications"]["new"] == dict.fromkeys(parsed["applications"]["new"])  # every cell null
    [finding] = [f for f in parsed["findings"] if f["rule"] == "digits_run_together"]
    assert finding["severity"] == "error"
    assert finding["message"] == ("numbers printed run together (35000013): no split of them satisfies the row's "
                                  "sums, so the row is left unread")


def test_a_lost_cell_is_still_recovered_as_before():
    parsed = _parse("35\t0\t0\t0\t1\t36")  # one zero lost: the row's sum places the rest, no digits are cut
    assert "digits_split" not in rules(parsed) and "digits_run_together" not in rules(parsed)
    assert parsed["applications"]["new"]["total"] == 36


def test_rows_that_only_lost_cells_are_read_as_before():
    for row in ("125\t3\t0\t128", "12\t-\t3\t4\t19", "1,234\t0\t1,234"):  # three-digit counts, dashes, separators
        parsed = _parse(row)
        assert {"digits_split", "digits_run_together"}.isdisjoint(rules(parsed)), row
        assert "cell_count" in rules(parsed)


def test_a_very_long_run_is_given_up_without_trying_its_cuts():
    parsed = _parse("1" + "0" * 40)  # 41 digits: cutting them every way would outlast the reader's time limit
    [finding] = [f for f in parsed["findings"] if f["rule"] == "digits_run_together"]
    assert "too many splits to try" in finding["message"]
