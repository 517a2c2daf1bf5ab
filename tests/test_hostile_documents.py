"""Hostile report files: each is refused or read within its limits, with a finding, and never takes the reader down.

The files are built in well under a second (tests/hostile_files.py) and never inflated by the test itself.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import docx
import pytest

from nianbao.document import read_document
from nianbao.document.docx import read_docx
from nianbao.document.html import decode_html, read_html
from nianbao.document.model import Paragraph, UnreadableInput
from nianbao.document.pdf import MAX_PAGE_OPERATIONS, read_pdf
from nianbao.isolated import DocumentPool, Limits
from tests.hostile_files import docx_bomb, form_fanout_pdf, inflating_content_pdf, nest_body, pdf_with_pages, text_page

MIB = 2**20


@pytest.fixture(scope="module")
def small_reader():
    """A reader process with 256 MiB of address space: a bomb read in it must end with its cause, not out of memory."""
    pool = DocumentPool(Limits(workers=1, memory_mb=256, timeout=60))
    yield pool
    pool.close()


def _findings_of(data: bytes, name: str) -> list[str]:  # runs in a worker
    try:
        return [f.message for f in read_document(data, name=name).findings]
    except UnreadableInput as error:
        return [str(error)]


@pytest.fixture(scope="module")
def small_docx(tmp_path_factory) -> bytes:
    document = docx.Document()
    document.add_paragraph("托里县2024年政府信息公开工作年度报告")
    document.add_paragraph("一、总体情况")
    path = tmp_path_factory.mktemp("docx") / "small.docx"
    document.save(path)
    return path.read_bytes()


# ---- DOCX ------------------------------------------------------------------------------------------------------------


def test_a_docx_bomb_is_refused_before_it_inflates(small_docx, small_reader):
    bomb = docx_bomb(small_docx, mib=512)
    assert len(bomb) < 2 * MIB
    with pytest.raises(UnreadableInput, match="ZIP bomb"):
        read_docx(bomb)
    # Within an address space of 256 MiB, half of what it would inflate to: nothing near it was ever held.
    outcome = asyncio.run(small_reader.call(_findings_of, bomb, "bomb.docx"))
    assert outcome.error is None and "ZIP bomb" in outcome.parsed[0]


def test_a_docx_bomb_that_hides_its_size_in_the_headers_is_refused(small_docx):
    forged = docx_bomb(small_docx, mib=64, declared_mib=1)
    with pytest.raises(UnreadableInput, match="forged"):
        read_docx(forged)


def test_a_long_honest_docx_is_within_the_limits(tmp_path):
    document = docx.Document()
    for number in range(3000):  # some 150 pages of text that repeats a lot, as reports do
        document.add_paragraph(f"第{number}条 本机关依法主动公开政府信息，及时回应社会关切。")
    document.save(tmp_path / "long.docx")
    doc = read_docx((tmp_path / "long.docx").read_bytes())
    assert len(doc.blocks) == 3000


def test_a_docx_without_text_says_so(tmp_path):
    docx.Document().save(tmp_path / "empty.docx")
    doc = read_docx((tmp_path / "empty.docx").read_bytes())
    assert doc.blocks == []
    assert [f.rule for f in doc.findings] == ["no_text_layer"]


# ---- PDF -------------------------------------------------------------------------------------------------------------


def test_forms_that_fan_out_cost_one_page_not_the_reader():
    pdf = form_fanout_pdf(levels=20, fanout=10, text_first=True)  # 10**20 lines, in a few KB
    assert len(pdf) < 8192
    started = time.monotonic()
    doc = read_pdf(pdf)
    assert time.monotonic() - started < 60
    assert any("Annual report" in b.text for b in doc.blocks if isinstance(b, Paragraph))
    [finding] = [f for f in doc.findings if f.rule == "page_unreadable"]
    assert finding.where == "page 2" and f"{MAX_PAGE_OPERATIONS:,} drawing operations" in finding.message


def test_a_stream_that_inflates_to_200_mib_costs_one_page_within_memory(small_reader):
    pdf = inflating_content_pdf(mib=200, text_first=True)
    assert len(pdf) < 2 * MIB
    outcome = asyncio.run(small_reader.call(_findings_of, pdf, "big.pdf"))  # 256 MiB of address space
    assert outcome.error is None and outcome.parsed == ["a stream of the page inflates to more than 32 MiB"]
    doc = read_pdf(pdf)
    assert any("Annual report" in b.text for b in doc.blocks if isinstance(b, Paragraph))
    [finding] = [f for f in doc.findings if f.rule == "page_unreadable"]
    assert finding.where == "page 2" and "inflates to more than" in finding.message


def test_a_pdf_that_is_only_a_bomb_is_unreadable_with_the_cause():
    with pytest.raises(UnreadableInput) as caught:
        read_document(form_fanout_pdf(), name="fan.pdf")
    assert "drawing operations" in str(caught.value)


def test_an_ordinary_pdf_page_is_far_inside_the_budget():
    pages = [text_page()] * 3
    doc = read_pdf(pdf_with_pages(pages))
    assert not [f for f in doc.findings if f.rule == "page_unreadable"]


# ---- HTML ------------------------------------------------------------------------------------------------------------

PAGE = (
    "<html><head><title>乙县2024年政府信息公开工作年度报告</title></head><body>"
    "<div class='content'><p>一、总体情况</p><p>本年度，全县认真贯彻落实条例。</p>"
    "<table><tr><td>行政许可</td><td>12</td></tr><tr><td>行政处罚</td><td>3</td></tr></table>"
    "<p>六、其他需要报告的事项</p></div></body></html>"
)


@pytest.mark.parametrize("depth,tag", [(300, b"div"), (1000, b"font"), (3000, b"div")])
def test_deeply_nested_pages_are_read_whole(depth, tag):
    doc = read_html(nest_body(PAGE.encode(), depth, tag))
    texts = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    assert "一、总体情况" in texts and "六、其他需要报告的事项" in texts
    assert any(getattr(b, "rows", None) for b in doc.blocks)  # the table survived


def test_a_page_too_deep_for_the_parser_is_read_again_with_a_finding():
    doc = read_html(nest_body(PAGE.encode(), 3000, b"div"))
    assert any(f.rule == "page_unreadable" and "nests" in f.message for f in doc.findings)


def test_a_page_of_chrome_only_ends_with_a_finding():
    doc = read_html(b"<html><body><div class='nav'></div></body></html>")
    assert doc.blocks == []
    assert [f.rule for f in doc.findings] == ["no_text_layer"]


def test_a_gbk_page_declared_koi8_r_is_read_as_chinese():
    page = PAGE.replace("<head>", '<head><meta charset="koi8-r">').encode("gbk")
    assert "总体情况" in decode_html(page)
    assert Paragraph("一、总体情况") in read_html(page).blocks


def test_the_crawler_overrides_a_koi8_r_label_on_a_gbk_page():
    from crawler.encoding import page_encoding

    page = PAGE.encode("gbk")
    assert page_encoding(page, "text/html; charset=koi8-r") == "gb18030"
    russian = "<html><body><p>Годовой отчёт</p></body></html>".encode("koi8-r")
    assert page_encoding(russian, "text/html; charset=koi8-r") == "koi8-r"


# ---- the reader pool: limits on a worker -----------------------------------------------------------------------------


def _hog(mib: int) -> int:  # runs in a worker
    return len(b"x" * (mib * MIB))


def _crash() -> None:  # runs in a worker: a C library that corrupts its heap ends the process like this
    os.kill(os.getpid(), signal.SIGSEGV)


def test_a_worker_past_its_memory_limit_costs_one_call():
    pool = DocumentPool(Limits(workers=1, memory_mb=512, timeout=60))
    try:
        assert asyncio.run(pool.call(_hog, 16)).parsed == 16 * MIB
        hog = asyncio.run(pool.call(_hog, 1024))
        assert hog.parsed is None and hog.error == "reading needed more than 512 MiB; the reader was stopped"
        good = asyncio.run(pool.parse(PAGE.encode(), name="r.html"))
        assert good.error is None and good.parsed["title"]
    finally:
        pool.close()


def test_a_worker_past_its_time_limit_or_crashed_is_replaced():
    pool = DocumentPool(Limits(workers=1, memory_mb=1024, timeout=1))
    try:
        slow = asyncio.run(pool.call(time.sleep, 30))
        assert slow.error == "reading took longer than 1 s; the reader was stopped"
        crashed = asyncio.run(pool.call(_crash))
        assert crashed.error.startswith("the reader process died (signal 11")
        good = asyncio.run(pool.parse(PAGE.encode(), name="r.html"))
        assert good.error is None and good.parsed is not None
    finally:
        pool.close()


def test_a_pool_that_broke_is_replaced():
    pool = DocumentPool(Limits(workers=1, memory_mb=1024, timeout=60))
    try:
        broken = pool._started()
        broken.stop()  # as when its workers die as they start: every schedule() raises from now on
        broken.join()
        good = asyncio.run(pool.parse(PAGE.encode(), name="r.html"))
        assert good.error is None and good.parsed is not None
        assert pool._pool is not broken
    finally:
        pool.close()

