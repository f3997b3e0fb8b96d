#!/usr/bin/env bash
# Measures studio-proxy against websockify and the bare socket, in one run on this machine:
# installs what is missing, builds (the proxy and bench/benchtool), raises the open-file
# limit, and runs bench/run.mjs. Prints one table; the raw figures go to --out.
#
#   scripts/bench.sh [--quick] [--runs N] [--proxy PATH] [--out FILE] [--only FIGURES]
#
# --proxy measures another build of studio-proxy (default: build/app/studio-proxy, or
# $STUDIO_PROXY_BIN); only benchtool is then taken from this tree's build.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_packages "${PACKAGES[@]}" "${BENCH_PACKAGES[@]}"
[ -d "$REPO_ROOT/tests/integration/node_modules" ] || install_node_packages
build

# 10,000 sessions hold 20,000 descriptors in the relay; lifting the hard limit needs root.
ulimit -Hn 65536 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"

say "Benchmarking (load: $(cut -d' ' -f1-3 /proc/loadavg))"
exec node "$REPO_ROOT/bench/run.mjs" --benchtool "$BUILD_DIR/bench/benchtool" "$@"
