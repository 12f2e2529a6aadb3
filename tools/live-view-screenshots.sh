#!/usr/bin/env bash
# Regenerates the pictures of the live view in docs/: live-view-1920x1200.png and
# live-view-1280x720.png. Each is a screenshot of a virtual screen of that size
# (Xvfb) on which pipelines/file.sh shows the demo replay in its window, taken
# a few seconds into the first alarm (r1w4 spills from frame 46). The 1920x1200
# screen shows the replay at its own size; the 1280x720 one (16:9) shows it
# scaled to 1152x720 (the layout's 16:10), as a player would fit it in height.
#   tools/live-view-screenshots.sh [--build DIR] [--out-dir DIR] [--after S]
# Needs Xvfb (tools/setup-deps.sh installs it) and a build (cmake --build build).
set -euo pipefail
NAME="$(basename -- "$0")"
REPO="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${WELLMONITOR_BUILD:-$REPO/build}"
OUT_DIR="$REPO/docs"
AFTER=3

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --build | --out-dir | --after)
      [[ $# -ge 2 && -n "$2" ]] || { echo "$NAME: error: $1 needs a value" >&2; exit 2; }
      case "$1" in --build) BUILD="$2" ;; --out-dir) OUT_DIR="$2" ;; --after) AFTER="$2" ;; esac
      shift 2 ;;
    *) echo "$NAME: error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
command -v Xvfb >/dev/null || { echo "$NAME: error: no Xvfb (apt-get install xvfb, or tools/setup-deps.sh)" >&2; exit 2; }
[[ -x "$BUILD/runner/wellmonitor-run" ]] || {
  echo "$NAME: error: no wellmonitor-run in '$BUILD' (build it: cmake --build $BUILD)" >&2
  exit 2
}
REPLAY="$REPO/pipelines/demo/replay.mp4"
mkdir -p -- "$OUT_DIR"
WORK="$(mktemp -d /tmp/wellmonitor-screenshots-XXXXXX)"
XVFB_PID="" RUN_PID=""
cleanup() {
  [[ -n "$RUN_PID" ]] && kill "$RUN_PID" 2>/dev/null && wait "$RUN_PID" 2>/dev/null
  [[ -n "$XVFB_PID" ]] && kill "$XVFB_PID" 2>/dev/null && wait "$XVFB_PID" 2>/dev/null
  rm -rf -- "$WORK"
}
trap cleanup EXIT

# A free display number.
free_display() {
  local n
  for n in $(seq 90 130); do
    [[ -e "/tmp/.X11-unix/X$n" || -e "/tmp/.X$n-lock" ]] || { echo "$n"; return; }
  done
  echo "$NAME: error: no free X display number" >&2
  exit 1
}

# shoot WIDTH HEIGHT VIDEO OUT.png
shoot() {
  local width="$1" height="$2" video="$3" out="$4" display
  display=":$(free_display)"
  Xvfb "$display" -screen 0 "${width}x${height}x24" -nolisten tcp -br >"$WORK/xvfb.log" 2>&1 &
  XVFB_PID=$!
  for _ in $(seq 100); do [[ -e "/tmp/.X11-unix/X${display#:}" ]] && break; sleep 0.1; done
  [[ -e "/tmp/.X11-unix/X${display#:}" ]] || { echo "$NAME: error: Xvfb did not start" >&2; cat "$WORK/xvfb.log" >&2; exit 1; }

  DISPLAY="$display" "$REPO/pipelines/file.sh" --build "$BUILD" "$video" >"$WORK/run.out" 2>"$WORK/run.err" &
  RUN_PID=$!
  local waited=0
  until grep -q '^ALARM ' "$WORK/run.out"; do
    if ! kill -0 "$RUN_PID" 2>/dev/null || ((waited > 1200)); then
      echo "$NAME: error: no alarm from file.sh" >&2
      cat "$WORK/run.out" "$WORK/run.err" >&2
      exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  sleep "$AFTER"
  gst-launch-1.0 -q ximagesrc display-name="$display" use-damage=false show-pointer=false num-buffers=1 ! videoconvert ! \
    pngenc compression-level=9 ! filesink location="$out"
  echo "$NAME: $out ($(grep -m1 '^ALARM ' "$WORK/run.out"))"
  kill "$RUN_PID" && wait "$RUN_PID" 2>/dev/null || true
  RUN_PID=""
  kill "$XVFB_PID" && wait "$XVFB_PID" 2>/dev/null || true
  XVFB_PID=""
}

shoot 1920 1200 "$REPLAY" "$OUT_DIR/live-view-1920x1200.png"

# the first 120 frames (10 s, the first spill) scaled to the screen's height
gst-launch-1.0 -q filesrc location="$REPLAY" ! qtdemux ! h264parse ! avdec_h264 ! identity eos-after=121 ! \
  videoscale ! video/x-raw,width=1152,height=720 ! videoconvert ! x264enc speed-preset=ultrafast ! \
  mp4mux ! filesink location="$WORK/replay-1152x720.mp4"
shoot 1280 720 "$WORK/replay-1152x720.mp4" "$OUT_DIR/live-view-1280x720.png"
