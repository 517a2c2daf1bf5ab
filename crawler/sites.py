"""The registered agencies the crawl starts from: id, name, level, parent and listing pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from nianbao.template import LEVELS
from storage.registry import list_agencies

# Higher ranks own a shared listing page: a county site lists its departments' and towns' reports.
LEVEL_RANK = {level: len(LEVELS) - i for i, level in enumerate(LEVELS)}  # province 5 … department 1


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    level: str
    parent: str | None
    listing_urls: tuple[str, ...]


def load_sites(engine: Engine) -> list[Site]:
    """Every registered agency that is not disabled, from the registry table (`nianbao sites import`)."""
    with Session(engine) as session:
        return [Site(a.id, a.name, a.level, a.parent_id, tuple(a.listing_urls)) for a in list_agencies(session)
                if a.enabled]


def select_sites(sites: list[Site], wanted: str | None) -> list[Site]:
    """The sites named by `-a site=a,b` (all sites when empty); an unknown id is an error, not a silent skip."""
    if not wanted:
        return list(sites)
    ids = [part.strip() for part in wanted.split(",") if part.strip()]
    by_id = {site.id: site for site in sites}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise ValueError(f"unknown site id(s): {', '.join(unknown)}")
    return [by_id[i] for i in ids]
