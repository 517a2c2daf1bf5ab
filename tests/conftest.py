"""Shared pytest fixtures."""

import os

from tests.browser import chromium  # noqa: F401 (a fixture: headless Chromium for the HTML pages' tests)
from tests.storage_fixtures import *  # noqa: F403

# Fixture servers answer on 127.0.0.x; set at import so crawls in subprocesses inherit it.
os.environ["NIANBAO_ALLOW_PRIVATE_ADDRESSES"] = "1"
