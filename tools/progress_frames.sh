#!/usr/bin/env bash
# Turns a training run's sample grids (RUN/fakes{kimg}.png, one per tick, all the same size)
# into numbered frames for a training-progress video, oldest first, and prints the ffmpeg
# command that makes the video (ProGAN's progress videos, from the run's own grids).
#
#   tools/progress_frames.sh RUN_DIR OUT_DIR [FRAMES_PER_GRID]
#
# Each grid is repeated FRAMES_PER_GRID times (default 1) so a short run still plays
# for a moment. Frames are hard links where possible (no copies of large grids).
set -euo pipefail
run=${1:?run directory}; out=${2:?output directory}; repeat=${3:-1}
[[ "$repeat" =~ ^[1-9][0-9]{0,2}$ ]] || { echo "progress_frames: FRAMES_PER_GRID must be 1-999, got '$repeat'" >&2; exit 64; }
shopt -s nullglob
grids=("$run"/fakes[0-9]*.png)
[ ${#grids[@]} -gt 0 ] || { echo "progress_frames: $run has no fakes*.png sample grids" >&2; exit 1; }
mkdir -p "$out"
n=0
for grid in "${grids[@]}"; do   # the glob is sorted, and the kimg in the name is zero-padded
    for _ in $(seq "$repeat"); do
        frame=$(printf '%s/frame%05d.png' "$out" "$n")
        ln -f "$grid" "$frame" 2>/dev/null || cp "$grid" "$frame"
        n=$((n + 1))
    done
done
echo "wrote $n frames from ${#grids[@]} grids to $out"
echo "video: ffmpeg -framerate 10 -i '$out/frame%05d.png' -c:v libx264 -pix_fmt yuv420p -vf 'pad=ceil(iw/2)*2:ceil(ih/2)*2' progress.mp4"
