"""OFD (the national fixed-layout format) read like a PDF: the seeds rendered as OFD from the published structure
parse back cell for cell; a broken or oversized OFD is one unreadable-document reason, never a crash."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from nianbao.document import UnreadableInput, read_document, sniff
from nianbao.report.numbers import read_cell
from nianbao.report.parse import parse_file
from tests.parse_helpers import mismatches, rules
from tests.provenance_source import Source
from tests.render.ofd import render_ofd
from tests.render.report_data import SEED_NAMES, seed_report


@pytest.mark.parametrize("name", SEED_NAMES)
def test_ofd_renderings_of_the_seeds_parse_back(tmp_path, name):
    report = seed_report(name)
    path = render_ofd(report, tmp_path / "report.ofd")
    assert sniff(path.read_bytes()) == "ofd"  # by its bytes: a download servlet gives no name
    parsed = parse_file(path)
    assert mismatches(parsed, report, blanks_null=False) == []
    assert not rules(parsed) & {"balance", "row_total", "handled_total", "review_total", "missing_table"}
    assert (parsed["title"], parsed["agency"], parsed["year"]) == (report["title"], report["agency"], report["year"])
    assert "六、其他需要报告的事项" in parsed["text"]


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(("files", "reason"), [
    ({"OFD.xml": b"<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'><ofd:DocBody/></ofd:OFD>"},
     "an OFD whose OFD.xml names no document (DocRoot)"),
    ({"OFD.xml": b"<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml"
                 b"</ofd:DocRoot></ofd:DocBody></ofd:OFD>"},
     "an OFD whose structure could not be read: \"There is no item named 'Doc_0/Document.xml' in the archive\""),
    ({"OFD.xml": b"<ofd:OFD", "pad": b"0" * 1000}, "an OFD whose structure could not be read: "),
    ({"OFD.xml": b"<x/>", "bomb": b"\0" * (201 * 2**20)}, "an OFD that unpacks to more than a report could hold"),
])
def test_a_broken_ofd_is_one_reason(files, reason):
    with pytest.raises(UnreadableInput) as raised:
        read_document(_zip(files), name="report.ofd")
    assert str(raised.value).startswith(reason)


def test_a_report_published_as_an_ofd_attachment_is_crawled_and_read(tmp_path):
    from sqlalchemy.orm import Session

    from storage.db import make_engine
    from storage.reports import iter_reports
    from tests.fixtureweb import build_web
    from tests.fixtureweb.crawl import run_crawl
    from tests.fixtureweb.spec import Agency, ReportSpec, SiteSpec, registry_csv

    agency = Agency("x-ofd", "托里县哈图镇人民政府", "township")
    site = SiteSpec("www.ofd.gov.test", agency.name, "trs", "/zfxxgk/zfxxgknb/index.html", [agency],
                    [ReportSpec(agency.name, 2024, "hatu-town-2024", form="ofd")])
    registry = tmp_path / "registry.csv"
    registry.write_text(registry_csv([site]), encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'n.sqlite'}"
    with build_web([site]).prerender() as web:
        items, _ = run_crawl(web, registry, tmp_path / "items.jsonl", db_url=db_url)
    [report] = [item for item in items if "documents" in item]
    assert [d["kind"] for d in report["documents"]] == ["html", "ofd"] and report["main_url"].endswith(".ofd")
    engine = make_engine(db_url)
    with Session(engine) as session:
        [stored] = list(iter_reports(session))
    engine.dispose()
    expected = seed_report("hatu-town-2024")
    assert (stored["agency_id"], stored["status"]) == ("x-ofd", "ok")
    assert mismatches(stored, {**expected, "title": stored["title"]}, blanks_null=False) == []


def test_line_breaks_inside_a_text_object_keep_every_cell_on_its_page(tmp_path):
    """A text code may hold a line or paragraph separator; the lines (and the cells' places) must not shift."""
    report = seed_report("hatu-town-2024")
    path = render_ofd(report, tmp_path / "report.ofd")
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    first = "Doc_0/Pages/Page_1/Content.xml"
    # The first label on the page: separators between its characters.
    files[first] = re.sub(r"(<ofd:TextCode[^>]*>)([^<0-9]{2})([^<]+)<", r"\1\2&#x2028;\3&#10;&#x85;<",
                          files[first].decode(), count=1).encode()
    assert b"&#x2028;" in files[first]
    broken = tmp_path / "broken.ofd"
    broken.write_bytes(_zip(files))
    parsed = parse_file(broken)
    assert mismatches(parsed, report, blanks_null=False) == []
    source = Source(broken)
    for key, entry in parsed["provenance"].items():
        table, row, column = key.split(".")
        place = {k: v for k, v in entry.items() if k != "how"}
        assert read_cell(source.text_at(place)).value == parsed[table][row][column], (key, place)
