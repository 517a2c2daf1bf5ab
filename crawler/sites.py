"""The registered agencies the crawl starts from: id, name, level, parent and listing pages."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from scrapy.settings import BaseSettings

# Higher ranks own a shared listing page: a county site lists its departments' and towns' reports.
LEVEL_RANK = {"province": 5, "prefecture": 4, "county": 3, "township": 2, "department": 1}
REQUIRED_COLUMNS = ("id", "name", "level", "parent", "listing_url")


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    level: str
    parent: str | None
    listing_urls: tuple[str, ...]


def load_sites(settings: BaseSettings) -> list[Site]:
    """Every registered agency. Until storage holds the registry, this reads the CSV named by NIANBAO_REGISTRY."""
    path = settings.get("NIANBAO_REGISTRY")
    if not path:
        raise ValueError("no registry: set NIANBAO_REGISTRY to a registry CSV (id,name,level,parent,listing_url)")
    return read_registry_csv(Path(path))


def read_registry_csv(path: Path) -> list[Site]:
    """The registry CSV of CONTRACT.md; listing_url may hold several URLs separated by spaces."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path.name}: missing column(s) {', '.join(missing)}")
        return [
            Site(
                id=row["id"].strip(),
                name=row["name"].strip(),
                level=row["level"].strip(),
                parent=row["parent"].strip() or None,
                listing_urls=tuple((row["listing_url"] or "").split()),
            )
            for row in reader
            if (row["id"] or "").strip()
        ]


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
