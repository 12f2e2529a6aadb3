#!/usr/bin/env bash
# Regenerates the demo replay (pipelines/demo/replay.mp4 and replay.truth.csv)
# from the real data, with fixed arguments: the same data and tool give the same
# frames and ground truth.
set -euo pipefail
NAME="$(basename -- "$0")"
SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd -- "$SCRIPT_DIR/.." && pwd)"

usage() {
  cat <<EOF
Usage: $NAME [--data DIR] [--build DIR] [--out-dir DIR]

Makes the demo replay of the real plant with wellmonitor-replay:
  background  DATA/frames/casting_table_1920x1200.png (plant overlay marks removed)
  layout      pipelines/casting-table.wells.txt (42 wells)
  normal      DATA/proliv/train (random crops, seed 2023, changing every 4 frames)
  spills      DATA/proliv/proliv, five real spill sequences in capture-time order:
              source well 31 (10 crops) at r1w4,  24 (9) at r2w9,  34 (8) at r3w2,
              19 (8) at r4w6,  29 (9) at r3w10; each crop held 6 frames (0.5 s)
  video       1920x1200 (the crops' own scale), 12 fps, 50 s, H.264 in MP4
Writes OUT/replay.mp4 and OUT/replay.truth.csv (well,first_frame,last_frame).

Options:
  --data DIR     the real data (default: \$WELLMONITOR_DATA, else <repo>/../shared/data)
  --build DIR    build tree holding pipelines/wellmonitor-replay (default:
                 \$WELLMONITOR_BUILD, else <repo>/build, else wellmonitor-replay on PATH)
  --out-dir DIR  where to write (default: pipelines/demo)
  -h, --help     this help
EOF
}

DATA="${WELLMONITOR_DATA:-$REPO/../shared/data}"
BUILD="${WELLMONITOR_BUILD:-}"
OUT_DIR="$SCRIPT_DIR/demo"
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --data | --build | --out-dir)
      [[ $# -ge 2 && -n "$2" ]] || { echo "$NAME: error: $1 needs a value" >&2; exit 2; }
      case "$1" in --data) DATA="$2" ;; --build) BUILD="$2" ;; --out-dir) OUT_DIR="$2" ;; esac
      shift 2 ;;
    *) echo "$NAME: error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

REPLAY=""
if [[ -n "$BUILD" ]]; then
  REPLAY="$BUILD/pipelines/wellmonitor-replay"
elif [[ -x "$REPO/build/pipelines/wellmonitor-replay" ]]; then
  REPLAY="$REPO/build/pipelines/wellmonitor-replay"
elif command -v wellmonitor-replay >/dev/null; then
  REPLAY="$(command -v wellmonitor-replay)"
fi
[[ -n "$REPLAY" && -x "$REPLAY" ]] || {
  echo "$NAME: error: wellmonitor-replay not found (build it, or pass --build DIR)" >&2
  exit 2
}
for d in "$DATA/proliv/train" "$DATA/proliv/proliv" "$DATA/frames"; do
  [[ -d "$d" ]] || { echo "$NAME: error: '$d' missing (give --data DIR)" >&2; exit 2; }
done
DATA="$(cd -- "$DATA" && pwd)"
mkdir -p -- "$OUT_DIR"

set -x
"$REPLAY" \
  --frame "$DATA/frames/casting_table_1920x1200.png" \
  --layout "$SCRIPT_DIR/casting-table.wells.txt" \
  --normal "$DATA/proliv/train" \
  --spill-crops "$DATA/proliv/proliv" \
  --spills 5 \
  --spill-sources 31,24,34,19,29 \
  --spill-wells r1w4,r2w9,r3w2,r4w6,r3w10 \
  --hold 6 --spill-min 2 \
  --change 4 --jitter 0.03 \
  --warmup 3 --gap 4 \
  --fps 12 --duration 50 --seed 2023 \
  --size 1920x1200 \
  --out "$OUT_DIR/replay.mp4" \
  --truth "$OUT_DIR/replay.truth.csv"
