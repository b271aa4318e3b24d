#!/bin/sh
# Install headless Chromium and its WebDriver for the browser tests (tests/ui/).
# Idempotent: does nothing when both are already on PATH. Needs root for apt-get.
set -eu
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
. "$(dirname "$0")/../apt_install.sh"
apt_install "install_browser.sh: chromium/chromedriver missing and not root; browser tests will be skipped" \
    chromium chromium-driver
