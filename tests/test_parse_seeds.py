"""The seeds, scored by the shared checker exactly as a user runs it, and re-rendered as plain text."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nianbao.report.parse import parse_bytes
from tests.parse_helpers import mismatches, rules
from tests.render.report_data import SEED_NAMES, SEEDS, SHARED, seed_report
from tests.render.text import render_text

COMPLETE_SEEDS = ["hatu-town-2024", "jiaxian-county-2024", "tuoli-county-2021-webpage"]


def test_check_parse_scores_every_seed_cell_and_finding():
    command = f"{sys.executable} -m nianbao parse"
    proc = subprocess.run(
        [sys.executable, str(SHARED / "tools" / "check_parse.py"), "--dir", str(SEEDS / "expected"), str(SEEDS),
         "--command", command], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "reports 5/5" in proc.stdout


@pytest.mark.parametrize("name", SEED_NAMES)
def test_rendered_tab_text_parses_back(name):
    report = seed_report(name)
    parsed = parse_bytes(render_text(report, layout="tabs"), name=f"{name}.txt")
    assert mismatches(parsed, report, blanks_null=False) == []
    assert not rules(parsed) & {"balance", "row_total", "handled_total", "review_total", "missing_table"}


@pytest.mark.parametrize("layout", ["markdown", "markdown-br"])
@pytest.mark.parametrize("name", SEED_NAMES)
def test_markdown_pipe_tables_parse_back(name, layout):
    """As PDF-to-markdown converters write the tables: pipe rows under a rule, long labels broken by <br>."""
    report = seed_report(name)
    parsed = parse_bytes(render_text(report, layout=layout), name=f"{name}.md")
    assert mismatches(parsed, report, blanks_null=False) == []
    assert not rules(parsed) & {"balance", "row_total", "handled_total", "review_total", "missing_table"}
    assert "|" not in parsed["text"] and "<br>" not in parsed["text"]


@pytest.mark.parametrize("name", COMPLETE_SEEDS)
def test_rendered_one_cell_per_line_parses_back(name):
    report = seed_report(name)
    parsed = parse_bytes(render_text(report, layout="lines"), name=f"{name}.txt")
    assert mismatches(parsed, report) == []
    assert "cell_count" not in rules(parsed)


def test_seed_text_keeps_the_report_and_drops_the_page_chrome():
    parsed = parse_bytes((SEEDS / "tuoli-county-2021-webpage.txt").read_bytes(), name="page.txt")
    assert parsed["published"] == "2022-02-26"
    assert parsed["title"] == "托里县人民政府2021年政府信息公开工作报告"
    assert parsed["text"].startswith("托里县人民政府2021年政府信息公开工作报告")
    for chrome in ("您的位置", "打印", "分享到", "用户登录", "【关闭】", "×"):
        assert chrome not in parsed["text"]
    assert "六、其他需要报告的事项" in parsed["text"]
