"""The unit of crawl work: a host and every enabled registered site whose listing pages it serves (county sites share
one server, so one crawl at a time per host is the politeness bound)."""

from __future__ import annotations

from urllib.parse import urlsplit

from storage.registry import AgencyStatus


def host_of(url: str) -> str:
    """host[:port], lower case: what one server answers for."""
    return urlsplit(url).netloc.lower()


def sites_by_host(agencies: list[AgencyStatus]) -> dict[str, list[str]]:
    """Enabled sites with a listing page, grouped by the host of their first listing page (a site whose pages span
    hosts is crawled with the first; its other hosts may then see two crawls, one of them this one)."""
    grouped: dict[str, list[str]] = {}
    for agency in agencies:
        if agency.enabled and agency.listing_urls:
            grouped.setdefault(host_of(agency.listing_urls[0]), []).append(agency.id)
    return dict(sorted(grouped.items()))
