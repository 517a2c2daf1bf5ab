"""Plain-text reports as extraction tools write them: tab-separated rows, or one cell per line."""

from __future__ import annotations

from tests.render.report_data import active_cells, application_cells, cell_text, review_cells

_HEADINGS = ("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
             "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项")
_APPLICANT_HEADER = [["", "申请人情况"], ["", "自然人", "法人或其他组织", "总计"],
                     ["", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]]
_REVIEW_HEADER = [["行政复议", "行政诉讼"],
                  ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"],
                  ["", "", "", "", "", *(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2)]]


def table_rows(report: dict) -> dict[int, list[list[str]]]:
    """The rows of the three tables, by section number, as printed cells."""
    active = [["第二十条第（一）项"], ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]]
    for key, label, values in active_cells(report):
        if key == "licensing":
            active += [["第二十条第（五）项"], ["信息内容", "本年处理决定数量"]]
        elif key == "penalty":
            active += [["第二十条第（六）项"], ["信息内容", "本年处理决定数量"]]
        elif key == "fees":
            active += [["第二十条第（八）项"], ["信息内容", "本年收费金额（单位：万元）"]]
        active.append([label, *map(cell_text, values)])
    apps = [list(r) for r in _APPLICANT_HEADER]
    apps += [[label, *map(cell_text, values)] for _key, label, values in application_cells(report)]
    review = [list(r) for r in _REVIEW_HEADER] + [list(map(cell_text, review_cells(report)))]
    return {2: active, 3: apps, 4: review}


def render_text(report: dict, *, layout: str = "tabs") -> bytes:
    """layout "tabs": one table row a line, cells tab-separated; "lines": every cell on its own line; "markdown":
    pipe tables as PDF-to-markdown converters write them, each under a rule row; "markdown-br": the same with long
    labels broken inside their cells by <br>, as converters keep a cell's line breaks; "markdown-split": the same
    with table 三's rows broken in two as converters break rows at a cell's line break: a long label's first part
    alone on a row and the rest with the numbers on the next, or a row's last numbers on a row of their own;
    "lines-broken": a cell a line with long labels broken over two lines, as a narrow column wraps them."""
    lines = [report["title"], ""]
    tables = table_rows(report)
    for number, heading in enumerate(_HEADINGS, start=1):
        lines.append(heading)
        lines.extend(report["sections"].get(number, []))
        rows = tables.get(number, [])
        if layout == "markdown-split" and number == 3:
            rows = [part for k, row in enumerate(rows) for part in _split_row(row, k)]
        if layout.startswith("markdown"):
            lines.extend(_markdown(rows, broken=layout == "markdown-br"))
            continue
        for row in rows:
            if layout == "lines-broken":  # as pdftotext writes a narrow column: a long label on two lines
                row = [part for c in row for part in (_halves(c) if len(c) > 14 else [c])]
            lines.extend(["\t".join(row)] if layout == "tabs" else [c for c in row if c] or [""])
    return ("\n".join(lines) + "\n").encode("utf-8")


def _markdown(rows: list[list[str]], broken: bool) -> list[str]:
    if not rows:
        return []
    width = max(len(row) for row in rows)

    def line(row: list[str]) -> str:
        cells = [_broken(c) if broken else c for c in row] + [""] * (width - len(row))
        return "| " + " | ".join(cells) + " |"

    return ["", line(rows[0]), "|" + "---|" * width, *map(line, rows[1:]), ""]


def _split_row(row: list[str], k: int) -> list[list[str]]:
    """A row of table 三 as a converter breaks it: every long label in two rows (its first part alone), and every
    third row's last three numbers moved onto a row of their own in their columns."""
    label, values = row[0], row[1:]
    if len(values) < 7 or not label:
        return [row]
    if len(label) > 14:
        half = len(label) // 2
        return [[label[:half]] + [""] * len(values), [label[half:], *values]]
    if k % 3 == 0:
        return [[label, *values[:-3], "", "", ""], ["", *[""] * (len(values) - 3), *values[-3:]]]
    return [row]


def _halves(cell: str) -> list[str]:
    return [cell[:len(cell) // 2], cell[len(cell) // 2:]]


def _broken(cell: str) -> str:
    """A label longer than ten characters broken in the middle, as a narrow column wraps it."""
    if len(cell) <= 10 or cell.replace(".", "").isdigit():
        return cell
    return f"{cell[:len(cell) // 2]}<br>{cell[len(cell) // 2:]}"
