"""The registry, audit and export commands end to end on a real database (SQLite file and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from nianbao.cli import app
from nianbao.report.parse import parse_bytes
from storage.db import make_engine
from storage.documents import store_document
from storage.reports import upsert_report
from tests.render.report_data import SEEDS

runner = CliRunner()
REGISTRY = """id,name,level,parent,listing_url,notes
xj-tacheng-prefecture,塔城地区行政公署,prefecture,,http://xjtc.example/zfxxgknb/,ignored column
xj-tuoli-county,托里县人民政府,county,xj-tacheng-prefecture,http://xjtc.example/zfxxgknb/,
xj-tuoli-hatu,托里县哈图镇人民政府,township,xj-tuoli-county,http://xjtc.example/zfxxgknb/,
ha-jiaxian-county,郏县人民政府,county,,https://jiaxian.example/ndbg/,
"""


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def store_seed(url: str, name: str, agency_id: str) -> None:
    data = (SEEDS / f"{name}.txt").read_bytes()
    parsed = parse_bytes(data, name=f"{name}.txt")
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        sha = store_document(session, data, content_type="text/plain")
        upsert_report(session, agency_id=agency_id, agency_name=parsed["agency"], year=parsed["year"],
                      source_url=f"http://xjtc.example/{name}.html", document_sha256=sha, parsed=parsed)
    engine.dispose()


def test_a_gbk_registry_with_chinese_levels_is_imported_and_said_in_one_line(tmp_path, db_url):
    registry = tmp_path / "excel.csv"
    registry.write_bytes("id,name,level,parent,listing_url\n"
                         "xj-a,甲县人民政府,县级,,https://a.gov.cn/nb/\n"
                         "xj-a-zhen,甲县乙镇人民政府,乡镇,xj-a,https://a.gov.cn/zhen/\n".encode("gbk"))
    code, out, err = invoke("sites", "import", str(registry), "--db", db_url)
    assert code == 0 and out.strip() == "2 added, 0 updated, 0 unchanged"
    assert err == (f"{registry}: read as GB18030 (GBK), not UTF-8\n"
                   "no administrative division found by name for 1 government(s): xj-a (甲县人民政府) (give its code "
                   "in a division column)\n")  # 甲县 is no county of China


def test_an_excel_registry_is_imported_and_a_broken_one_refused(tmp_path, db_url):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "name", "level", "parent", "listing_url", "verified", "备注"])
    sheet.append(["xj-a", "甲县人民政府", "县级", None, "https://a.gov.cn/nb/", True, "ignored"])
    sheet.append([None, None, None, None, None, None, None])  # a blank row in the middle, as sheets have
    sheet.append(["xj-a-zhen", "甲县乙镇人民政府", "乡镇", "xj-a", "https://a.gov.cn/zhen/", False, None])
    registry = tmp_path / "registry.xlsx"
    book.save(registry)
    code, out, err = invoke("sites", "import", str(registry), "--db", db_url)
    assert (code, out) == (0, "2 added, 0 updated, 0 unchanged\n")
    assert err.startswith("no administrative division found by name for 1 government(s): xj-a (甲县人民政府)")
    code, out, _ = invoke("sites", "list", "--db", db_url)
    assert [line.split("\t")[:4] for line in out.splitlines()[1:]] == [
        ["xj-a", "甲县人民政府", "county", ""], ["xj-a-zhen", "甲县乙镇人民政府", "township", "xj-a"]]
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    code, out, err = invoke("sites", "import", str(broken), "--db", db_url)
    assert code == 1 and err.startswith(f"nianbao: error: {broken}: not an Excel workbook") and err.count("\n") == 1


def test_registry_import_is_idempotent_and_bad_files_change_nothing(tmp_path, db_url):
    registry = tmp_path / "sites.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    assert invoke("sites", "import", str(registry), "--db", db_url)[:2] == (0, "4 added, 0 updated, 0 unchanged\n")
    assert invoke("sites", "import", str(registry), "--db", db_url)[1] == "0 added, 0 updated, 4 unchanged\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(REGISTRY.replace("township", "village"), encoding="utf-8")
    code, out, err = invoke("sites", "import", str(bad), "--db", db_url)
    assert code == 1 and out == "" and err.count("\n") == 1 and "village" in err
    code, out, _ = invoke("sites", "list", "--db", db_url)
    assert code == 0 and "托里县哈图镇人民政府" in out and "township" in out and "never crawled" in out


def test_audit_and_export_read_the_stored_reports(tmp_path, db_url):
    registry = tmp_path / "sites.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    invoke("sites", "import", str(registry), "--db", db_url)
    store_seed(db_url, "tuoli-county-2024", "xj-tuoli-county")
    store_seed(db_url, "hatu-town-2024", "xj-tuoli-hatu")

    code, out, _ = invoke("audit", "--year", "2024", "--as-of", "2025-06-01", "--format", "json", "--db", db_url)
    assert code == 0
    rows = {r["agency_id"]: r for r in json.loads(out)["rows"]}
    assert rows["xj-tuoli-county"]["status"] == "published"
    assert rows["xj-tuoli-hatu"]["status"] == "published"
    assert rows["ha-jiaxian-county"]["status"] == "unreachable"  # never crawled: absence not proven

    out_file = tmp_path / "audit.html"
    assert invoke("audit", "--year", "2024", "--format", "html", "--out", str(out_file), "--db", db_url)[0] == 0
    assert "托里县人民政府" in out_file.read_text(encoding="utf-8")

    code, out, _ = invoke("export", "--year", "2024", "--db", db_url)
    exported = json.loads(out)
    assert {r["agency_id"] for r in exported} == {"xj-tuoli-county", "xj-tuoli-hatu"}
    tuoli = next(r for r in exported if r["agency_id"] == "xj-tuoli-county")
    assert tuoli["applications"]["unable_not_held"]["total"] == 3
    assert tuoli["active_disclosure"]["licensing"]["decisions"] == 98

    csv_file = tmp_path / "cells.csv"
    assert invoke("export", "--format", "csv", "--out", str(csv_file), "--db", db_url)[0] == 0
    raw = csv_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    cells = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    licensing = [c for c in cells if c["agency_id"] == "xj-tuoli-county" and c["row"] == "licensing"]
    assert [(c["column"], c["value"]) for c in licensing] == [("decisions", "98")]
    nulls = {(c["row"], c["column"]) for c in cells if c["agency_id"] == "xj-tuoli-county" and c["value"] == ""}
    assert nulls == {(row, col) for row, cols in tuoli["applications"].items() for col, v in cols.items() if v is None}
    assert nulls  # the seed has cells its extraction lost: exported empty, never 0


def test_version_and_format_choices_are_shown():
    code, out, _ = invoke("--version")
    assert code == 0 and re.fullmatch(r"nianbao \d+\.\d+\.\d+\n", out)
    code, out, _ = invoke("audit", "--help")
    assert code == 0 and "<table|json|csv|html|xlsx>" in out


def test_bad_arguments_get_one_line_errors(db_url):
    code, _, err = invoke("audit", "--year", "2024", "--as-of", "yesterday", "--db", db_url)
    assert code == 1 and "as-of" in err
    # A format that is not one of the choices, as the console script says it: one line, the usage exit code.
    done = subprocess.run([sys.executable, "-m", "nianbao", "export", "--format", "xml", "--db", db_url],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith("nianbao: error:") and "'xml' is not one of 'json', 'csv', 'xlsx'" in done.stderr
    code, _, err = invoke("sites", "list", "--db", "nosuchdb://x")
    assert code == 1 and err.startswith("nianbao: error: cannot open the database")


def test_usage_errors_are_one_line_too(tmp_path):
    import subprocess
    import sys

    for args, words in ((["audit"], "Missing option '--year'"), (["audit", "--year", "abc"], "'--year'"),
                        (["nosuch"], "No such command")):
        done = subprocess.run([sys.executable, "-m", "nianbao", *args], capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("nianbao: error: ") and words in done.stderr


def test_out_files_errors_and_full_width_tables(tmp_path, db_url):
    registry = tmp_path / "sites.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    invoke("sites", "import", str(registry), "--db", db_url)
    store_seed(db_url, "tuoli-county-2024", "xj-tuoli-county")
    for command in (["audit", "--year", "2024"], ["export"]):
        code, _, err = invoke(*command, "--out", str(tmp_path / "no" / "such.txt"), "--db", db_url)
        assert code == 1 and err.startswith("nianbao: error: cannot write") and err.count("\n") == 1
    table = tmp_path / "audit.txt"
    assert invoke("audit", "--year", "2024", "--as-of", "2025-06-01", "--out", str(table), "--db", db_url)[0] == 0
    assert "托里县哈图镇人民政府" in table.read_text(encoding="utf-8")  # whole names, not "托里 …"
    cells = tmp_path / "cells.csv"
    assert invoke("export", "--format", "csv", "--out", str(cells), "--db", db_url)[0] == 0
    rows = list(csv.DictReader(io.StringIO(cells.read_text(encoding="utf-8-sig"))))
    findings = [r for r in rows if r["table"] == "findings"]
    assert findings and {"cell_count"} <= {r["row"] for r in findings}
    assert all(r["value"].startswith(("error: ", "warning: ", "info: ")) for r in findings)
