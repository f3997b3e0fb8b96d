#!/usr/bin/env bash
# Fails, listing the files, when a C++ source differs from what .clang-format asks for.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.h')
bad=()
for file in "${files[@]}"; do
    clang-format --style=file "$file" | cmp -s - "$file" || bad+=("$file")
done
if [ ${#bad[@]} -gt 0 ]; then
    printf 'not formatted by .clang-format (run clang-format -i on them):\n' >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
fi
printf '%d files formatted as .clang-format asks\n' "${#files[@]}"
