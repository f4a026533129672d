#!/usr/bin/env bash
# Turns a training run into the bundled model: exports the EMA generator of the latest
# (or a given) snapshot as float16 to weights/faces64.safetensors, renders the uncurated
# sample grid (seeds 0-63, psi 0.7) and a two-seed interpolation strip, and computes SWD
# against the training data for the last few snapshots (the figures the model card needs).
#
#   [SWD_EVERY=k] [SWD_COUNT=n] [SWD_SEEDS="1 2"] tools/bundle_model.sh RUN_DIR DATA_DIR [SNAPSHOT] [SWD_IMAGES]
#
# SWD_SEEDS scores each snapshot once per seed (cells read "seed 1 / seed 2"): the spread
# between seeds is the figure's own noise. SWD_COUNT snapshots (default 4) are scored.
#
# Writes weights/faces64.safetensors, weights/samples-psi0.7.png, weights/interpolation.png
# and prints the SWD table (markdown, with the real-vs-real floor) and the run's wall time.
# Needs a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:?run directory}
data=${2:?training data directory}
snapshot=${3:-$(ls "$run"/network-snapshot-*.safetensors | sort | tail -1)}
swd_images=${4:-4096}
bin=${STYLEGAN_BIN:-.build/release/stylegan}   # or a binary built elsewhere
[ -x "$bin" ] || swift build -c release --product stylegan

kimg=$(basename "$snapshot" .safetensors | sed 's/network-snapshot-0*//')
"$bin" export "$snapshot" weights/faces64.safetensors --fp16 \
    --meta "trained_kimg=${kimg:-0}" --meta "training_data=UTKFace aligned & cropped, 64x64 (non-commercial research use only)"
"$bin" generate --weights weights/faces64.safetensors --seeds 0-63 --psi 0.7 --grid --columns 8 --outdir /tmp/bundle-grid
cp /tmp/bundle-grid/grid.png weights/samples-psi0.7.png
"$bin" interpolate --weights weights/faces64.safetensors --keys 1,2 --frames-per-key 9 --strip --outdir /tmp/bundle-walk
cp /tmp/bundle-walk/strip.png weights/interpolation.png
# SWD table (markdown) for the last four snapshots, and the real-vs-real floor.
row() {   # label, then `metrics swd` outputs (one per seed) on stdin -> | label | 64 | 32 | 16 | avg |
    awk -v label="$1" -F': ' '/^SWDx1e3_/ { v[$1] = n[$1]++ ? v[$1] " / " $2 : $2 } END {
        printf "| %s | %s | %s | %s | **%s** |\n", label, v["SWDx1e3_64"], v["SWDx1e3_32"], v["SWDx1e3_16"], v["SWDx1e3_avg"] }'
}
swd() {   # metrics swd ARGS... once per seed of SWD_SEEDS
    for seed in ${SWD_SEEDS:-1}; do "$bin" metrics swd "$@" --seed "$seed"; done
}
echo "SWD x1e3 against $data, $swd_images images per set:"
echo "| snapshot | 64 px | 32 px | 16 px | average |"
echo "| --- | --- | --- | --- | --- |"
# SWD_COUNT snapshots counting back from the bundled one, every SWD_EVERY-th (default 1).
picked=$(ls "$run"/network-snapshot-*.safetensors | sort | awk -v last="$(basename "$snapshot")" -F/ '$NF <= last' |
    awk -v k="${SWD_EVERY:-1}" -v n="${SWD_COUNT:-4}" '{ a[NR] = $0 } END { for (i = NR; i > 0 && c < n; i -= k) { print a[i]; c++ } }' | sort)
for s in $picked; do
    swd --weights "$s" --data "$data" --num "$swd_images" | row "$(basename "$s" .safetensors)"
done
swd --baseline --data "$data" --num "$swd_images" | row "training data vs itself (floor)"
echo "wall time up to kimg ${kimg:-0} (sum of sec_per_tick in stats.jsonl), hours:"
python3 -c "import json; r = [json.loads(l) for l in open('$run/stats.jsonl')]
print(round(sum(x['sec_per_tick'] for x in r if x['kimg'] <= ${kimg:-0} + 0.5) / 3600, 2))"
