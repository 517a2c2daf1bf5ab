"""Shared pytest fixtures."""

from tests.storage_fixtures import *  # noqa: F403
