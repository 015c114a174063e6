#!/usr/bin/env bash
# ember's test command (the README's, and the only thing CI runs):
#   1. the normal build, 2. a -fno-exceptions build, 3. an ASan + UBSan build
# — each builds everything and runs the doctest suite through ctest — then
# 4. ThreadSanitizer over the tests that run threads together (the thread
# pool; several contexts on one model), 5. the consumer projects
# (add_subdirectory, find_package, FetchContent).
# Reference data is taken from ../shared (or $EMBER_TEST_DATA); tests that need
# it skip loudly when it is absent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${EMBER_JOBS:-$(nproc)}
out=$root/build-tests

run_build() {
    local name=$1
    shift
    echo "=== $name build ==="
    cmake -S "$root" -B "$out/$name" "$@" >/dev/null
    cmake --build "$out/$name" -j"$jobs"
    ctest --test-dir "$out/$name" --output-on-failure -j"$jobs" --timeout 1800
}

run_build normal -DCMAKE_BUILD_TYPE=Release
# The benchmarks are built (and so compile-checked) once, in the normal build.
run_build no-exceptions -DCMAKE_BUILD_TYPE=Release -DEMBER_NO_EXCEPTIONS=ON -DEMBER_BUILD_BENCH=OFF
# -O1 keeps sanitized model runs fast enough; -g gives readable reports
run_build sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DEMBER_SANITIZE=ON \
    -DEMBER_BUILD_BENCH=OFF

echo "=== thread-sanitize build ==="
threaded_tests="test_context test_kernels_thread_pool"
cmake -S "$root" -B "$out/thread-sanitize" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DEMBER_SANITIZE_THREAD=ON -DEMBER_BUILD_BENCH=OFF >/dev/null
cmake --build "$out/thread-sanitize" -j"$jobs" --target $threaded_tests
ctest --test-dir "$out/thread-sanitize" --output-on-failure -j"$jobs" --timeout 1800 -R "^(${threaded_tests// /|})\$"

echo "=== consumer projects ==="
bash "$root/tests/consumers/check.sh" "$out/consumers"
echo "all ember tests passed"
