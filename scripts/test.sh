#!/usr/bin/env bash
# Every test: set everything up, then the Swift test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build --build-tests
swift test --skip-build --disable-swift-testing
