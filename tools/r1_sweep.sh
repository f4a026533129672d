#!/usr/bin/env bash
# Branches a training run from one snapshot with different R1 settings and scores each
# branch with SWD: the evidence behind the γ / lazy-R1 choice in weights/TRAINING.md.
#
#   tools/r1_sweep.sh SNAPSHOT DATA_DIR OUT_DIR KIMG "GAMMA:INTERVAL ..." [SWD_IMAGES]
#
# For each GAMMA:INTERVAL pair, OUT_DIR/g{GAMMA}-i{INTERVAL}/ resumes SNAPSHOT (a .safetensors
# or .safetensors.gz) with --gamma and --r1-interval changed and trains KIMG more kimg; a
# branch whose final snapshot exists is not trained again. Then every branch's final EMA
# generator is scored (SWD on SWD_IMAGES images, default 4096) and a markdown table is
# printed with the training speed of each setting. STYLEGAN_BIN picks the binary.
set -euo pipefail
snapshot=${1:?snapshot}; data=${2:?data directory}; out=${3:?output directory}
kimg=${4:?kimg per branch}; settings=${5:?"GAMMA:INTERVAL pairs"}; swd_images=${6:-4096}
bin=${STYLEGAN_BIN:-"$(cd "$(dirname "$0")/.." && pwd)/.build/release/stylegan"}
mkdir -p "$out"

start_kimg=$(basename "$snapshot" | sed -E 's/network-snapshot-0*([0-9.]*[0-9])\.safetensors.*/\1/')
end_kimg=$(python3 -c "print(int(float('$start_kimg') + $kimg))")
# The newest snapshot of a branch and its kimg (names carry the kimg: 000276.016 or 000276).
latest() {
    ls "$1"/network-snapshot-*.safetensors 2>/dev/null | python3 -c "import sys, re
paths = sys.stdin.read().split()
kimg = lambda p: float(re.search(r'snapshot-([0-9.]+?)\.safetensors$', p).group(1))
if paths: best = max(paths, key=kimg); print(best, kimg(best))"
}

for s in $settings; do
    gamma=${s%%:*}; interval=${s##*:}
    dir="$out/g$gamma-i$interval"
    read -r _ reached <<< "$(latest "$dir")" || true
    python3 -c "import sys; sys.exit(0 if float('${reached:-0}') >= $end_kimg else 1)" && continue
    mkdir -p "$dir"
    base=$(basename "$snapshot" .gz)
    if [ ! -f "$dir/$base" ]; then
        case "$snapshot" in *.gz) gunzip -c "$snapshot" > "$dir/$base" ;; *) cp "$snapshot" "$dir/$base" ;; esac
    fi
    echo "branch gamma $gamma interval $interval -> $dir" >&2
    "$bin" train --resume "$dir" --data "$data" --gamma "$gamma" --r1-interval "$interval" \
        --total-kimg "$end_kimg" --snapshot-ticks 1 --swd-ticks 0 > "$dir/run.out" 2>&1
done

echo "SWD x1e3 after $kimg kimg from $(basename "$snapshot"), $swd_images images per set against $data:"
echo "| γ | R1 interval | 64 px | 32 px | 16 px | average | s per kimg |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for s in $settings; do
    gamma=${s%%:*}; interval=${s##*:}
    dir="$out/g$gamma-i$interval"
    speed=$(python3 -c "import json
r = [json.loads(l) for l in open('$dir/stats.jsonl')]
r = [x for x in r if x['kimg'] > $start_kimg + 0.5]
print(round(sum(1000 / x['img_per_s'] for x in r) / len(r)))")
    read -r final _ <<< "$(latest "$dir")"
    "$bin" metrics swd --weights "$final" --data "$data" --num "$swd_images" |
        awk -v g="$gamma" -v i="$interval" -v sp="$speed" -F': ' '/^SWDx1e3_/ { v[$1] = $2 } END {
            printf "| %s | %s | %s | %s | %s | **%s** | %s |\n", g, i, v["SWDx1e3_64"], v["SWDx1e3_32"], v["SWDx1e3_16"], v["SWDx1e3_avg"], sp }'
done
