"""The audit's own checks on a found report: carry-over across years, copied text, implausible figures (DOMAIN.md)."""

from __future__ import annotations

from nianbao.audit.facts import ReportFacts
from nianbao.similarity import sketch_similarity
from nianbao.template import ALL_ZERO_LEVELS, APPLICANT_COLUMN_LABELS, APPLICANT_COLUMNS, Finding

# Only provinces and cities with districts make 规章; a prefecture may be such a city.
RULE_MAKING_LEVELS = frozenset({"province", "prefecture"})


def carry_over(facts: ReportFacts, last_year: ReportFacts) -> Finding | None:
    """Rule 5: this year's 二、上年结转 must equal last year's 四、结转下年度, column by column where both are known."""
    diffs = [f"{APPLICANT_COLUMN_LABELS[c]} {now} ≠ {before}"
             for c, now, before in zip(APPLICANT_COLUMNS, facts.carried_over, last_year.carried_forward, strict=False)
             if now is not None and before is not None and now != before]
    if not diffs:
        return None
    return Finding.of("carry_over", "applications.carried_over",
                  "二、上年结转 ≠ 上年报告 四、结转下年度继续办理: " + "; ".join(diffs))


def copied(score: float | None, threshold: float) -> Finding | None:
    """内容雷同: this year's text nearly identical to last year's once digits and white space are dropped."""
    if score is None or score < threshold:
        return None
    return Finding.of("copied_text", "text",
                  f"正文与上年报告雷同 (similarity {score:.2f} ≥ {threshold:.2f}, digits ignored)")


def copy_score(facts: ReportFacts, last_year: ReportFacts) -> float | None:
    return sketch_similarity(facts.sketch, last_year.sketch)


def rules_reported(level: str, facts: ReportFacts) -> Finding | None:
    """规章 ≠ 0 from an agency that cannot make 规章."""
    if level in RULE_MAKING_LEVELS:
        return None
    if not facts.rules:
        return None
    shown = ", ".join(f"{k} {v}" for k, v in facts.rules)
    return Finding.of("rules_implausible", "active_disclosure.rules",
                  f"a {level} reports 规章 ({shown}); only provinces and cities with districts make 规章")


def all_zero(level: str, facts: ReportFacts) -> Finding | None:
    """Every number in all three tables is 0 (blank cells aside), for a county or prefecture."""
    if level not in ALL_ZERO_LEVELS or not facts.numbers or facts.nonzero:
        return None
    return Finding.of("all_zero", "tables", f"every figure in the report's tables is 0 ({facts.numbers} cells)")


def revised(facts: ReportFacts) -> Finding | None:
    """发布后修改: the report's cells or text changed after it was first stored (`nianbao history` shows how)."""
    if not facts.revisions:
        return None
    described = "; ".join(f"v{version}: {cells} cell(s), text +{added}/-{removed} lines"
                          for version, cells, added, removed in facts.revisions)
    return Finding.of("revised", "report", f"revised after publication ({described})")


def withdrawn(facts: ReportFacts) -> Finding | None:
    """已撤下: published, then gone from its listing and its URL (404/410); still counted as published, and kept."""
    if facts.withdrawn is None:
        return None
    when, reason = facts.withdrawn
    return Finding.of("withdrawn", "report", f"withdrawn from the site on {when}: {reason}")


def corrected(facts: ReportFacts) -> list[Finding]:
    """人工更正: cells a person corrected (the audit reads the corrected values), and corrections made on bytes the
    report no longer has (not applied until a person looks again)."""
    live = [c for c in facts.corrections if not c[4]]
    stale = [c for c in facts.corrections if c[4]]
    found = []
    if live:
        found.append(Finding.of("corrected", "tables", "corrected by a person: " + "; ".join(
            f"{cell} {parsed} → {value} ({note})" for cell, value, parsed, note, _ in live)))
    if stale:
        shown = "; ".join(f"{cell} → {value}" for cell, value, *_ in stale)
        found.append(Finding.of("correction_stale", "tables",
                                f"a new version arrived after these corrections, which are no longer applied: {shown}"))
    return found


def run_checks(level: str, facts: ReportFacts, last_year: ReportFacts | None) -> tuple[Finding, ...]:
    """The checks on one report but the copy check, which the audit runs over all pairs at once."""
    found = [rules_reported(level, facts), all_zero(level, facts), revised(facts), withdrawn(facts),
             *corrected(facts)]
    if last_year is not None:
        found.append(carry_over(facts, last_year))
    return tuple(f for f in found if f is not None)
