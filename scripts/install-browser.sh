#!/usr/bin/env bash
# Installs Debian's chromium for the HTML audit's browser test. Idempotent: does nothing when it is already there.
# Needs root (CI runs as root) and network to the Debian mirrors.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-browser.sh: chromium is missing and installing it needs root (apt-get install chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
# A small CJK font so screenshots of the Chinese page are readable; the DOM checks do not need it.
apt-get install -y --no-install-recommends chromium fonts-wqy-microhei
