#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit, integration and the
# format check); then builds again with AddressSanitizer and UndefinedBehaviorSanitizer in a
# folder of its own and runs the suite once more; then runs each libFuzzer target for
# $FUZZ_SECONDS (30) seconds. CI runs exactly this.
#
#   scripts/test.sh [--no-sanitize] [ctest arguments...]   (--no-sanitize: the first run only)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SANITIZE=1
if [ "${1:-}" = --no-sanitize ]; then
    SANITIZE=0
    shift
fi

install_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
install_node_packages
build
say "Running the tests"
(cd "$BUILD_DIR" && ctest --output-on-failure --timeout 900 "$@")

[ "$SANITIZE" = 1 ] || exit 0

SANITIZE_DIR=$BUILD_DIR-sanitize
REPORTS=$SANITIZE_DIR/sanitizer-reports
say "Building with AddressSanitizer and UndefinedBehaviorSanitizer in $SANITIZE_DIR"
cmake -S "$REPO_ROOT" -B "$SANITIZE_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBUILD_TESTING=ON -DSTUDIOPROXY_SANITIZE=ON >/dev/null
cmake --build "$SANITIZE_DIR"
rm -rf "$REPORTS"
mkdir -p "$REPORTS"
say "Running the tests under the sanitizers"
(
    cd "$SANITIZE_DIR"
    export ASAN_OPTIONS="log_path=$REPORTS/asan:detect_leaks=1"
    export UBSAN_OPTIONS="log_path=$REPORTS/ubsan:print_stacktrace=1:halt_on_error=1"
    # The benchmark's quick mode ran in the first suite; under the sanitizers its figures
    # would describe the instrumentation. Nobody installs a sanitizer build: its package
    # would depend on the sanitizer runtimes, so the package tests ran in the first suite only.
    ctest --output-on-failure --timeout 900 --label-exclude 'format|bench|package' "$@"
)
# A report from a process whose exit no test checked (a proxy stopped in cleanup) still fails.
if compgen -G "$REPORTS/*" >/dev/null; then
    printf 'sanitizer reports:\n' >&2
    cat "$REPORTS"/* >&2
    exit 1
fi
say "No sanitizer reports"

"$REPO_ROOT/scripts/fuzz.sh" "${FUZZ_SECONDS:-30}"
