#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs the pinned Python test tools
# (moto's server for DynamoDB and Secrets Manager, cfn-lint for the SAM template), lints the
# template, installs Debian's Chromium for the chat page's browser test when it is missing, then
# runs the whole Rust test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> installing pinned test tools (tests/requirements.txt)"
python3 -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt

echo "==> headless Chromium for the chat page's browser test"
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium chromium-driver
fi
# With the browser installed, the chat page test must run (it skips only on machines without).
export DMBOT_REQUIRE_BROWSER=1

echo "==> cfn-lint template.yaml"
cfn-lint template.yaml

echo "==> cargo test"
# A one-off build gains nothing from incremental caches, which would add hundreds of MB to the
# target directory; set CARGO_INCREMENTAL=1 to keep them while iterating.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
cargo test --workspace --all-features
