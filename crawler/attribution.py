"""Which registered agency a report belongs to: its name in the title, else in the page, else the listing's owner."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from crawler.links import normalize, title_agency
from crawler.sites import LEVEL_RANK, Site

# Titles drop these: "托里县2024年…" is the report of 托里县人民政府; 政府办公室 publishes the government's report.
GOVERNMENT_SUFFIXES = ("人民政府办公室", "人民政府办公厅", "政府办公室", "人民政府", "政府")
# Shorter names are too common to look for in a page body ("财政局" is on every county's pages).
MIN_BODY_NAME = 3


@dataclass(frozen=True)
class Attribution:
    agency_id: str | None
    agency_name: str | None


def core_name(name: str) -> str:
    """A name without the government suffix: 托里县人民政府 → 托里县, 托里县财政局 unchanged."""
    name = normalize(name)
    for suffix in GOVERNMENT_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)] or name
    return name


class Attributor:
    """Matches names against the whole registry: a prefecture site hosts its counties' reports."""

    def __init__(self, sites: list[Site]):
        self.sites = {site.id: site for site in sites}
        self.variants: dict[str, set[str]] = defaultdict(set)  # name variant → agency ids
        self.full: dict[str, set[str]] = defaultdict(set)  # the core name only, for page bodies
        self.owners: dict[str, list[str]] = defaultdict(list)  # listing URL → agencies registering it
        for site in sites:
            for name in self._names(site):
                self.variants[name].add(site.id)
            self.full[core_name(site.name)].add(site.id)
            for url in site.listing_urls:
                self.owners[url].append(site.id)

    def _names(self, site: Site) -> set[str]:
        core = core_name(site.name)
        names = {core}
        parent = self.sites.get(site.parent or "")
        if parent:
            prefix = core_name(parent.name)
            if core.startswith(prefix) and len(core) - len(prefix) >= 2:
                names.add(core[len(prefix) :])  # 托里县哈图镇 is printed as 哈图镇 on 托里县's site
        return names

    def owner(self, listing_url: str) -> str | None:
        """The highest-level agency registering a listing page (a county over its departments), first on ties."""
        ids = self.owners.get(listing_url, [])
        return max(ids, key=lambda i: LEVEL_RANK.get(self.sites[i].level, 0), default=None)

    def owner_names(self, listing_url: str) -> list[str]:
        """The names of every agency registering a listing page."""
        return [self.sites[i].name for i in self.owners.get(listing_url, [])]

    def from_title(self, title: str, listing_url: str) -> Attribution | None:
        """The agency named in the title; Attribution(None, name) for an unregistered one; None if it names none."""
        who = title_agency(title)
        if not who:
            return None
        who_core = core_name(who)
        # The most specific part of a name comes last: "塔城地区托里县" is 托里县, "托里县财政局" is not 托里县.
        matches = [name for name in self.variants if who_core.endswith(name)]
        agency_id = self._pick(matches, self.variants, listing_url)
        return Attribution(agency_id, self.sites[agency_id].name if agency_id else who)

    def from_text(self, text: str, listing_url: str) -> Attribution | None:
        """The longest registered name in a page's text, for titles like "2024年政府信息公开工作年度报告"."""
        text = normalize(text)
        matches = [name for name in self.full if len(name) >= MIN_BODY_NAME and name in text]
        agency_id = self._pick(matches, self.full, listing_url)
        return Attribution(agency_id, self.sites[agency_id].name) if agency_id else None

    def sole_owner(self, listing_url: str) -> Attribution | None:
        """A listing registered by one agency only is that agency's own list."""
        ids = self.owners.get(listing_url, [])
        return Attribution(ids[0], self.sites[ids[0]].name) if len(ids) == 1 else None

    def _pick(self, names: list[str], index: dict[str, set[str]], listing_url: str) -> str | None:
        if not names:
            return None
        longest = max(len(n) for n in names)
        ids = set().union(*(index[n] for n in names if len(n) == longest))
        if len(ids) > 1:  # the same short name in two counties: the one registering this listing wins
            ids &= set(self.owners.get(listing_url, []))
        return next(iter(ids)) if len(ids) == 1 else None
