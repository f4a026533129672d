#!/usr/bin/env bash
# The README's projection figure: a face → its projection → its styles mixed with seeds
# → a walk to another face. Writes docs/projection-{target,projected,mix,walk}.png.
#
#   tools/projection_figure.sh [PHOTO] [WEIGHTS]
#
# Without PHOTO the "photo" is a face the model drew with random noise at ψ 1 (seed
# 2024): the training photos (UTKFace) may not be redistributed, so none is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
weights=${2:-weights/faces64.safetensors}
bin=.build/release/stylegan
[ -x "$bin" ] || swift build -c release --product stylegan >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
photo=${1:-}
if [ -z "$photo" ]; then
    "$bin" generate --weights "$weights" --seeds 2024 --psi 1 --noise random --outdir "$work/photo" >/dev/null 2>&1
    photo="$work/photo/seed2024.png"
fi
"$bin" project --weights "$weights" --target "$photo" --space w --outdir "$work/p" | tail -1
cp "$work/p/target.png" docs/projection-target.png
cp "$work/p/projected.png" docs/projection-projected.png
"$bin" mix --weights "$weights" --rows "$work/p/projected_w.npy" --cols 11,25,42,77 --styles coarse --output docs/projection-mix.png >/dev/null
"$bin" interpolate --weights "$weights" --keys "$work/p/projected_w.npy,42" --mode slerp --ease smooth --frames-per-key 7 --strip --outdir "$work/walk" >/dev/null
cp "$work/walk/strip.png" docs/projection-walk.png
echo "wrote docs/projection-{target,projected,mix,walk}.png"
