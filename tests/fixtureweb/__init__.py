"""A local web of simulated county sites for crawl tests and benchmarks: specs → pages → a proxy server on 127.0.0.1."""

from tests.fixtureweb.build import build_web, report_urls
from tests.fixtureweb.generate import generate_sites
from tests.fixtureweb.sample import sample_sites
from tests.fixtureweb.server import FixtureWeb
from tests.fixtureweb.spec import registry_csv

__all__ = ["FixtureWeb", "build_web", "generate_sites", "registry_csv", "report_urls", "sample_sites"]
