#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit, integration and the
# format check). CI runs exactly this.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_packages
install_node_packages
build
say "Running the tests"
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 900 "$@"
