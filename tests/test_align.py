"""Placing a row's numbers when extraction lost or added cells (align.fit)."""

from __future__ import annotations

from nianbao.report.align import fit
from nianbao.template import APPLICATION_ROWS, REVIEW_ROW, TEMPLATES

ROW = APPLICATION_ROWS[0]  # seven applicant columns, total = the sum of the six others
RULES_ROW = TEMPLATES["2021"].active_rows[0]  # three counts, no arithmetic


def test_lost_total_is_recovered_when_the_printed_numbers_cannot_hold_one():
    fitted = fit([9, 0, 0, 0, 0, 0], ROW)
    assert fitted.cells == (9, 0, 0, 0, 0, 0, 9)
    assert fitted.inferred == {6}


def test_printed_total_is_preferred_and_disputed_cells_are_null():
    fitted = fit([2, 0, 0, 1, 0, 3], ROW)
    assert fitted.cells[6] == 3
    assert fitted.cells[2] == 0 and fitted.cells[5] == 0  # every placement agrees here
    assert fitted.cells[0] is None and fitted.cells[1] is None  # the 2 may be either
    assert len(fitted.readings) > 1


def test_all_zero_row_with_a_lost_cell_is_all_zero():
    assert fit([0] * 6, ROW).cells == (0,) * 7


def test_extra_cells_are_dropped_where_the_sum_allows():
    fitted = fit([2, 0, 0, 0, 0, 1, 0, 3], ROW)
    assert fitted.cells[0] == 2 and fitted.cells[6] == 3


def test_no_placement_satisfies_the_sum():
    fitted = fit([5] * 8, ROW)  # whichever 5 is dropped, six 5s never add up to 5
    assert fitted.cells == (None,) * 7


def test_rows_without_arithmetic_keep_only_what_every_placement_agrees_on():
    assert fit([0, 0], RULES_ROW).cells == (None, None, None)  # no sum to recover the lost one from
    assert fit([3, 7, 0, 0], RULES_ROW).cells == (None, None, 0)  # every placement ends in a 0


def test_review_row_with_a_lost_cell():
    numbers = [1, 2, 2, 2, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0]  # 15 printed, one zero lost
    fitted = fit(numbers, REVIEW_ROW)
    assert fitted.cells[:5] == (1, 2, 2, 2, 7)
    assert fitted.cells[5:] == (0,) * 10


def test_hopelessly_broken_rows_are_not_enumerated_forever():
    assert fit(list(range(40)), ROW).cells == (None,) * 7
