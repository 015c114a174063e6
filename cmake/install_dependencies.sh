#!/usr/bin/env bash
# Installs what building and testing ember needs on Debian/Ubuntu: a C++17
# compiler, CMake, git (for the FetchContent test) and the header-only
# dependencies Eigen, xsimd and doctest; qemu-user runs the tests that check
# a portable build on a CPU without AVX (tests/isa_emulated.sh).
set -euo pipefail
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends \
    g++ cmake make git ca-certificates libeigen3-dev libxsimd-dev doctest-dev qemu-user >/dev/null
