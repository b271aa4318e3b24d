#!/bin/sh
# Install headless Chromium and its WebDriver for the browser tests (tests/ui/).
# Idempotent: does nothing when both are already on PATH. Needs root for apt-get.
set -eu
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install_browser.sh: chromium/chromedriver missing and not root; browser tests will be skipped" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver
