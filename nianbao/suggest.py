"""`nianbao sites suggest`: the agencies a crawl saw on registered listing pages but found in no registry row (a
county's column lists its departments' and townships' reports), written as registry rows for a person to review and
import. Each gets a level guessed from its name (the word that decided it is given), the site's agency as parent,
the listing page it was seen on, and how many of its reports are stored; importing the rows files those reports
under the new agencies (storage.attribution)."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import astuple, dataclass, fields

from pypinyin import Style, lazy_pinyin
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nianbao.audit.model import name_key
from nianbao.divisions import place_name
from storage.models import LEVELS, Agency, ListingPage, Report, UnknownAgency

# The ends of names that say a level, the first that fits deciding (人民政府 stripped first: 哈图镇人民政府 is a 镇).
TOWNSHIP_ENDS = ("街道办事处", "街道", "镇", "乡", "苏木")
COUNTY_ENDS = ("县", "市", "区", "旗")  # a government named on a prefecture's column
DEPARTMENT_WORDS = ("委员会", "办公室", "管理局", "局", "委", "办", "中心", "院", "所", "队", "站", "处", "社", "会",
                    "馆", "厅", "署", "部")


@dataclass(frozen=True)
class Suggestion:
    id: str
    name: str
    level: str
    parent: str
    listing_url: str
    origin: str  # always "suggested": the registry keeps where a row came from
    level_guess: str  # the word of the name that decided the level, or "" when nothing did (then: department)
    reports: int  # stored reports published under this name, filed under it once imported
    seen: int  # times a crawl saw it


def guess_level(name: str) -> tuple[str, str]:
    """The level a name suggests, and the word that decided it."""
    government = place_name(name) != name  # …人民政府: a township's or a county's
    stem = place_name(name)
    for end in TOWNSHIP_ENDS:
        if stem.endswith(end):
            return "township", end
    if government:
        for end in COUNTY_ENDS:
            if stem.endswith(end):
                return "county", end
    for word in DEPARTMENT_WORDS:
        if name.endswith(word):
            return "department", word
    return "department", ""


def suggestions(session: Session) -> list[Suggestion]:
    registered = {name_key(name) for name in session.scalars(select(Agency.name))}
    seen: dict[str, dict[str, int]] = defaultdict(dict)
    for row in session.scalars(select(UnknownAgency)):
        if name_key(row.name) not in registered:
            seen[row.name][row.listing_url] = seen[row.name].get(row.listing_url, 0) + row.times_seen
    stored = dict(session.execute(select(Report.agency_name, func.count()).where(Report.agency_id.is_(None))
                                  .group_by(Report.agency_name)).all())
    taken = set(session.scalars(select(Agency.id)))
    result = []
    for name in sorted(seen):
        listing = max(seen[name], key=lambda url: (seen[name][url], url))
        parent = _site_agency(session, listing)
        if parent is None:  # the listing page left the registry since
            continue
        level, word = guess_level(name)
        agency_id = _new_id(parent, name, taken)
        result.append(Suggestion(agency_id, name, level, parent.id, listing, "suggested", word,
                                 stored.get(name, 0), sum(seen[name].values())))
    return result


def as_csv(rows: list[Suggestion]) -> str:
    return rows_csv(Suggestion, rows)


def rows_csv(kind: type, rows: list) -> str:
    """Proposed registry rows (dataclasses) as CSV, a header of their fields: what `sites import` reads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f.name for f in fields(kind)])
    writer.writerows(astuple(row) for row in rows)
    return out.getvalue()


def _site_agency(session: Session, listing_url: str) -> Agency | None:
    """The agency whose site the listing page is: of those registered on it, the highest level."""
    agencies = session.scalars(select(Agency).join(ListingPage).where(ListingPage.url == listing_url))
    return min(agencies, key=lambda a: (LEVELS.index(a.level), a.id), default=None)


def _new_id(parent: Agency, name: str, taken: set[str]) -> str:
    return registry_id(parent.id, parent.name, name, taken)


def registry_id(parent_id: str, parent_name: str, name: str, taken: set[str]) -> str:
    """parent-id + the initials of the name without the parent's place: 托里县水利局 under xj-tuoli-county →
    xj-tuoli-county-slj; a number is added when that is taken (and the id is added to `taken`)."""
    place = place_name(parent_name)
    own = name[len(place):] if name.startswith(place) and len(name) > len(place) else name
    initials = "".join(lazy_pinyin(place_name(own), style=Style.FIRST_LETTER)).lower()
    stem = f"{parent_id}-{re.sub(r'[^a-z0-9]', '', initials) or 'agency'}"
    candidate, number = stem, 2
    while candidate in taken:
        candidate, number = f"{stem}{number}", number + 1
    taken.add(candidate)
    return candidate
