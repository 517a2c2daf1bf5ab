"""Report recognition by title, the year and agency read from it, and attribution to registered agencies."""

from __future__ import annotations

import pytest

from crawler.attribution import Attribution, Attributor, core_name
from crawler.links import is_report_title, report_year, title_agency
from crawler.sites import Site

REPORTS = [
    "托里县人民政府2024年政府信息公开工作年度报告",
    "托里县2024年度政府信息公开工作年度报告",
    "2024年托里县政府信息公开工作年度报告",
    "托里县人民政府2024年政府信息公开工作报告",
    "托里县2024年政府信息公开工作年度报告（图片版）",
    "托里县2024年政府信息公开工作年度报告（超链版）",
    "托里县２０２４年政府信息公开工作年度报告",
    "托里县二〇二四年政府信息公开工作年度报告",
    "托里县 2024 年政府信息公开年报",
    "托里县哈图镇人民政府2024年政府信息公开工…",  # cut short by the listing
]
NOT_REPORTS = [
    "《托里县2024年政府信息公开工作年度报告》解读",
    "图解：托里县2024年政府信息公开工作年度报告",
    "关于托里县2023年政府信息公开工作年度报告有关数据的更正说明",
    "关于做好2024年度政府信息公开工作年度报告编制发布工作的通知",
    "2024年政府信息公开工作年度报告格式",
    "托里县2025年政务公开工作要点",
    "托里县2024年政府信息公开工作考核制度",
    "托里县召开2025年政务公开工作推进会",
    "政府信息公开工作年度报告",  # no year
]


@pytest.mark.parametrize("title", REPORTS)
def test_report_titles_are_recognised(title):
    assert is_report_title(title)
    assert report_year(title) == 2024


@pytest.mark.parametrize("title", NOT_REPORTS)
def test_other_titles_are_left_out(title):
    assert not is_report_title(title)


@pytest.mark.parametrize(
    ("title", "agency"),
    [
        ("托里县人民政府2024年政府信息公开工作年度报告", "托里县人民政府"),
        ("2024年托里县财政局政府信息公开工作年度报告", "托里县财政局"),
        ("2024年度托里县人民政府政府信息公开工作年度报告", "托里县人民政府"),
        ("关于托里县2024年政府信息公开工作年度报告", "托里县"),
        ("【托里县】2024年政府信息公开工作年度报告", "托里县"),
        ("托里县二〇二四年政府信息公开工作年度报告", "托里县"),
        ("2024年度政府信息公开工作年度报告", None),
        ("2024年托里县人民政府信息公开工作年度报告", "托里县人民政府"),  # one 政府 for the name and the phrase
    ],
)
def test_agency_as_printed_in_the_title(title, agency):
    assert title_agency(title) == agency


def test_year_in_brackets():
    assert report_year("托里县政府信息公开工作年度报告（2023）") == 2023


REGISTRY = [
    Site("tuoli", "托里县人民政府", "county", None, ("http://tuoli.test/list",)),
    Site("tuoli-hatu", "托里县哈图镇人民政府", "township", "tuoli", ("http://tuoli.test/list",)),
    Site("tuoli-czj", "托里县财政局", "department", "tuoli", ("http://tuoli.test/list",)),
    Site("jia", "甲县人民政府", "county", None, ("http://jia.test/list",)),
    Site("jia-cg", "甲县城关镇人民政府", "township", "jia", ("http://jia.test/list",)),
    Site("yi", "乙县人民政府", "county", None, ("http://yi.test/list",)),
    Site("yi-cg", "乙县城关镇人民政府", "township", "yi", ("http://yi.test/list",)),
    Site("bing-office", "丙县财政局", "department", None, ("http://bing.test/czj",)),
]
ATTRIBUTOR = Attributor(REGISTRY)
TUOLI = "http://tuoli.test/list"


@pytest.mark.parametrize(
    ("title", "listing", "expected"),
    [
        ("托里县2024年政府信息公开工作年度报告", TUOLI, "tuoli"),
        ("托里县人民政府办公室2024年政府信息公开工作年度报告", TUOLI, "tuoli"),
        ("塔城地区托里县2024年政府信息公开工作年度报告", "http://prefecture.test/", "tuoli"),
        ("托里县哈图镇人民政府2024年政府信息公开工作年度报告", TUOLI, "tuoli-hatu"),
        ("哈图镇2024年政府信息公开工作年度报告", TUOLI, "tuoli-hatu"),
        ("2024年托里县财政局政府信息公开工作年度报告", TUOLI, "tuoli-czj"),
        ("城关镇2024年政府信息公开工作年度报告", "http://jia.test/list", "jia-cg"),
        ("城关镇2024年政府信息公开工作年度报告", "http://yi.test/list", "yi-cg"),
    ],
)
def test_attributed_by_the_longest_registered_name_in_the_title(title, listing, expected):
    assert ATTRIBUTOR.from_title(title, listing).agency_id == expected


def test_unregistered_agency_keeps_its_printed_name():
    found = ATTRIBUTOR.from_title("托里县水利局2024年度政府信息公开工作年度报告", TUOLI)
    assert found == Attribution(None, "托里县水利局")


def test_ambiguous_short_name_off_both_listings_is_not_guessed():
    assert ATTRIBUTOR.from_title("城关镇2024年政府信息公开工作年度报告", "http://other.test/").agency_id is None


def test_title_without_agency_falls_back_to_page_then_listing_owner():
    assert ATTRIBUTOR.from_title("2024年度政府信息公开工作年度报告", TUOLI) is None
    body = "托里县人民政府网 首页 … 托里县财政局2024年度政府信息公开工作年度报告 根据条例……"
    assert ATTRIBUTOR.from_text(body, TUOLI).agency_id == "tuoli-czj"
    assert ATTRIBUTOR.sole_owner(TUOLI) is None  # four agencies share it
    assert ATTRIBUTOR.sole_owner("http://bing.test/czj").agency_id == "bing-office"


def test_the_highest_level_agency_owns_a_shared_listing():
    assert ATTRIBUTOR.owner(TUOLI) == "tuoli"


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("托里县人民政府", "托里县"),
        ("托里县财政局", "托里县财政局"),
        ("托里县人民政府办公室", "托里县"),
        ("人民政府", "人民政府"),
    ],
)
def test_core_name(name, core):
    assert core_name(name) == core
