"""The registry as a tree (parent_id chains): regions, subordinate agencies and their completeness."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from nianbao.audit.model import LEVELS, STATUSES, Agency, AgencyAudit, Completeness

# An agency's region is its highest ancestor at one of these levels: a province would lump everything together.
REGION_LEVELS = frozenset({"prefecture", "county"})
# Governments whose subordinate departments and towns the supervisor checks for completeness.
COMPLETENESS_LEVELS = frozenset({"prefecture", "county"})


class Hierarchy:
    def __init__(self, agencies: Iterable[Agency]):
        self.by_id: dict[str, Agency] = {a.id: a for a in agencies}
        self.children: dict[str, list[str]] = defaultdict(list)
        for agency in self.by_id.values():
            if agency.parent_id in self.by_id:
                self.children[agency.parent_id].append(agency.id)

    def ancestors(self, agency_id: str) -> list[Agency]:
        """The agency itself, then its parent, ... up to the root; a cycle in the registry stops the walk."""
        chain: list[Agency] = []
        seen: set[str] = set()
        current = self.by_id.get(agency_id)
        while current is not None and current.id not in seen:
            chain.append(current)
            seen.add(current.id)
            current = self.by_id.get(current.parent_id) if current.parent_id else None
        return chain

    def region(self, agency_id: str) -> Agency:
        chain = self.ancestors(agency_id)
        regional = [a for a in chain if a.level in REGION_LEVELS]
        return regional[-1] if regional else chain[-1]

    def descendants(self, agency_id: str) -> list[str]:
        found: list[str] = []
        stack = list(self.children.get(agency_id, ()))
        seen = {agency_id}
        while stack:
            child = stack.pop()
            if child in seen:
                continue
            seen.add(child)
            found.append(child)
            stack.extend(self.children.get(child, ()))
        return found

    def tree_order(self) -> list[str]:
        """Agency ids depth first, each government followed by its subordinates; siblings by level, then name."""
        def key(agency_id: str) -> tuple:
            agency = self.by_id[agency_id]
            return LEVELS.index(agency.level) if agency.level in LEVELS else len(LEVELS), agency.name, agency.id

        roots = [a.id for a in self.by_id.values() if a.parent_id not in self.by_id]
        order: list[str] = []
        seen: set[str] = set()
        stack = sorted(roots, key=key, reverse=True)
        while stack:
            agency_id = stack.pop()
            if agency_id in seen:
                continue
            seen.add(agency_id)
            order.append(agency_id)
            stack.extend(sorted(self.children.get(agency_id, ()), key=key, reverse=True))
        # Agencies caught in a parent cycle have no root; they go last rather than vanish.
        return order + sorted((a for a in self.by_id if a not in seen), key=key)

    def completeness(self, rows: Iterable[AgencyAudit]) -> tuple[Completeness, ...]:
        by_id = {r.agency_id: r for r in rows}
        result = []
        for agency_id, row in by_id.items():
            if row.level not in COMPLETENESS_LEVELS:
                continue
            subordinates = sorted((by_id[d] for d in self.descendants(agency_id) if d in by_id), key=_order)
            if not subordinates:
                continue
            counts = {s: sum(r.status == s for r in subordinates) for s in STATUSES}
            result.append(Completeness(
                agency_id, row.name, row.level, counts,
                missing=tuple(r.agency_id for r in subordinates if r.status == "missing"),
                late=tuple(r.agency_id for r in subordinates if r.status == "published_late"),
            ))
        return tuple(result)


def _order(row: AgencyAudit) -> tuple:
    return row.level, row.name
