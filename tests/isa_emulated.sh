#!/usr/bin/env bash
# Runs the ember command (built without -march) under qemu-x86_64 as CPUs
# with fewer instruction sets than this one: as a Nehalem (SSE4.2, no AVX)
# it must choose the generic tier, as a Haswell (AVX2 + FMA + F16C; qemu
# implements no AVX-512) the avx2 tier — an instruction of a higher tier
# executed there is an illegal instruction, so this fails if one leaks into
# shared code or a lower tier. Each run's greedy text must equal what the
# same binary prints natively capped to that tier.
# Usage: isa_emulated.sh QEMU EMBER MODEL
set -euo pipefail
qemu=$1 ember=$2 model=$3
for cpu_and_tier in Nehalem:generic Haswell:avx2; do
    cpu=${cpu_and_tier%%:*} tier=${cpu_and_tier##*:}
    info=$("$qemu" -cpu "$cpu" "$ember" info -m "$model" 2>/dev/null | grep '^isa: ' || true)
    echo "under qemu -cpu $cpu: $info"
    [ "$info" = "isa: $tier" ] || { echo "expected isa: $tier"; exit 1; }
    emulated=$("$qemu" -cpu "$cpu" "$ember" run -m "$model" -p "And the" -n 24 --temp 0 2>/dev/null)
    native=$(EMBER_MAX_ISA=$tier "$ember" run -m "$model" -p "And the" -n 24 --temp 0)
    echo "  generated: $emulated"
    [ "$emulated" = "$native" ] || { echo "  natively capped to $tier: $native"; exit 1; }
done
echo "ok"
