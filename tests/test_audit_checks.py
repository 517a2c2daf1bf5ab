"""The audit's checks: carry-over across years, copied text (内容雷同), implausible 规章 and all-zero reports."""

from __future__ import annotations

from datetime import date

import pytest

from nianbao.audit import Agency, Settings, StoredReport, audit
from nianbao.audit.checks import all_zero, carry_over, copied, rules_reported
from nianbao.audit.similarity import normalize, similarity
from tests.test_audit_sample import YEAR, parsed, report_text, sample_audit

AS_OF = date(2025, 6, 1)


def checks_of(agency_id: str) -> list[str]:
    return [c.rule for c in sample_audit().row(agency_id).checks]


def test_sample_checks():
    assert checks_of("tuoli") == ["carry_over"]
    assert checks_of("tuoli-edu") == ["copied_text"]
    assert checks_of("tacheng-edu") == ["rules_implausible"]
    assert checks_of("jiaxian") == ["all_zero"]
    assert checks_of("jiaxian-townA") == []


# ---- carry-over (rule 5) ------------------------------------------------------------------------------------------

def test_carry_over_mismatch_names_the_columns():
    found = carry_over(parsed(carried_over=3), parsed(carried_forward=5))
    assert found.rule == "carry_over" and found.where == "applications.carried_over"
    assert "自然人 3 ≠ 5" in found.message and "总计 3 ≠ 5" in found.message
    assert "商业企业" not in found.message


def test_carry_over_equal_is_fine():
    assert carry_over(parsed(carried_over=5), parsed(carried_forward=5)) is None


def test_carry_over_ignores_unknown_cells():
    now, before = parsed(carried_over=3), parsed(carried_forward=5)
    now["applications"]["carried_over"].update(natural_person=None, total=None)
    assert carry_over(now, before) is None
    assert carry_over(now, {"applications": {}}) is None


def test_no_carry_over_check_without_last_year():
    agency = Agency("a", "某县人民政府", "county")
    data = parsed(carried_over=3)
    report = StoredReport("a", agency.name, YEAR, "t", "http://x.gov.cn/r.html", date(2025, 3, 1), data)
    assert audit([agency], [report], [], YEAR, AS_OF).rows[0].checks == ()


# ---- copied text ------------------------------------------------------------------------------------------------

def test_normalize_drops_digits_and_white_space():
    assert normalize("2024年 全年\n共 12 件") == normalize("２０２３年全年共7件") == "年全年共件"


def test_same_words_with_other_numbers_are_copied():
    picks = tuple(range(10))
    score = similarity(report_text("某局", 2024, picks), report_text("某局", 2023, picks))
    assert score == pytest.approx(1.0)
    found = copied(parsed(text=report_text("某局", 2024, picks)), parsed(text=report_text("某局", 2023, picks)), 0.9)
    assert found.rule == "copied_text" and "1.00" in found.message


def test_a_rewritten_report_is_not_copied():
    now = parsed(text=report_text("某局", 2024, (0, 2, 4, 6, 8, 10)))
    before = parsed(text=report_text("某局", 2023, (1, 3, 5, 7, 9, 11)))
    assert copied(now, before, 0.9) is None


def test_one_sentence_in_ten_changed_is_still_copied_but_a_third_changed_is_not():
    base = report_text("某局", 2024, tuple(range(10)))
    one_changed = report_text("某局", 2023, (*range(9), 11))
    assert 0.9 <= similarity(base, one_changed) < 0.95
    rewritten = report_text("某局", 2023, (0, 1, 2, 3, 10, 11))
    assert similarity(report_text("某局", 2024, (0, 1, 2, 3, 4, 5)), rewritten) < 0.9


def test_short_texts_are_not_judged():
    assert similarity("托里县2024年报告", "托里县2023年报告") is None
    assert copied(parsed(text=""), parsed(text=""), 0.9) is None


def test_the_threshold_is_a_setting():
    agency = Agency("a", "某县人民政府", "county")
    text_now = report_text("某县", 2024, (*range(9), 11))
    text_before = report_text("某县", 2023, tuple(range(10)))
    reports = [StoredReport("a", agency.name, y, "t", "http://x.gov.cn/r.html", date(y + 1, 3, 1), parsed(text=t))
               for y, t in ((YEAR, text_now), (YEAR - 1, text_before))]
    strict = audit([agency], reports, [], YEAR, AS_OF, Settings(copy_threshold=0.95)).rows[0]
    loose = audit([agency], reports, [], YEAR, AS_OF, Settings(copy_threshold=0.9)).rows[0]
    assert [c.rule for c in strict.checks] == [] and [c.rule for c in loose.checks] == ["copied_text"]


def test_only_the_same_agency_is_compared():
    text = report_text("某局", 2024, tuple(range(10)))
    agencies = [Agency("a", "甲局", "department"), Agency("b", "乙局", "department")]
    reports = [StoredReport("a", "甲局", YEAR, "t", "http://x.gov.cn/a.html", date(2025, 1, 5), parsed(text=text)),
               StoredReport("b", "乙局", YEAR - 1, "t", "http://x.gov.cn/b.html", date(2024, 1, 5), parsed(text=text))]
    assert audit(agencies, reports, [], YEAR, AS_OF).row("a").checks == ()


# ---- implausible figures (rule 6) -------------------------------------------------------------------------------

@pytest.mark.parametrize(("level", "flagged"), [
    ("county", True), ("township", True), ("department", True), ("prefecture", False), ("province", False),
])
def test_rules_only_from_provinces_and_prefectures(level, flagged):
    found = rules_reported(level, parsed(rules=2))
    assert (found is not None) == flagged
    if flagged:
        assert found.rule == "rules_implausible" and "issued 2" in found.message


def test_no_rules_is_fine_and_blank_rules_are_not_zero():
    assert rules_reported("county", parsed(rules=0)) is None
    data = parsed()
    data["active_disclosure"]["rules"] = {"issued": None, "repealed": None, "in_force": None}
    assert rules_reported("county", data) is None


@pytest.mark.parametrize(("level", "flagged"), [
    ("county", True), ("prefecture", True), ("township", False), ("department", False),
])
def test_all_zero_is_suspect_for_governments(level, flagged):
    assert (all_zero(level, parsed(zero=True)) is not None) == flagged


def test_one_nonzero_figure_or_no_figures_is_not_all_zero():
    assert all_zero("county", parsed()) is None
    data = parsed(zero=True)
    data["review_litigation"]["review"]["upheld"] = 1
    assert all_zero("county", data) is None
    assert all_zero("county", {"active_disclosure": {"rules": {"issued": None}}}) is None
