"""Bad input to `nianbao parse`: a one-line error and a non-zero exit, or a finding, and never a crash."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from nianbao.cli import app
from nianbao.document import MAX_INPUT_BYTES

runner = CliRunner()


def run(path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["parse", str(path)])
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_error(code: int, out: str, err: str, words: str) -> None:
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("nianbao: error: ")
    assert words in err


@pytest.mark.parametrize(("name", "data", "words"), [
    ("empty.txt", b"", "empty"),
    ("blank.html", b"   \n\n  ", "empty"),
    ("news.html", "<html><head><title>县政府召开常务会议</title></head><body><p>会议研究了有关工作。</p></body></html>"
     .encode(), "not an annual report"),
    ("notice.txt", "关于做好2024年度政府信息公开工作年度报告编制发布工作的通知。请各单位按时报送。".encode(),
     "not an annual report"),
    ("random.bin", bytes(range(256)) * 40, "not an annual report"),
    ("corrupt.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage without xref", "PDF"),
    ("corrupt.docx", b"PK\x03\x04word/document.xml but not a zip", "Word"),
])
def test_bad_files_get_a_clear_error(tmp_path, name, data, words):
    path = tmp_path / name
    path.write_bytes(data)
    assert_one_line_error(*run(path), words)


def test_missing_file_and_directory(tmp_path):
    assert_one_line_error(*run(tmp_path / "nope.pdf"), "no such file")
    assert_one_line_error(*run(tmp_path), "no such file")


def test_huge_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:
        fh.truncate(MAX_INPUT_BYTES + 1)  # sparse: the size is real, the disk is not used
    assert_one_line_error(*run(path), "larger than")


def test_report_with_findings_still_exits_zero(tmp_path):
    from tests.render.report_data import seed_report
    from tests.render.text import render_text

    report = seed_report("jiaxian-county-2024")
    report["applications"]["new"]["total"] = 99
    path = tmp_path / "r.txt"
    path.write_bytes(render_text(report))
    code, out, _ = run(path)
    assert code == 0
    parsed = json.loads(out)
    assert {"row_total", "balance"} <= {f["rule"] for f in parsed["findings"]}


def test_several_files_are_read_in_the_pool_one_json_line_each_in_order(tmp_path):
    """Good files print their parse JSON (what one file alone prints), bad ones a line on stderr each; exit 1."""
    from tests.render.html import render_html
    from tests.render.report_data import SEED_NAMES, seed_report

    good = []
    for name in SEED_NAMES[:3]:
        path = tmp_path / f"{name}.html"
        path.write_bytes(render_html(seed_report(name)))
        good.append(path)
    bad = tmp_path / "notice.txt"
    bad.write_text("关于做好年度报告编制发布工作的通知。请各单位按时报送。", encoding="utf-8")
    missing = tmp_path / "missing.pdf"
    result = subprocess.run([sys.executable, "-m", "nianbao", "parse", str(good[0]), str(bad), str(good[1]),
                             str(missing), str(good[2])], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [json.loads(line) for line in lines] == [json.loads(run(path)[1]) for path in good]
    errors = result.stderr.splitlines()
    assert len(errors) == 2 and all(e.startswith("nianbao: error: ") for e in errors)
    assert "not an annual report" in errors[0] and "no such file" in errors[1]


def test_the_quick_path_for_one_file_answers_as_the_full_command_does(tmp_path):
    """`nianbao parse FILE` skips the CLI framework's start-up; its output, errors and exit codes stay the same."""
    from tests.render.html import render_html
    from tests.render.report_data import SEED_NAMES, seed_report

    good = tmp_path / "report.html"
    good.write_bytes(render_html(seed_report(SEED_NAMES[0])))
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    for path in (good, bad, tmp_path / "missing.pdf"):
        quick = subprocess.run([sys.executable, "-m", "nianbao", "parse", str(path)], capture_output=True, text=True,
                               timeout=120)
        assert (quick.returncode, quick.stdout, quick.stderr) == run(path)
    modules = subprocess.run(
        [sys.executable, "-c", "import sys, runpy; sys.argv = ['nianbao', 'parse', sys.argv[1]]\n"
         "try:\n    runpy.run_module('nianbao', run_name='__main__')\nexcept SystemExit:\n    pass\n"
         "print('typer' in sys.modules, 'pydantic' in sys.modules, file=sys.stderr)", str(good)],
        capture_output=True, text=True)
    assert modules.stderr.strip().splitlines()[-1] == "False False"
