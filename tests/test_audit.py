"""The audit's computation: deadlines, every status, unreachable vs missing, hierarchy and the summary."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from nianbao.audit import STATUSES, Agency, Settings, SiteState, StoredReport, audit
from nianbao.audit.deadlines import deadline, is_passed
from tests.test_audit_sample import AGENCIES, AS_OF, EXPECTED_STATUS, YEAR, finding, parsed, sample_audit

CRAWLED = datetime(2025, 1, 2, 2, 0)


def one(level: str, *, published: date | None = None, found: bool = False, as_of: date,
        outcomes: tuple[str | None, ...] = ("nothing_found",), data: dict | None = None,
        settings: Settings | None = None) -> str:
    """The status of a single agency of `level` under the given report and crawl outcomes."""
    agency = Agency("a", "某县某局", level)
    reports = [StoredReport("a", agency.name, YEAR, "t", "http://x.gov.cn/r.html", published, data or parsed())]
    states = [SiteState("a", outcome, CRAWLED, f"http://x.gov.cn/list{i}/") for i, outcome in enumerate(outcomes)]
    result = audit([agency], reports if found or published else [], states, YEAR, as_of, settings)
    return result.rows[0].status


# ---- deadlines --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("level", "due"), [
    ("department", date(2025, 1, 31)), ("county", date(2025, 3, 31)), ("prefecture", date(2025, 3, 31)),
    ("province", date(2025, 3, 31)), ("township", date(2025, 1, 31)),
])
def test_deadline_by_level(level, due):
    assert deadline(level, 2024) == due


def test_township_deadline_is_configurable():
    assert deadline("township", 2024, "03-31") == date(2025, 3, 31)
    assert deadline("township", 2023, "02-29") == date(2024, 2, 29)
    assert deadline("township", 2024, "02-29") == date(2025, 2, 28)  # no 29 February in 2025


@pytest.mark.parametrize("bad", ["1/31", "13-01", "02-30", "", "january"])
def test_township_deadline_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="MM-DD"):
        deadline("township", 2024, bad)
    with pytest.raises(ValueError, match="MM-DD"):
        Settings(township_deadline=bad)


def test_settings_from_the_environment():
    assert Settings.from_env({}) == Settings()
    env = {"NIANBAO_TOWNSHIP_DEADLINE": "02-28", "NIANBAO_COPY_THRESHOLD": "0.85", "OTHER": "x"}
    assert Settings.from_env(env) == Settings("02-28", 0.85)
    with pytest.raises(ValueError, match="NIANBAO_COPY_THRESHOLD"):
        Settings.from_env({"NIANBAO_COPY_THRESHOLD": "high"})
    with pytest.raises(ValueError, match="copy threshold"):
        Settings(copy_threshold=0)


def test_unknown_level_is_an_error():
    with pytest.raises(ValueError, match="level"):
        deadline("village", 2024)


def test_deadline_day_itself_is_not_passed():
    due = date(2025, 1, 31)
    assert not is_passed(due, date(2025, 1, 30))
    assert not is_passed(due, due)
    assert is_passed(due, date(2025, 2, 1))


# ---- statuses ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("level", "as_of", "status"), [
    ("department", date(2025, 1, 30), "not_due"), ("department", date(2025, 1, 31), "not_due"),
    ("department", date(2025, 2, 1), "missing"),
    ("county", date(2025, 3, 30), "not_due"), ("county", date(2025, 3, 31), "not_due"),
    ("county", date(2025, 4, 1), "missing"),
    ("prefecture", date(2025, 2, 15), "not_due"), ("province", date(2025, 4, 1), "missing"),
    ("township", date(2025, 1, 31), "not_due"), ("township", date(2025, 2, 1), "missing"),
])
def test_nothing_found_is_missing_only_after_the_deadline(level, as_of, status):
    assert one(level, as_of=as_of) == status


def test_configured_township_deadline_moves_missing_to_not_due():
    assert one("township", as_of=date(2025, 2, 15)) == "missing"
    assert one("township", as_of=date(2025, 2, 15), settings=Settings(township_deadline="03-31")) == "not_due"
    assert one("township", as_of=date(2025, 4, 1), settings=Settings(township_deadline="03-31")) == "missing"


@pytest.mark.parametrize(("level", "published", "status"), [
    ("department", date(2025, 1, 31), "published"), ("department", date(2025, 2, 1), "published_late"),
    ("county", date(2025, 3, 31), "published"), ("county", date(2025, 4, 1), "published_late"),
    ("township", date(2025, 1, 31), "published"), ("township", date(2025, 2, 1), "published_late"),
])
def test_published_on_the_deadline_is_on_time(level, published, status):
    assert one(level, published=published, as_of=date(2025, 6, 30)) == status


def test_days_late_and_publication_date():
    row = sample_audit().row("tuoli-edu")
    assert (row.status, row.deadline, row.published, row.days_late) == (
        "published_late", date(2025, 1, 31), date(2025, 2, 5), 5)
    assert row.source_url.endswith("/2024/tuoli-edu.html")


def test_a_report_published_after_as_of_was_not_there_yet():
    assert one("department", published=date(2025, 1, 20), as_of=date(2025, 1, 10)) == "not_due"
    assert one("department", published=date(2025, 2, 20), as_of=date(2025, 2, 10)) == "missing"


def test_unknown_publication_date_counts_as_published_with_a_note():
    row = sample_audit().row("jiaxian-townA")
    assert row.status == "published" and row.published is None and row.days_late is None
    assert [note.code for note in row.notes] == ["date_unknown"]
    assert "publication date unknown" in row.notes[0].text and "发布日期不详" in row.notes[0].text_zh


@pytest.mark.parametrize(("findings", "status"), [
    ([finding("missing_table", where="applications")], "unparseable"),
    ([finding("no_text_layer", where="document")], "unparseable"),
    ([finding("missing_table", where="active_disclosure")], "published"),  # table 三 was read
    ([finding("balance")], "published"),
])
def test_unparseable_means_table_three_unreadable(findings, status):
    data = parsed(findings=findings)
    assert one("county", published=date(2025, 3, 1), as_of=date(2025, 4, 1), data=data) == status


def test_unparseable_even_when_late():
    data = parsed(findings=[finding("no_text_layer", where="document")])
    assert one("county", published=date(2025, 5, 1), as_of=date(2025, 6, 1), data=data) == "unparseable"


def test_a_readable_version_beats_an_image_version():
    agency = Agency("a", "某县人民政府", "county")
    image = StoredReport("a", agency.name, YEAR, "（图片版）", "http://x.gov.cn/img.html", date(2025, 3, 1),
                         parsed(findings=[finding("missing_table", where="applications")]))
    text = StoredReport("a", agency.name, YEAR, "（超链版）", "http://x.gov.cn/txt.html", date(2025, 3, 2), parsed())
    row = audit([agency], [image, text], [], YEAR, date(2025, 4, 1)).rows[0]
    assert (row.status, row.source_url, row.published) == ("published", "http://x.gov.cn/txt.html", date(2025, 3, 1))
    assert [(n.code, n.text, n.text_zh) for n in row.notes] == [("versions", "2 versions found", "共发现 2 个版本")]


# ---- unreachable vs missing -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("outcomes", "status"), [
    (("nothing_found",), "missing"), (("found",), "missing"),
    (("unreachable",), "unreachable"), (("blocked",), "unreachable"), (("layout_changed",), "unreachable"),
    ((None,), "unreachable"), ((), "unreachable"),
    (("nothing_found", "blocked"), "unreachable"),  # one of two listing pages could not be read
])
def test_absence_is_proven_only_when_every_listing_was_read(outcomes, status):
    assert one("department", as_of=date(2025, 3, 1), outcomes=outcomes) == status


def test_unreachable_even_before_the_deadline():
    assert one("department", as_of=date(2025, 1, 10), outcomes=("blocked",)) == "unreachable"


def test_the_latest_attempt_of_a_listing_counts():
    agency = Agency("a", "某县某局", "department")
    url = "http://x.gov.cn/list/"
    older, newer = datetime(2025, 2, 1), datetime(2025, 2, 2)
    recovered = [SiteState("a", "unreachable", older, url), SiteState("a", "nothing_found", newer, url)]
    broken = [SiteState("a", "nothing_found", older, url), SiteState("a", "blocked", newer, url)]
    assert audit([agency], [], recovered, YEAR, date(2025, 3, 1)).rows[0].status == "missing"
    row = audit([agency], [], broken, YEAR, date(2025, 3, 1)).rows[0]
    assert (row.status, row.site_outcome) == ("unreachable", "blocked")
    note = row.notes[0]
    assert note.code == "absence_unproven"
    assert note.text == "listing blocked at 2025-02-02 00:00: absence not proven"
    assert note.text_zh == "栏目页被拦截（2025-02-02 00:00），无法证明未发布"


def test_sample_statuses_and_never_crawled():
    result = sample_audit()
    assert {r.agency_id: r.status for r in result.rows} == EXPECTED_STATUS
    never = result.row("tuoli-finance")
    assert (never.site_outcome, [(n.code, n.text, n.text_zh) for n in never.notes]) == (
        None, [("never_crawled", "never crawled", "从未抓取")])
    assert result.row("tuoli-miaoergou").site_outcome == "blocked"


def test_a_report_listed_but_not_stored_gives_its_cause():
    note = sample_audit().row("tuoli-water").notes[0]
    assert note.code == "not_stored"
    assert note.text == "listed but not stored: TimeoutError: took longer than 60 s"
    assert note.text_zh == "已发现但未能保存：TimeoutError: took longer than 60 s"


# ---- attribution, findings ----------------------------------------------------------------------------------------

def test_reports_without_agency_id_are_matched_by_name():
    result = sample_audit()
    assert result.row("jiaxian").status == "published"
    assert result.summary.unattributed_reports == 1


def test_unattributed_reports_of_the_year_are_listed_by_name():
    result = sample_audit()
    assert [(r.agency_name, r.year, r.published) for r in result.unattributed] == [
        ("某某县某某局", YEAR, date(2025, 1, 3))]  # last year's report of the same agency is not this audit's
    assert result.unattributed[0].source_url.endswith("/2024/.html")
    assert len(result.unattributed) == result.summary.unattributed_reports


def test_unattributed_reports_are_grouped_by_name():
    reports = [StoredReport(None, name, YEAR, f"{name}年报", f"http://x.gov.cn/{i}.html", None)
               for i, name in enumerate(("乙县某局", "甲县某局", "乙县某局"))]
    listed = audit([], reports, [], YEAR, AS_OF).unattributed
    assert [(r.agency_name, r.source_url) for r in listed] == [
        ("乙县某局", "http://x.gov.cn/0.html"), ("乙县某局", "http://x.gov.cn/2.html"), ("甲县某局", "http://x.gov.cn/1.html")]


def test_findings_count_errors_and_warnings_not_info():
    row = sample_audit().row("tuoli-edu")
    assert (row.errors, row.warnings) == (1, 1)
    assert [f.rule for f in row.findings] == ["row_total", "cell_count"]


# ---- hierarchy and summary ----------------------------------------------------------------------------------------

def test_county_completeness_lists_missing_and_late_subordinates():
    by_id = {c.agency_id: c for c in sample_audit().completeness}
    tuoli = by_id["tuoli"]
    assert tuoli.total == 5
    assert tuoli.missing == ("tuoli-hatu",) and tuoli.late == ("tuoli-edu",)
    assert tuoli.counts["unreachable"] == 2 and tuoli.counts["not_stored"] == 1
    prefecture = by_id["tc-prefecture"]  # the whole parent_id chain, not only direct children
    assert prefecture.total == 8 and set(prefecture.missing) == {"tuoli-hatu"}
    assert by_id["jiaxian"].counts["published"] == 1
    assert "tuoli-edu" not in by_id  # departments have no subordinates


def test_regions_are_the_highest_prefecture_or_county():
    result = sample_audit()
    assert result.row("tuoli-hatu").region_id == "tc-prefecture"
    assert result.row("tc-prefecture").region_id == "tc-prefecture"
    assert result.row("jiaxian-townA").region_id == "jiaxian"


def test_rows_come_in_tree_order():
    assert [r.agency_id for r in sample_audit().rows] == [
        "tc-prefecture", "tacheng", "tacheng-edu", "tuoli", "tuoli-hatu", "tuoli-miaoergou", "tuoli-edu",
        "tuoli-water", "tuoli-finance", "jiaxian", "jiaxian-townA"]


def test_a_parent_cycle_does_not_hang():
    agencies = [Agency("a", "甲县人民政府", "county", "b"), Agency("b", "乙县人民政府", "county", "a")]
    result = audit(agencies, [], [], YEAR, AS_OF)
    assert result.summary.total == 2


def test_summary_counts():
    summary = sample_audit().summary
    assert summary.total == len(AGENCIES) == sum(summary.by_status.values())
    assert summary.by_status == {s: list(EXPECTED_STATUS.values()).count(s) for s in STATUSES}
    assert summary.by_level["department"] == {**dict.fromkeys(STATUSES, 0), "published_late": 1, "unreachable": 1,
                                              "published": 1, "not_stored": 1}
    assert list(summary.by_region) == ["tc-prefecture", "jiaxian"]  # in the rows' tree order
    assert sum(summary.by_region["tc-prefecture"].values()) == 9
    assert summary.region_names["jiaxian"] == "郏县人民政府"
    assert summary.with_errors == 2  # tuoli-edu's row_total, tacheng's missing_table
    assert summary.with_checks == 4
