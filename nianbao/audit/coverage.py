"""How complete the registry is: of each prefecture (or province, for its directly ruled divisions) that the registry
reaches, how many county-level divisions have a registered government, and which have none. Divisions come from
nianbao.divisions; a government's code is its registry row's `division` (given, or found by its name on import)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nianbao.audit.model import Agency
from nianbao.divisions import UnknownDivision, counties_of, division


@dataclass(frozen=True, slots=True)
class Coverage:
    division: str  # the prefecture's (or province's) code
    name: str
    held: tuple[str, ...]  # county-level divisions with a registered government, by name
    missing: tuple[str, ...]  # those without

    @property
    def total(self) -> int:
        return len(self.held) + len(self.missing)

    def line(self) -> str:
        missing = f"missing: {'、'.join(self.missing)}" if self.missing else "none missing"
        return f"registry holds {len(self.held)} of {self.total} county-level divisions of {self.name}; {missing}"


def coverage(agencies: Iterable[Agency]) -> tuple[Coverage, ...]:
    held: set[str] = set()
    regions: set[str] = set()
    for agency in agencies:
        try:
            found = division(agency.division) if agency.division else None
        except UnknownDivision:
            continue
        if found is None:
            continue
        if found.level == "county":
            held.add(found.code)
            regions.add(found.parent)
        elif found.level == "prefecture" or counties_of(found.code):
            regions.add(found.code)
    result = []
    for code in sorted(regions):
        counties = counties_of(code)
        if counties:
            result.append(Coverage(code, division(code).name, tuple(c.name for c in counties if c.code in held),
                                   tuple(c.name for c in counties if c.code not in held)))
    return tuple(result)
