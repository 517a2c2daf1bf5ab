"""The scored evaluation: every cell of every report file the project has, read by the parser and compared with the
hand-checked values (tests/data/seeds/expected, scored as tests/data/tools/check_parse.py scores them). The corpus is
the seed texts as they came, and each seed rendered into every form the project can make: text (tab rows; a cell a
line, plain and with long labels broken over two lines; markdown pipe tables plain, with labels broken inside cells
and with rows broken in two; a crawler's header block), Word-like PDF (plain and with a table split across pages),
DOCX, OFD, HTML with site chrome, GBK HTML with no charset. Scores are pinned in tests/data/evaluation_baseline.json;
tests/test_evaluation.py fails when one drops, bench/evaluate.py prints them and writes the baseline
(--write-baseline) after an improvement."""

from __future__ import annotations

import importlib.util
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nianbao.report.parse import parse_file
from tests.render.docx import render_docx
from tests.render.html import render_html
from tests.render.ofd import render_ofd
from tests.render.pdf import render_pdf
from tests.render.report_data import SEED_NAMES, seed_report
from tests.render.text import render_text

DATA = Path(__file__).parent / "data"
SEEDS = DATA / "seeds"
BASELINE = DATA / "evaluation_baseline.json"
HEADER = ("标题：{title}\n发布时间：2025-01-20 10:30\n来源：办公室\n索引号：000000000000000000/2025-00001\n"
          "浏览次数：12\n\n")


def _check_parse():
    spec = importlib.util.spec_from_file_location("check_parse", DATA / "tools" / "check_parse.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _seed_text(name: str) -> Path:
    return next(p for p in SEEDS.glob(f"{name}.*") if p.suffix != ".json")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


FORMS: dict[str, Callable[[str, Path], Path]] = {
    "as-given": lambda name, folder: _seed_text(name),
    "header-block": lambda name, folder: _write(folder / "h.txt", HEADER.format(title=seed_report(name)["title"])
                                                .encode() + _seed_text(name).read_bytes()),
    "text-tabs": lambda name, folder: _write(folder / "t.txt", render_text(seed_report(name), layout="tabs")),
    "text-lines": lambda name, folder: _write(folder / "l.txt", render_text(seed_report(name), layout="lines")),
    "text-lines-broken": lambda name, folder: _write(folder / "k.txt",
                                                     render_text(seed_report(name), layout="lines-broken")),
    "markdown": lambda name, folder: _write(folder / "m.md", render_text(seed_report(name), layout="markdown")),
    "markdown-br": lambda name, folder: _write(folder / "b.md", render_text(seed_report(name), layout="markdown-br")),
    "markdown-split": lambda name, folder: _write(folder / "s.md",
                                                  render_text(seed_report(name), layout="markdown-split")),
    "pdf": lambda name, folder: render_pdf(seed_report(name), folder / "r.pdf"),
    "pdf-split-table": lambda name, folder: render_pdf(seed_report(name), folder / "s.pdf", split_table=True),
    "docx": lambda name, folder: render_docx(seed_report(name), folder / "r.docx"),
    "ofd": lambda name, folder: render_ofd(seed_report(name), folder / "r.ofd"),
    "html": lambda name, folder: _write(folder / "r.html", render_html(seed_report(name))),
    "html-gbk-no-charset": lambda name, folder: _write(
        folder / "g.htm", render_html(seed_report(name), encoding="gbk", declare_charset=False)),
}


AS_PRINTED = ("as-given", "header-block")  # the seed's own text; the other forms are rendered from its values


@dataclass(frozen=True)
class Score:
    cells: int
    cells_of: int
    flags: int
    flags_of: int
    misses: tuple[str, ...] = ()

    def as_list(self) -> list[int]:
        return [self.cells, self.cells_of, self.flags, self.flags_of]


def evaluate(names: list[str] | None = None, forms: list[str] | None = None) -> dict[str, Score]:
    """"seed/form" → its score."""
    scorer = _check_parse()
    result = {}
    for name in names or SEED_NAMES:
        expected = json.loads((SEEDS / "expected" / f"{name}.json").read_text(encoding="utf-8"))
        for form in forms or FORMS:
            with tempfile.TemporaryDirectory() as folder:
                parsed = parse_file(FORMS[form](name, Path(folder)))
            # A form rendered from the values prints every cell the seed's own text left out: the findings the
            # seed's quirks must raise (must_flag) are scored on the seed's own text only.
            wanted = expected if form in AS_PRINTED else {k: v for k, v in expected.items() if k != "must_flag"}
            cells, flags, misses = scorer.score(wanted, parsed)
            result[f"{name}/{form}"] = Score(sum(cells), len(cells), sum(flags), len(flags), tuple(misses))
    return result


def baseline() -> dict[str, list[int]]:
    return json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else {}


def write_baseline(scores: dict[str, Score]) -> None:
    lines = [f" {json.dumps(key, ensure_ascii=False)}: {json.dumps(score.as_list())}"
             for key, score in sorted(scores.items())]
    BASELINE.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
