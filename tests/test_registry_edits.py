"""`sites remove`, `sites disable/enable`, and reports that follow an agency out of and into the registry, on a real
SQLite file and the local PostgreSQL: nothing stored is ever deleted."""

from __future__ import annotations

import json

from tests.test_cli_registry_audit_export import REGISTRY, invoke, store_seed


def _import(tmp_path, db_url, text: str = REGISTRY) -> str:
    registry = tmp_path / "sites.csv"
    registry.write_text(text, encoding="utf-8")
    code, out, err = invoke("sites", "import", str(registry), "--db", db_url)
    assert code == 0, err
    return out


def _reports(db_url) -> dict[str, str | None]:
    code, out, _ = invoke("export", "--db", db_url)
    assert code == 0
    return {r["agency_name"]: r["agency_id"] for r in json.loads(out)}


def _sites(db_url) -> dict[str, list[str]]:
    code, out, _ = invoke("sites", "list", "--db", db_url)  # not a terminal: tab-separated lines
    assert code == 0
    header, *rows = [line.split("\t") for line in out.splitlines()]
    assert header == ["id", "name", "level", "parent", "listing pages", "last crawl", "enabled", "origin", "division",
                      "confirmed"]
    return {row[0]: row for row in rows}


def _audit(db_url) -> dict:
    code, out, _ = invoke("audit", "--year", "2024", "--as-of", "2025-06-01", "--format", "json", "--db", db_url)
    assert code == 0
    return json.loads(out)


def test_a_removed_agency_leaves_its_reports_unattributed_and_gets_them_back(tmp_path, db_url):
    _import(tmp_path, db_url)
    store_seed(db_url, "hatu-town-2024", "xj-tuoli-hatu")
    assert _reports(db_url) == {"托里县哈图镇人民政府": "xj-tuoli-hatu"}

    code, out, err = invoke("sites", "remove", "xj-tuoli-hatu", "--db", db_url)
    assert (code, err) == (0, "") and out == "removed xj-tuoli-hatu; 1 stored report(s) kept, now unattributed\n"
    assert _reports(db_url) == {"托里县哈图镇人民政府": None}
    assert "xj-tuoli-hatu" not in _sites(db_url)
    audit = _audit(db_url)
    assert "xj-tuoli-hatu" not in {r["agency_id"] for r in audit["rows"]}
    assert [u["agency"] for u in audit["unattributed"]] == ["托里县哈图镇人民政府"]

    out = _import(tmp_path, db_url)  # registered again: the report is filed under it again
    assert out == "1 added, 0 updated, 3 unchanged; 1 stored report(s) filed under their agency\n"
    assert _reports(db_url) == {"托里县哈图镇人民政府": "xj-tuoli-hatu"}
    assert _audit(db_url)["unattributed"] == []


def test_reports_stored_under_a_name_are_attributed_when_the_agency_is_registered(tmp_path, db_url):
    assert _sites(db_url) == {}  # an empty database, its schema made
    store_seed(db_url, "tacheng-city-2024", None)  # crawled before anyone registered 塔城市人民政府
    store_seed(db_url, "tuoli-county-2024", None)
    assert set(_reports(db_url).values()) == {None}
    out = _import(tmp_path, db_url, REGISTRY + "xj-tacheng-city,塔城市人民政府,县级,xj-tacheng-prefecture,"
                                              "http://xjtc.example/zfxxgknb/,\n")
    assert out == "5 added, 0 updated, 0 unchanged; 2 stored report(s) filed under their agency\n"
    assert _reports(db_url) == {"塔城市人民政府": "xj-tacheng-city", "托里县人民政府": "xj-tuoli-county"}
    rows = {r["agency_id"]: r for r in _audit(db_url)["rows"]}
    assert rows["xj-tacheng-city"]["source_url"] == "http://xjtc.example/tacheng-city-2024.html"


def test_removal_is_refused_for_parents_and_unknown_ids_and_changes_nothing(tmp_path, db_url):
    _import(tmp_path, db_url)
    store_seed(db_url, "tuoli-county-2024", "xj-tuoli-county")
    code, out, err = invoke("sites", "remove", "xj-tuoli-county", "--db", db_url)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith("nianbao: error: xj-tuoli-county is the parent of 1 agencies (xj-tuoli-hatu)")
    code, _, err = invoke("sites", "remove", "no-such-site", "--db", db_url)
    assert code == 1 and err == "nianbao: error: no registered agency 'no-such-site' (`nianbao sites list` shows " \
                                "the ids)\n"
    assert len(_sites(db_url)) == 4 and _reports(db_url) == {"托里县人民政府": "xj-tuoli-county"}


def test_a_disabled_agency_is_neither_crawled_nor_audited_until_enabled(tmp_path, db_url):
    _import(tmp_path, db_url)
    store_seed(db_url, "hatu-town-2024", "xj-tuoli-hatu")
    assert invoke("sites", "disable", "ha-jiaxian-county", "--db", db_url)[1] == \
        "ha-jiaxian-county disabled: neither crawled nor audited\n"
    assert invoke("sites", "disable", "ha-jiaxian-county", "--db", db_url)[1] == "ha-jiaxian-county was disabled\n"
    assert _sites(db_url)["ha-jiaxian-county"][6] == "no" and _sites(db_url)["xj-tuoli-county"][6] == "yes"
    assert "ha-jiaxian-county" not in {r["agency_id"] for r in _audit(db_url)["rows"]}

    code, _, err = invoke("crawl", "--site", "ha-jiaxian-county", "--db", db_url)
    assert code == 1 and err == "nianbao: error: disabled site(s): ha-jiaxian-county (`nianbao sites enable ID` " \
                                "to crawl again)\n"

    assert invoke("sites", "enable", "ha-jiaxian-county", "--db", db_url)[1] == "ha-jiaxian-county enabled\n"
    assert "ha-jiaxian-county" in {r["agency_id"] for r in _audit(db_url)["rows"]}
    assert _reports(db_url) == {"托里县哈图镇人民政府": "xj-tuoli-hatu"}  # untouched throughout
