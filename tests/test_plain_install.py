"""A plain `pip install .` (no extras, nothing else) runs every path: here the HTML reader's fallback for a page
whose report is in no known container and in no table, which is trafilatura's, and trafilatura imports
lxml.html.clean, a package of its own since lxml 5.2 (declared in pyproject.toml)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nianbao.document import html as html_reader
from nianbao.report.parse import parse_file
from tests.faultweb import REPOSITORY

SKIPPED = {".git", ".venv", "tests", "bench", "__pycache__", "build", "nianbao-archive"}
# A report page as plain paragraphs in unnamed blocks, beside site chrome: only the fallback finds the body.
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>示例县2024年政府信息公开工作年度报告</title></head>
<body><div class="top"><a href="/">首页</a> <a href="/zwgk/">政务公开</a> 用户登录</div>
<div class="wrap"><div class="box"><h2>示例县2024年政府信息公开工作年度报告</h2>
<p>本报告根据《中华人民共和国政府信息公开条例》要求编制，全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、
政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项。</p>
<p>一、总体情况。2024年，示例县人民政府认真贯彻落实政府信息公开工作要求，持续推进决策、执行、管理、服务、结果公开。</p>
<p>五、存在的主要问题及改进情况。公开内容的深度还需加强，下一步将进一步规范公开目录。</p>
<p>六、其他需要报告的事项。本年度未收取信息处理费。</p></div></div>
<div class="foot">主办单位：示例县人民政府办公室 网站标识码：6542000001 ICP备案号</div></body></html>"""


@pytest.fixture(scope="module")
def plain_install(tmp_path_factory) -> Path:
    """A virtual environment with the project installed by `pip install .` from a copy (the build writes beside
    the sources), and nothing else."""
    root = tmp_path_factory.mktemp("plain")
    project = root / "project"
    shutil.copytree(REPOSITORY, project, ignore=lambda _, names: [
        n for n in names if n in SKIPPED or n.endswith((".sqlite", ".egg-info"))])
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, timeout=300)
    environment = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV" and not k.startswith("PYTHON")}
    installed = subprocess.run([str(root / "venv/bin/python"), "-m", "pip", "install", "--quiet", str(project)],
                               env=environment, capture_output=True, text=True, timeout=1200)
    assert installed.returncode == 0, installed.stderr[-3000:]
    return root / "venv/bin"


def test_the_page_takes_the_fallback(tmp_path, monkeypatch):
    calls = []
    fallback = html_reader._trafilatura_paragraphs
    monkeypatch.setattr(html_reader, "_trafilatura_paragraphs", lambda root: calls.append(1) or fallback(root))
    page = tmp_path / "report.html"
    page.write_text(PAGE, encoding="utf-8")
    parsed = parse_file(page)
    assert calls == [1]
    assert "六、其他需要报告的事项" in parsed["text"] and "网站标识码" not in parsed["text"]


def test_the_fallback_runs_in_a_plain_install(plain_install, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(PAGE, encoding="utf-8")
    done = subprocess.run([str(plain_install / "nianbao"), "parse", str(page)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    parsed = json.loads(done.stdout)
    assert "六、其他需要报告的事项" in parsed["text"] and "网站标识码" not in parsed["text"]
    imports = subprocess.run([str(plain_install / "python"), "-c", "import lxml.html.clean, trafilatura"],
                             capture_output=True, text=True, timeout=60)
    assert imports.returncode == 0, imports.stderr
