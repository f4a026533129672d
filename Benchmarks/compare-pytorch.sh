#!/usr/bin/env bash
# This project against the PyTorch reference (../shared/bench), on this machine, in one run:
# whole-process `stylegan generate` vs `gen_torch_cli.py` (official-config random weights,
# ψ 0.7, one PNG per seed) at 64² and 256² (16 seeds) and 1024² (4 seeds), timed
# alternately, medians; and one training iteration (D step with R1 + G step, batch 16,
# fmap_max 256) at 32² and 64² from `stylegan-bench --suite training` vs `bench_torch.py
# train`. Prints the CPU, the BLAS kernel and each ratio. A benchmark, never a test: quiet
# the machine first (training runs in the background skew every figure).
#
#   bash Benchmarks/compare-pytorch.sh [REPEATS] [THREADS]     (defaults 3, one per core)
#
# Builds the PyTorch venv (.venv-torch, git-ignored) when missing, and caches the
# official-config models in .bench-cache/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
threads=${2:-$(nproc)}
shared=${STYLEGAN_SHARED:-../shared}
venv=$PWD/.venv-torch
[ -x "$venv/bin/python" ] || bash "$shared/bench/setup_venv.sh" "$venv"
swift build -c release --product stylegan >/dev/null
swift build -c release --product stylegan-bench >/dev/null
bin=.build/release/stylegan
cache=.bench-cache
mkdir -p "$cache"
for r in 64 256 1024; do
    [ -f "$cache/official$r.safetensors" ] || .build/release/stylegan-bench make-model "$r" "$cache/official$r.safetensors"
done

"$bin" info --threads "$threads" | grep -E '^(cpu|blas|threads):'
echo "torch: $("$venv/bin/python" -c 'import torch; print(torch.__version__, torch.backends.cpu.get_cpu_capability())') with $threads threads"
export STYLEGAN_THREADS=$threads OMP_NUM_THREADS=$threads

# seconds a command takes (its output discarded; failure stops the script)
elapsed() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.3f}')"
}
median() { python3 -c "import statistics, sys; print(f'{statistics.median(map(float, sys.argv[1:])):.2f}')" "$@"; }
ratio() { python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(f'{b / a:.2f}x ' + ('faster' if b >= a else 'slower'))" "$1" "$2"; }

out=$(mktemp -d)
echo
echo "| work | stylegan s | PyTorch s | stylegan vs PyTorch |"
echo "| --- | --- | --- | --- |"
for spec in 64:0-15 256:0-15 1024:0-3; do
    r=${spec%%:*}; seeds=${spec##*:}
    ours=(); theirs=()
    for _ in $(seq "$repeats"); do
        ours+=("$(elapsed "$bin" generate --weights "$cache/official$r.safetensors" --seeds "$seeds" --psi 0.7 --outdir "$out/ours")")
        theirs+=("$(elapsed "$venv/bin/python" "$shared/bench/gen_torch_cli.py" --res "$r" --seeds "$seeds" --threads "$threads" --outdir "$out/torch")")
    done
    a=$(median "${ours[@]}"); b=$(median "${theirs[@]}")
    n=$(( ${seeds##*-} + 1 ))
    echo "| generate $n seeds at ${r}², whole process | $a | $b | $(ratio "$a" "$b") |"
done

ours_train=$(.build/release/stylegan-bench --suite training --threads "$threads" | awk '/^(32|64)x/ { print $1, $4 }')
for r in 32 64; do
    a=$(echo "$ours_train" | awk -v r="${r}x${r}" '$1 == r { print $2 }')
    b=$("$venv/bin/python" "$shared/bench/bench_torch.py" train --res "$r" --warmup 1 --runs "$repeats" --threads "$threads" |
        python3 -c "import json, sys; rows = [json.loads(l) for l in sys.stdin if l.startswith('{')]; print(f\"{rows[-1]['median_s']:.2f}\")")
    echo "| training iteration at ${r}², batch 16 | $a | $b | $(ratio "$a" "$b") |"
done
rm -rf "$out"
