"""A report in the 2019 trial format (国办公开办函〔2019〕60号): told apart by its header words, read with its keys."""

from __future__ import annotations

from nianbao.report.parse import parse_bytes
from tests.parse_helpers import rules
from tests.render.report_data import seed_report
from tests.render.text import render_text

TABLE_2019 = """二、主动公开政府信息情况
第二十条第（一）项
信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量
规章\t0\t0\t0
规范性文件\t4\t4\t37
第二十条第（五）项
信息内容\t上一年项目数量\t本年增/减\t处理决定数量
行政许可\t120\t-3\t5230
其他对外管理服务事项\t15\t0\t310
第二十条第（六）项
信息内容\t上一年项目数量\t本年增/减\t处理决定数量
行政处罚\t400\t12\t1866
行政强制\t30\t0\t52
第二十条第（八）项
信息内容\t上一年项目数量\t本年增/减
行政事业性收费\t8\t-1
第二十条第（九）项
信息内容\t采购项目数量\t采购总金额
政府集中采购\t46\t1520.35
"""


def report_2019() -> bytes:
    report = seed_report("jiaxian-county-2024")
    report.update(year=2020, title="郏县人民政府2020年政府信息公开工作年度报告")
    text = render_text(report).decode()
    head, rest = text.split("二、主动公开政府信息情况\n")
    _, tail = rest.split("三、收到和处理政府信息公开申请情况\n")
    lines = [ln for ln in tail.splitlines() if not ln.startswith(("1.申请人无正当理由", "2.申请人逾期未按", "3.其他"))]
    total = next(i for i, ln in enumerate(lines) if ln.startswith("（七）总计"))
    lines.insert(total, "（六）其他处理\t0\t0\t0\t0\t0\t0\t0")
    return (head + TABLE_2019 + "三、收到和处理政府信息公开申请情况\n" + "\n".join(lines)).encode()


def test_2019_format_is_recognised_and_read_with_its_keys():
    parsed = parse_bytes(report_2019(), name="r.txt")
    assert parsed["template"] == "2019"
    assert parsed["year"] == 2020
    active = parsed["active_disclosure"]
    assert active["normative_documents"] == {"new_made": 4, "new_published": 4, "total_published": 37}
    assert active["licensing"] == {"prior_year": 120, "change": -3, "decisions": 5230}
    assert active["other_services"] == {"prior_year": 15, "change": 0, "decisions": 310}
    assert active["penalty"]["decisions"] == 1866
    assert active["fees"] == {"prior_year": 8, "change": -1}
    assert active["procurement"] == {"projects": 46, "amount": 1520.35}
    assert parsed["applications"]["other_handling"]["total"] == 0
    assert not rules(parsed) & {"balance", "row_total", "handled_total", "cell_count", "missing_table"}
