"""The audit's checks: carry-over across years, copied text (内容雷同), implausible 规章 and all-zero reports."""

from __future__ import annotations

import random
import re
from datetime import date
from pathlib import Path

import pytest

import crawler
import nianbao
from nianbao.audit import Agency, Settings, StoredReport, audit
from nianbao.audit.checks import all_zero, carry_over, copied, rules_reported
from nianbao.audit.facts import facts_of
from nianbao.similarity import normalize, shingles, similarity
from nianbao.template import RULES, SEVERITY_LABELS, rule_label
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


# ---- every finding code in one home, nianbao.template.RULES, with its severity and Chinese name -------------------

FINDING_CALL = re.compile(r'\bFinding\.of\(\s*"(\w+)"')
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_checks_take_their_severity_from_the_rules():
    checks = [c for row in sample_audit().rows for c in row.checks]
    assert {c.rule for c in checks} == {"carry_over", "copied_text", "rules_implausible", "all_zero"}
    assert all(c.severity == RULES[c.rule].severity for c in checks)


def test_every_finding_the_code_raises_is_a_rule_with_a_chinese_name():
    sources = [*Path(nianbao.__file__).parent.rglob("*.py"), *Path(crawler.__file__).parent.rglob("*.py")]
    raised = {code for path in sources for code in FINDING_CALL.findall(path.read_text(encoding="utf-8"))}
    assert {"balance", "no_text_layer", "carry_over", "all_zero"} <= raised  # the scan sees parser, readers, audit
    assert raised <= set(RULES)
    assert all(CJK.search(rule.label) and rule.severity in SEVERITY_LABELS for rule in RULES.values())


def test_rule_label_falls_back_to_the_code():
    assert (rule_label("balance"), rule_label("copied_text")) == ("勾稽关系不平", "内容雷同")
    assert rule_label("a_rule_of_a_newer_parser") == "a_rule_of_a_newer_parser"


# ---- carry-over (rule 5) ------------------------------------------------------------------------------------------

def test_carry_over_mismatch_names_the_columns():
    found = carry_over(facts_of(parsed(carried_over=3)), facts_of(parsed(carried_forward=5)))
    assert found.rule == "carry_over" and found.where == "applications.carried_over"
    assert "自然人 3 ≠ 5" in found.message and "总计 3 ≠ 5" in found.message
    assert "商业企业" not in found.message


def test_carry_over_equal_is_fine():
    assert carry_over(facts_of(parsed(carried_over=5)), facts_of(parsed(carried_forward=5))) is None


def test_carry_over_ignores_unknown_cells():
    now, before = parsed(carried_over=3), parsed(carried_forward=5)
    now["applications"]["carried_over"].update(natural_person=None, total=None)
    assert carry_over(facts_of(now), facts_of(before)) is None
    assert carry_over(facts_of(now), facts_of({"applications": {}})) is None


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
    found = copied(score, 0.9)
    assert found.rule == "copied_text" and "1.00" in found.message


def test_a_rewritten_report_is_not_copied():
    now = report_text("某局", 2024, (0, 2, 4, 6, 8, 10))
    before = report_text("某局", 2023, (1, 3, 5, 7, 9, 11))
    assert copied(similarity(now, before), 0.9) is None


def test_one_sentence_in_ten_changed_is_still_copied_but_a_third_changed_is_not():
    base = report_text("某局", 2024, tuple(range(10)))
    one_changed = report_text("某局", 2023, (*range(9), 11))
    assert 0.9 <= similarity(base, one_changed) < 0.95
    rewritten = report_text("某局", 2023, (0, 1, 2, 3, 10, 11))
    assert similarity(report_text("某局", 2024, (0, 1, 2, 3, 4, 5)), rewritten) < 0.9


def test_short_texts_are_not_judged():
    assert similarity("托里县2024年报告", "托里县2023年报告") is None
    assert copied(similarity("", ""), 0.9) is None


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
    found = rules_reported(level, facts_of(parsed(rules=2)))
    assert (found is not None) == flagged
    if flagged:
        assert found.rule == "rules_implausible" and "issued 2" in found.message


def test_no_rules_is_fine_and_blank_rules_are_not_zero():
    assert rules_reported("county", facts_of(parsed(rules=0))) is None
    data = parsed()
    data["active_disclosure"]["rules"] = {"issued": None, "repealed": None, "in_force": None}
    assert rules_reported("county", facts_of(data)) is None


@pytest.mark.parametrize(("level", "flagged"), [
    ("county", True), ("prefecture", True), ("township", False), ("department", False),
])
def test_all_zero_is_suspect_for_governments(level, flagged):
    assert (all_zero(level, facts_of(parsed(zero=True))) is not None) == flagged


def test_one_nonzero_figure_or_no_figures_is_not_all_zero():
    assert all_zero("county", facts_of(parsed())) is None
    data = parsed(zero=True)
    data["review_litigation"]["review"]["upheld"] = 1
    assert all_zero("county", facts_of(data)) is None
    assert all_zero("county", facts_of({"active_disclosure": {"rules": {"issued": None}}})) is None


def test_sketches_estimate_dice_of_long_texts_and_are_exact_for_short_ones():
    rnd = random.Random(3)
    sentences = ["".join(chr(0x4E00 + rnd.randrange(3000)) for _ in range(40)) for _ in range(400)]

    def exact(a: str, b: str) -> float:
        sa, sb = shingles(normalize(a)), shingles(normalize(b))
        return 2 * len(sa & sb) / (len(sa) + len(sb))

    for n in (8, 60, 200):  # 300, 2,400 and 8,000 characters: below and well above K shingles
        picks = rnd.sample(range(400), n)
        for changed in (0, n // 20, n // 10, n // 3):
            other = list(picks)
            for i in rnd.sample(range(n), changed):
                other[i] = rnd.randrange(400)
            a, b = "".join(sentences[i] for i in picks), "".join(sentences[i] for i in other)
            tolerance = 1e-9 if n == 8 else 0.05
            assert similarity(a, b) == pytest.approx(exact(a, b), abs=tolerance)
    short, long = "".join(sentences[:8]), "".join(sentences[:200])  # a short text inside a long one
    assert similarity(short, long) == pytest.approx(exact(short, long), abs=0.03)
