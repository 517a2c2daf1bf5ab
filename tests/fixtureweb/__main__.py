"""Serve the sample (or a generated) web and write its registry: python -m tests.fixtureweb [--generate N] REGISTRY."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tests.fixtureweb import build_web, generate_sites, registry_csv, sample_sites


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("registry", type=Path, help="where to write the registry CSV")
    parser.add_argument("--generate", type=int, metavar="N", help="N generated counties instead of the sample")
    args = parser.parse_args()
    sites = generate_sites(args.generate) if args.generate else sample_sites()
    args.registry.write_text(registry_csv(sites), encoding="utf-8")
    with build_web(sites).prerender() as web:
        print(
            f"registry: {args.registry}\nexport http_proxy={web.proxy_url}\nthen: scrapy crawl reports "
            f"-s NIANBAO_REGISTRY={args.registry} -O items.jsonl\n(Ctrl-C to stop)",
            flush=True,
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
