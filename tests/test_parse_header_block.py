"""Text saved by crawlers starts with a header block of fields (标题, 发布时间, 来源, 索引号, 浏览次数): the fields are
the report's metadata, never its title or its text, and its tables read the same as without them."""

from __future__ import annotations

import pytest

from nianbao.report.parse import parse_file
from tests.render.report_data import SEED_NAMES

SEEDS = __import__("pathlib").Path(__file__).parent / "data" / "seeds"
TABLES = ("active_disclosure", "applications", "review_litigation")


def _header(title: str) -> str:
    return (f"标题：{title}\n发布时间：2025-01-20 10:30\n来源：示例县人民政府办公室\n"
            "索引号：11654224010000000X/2025-00012\n浏览次数：123\n\n")


@pytest.mark.parametrize("name", SEED_NAMES)
def test_a_crawler_header_block_is_metadata(tmp_path, name):
    plain = parse_file(SEEDS / f"{name}.txt")
    saved = tmp_path / f"{name}.txt"
    saved.write_text(_header(plain["title"]) + (SEEDS / f"{name}.txt").read_text(encoding="utf-8"), encoding="utf-8")
    parsed = parse_file(saved)
    assert {table: parsed[table] for table in TABLES} == {table: plain[table] for table in TABLES}
    assert (parsed["title"], parsed["agency"], parsed["year"]) == (plain["title"], plain["agency"], plain["year"])
    assert (parsed["index_no"], parsed["publisher"]) == ("11654224010000000X/2025-00012", "示例县人民政府办公室")
    assert parsed["published"] == "2025-01-20"  # the date the site published it on, as the header gives it
    assert not any(field in parsed["text"] for field in ("标题：", "发布时间：", "索引号：", "浏览次数"))
    assert sorted(f["rule"] for f in parsed["findings"]) == sorted(f["rule"] for f in plain["findings"])


def test_a_header_title_is_the_title_when_none_is_printed(tmp_path):
    body = (SEEDS / "hatu-town-2024.txt").read_text(encoding="utf-8")
    plain = parse_file(SEEDS / "hatu-town-2024.txt")
    lines = [line for line in body.splitlines() if plain["title"] not in line.replace(" ", "")]
    saved = tmp_path / "untitled.txt"
    saved.write_text(_header(plain["title"]) + "\n".join(lines), encoding="utf-8")
    assert parse_file(saved)["title"] == plain["title"]
