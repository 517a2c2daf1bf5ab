#!/usr/bin/env bash
# The whole test suite, as CI runs it: set up if needed, lint, then pytest (SQLite and the local PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install-browser.sh || echo "test.sh: no Chromium; the HTML audit browser test will fail" >&2
.venv/bin/ruff check .
# Two pytest processes (NIANBAO_TEST_PROCESSES): each has its own PostgreSQL database and its own fixture servers.
.venv/bin/python -m pytest -q -n "${NIANBAO_TEST_PROCESSES:-2}" "$@"
