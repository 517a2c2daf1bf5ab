"""The DOCX reader on reports filled into the official format, and DOC/WPS conversion through (fake) LibreOffice."""

from __future__ import annotations

import io
import shutil
import stat
import sys
import time
import zipfile
from pathlib import Path

import docx
import pytest

from nianbao.document import read_document
from nianbao.document.docx import read_docx
from nianbao.document.model import SPANNED, Paragraph, Table, UnreadableInput
from nianbao.document.office import convert_to_docx
from tests.render.docx import TEMPLATE, render_docx
from tests.render.html import expected_rows, review_row, row_after_label
from tests.render.report_data import SEED_NAMES, cell_text, review_cells, seed_report

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def _tables(doc) -> list[Table]:
    return [b for b in doc.blocks if isinstance(b, Table)]


@pytest.mark.parametrize("name", SEED_NAMES)
def test_filled_official_format_reads_back(name, tmp_path):
    report = seed_report(name)
    doc = read_docx(render_docx(report, tmp_path / f"{name}.docx").read_bytes())
    assert len(_tables(doc)) == 3
    for label, cells in expected_rows(report):
        assert row_after_label(doc, label) == cells, label
    assert review_row(doc) == [cell_text(v) for v in review_cells(report)]
    assert doc.meta["title"] == report["title"]
    paragraphs = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    assert paragraphs[:2] == [report["title"], "一、总体情况"]
    for texts in report["sections"].values():
        assert all(text in paragraphs for text in texts)


def test_merged_cells_of_the_official_format(tmp_path):
    doc = read_docx(render_docx(seed_report("jiaxian-county-2024"), tmp_path / "r.docx").read_bytes())
    active, applications, review = _tables(doc)
    assert active.rows[0] == ["第二十条第（一）项", SPANNED, SPANNED, SPANNED]
    assert active.rows[6] == ["行政许可", "74833", SPANNED, SPANNED]
    head = applications.rows
    assert head[0][1:] == [SPANNED, SPANNED, "申请人情况", *[SPANNED] * 6]
    assert head[1] == [SPANNED, SPANNED, SPANNED, "自然人", "法人或其他组织", *[SPANNED] * 4, "总计"]
    assert head[5][:3] == ["三、本年度办理结果", "（一）予以公开", SPANNED]
    assert head[7][:3] == [SPANNED, "（三）不予公开", "1.属于国家秘密"]
    assert head[8][:3] == [SPANNED, SPANNED, "2.其他法律行政法规禁止公开"]
    assert review.rows[2][:5] == [SPANNED] * 5


def test_blank_template_cells_are_blank(tmp_path):
    report = seed_report("tacheng-city-2024")  # its 总计 column is unknown in the seed
    doc = read_docx(render_docx(report, tmp_path / "r.docx").read_bytes())
    assert row_after_label(doc, "一、本年新收政府信息公开申请数量") == ["9", "0", "0", "0", "0", "0", ""]


def test_a_report_framed_in_a_table_is_read_through(tmp_path):
    document = docx.Document()
    frame = document.add_table(rows=1, cols=1).cell(0, 0)
    frame.paragraphs[0].text = "一、总体情况"
    frame.add_paragraph("本年度，全县认真贯彻落实条例。")
    inner = frame.add_table(rows=2, cols=2)
    inner.cell(0, 0).text = "行政许可"
    inner.cell(0, 1).text = "12"
    inner.cell(1, 0).paragraphs[0].text = "行政"
    inner.cell(1, 0).add_paragraph("处罚")  # a label broken over two lines in one cell
    document.add_paragraph("二、主动公开政府信息情况")
    document.save(tmp_path / "framed.docx")
    doc = read_docx((tmp_path / "framed.docx").read_bytes())
    assert doc.blocks == [
        Paragraph("一、总体情况"), Paragraph("本年度，全县认真贯彻落实条例。"),
        Table([["行政许可", "12"], ["行政处罚", ""]]), Paragraph("二、主动公开政府信息情况"),
    ]
    assert "title" not in doc.meta


def _zip(**members: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name.replace("__", "/"), content)
    return buffer.getvalue()


@pytest.mark.parametrize("data", [
    b"PK\x03\x04" + b"garbage" * 50,
    b"not a zip at all",
    _zip(readme__txt="hello"),
    TEMPLATE.read_bytes()[:4000],  # a truncated download
])
def test_corrupt_docx_is_unreadable(data):
    with pytest.raises(UnreadableInput, match="not a readable Word document") as caught:
        read_docx(data)
    assert "\n" not in str(caught.value)


def test_read_document_dispatches_docx(tmp_path):
    report = seed_report("hatu-town-2024")
    doc = read_document(render_docx(report, tmp_path / "r.docx"))
    assert row_after_label(doc, "（七）总计") == ["0"] * 7


# ---- DOC/WPS through LibreOffice ----------------------------------------------------------------------------------

_FAKE_SOFFICE = '''#!{python}
"""Stands in for LibreOffice: checks the arguments nianbao passes and writes a real DOCX into --outdir."""
import os, sys
from pathlib import Path
import docx

args = sys.argv[1:]
with open(os.environ["FAKE_SOFFICE_LOG"], "a") as log:
    log.write(" ".join(args) + "\\n")
assert "--headless" in args and args[args.index("--convert-to") + 1] == "docx", args
assert any(a.startswith("-env:UserInstallation=file://") for a in args), args
source, outdir = Path(args[-1]), Path(args[args.index("--outdir") + 1])
outdir.mkdir(parents=True, exist_ok=True)
document = docx.Document()
document.add_paragraph("托里县人民政府2024年政府信息公开工作年度报告")
document.add_paragraph("converted from " + source.suffix + " of " + str(source.stat().st_size) + " bytes")
table = document.add_table(rows=1, cols=2)
table.cell(0, 0).text, table.cell(0, 1).text = "行政许可", "98"
document.save(outdir / (source.stem + ".docx"))
'''


@pytest.fixture(autouse=True)
def _default_timeout(monkeypatch):
    monkeypatch.delenv("NIANBAO_CONVERT_TIMEOUT", raising=False)


def _install(tmp_path: Path, monkeypatch, script: str) -> Path:
    """Put an executable `soffice` script first and alone on PATH; returns the log the Python fake writes."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "soffice"
    fake.write_text(script)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(bin_dir))
    log = tmp_path / "soffice.log"
    monkeypatch.setenv("FAKE_SOFFICE_LOG", str(log))
    return log


def test_missing_libreoffice_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UnreadableInput, match=r"^cannot read \.doc/\.wps files: LibreOffice \(soffice\) is not"):
        convert_to_docx(OLE_MAGIC, ".doc")
    with pytest.raises(UnreadableInput, match="LibreOffice"):
        read_document(OLE_MAGIC, name="报告.wps")


def test_conversion_runs_soffice_with_a_private_profile(tmp_path, monkeypatch):
    log = _install(tmp_path, monkeypatch, _FAKE_SOFFICE.format(python=sys.executable))
    doc = read_docx(convert_to_docx(OLE_MAGIC, ".WPS"))
    assert doc.blocks[:2] == [Paragraph("托里县人民政府2024年政府信息公开工作年度报告"),
                              Paragraph(f"converted from .wps of {len(OLE_MAGIC)} bytes")]
    assert read_document(OLE_MAGIC, name="report.doc").blocks[2] == Table([["行政许可", "98"]])
    profiles = [a for line in log.read_text().splitlines() for a in line.split() if a.startswith("-env:")]
    assert len(profiles) == 2 and profiles[0] != profiles[1]


def test_failed_conversion_says_why(tmp_path, monkeypatch):
    _install(tmp_path, monkeypatch, "#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 1\n")
    with pytest.raises(UnreadableInput, match=r"could not convert the \.doc file: Error: source file could not be"):
        convert_to_docx(OLE_MAGIC, ".doc")


def test_conversion_without_output_is_an_error(tmp_path, monkeypatch):
    _install(tmp_path, monkeypatch, "#!/bin/sh\nexit 0\n")
    with pytest.raises(UnreadableInput, match="exit code 0, no output"):
        convert_to_docx(OLE_MAGIC, ".doc")


def test_conversion_timeout_kills_the_process_group(tmp_path, monkeypatch):
    pid_file = tmp_path / "child.pid"
    sleep = shutil.which("sleep")  # the fake's PATH holds only itself
    _install(tmp_path, monkeypatch, f"#!/bin/sh\n{sleep} 30 &\necho $! > {pid_file}\nwait\n")
    monkeypatch.setenv("NIANBAO_CONVERT_TIMEOUT", "0.5")
    started = time.monotonic()
    with pytest.raises(UnreadableInput, match=r"did not convert the \.doc file within 0\.5 s"):
        convert_to_docx(OLE_MAGIC, ".doc")
    assert time.monotonic() - started < 10
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(child), "the converter's children must die with it"


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_bad_timeout_setting_is_refused(tmp_path, monkeypatch):
    _install(tmp_path, monkeypatch, "#!/bin/sh\nexit 0\n")
    monkeypatch.setenv("NIANBAO_CONVERT_TIMEOUT", "two minutes")
    with pytest.raises(ValueError, match="NIANBAO_CONVERT_TIMEOUT"):
        convert_to_docx(OLE_MAGIC, ".doc")
