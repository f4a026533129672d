#!/usr/bin/env bash
# PSNR of `stylegan project` on photos from a folder (default: 16 training photos of
# ../shared/data/faces64, every 1000th file) and on images the model generated itself
# (seeds 0-3, ψ 0.7), in W and W+ space; prints one row per image and the means.
#
#   Benchmarks/projection-psnr.sh [WEIGHTS] [PHOTO_DIR] [COUNT] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
weights=${1:-weights/faces64.safetensors}
photos=${2:-../shared/data/faces64}
count=${3:-16}
steps=${4:-1000}
bin=.build/release/stylegan
[ -x "$bin" ] || swift build -c release --product stylegan >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" generate --weights "$weights" --seeds 0-3 --psi 0.7 --outdir "$work/generated" >/dev/null 2>&1
targets=$(ls "$work"/generated/*.png)
targets+=$'\n'$(ls "$photos" | grep -Ei '\.(png|jpe?g)$' | sort | awk -v n="$count" 'NR % 1000 == 1 && c < n { print; c++ }' | sed "s|^|$photos/|")

printf '%-28s %8s %8s\n' image "W dB" "W+ dB"
results="$work/results"
while read -r target; do
    [ -n "$target" ] || continue
    kind=photo; case "$target" in "$work"/*) kind=generated ;; esac
    row=$(printf '%-28s' "$(basename "$target")")
    for space in w wplus; do
        psnr=$("$bin" project --weights "$weights" --target "$target" --steps "$steps" --space "$space" --outdir "$work/p" 2>/dev/null \
            | sed -nE 's/.*PSNR ([0-9.]+) dB.*/\1/p')
        row+=$(printf ' %8s' "$psnr")
        echo "$kind $space $psnr" >> "$results"
    done
    echo "$row"
done <<< "$targets"
awk '{ s[$1 " " $2] += $3; n[$1 " " $2]++ }
     END { split("generated photo", kinds, " ")
           for (i = 1; i <= 2; i++) { k = kinds[i]
               printf "%-28s %8.2f %8.2f\n", "mean, " k " (" n[k " w"] ")", s[k " w"] / n[k " w"], s[k " wplus"] / n[k " wplus"] } }' "$results"
