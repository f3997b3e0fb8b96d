#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang in build-fuzz/ and runs each one for a
# bounded time on a copy of its corpus (runs never grow the repository), from an empty
# folder. Fails when any target crashes, leaks, hangs or runs out of memory; what it found is
# kept in build-fuzz/artifacts/<target>/ and its output in build-fuzz/fuzz-<target>.log.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 60)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SECONDS_PER_TARGET=${1:-60}
if ! [[ $SECONDS_PER_TARGET =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [SECONDS_PER_TARGET]" >&2
    exit 2
fi

# Debian 12's clang; libclang-rt-14-dev holds libclang_rt.fuzzer-x86_64.a.
LLVM_VERSION=14
FUZZ_DIR=$REPO_ROOT/build-fuzz
FUZZ_SOURCE=$REPO_ROOT/tests/fuzz
TARGETS=(configfile requesthead)
FUZZ_PACKAGES=(
    cmake ninja-build qt6-base-dev libssl-dev
    "clang-$LLVM_VERSION" "libclang-rt-$LLVM_VERSION-dev"
)


build_fuzz_targets() {
    say "Building the fuzz targets in $FUZZ_DIR"
    cmake -S "$REPO_ROOT" -B "$FUZZ_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_COMPILER="clang++-$LLVM_VERSION" -DSTUDIOPROXY_FUZZ=ON \
        -DBUILD_TESTING=OFF >/dev/null
    cmake --build "$FUZZ_DIR" --target "${TARGETS[@]/#/fuzz_}"
}

# The value after "key: " in the last libFuzzer status line that has it.
last_status() {
    grep -o "$1: [0-9]*" "$2" | tail -n 1 | awk '{ print $2 }'
}

final_stat() {
    sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

# Runs one target; prints its summary line and returns libFuzzer's exit status.
run_target() {
    local name=$1
    local corpus=$WORK/corpus-$name
    local folder=$WORK/run-$name
    local artifacts=$FUZZ_DIR/artifacts/$name
    local log=$FUZZ_DIR/fuzz-$name.log
    local options=(-max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048
        -print_final_stats=1 -artifact_prefix="$artifacts/")
    [ -f "$FUZZ_SOURCE/$name.dict" ] && options+=(-dict="$FUZZ_SOURCE/$name.dict")

    # Reproducers of bugs found before run first: a fixed bug stays fixed.
    mkdir -p "$corpus" "$folder" "$WORK/tmp-$name"
    cp -R "$FUZZ_SOURCE/corpus/$name/." "$corpus/"
    if [ -d "$FUZZ_SOURCE/crashes/$name" ]; then
        cp -R "$FUZZ_SOURCE/crashes/$name/." "$corpus/"
    fi
    rm -rf "$artifacts"
    mkdir -p "$artifacts"

    local status=0
    (cd "$folder" && TMPDIR=$WORK/tmp-$name UBSAN_OPTIONS=print_stacktrace=1 \
        "$FUZZ_DIR/tests/fuzz/fuzz_$name" "${options[@]}" "$corpus") >"$log" 2>&1 || status=$?

    local executions
    executions=$(final_stat number_of_executed_units "$log")
    local summary
    summary=$(printf '%s: %s executions (%s/s), cov %s, features %s, corpus %s units' \
        "$name" "${executions:-?}" "$(final_stat average_exec_per_sec "$log")" \
        "$(last_status cov "$log")" "$(last_status ft "$log")" \
        "$(find "$corpus" -type f | wc -l)")
    if [ "$status" -eq 0 ]; then
        echo "$summary"
    else
        echo "$summary: FAILED (exit $status), see $log"
        grep -E 'invariant failed|ERROR: |runtime error|Test unit written' "$log" \
            | head -n 5 | sed 's/^/    /'
    fi
    return "$status"
}

install_packages "${FUZZ_PACKAGES[@]}"
build_fuzz_targets

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

say "Fuzzing each target for $SECONDS_PER_TARGET s"
failed=0
for name in "${TARGETS[@]}"; do
    run_target "$name" || failed=1
done
exit "$failed"
