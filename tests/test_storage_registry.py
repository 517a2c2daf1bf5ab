"""The registry: reading and validating the CSV, importing it in place, and listing agencies with their outcomes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Agency, ListingPage
from storage.registry import (
    AgencyRecord,
    ImportResult,
    RegistryError,
    agencies_for_listing,
    import_registry,
    list_agencies,
    read_registry,
)
from storage.runs import finish_run, record_site_outcome, start_run

STARTER = Path(__file__).resolve().parents[1] / "storage" / "registry_data" / "starter.csv"
PREFECTURE_COLUMN = "http://xjtc.gov.cn/zfxxgk/xxgkzl/zfxxgk1/zfxxgknb/"
HEADER = "id,name,level,parent,listing_url\n"
GOOD = HEADER + (
    "xj-tacheng-prefecture,塔城地区行政公署,prefecture,,https://www.xjtc.gov.cn/nb/\n"
    "xj-tuoli-county,托里县人民政府,county,xj-tacheng-prefecture,https://www.xjtl.gov.cn/nb/ https://www.xjtc.gov.cn/nb/\n"
)



def write(tmp_path: Path, content: str | bytes, name: str = "registry.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def load(engine, path: Path) -> ImportResult:
    with Session(engine) as session, session.begin():
        return import_registry(session, read_registry(path, session))


def snapshot(session: Session) -> tuple[list, list]:
    agencies = session.execute(
        select(Agency.id, Agency.name, Agency.level, Agency.parent_id, Agency.verified, Agency.updated_at).order_by(
            Agency.id
        )
    ).all()
    pages = select(ListingPage.agency_id, ListingPage.url).order_by(ListingPage.agency_id, ListingPage.url)
    return agencies, session.execute(pages).all()


def test_starter_registry_imports_and_reimports_without_duplicates(engine):
    assert load(engine, STARTER) == ImportResult(added=6, updated=0, unchanged=0)
    assert load(engine, STARTER) == ImportResult(added=0, updated=0, unchanged=6)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Agency)) == 6
        assert session.scalar(select(func.count()).select_from(ListingPage)) == 6
        hatu = session.get(Agency, "xj-tuoli-hatu-town")
        assert (hatu.level, hatu.parent_id, hatu.verified) == ("township", "xj-tuoli-county", False)
        sharing = [a.id for a in agencies_for_listing(session, PREFECTURE_COLUMN)]
        assert sharing == ["xj-tacheng-prefecture", "xj-tuoli-county", "xj-tuoli-hatu-town"]


def test_reimport_updates_in_place_and_replaces_listing_pages(engine, tmp_path):
    load(engine, write(tmp_path, GOOD))
    with Session(engine) as session:
        before = {a.id: a.updated_at for a in session.scalars(select(Agency))}
    changed = GOOD.replace("托里县人民政府,county", "托里县人民政府办公室,department").replace(
        "https://www.xjtl.gov.cn/nb/ https://www.xjtc.gov.cn/nb/", "https://www.xjtl.gov.cn/xxgknb/"
    )
    assert load(engine, write(tmp_path, changed)) == ImportResult(added=0, updated=1, unchanged=1)
    with Session(engine) as session:
        county = session.get(Agency, "xj-tuoli-county")
        assert (county.name, county.level) == ("托里县人民政府办公室", "department")
        assert [p.url for p in county.listing_pages] == ["https://www.xjtl.gov.cn/xxgknb/"]
        assert county.updated_at > before["xj-tuoli-county"]
        assert session.get(Agency, "xj-tacheng-prefecture").updated_at == before["xj-tacheng-prefecture"]
        # The prefecture still lists its page; the county no longer shares it.
        assert [a.id for a in agencies_for_listing(session, "https://www.xjtc.gov.cn/nb/")] == ["xj-tacheng-prefecture"]
        assert session.scalar(select(func.count()).select_from(Agency)) == 2


def test_agencies_missing_from_a_later_file_are_kept(engine, tmp_path):
    load(engine, write(tmp_path, GOOD))
    only_prefecture = GOOD.splitlines(keepends=True)[:2]
    assert load(engine, write(tmp_path, "".join(only_prefecture))) == ImportResult(0, 0, 1)
    with Session(engine) as session:
        assert session.get(Agency, "xj-tuoli-county") is not None


def test_bom_crlf_blank_lines_and_extra_columns_are_accepted(engine, tmp_path):
    content = (
        "\ufeffID, Name ,level,parent,listing_url,verified,备注\r\n"
        "xj-tacheng-city,塔城市人民政府,county,,https://www.xjtcsh.gov.cn/zfxxgk/zfxxgknb/,yes,县级市\r\n"
        "\r\n"
        "xj-hatu,托里县哈图镇人民政府,township,xj-tacheng-city,http://xjtc.gov.cn/nb/,\r\n"
    )
    records = read_registry(write(tmp_path, content))
    assert records == [
        AgencyRecord(
            "xj-tacheng-city", "塔城市人民政府", "county", None, ("https://www.xjtcsh.gov.cn/zfxxgk/zfxxgknb/",), True
        ),
        AgencyRecord(
            "xj-hatu", "托里县哈图镇人民政府", "township", "xj-tacheng-city", ("http://xjtc.gov.cn/nb/",), False
        ),
    ]
    assert load(engine, write(tmp_path, content)) == ImportResult(2, 0, 0)


def test_parent_may_already_be_registered(engine, tmp_path):
    load(engine, write(tmp_path, GOOD))
    child = HEADER + "xj-tuoli-hatu,托里县哈图镇人民政府,township,xj-tuoli-county,https://www.xjtl.gov.cn/nb/\n"
    assert load(engine, write(tmp_path, child, "child.csv")) == ImportResult(1, 0, 0)


def test_parent_is_checked_at_import_when_read_without_a_session(engine, tmp_path):
    orphan = HEADER + "xj-tuoli-hatu,托里县哈图镇人民政府,township,xj-nowhere,https://a.gov.cn/\n"
    records = read_registry(write(tmp_path, orphan))  # the file alone cannot tell
    with Session(engine) as session, session.begin(), pytest.raises(RegistryError, match="xj-nowhere"):
        import_registry(session, records)


BAD_FILES = {
    "missing column": ("id,name,level,listing_url\nxj-a,甲县,county,https://a.gov.cn/\n", "missing columns: parent"),
    "duplicate id": (GOOD + "xj-tuoli-county,托里县,county,,https://b.gov.cn/\n", "duplicate id 'xj-tuoli-county'"),
    "unknown level": (HEADER + "xj-a,甲市人民政府,city,,https://a.gov.cn/\n", "unknown level 'city'"),
    "ftp url": (HEADER + "xj-a,甲县人民政府,county,,ftp://a.gov.cn/nb/\n", "not an http(s) URL"),
    "url without host": (HEADER + "xj-a,甲县人民政府,county,,https:///nb/\n", "not an http(s) URL"),
    "relative url": (HEADER + "xj-a,甲县人民政府,county,,www.a.gov.cn/nb/\n", "not an http(s) URL"),
    "unknown parent": (HEADER + "xj-a,甲镇人民政府,township,xj-nowhere,https://a.gov.cn/\n", "parent 'xj-nowhere'"),
    "parent cycle": (HEADER + "xj-a,甲,county,xj-b,https://a.gov.cn/\nxj-b,乙,county,xj-a,https://b.gov.cn/\n",
                     "parent cycle"),
    "empty id": (HEADER + ",甲县人民政府,county,,https://a.gov.cn/\n", "line 2: empty id"),
    "id with colon": (HEADER + "name:甲,甲县人民政府,county,,https://a.gov.cn/\n", "must be a slug"),
    "empty name": (HEADER + "xj-a,,county,,https://a.gov.cn/\n", "empty name"),
    "bad verified": ("id,name,level,parent,listing_url,verified\nxj-a,甲,county,,,maybe\n", "verified must be"),
    "empty file": ("", "empty"),
    "nul byte": (GOOD + "xj-a,甲\x00,county,,\n", "control character"),
    "unclosed quote": (GOOD + 'xj-a,"甲' + "x" * 140_000 + "\n", "not a CSV row"),
    "header only": (HEADER, "no agencies"),
    "neither utf-8 nor gbk": ((HEADER + "xj-a,Café Municipal,county,,https://a.gov.cn/\n").encode("latin-1"),
                              "neither UTF-8 nor GBK"),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_bad_registry_files_raise_and_change_nothing(engine, tmp_path, case):
    content, message = BAD_FILES[case]
    load(engine, write(tmp_path, GOOD, "good.csv"))
    bad = write(tmp_path, content)
    with Session(engine) as session, session.begin():
        before = snapshot(session)
        with pytest.raises(RegistryError, match=re.escape(message)) as raised:
            import_registry(session, read_registry(bad, session))
        # Checked inside the same transaction: nothing was written before the error, not merely rolled back.
        assert snapshot(session) == before
    assert "\n" not in str(raised.value)
    assert str(bad) in str(raised.value) or "registry" in str(raised.value)


def test_a_sheet_saved_by_chinese_excel_is_read_gbk_with_chinese_level_names(engine, tmp_path):
    """Excel and WPS on Chinese Windows save CSV as GBK; people write levels as the audit prints them."""
    rows = ("xj-a,甲县人民政府,县级,,https://a.gov.cn/\n"
            "xj-a-fgw,甲县发展和改革委员会,部门,xj-a,https://a.gov.cn/fgw/\n"
            "xj-a-zhen,甲县乙镇人民政府,乡镇,xj-a,https://a.gov.cn/zhen/\n"
            "xj-city,丙市人民政府,地市级,,https://c.gov.cn/\n"
            "xj-prov,丁省人民政府,省级,,https://d.gov.cn/\n")
    said: list[str] = []
    gbk = write(tmp_path, (HEADER + rows).encode("gbk"), "gbk.csv")
    with Session(engine) as session, session.begin():
        records = read_registry(gbk, session, say=said.append)
        import_registry(session, records)
    assert said == [f"{gbk}: read as GB18030 (GBK), not UTF-8"]
    with Session(engine) as session:
        stored = {agency.id: (agency.name, agency.level) for agency in list_agencies(session)}
    assert stored == {"xj-a": ("甲县人民政府", "county"), "xj-a-fgw": ("甲县发展和改革委员会", "department"),
                      "xj-a-zhen": ("甲县乙镇人民政府", "township"), "xj-city": ("丙市人民政府", "prefecture"),
                      "xj-prov": ("丁省人民政府", "province")}
    # The same rows as UTF-8 with a BOM (Excel's "CSV UTF-8"), levels in English capitals: read silently, unchanged.
    said.clear()
    utf8 = write(tmp_path, "\ufeff" + HEADER + rows.replace("县级", "County"), "utf8.csv")
    with Session(engine) as session:
        levels = [r.level for r in read_registry(utf8, session, say=said.append)]
    assert levels == ["county", "department", "township", "prefecture", "province"]
    assert said == []


def test_missing_file_is_a_registry_error(tmp_path):
    with pytest.raises(RegistryError, match="no such file"):
        read_registry(tmp_path / "nope.csv")


def test_records_built_in_code_are_validated_too(engine):
    with Session(engine) as session, session.begin(), pytest.raises(RegistryError, match="unknown level"):
        import_registry(session, [AgencyRecord("xj-a", "甲", "village")])


def test_list_agencies_shows_each_latest_outcome(engine):
    load(engine, STARTER)
    with Session(engine) as session, session.begin():
        first = start_run(session, "scheduled")
        record_site_outcome(session, first, PREFECTURE_COLUMN, "unreachable", errors=3, message="timeout")
        record_site_outcome(session, first, "xj-tacheng-city", "found", pages=2, reports_found=4, reports_new=4)
        finish_run(session, first, "completed")
        second = start_run(session, "manual")
        record_site_outcome(session, second, "xj-tuoli-county", "nothing_found", pages=1)
        finish_run(session, second, "completed")
    with Session(engine) as session:
        listed = {a.id: a for a in list_agencies(session)}
        assert list(listed) == sorted(listed)
        assert listed["xj-tacheng-prefecture"].last_outcome.outcome == "unreachable"  # by its listing URL
        assert listed["xj-tuoli-county"].last_outcome.outcome == "nothing_found"  # its own key is newer
        assert listed["xj-tacheng-city"].last_outcome.reports_new == 4
        assert listed["ha-jiaxian-county"].last_outcome is None
        assert listed["xj-tuoli-county"].listing_urls == (PREFECTURE_COLUMN,)


@pytest.mark.parametrize(("row", "words"), [
    ("xj-wusu,乌苏市人民政府,county,,", "no listing_url"),
    ("xj-wusu,乌苏市人民政府,county", "fewer fields than the header"),
])
def test_a_row_without_its_listing_page_is_refused_and_changes_nothing(engine, tmp_path, row, words):
    load(engine, write(tmp_path, GOOD))
    with pytest.raises(RegistryError, match=words):
        load(engine, write(tmp_path, GOOD + row + "\n", name="bad.csv"))
    with Session(engine) as session:
        urls = {a.id: a.listing_urls for a in list_agencies(session)}
    assert set(urls) == {"xj-tacheng-prefecture", "xj-tuoli-county"} and all(urls.values())
