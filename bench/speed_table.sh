#!/bin/sh
# The speed table of bench/README.md: for each (shape, type) cell, writes the
# random-weight model if it is missing, then runs `ember bench` on it under
# /usr/bin/time -v (peak RSS) `REPEATS` times in each of MODES (default
# "mmap no-mmap": weights read from the mapped file, then copied into memory
# with --no-mmap), the modes taking turns. One line per run: the cell, the
# mode, the bench's JSON and the peak RSS; plus the load average, since the
# machine is shared and numbers are only comparable within a run.
#
#   [MODES="mmap no-mmap"] bench/speed_table.sh BUILD_DIR MODEL_DIR [THREADS=2] [REPEATS=3] [CELLS...]
#   e.g. bench/speed_table.sh build /tmp/bench 2 3 "qwen2.5-0.5b q8_0"
set -eu
build=$1
models=$2
threads=${3:-2}
repeats=${4:-3}
modes=${MODES:-mmap no-mmap}
shift 2
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
if [ $# -eq 0 ]; then
    set -- "qwen2.5-0.5b q8_0" "qwen2.5-0.5b q4_k_m" "qwen2.5-0.5b q4_0" "qwen2.5-0.5b f16" \
           "qwen3-0.6b q8_0" "qwen3-0.6b q4_k_m" "llama3.2-1b q8_0" "llama3.2-1b q4_k_m" "llama3.2-1b f16"
fi
mkdir -p "$models"
log=$(mktemp)
for cell in "$@"; do
    shape=${cell% *}
    type=${cell#* }
    file="$models/$shape-$type.gguf"
    [ -f "$file" ] || "$build/bench/make_model" "$shape" "$type" "$file" >/dev/null
    run=1
    while [ "$run" -le "$repeats" ]; do
        for mode in $modes; do
            flag=
            [ "$mode" = no-mmap ] && flag=--no-mmap
            /usr/bin/time -v "$build/ember" bench -m "$file" -t "$threads" -p 128 -n 32 $flag >"$log.out" 2>"$log.time"
            rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log.time")
            echo "$shape $type $mode run $run load $(cut -d' ' -f1 /proc/loadavg) rss_kb $rss_kb $(tail -n 1 "$log.out")"
        done
        run=$((run + 1))
    done
done
rm -f "$log" "$log.out" "$log.time"
