#!/usr/bin/env bash
# Build the consumer program three ways against this checkout; none of them
# may build ember's tests or examples (those are for the top-level project).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$root/build-tests/consumers}
rm -rf "$work" && mkdir -p "$work"

cmake -S "$root" -B "$work/ember" -DCMAKE_INSTALL_PREFIX="$work/prefix" >/dev/null
cmake --install "$work/ember" >/dev/null

for way in add_subdirectory find_package fetch_content; do
    cmake -S "$root/tests/consumers/$way" -B "$work/$way" -DEMBER_ROOT="$root" \
        -DCMAKE_PREFIX_PATH="$work/prefix" --no-warn-unused-cli >/dev/null
    cmake --build "$work/$way" -j2 >/dev/null
    "$work/$way/consumer"
    # FetchContent's source copy holds tests/test_gguf.cpp: look for the program.
    if find "$work/$way" -name 'test_gguf' -type f -executable | grep -q .; then
        echo "consumer ($way) built ember's tests: they must be off for consumers" >&2
        exit 1
    fi
    echo "consumer via $way: ok"
done
