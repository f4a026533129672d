#!/usr/bin/env bash
# Data-parallel training on this machine: images/s of `stylegan train` at 32² and 64²
# (minibatch 16, the bundled faces64 model's architecture) for 1 process × 2 threads and for
# `mpirun -np 2` × 1 thread, with the allreduce time and bytes per step the run itself
# measured (stats.jsonl). A benchmark: it prints figures, it asserts nothing.
#
#   bash Benchmarks/mpi-scaling.sh [binary (.build/release/stylegan)] [data (../shared/data/faces64)]
#
# Each run trains 0.64 kimg (40 steps) from scratch on the folder's first 2,000 images
# and reports the mean of its last three ticks (the first tick warms up).
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/release/stylegan}
data=${2:-../shared/data/faces64}
command -v mpirun >/dev/null || { echo "mpi-scaling: mpirun not found (bash tools/install-deps.sh)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $("$binary" info | grep '^blas:' | cut -d'(' -f1)"
printf '%-6s %-24s %8s %14s %14s\n' res layout img/s allreduce_ms allreduce_MB
for res in 32 64; do
    for layout in "1 2" "2 1"; do
        read -r processes threads <<<"$layout"
        run="$work/r${res}p${processes}"
        args=(train --data "$data" --limit 2000 --outdir "$run" --resolution "$res" --start-resolution "$res"
              --fmap-base 2048 --fmap-max 128 --latent-size 256
              --minibatch 16 --total-kimg 0.64 --tick-kimg 0.16 --snapshot-ticks 1000 --threads "$threads" --seed 1)
        launcher=()
        [ "$processes" -eq 1 ] || launcher=(mpirun --oversubscribe --allow-run-as-root --bind-to none -np "$processes")
        if ! "${launcher[@]}" "$binary" "${args[@]}" >"$work/out" 2>&1; then
            tail -5 "$work/out" >&2
            exit 1
        fi
        python3 - "$run/stats.jsonl" "$res" "$processes" "$threads" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])][1:]
mean = lambda key: sum(r.get(key, 0) for r in rows) / len(rows)
p, t = int(sys.argv[3]), int(sys.argv[4])
layout = f"{p} process{'es' if p > 1 else ''} × {t} thread{'s' if t > 1 else ''}"
print(f"{sys.argv[2]:<6} {layout:<24} {mean('img_per_s'):8.2f} {mean('allreduce_ms_per_step'):14.1f} {mean('allreduce_mb_per_step'):14.2f}")
EOF
    done
done
