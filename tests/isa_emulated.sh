#!/usr/bin/env bash
# Runs the ember command (built without -march) under qemu-x86_64 as a
# Nehalem CPU (no AVX): `ember info` must name the generic tier, and greedy
# generation must print what the same binary prints natively capped to the
# generic tier. Usage: isa_emulated.sh QEMU EMBER MODEL
set -euo pipefail
qemu=$1 ember=$2 model=$3
info=$("$qemu" -cpu Nehalem "$ember" info -m "$model" | grep '^isa: ')
echo "under qemu -cpu Nehalem: $info"
[ "$info" = "isa: generic" ] || { echo "expected isa: generic"; exit 1; }
emulated=$("$qemu" -cpu Nehalem "$ember" run -m "$model" -p "And the" -n 24 --temp 0)
native=$(EMBER_MAX_ISA=generic "$ember" run -m "$model" -p "And the" -n 24 --temp 0)
echo "emulated: $emulated"
[ "$emulated" = "$native" ] || { echo "native generic tier printed: $native"; exit 1; }
echo "ok"
