"""What discovery costs: pages fetched per agency found, on the fixture portals (TRS menus in lists, Hanweb menus
in tables, a site cluster's script-built menu, a county platform with department and township sub-platforms).

Run: .venv/bin/python bench/discovery_cost.py. Prints, per portal, the agencies found against those expected, the
pages fetched (robots.txt included) and pages per agency found, then the totals. Asserts nothing (tests assert).
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # a script run from anywhere still imports the project and its fixture web

from tests.fixtureweb.portals import portal_web  # noqa: E402


def main() -> None:
    web, portals = portal_web()
    total_pages = total_found = 0
    print("portal                  found/expected  pages fetched  pages per agency found")
    with web.prerender():
        environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and "NIANBAO_" not in k}
        environment |= {"http_proxy": web.proxy_url, "NIANBAO_DOWNLOAD_DELAY": "0", "NIANBAO_AUTOTHROTTLE": "0"}
        for portal in portals:
            before = sum(count for url, count in web.requests.items() if portal.host in url)
            done = subprocess.run([sys.executable, "-m", "nianbao", "sites", "discover", portal.url, "--db",
                                   "sqlite://"], cwd=ROOT, env=environment, capture_output=True, text=True, check=True)
            pages = sum(count for url, count in web.requests.items() if portal.host in url) - before
            found = len(list(csv.DictReader(io.StringIO(done.stdout))))
            total_pages, total_found = total_pages + pages, total_found + found
            print(f"{portal.host:<24}{found:>5}/{len(portal.expected):<10}{pages:>13}  {pages / max(found, 1):>21.1f}")
    print(f"{'all':<24}{total_found:>16}{total_pages:>13}  {total_pages / max(total_found, 1):>21.1f}")


if __name__ == "__main__":
    main()
