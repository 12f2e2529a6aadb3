#!/usr/bin/env bash
# The demo: the committed replay of the real plant through wellmonitor ! welloverlay.
set -euo pipefail
WM_NAME="$(basename -- "$0")"
WM_SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=pipelines/lib/common.sh
source "$WM_SCRIPT_DIR/lib/common.sh"

usage() {
  cat <<EOF
Usage: $WM_NAME [options]

Runs the demo replay (pipelines/demo/replay.mp4: the real frame with real crops
and five real spill sequences, see make-demo-replay.sh) through the monitor:
writes OUT/demo-annotated.mp4 and OUT/demo-alarms.log, shows the annotated video
in a window when a display is available (\$DISPLAY or \$WAYLAND_DISPLAY), and at
the end compares the alarms with the replay's ground truth (replay.truth.csv).

  filesrc ! decodebin ! videoconvert ! wellmonitor ! welloverlay ! tee
     tee. ! queue ! videoconvert ! H.264 encoder ! mp4mux ! filesink
     tee. ! queue ! videoconvert ! autovideosink        (with a display)

Options:
  --input VIDEO         another replay (default: demo/replay.mp4 next to this script;
                        its ground truth is VIDEO with .truth.csv instead of .mp4)
  --out-dir DIR         where the results go (default: ./out)
  --no-display          no window even with a display
  --fast                with a window: do not play at the video's pace
  (the demo raises an alarm after 5 analysed frames over the threshold, one more
  than the replay shows a normal crop; --alarm-frames N overrides it)
  --slack N             frames an alarm may come after a spill's last frame and still
                        count as detecting it (default 12, one second at 12 fps)
EOF
  wm_common_help
}

INPUT="$WM_SCRIPT_DIR/demo/replay.mp4"
OUT_DIR="out"
DISPLAY_ON=1
SYNC=true
SLACK=12
# The replay shows each normal crop for 4 frames; 5 frames over the threshold
# means a spill sequence, never one stray crop. --alarm-frames overrides it.
WM_ALARM_FRAMES=5
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --input) wm_need_value "$@"; INPUT="$2"; shift 2 ;;
    --out-dir) wm_need_value "$@"; OUT_DIR="$2"; shift 2 ;;
    --no-display) DISPLAY_ON=0; shift ;;
    --fast) SYNC=false; shift ;;
    --slack) wm_need_value "$@"; SLACK="$2"; shift 2 ;;
    -*)
      wm_parse_common "$@"
      [[ "$WM_SHIFT" -gt 0 ]] || wm_die "unknown option '$1' (see --help)"
      shift "$WM_SHIFT" ;;
    *) wm_die "unexpected argument '$1' (see --help)" ;;
  esac
done
[[ -r "$INPUT" ]] || wm_die "cannot read the replay '$INPUT' (make it with make-demo-replay.sh)"
wm_is_uint "$SLACK" || wm_die "--slack must be a whole number of frames"
TRUTH="${INPUT%.*}.truth.csv"
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then DISPLAY_ON=0; fi
mkdir -p -- "$OUT_DIR" || wm_die "cannot create '$OUT_DIR'"
OUTPUT="$OUT_DIR/demo-annotated.mp4"
[[ -n "$WM_LOG" ]] || WM_LOG="$OUT_DIR/demo-alarms.log"
wm_check_common
wm_require_tools
wm_setup_plugin
wm_require_elements decodebin videoconvert tee queue mp4mux filesink
wm_monitor_words
wm_encoder_words

# shellcheck disable=SC2054  # commas belong to the caps
PIPELINE=(filesrc location="$(wm_q "$INPUT")" ! decodebin ! videoconvert ! "${WM_MONITOR[@]}" !
  tee name=t
  t. ! queue ! videoconvert ! video/x-raw,format=I420 ! "${WM_ENCODER[@]}" ! mp4mux !
  filesink location="$(wm_q "$OUTPUT")")
if [[ "$DISPLAY_ON" == 1 ]]; then
  PIPELINE+=(t. ! queue ! videoconvert ! autovideosink sync="$SYNC")
fi

echo "$WM_NAME: $INPUT -> $OUTPUT (encoder $WM_ENCODER_NAME), alarms -> $WM_LOG" >&2
status=0
wm_run "${PIPELINE[@]}" || status=$?
if [[ "$WM_DRY_RUN" == 1 ]]; then exit 0; fi
if [[ "$status" -ne 0 ]]; then
  echo "$WM_NAME: gst-launch-1.0 failed (status $status); see the messages above" >&2
  exit "$status"
fi
echo "$WM_NAME: wrote $OUTPUT and $WM_LOG" >&2

# Alarms against the ground truth: a spill is detected when its well raises an
# alarm between its first frame and its last frame + SLACK; any other alarm is false.
if [[ -r "$TRUTH" ]]; then
  awk -F, -v slack="$SLACK" '
    FNR == NR {
      if (FNR == 1 && $1 == "well") next
      n++; well[n] = $1; first[n] = $2 + 0; last[n] = $3 + 0; hit[n] = -1
      next
    }
    /^ALARM / {
      w = ""; f = -1; t = ""
      nkv = split($0, kv, " ")
      for (i = 2; i <= nkv; i++) {
        if (kv[i] ~ /^well=/) w = substr(kv[i], 6)
        if (kv[i] ~ /^frame=/) f = substr(kv[i], 7) + 0
        if (kv[i] ~ /^time=/) t = substr(kv[i], 6)
      }
      matched = 0
      for (k = 1; k <= n; k++)
        if (well[k] == w && f >= first[k] && f <= last[k] + slack) {
          matched = 1
          if (hit[k] < 0) hit[k] = f
        }
      if (!matched) { nfalse++; falses = falses sprintf(" %s@%s", w, t) }
    }
    END {
      found = 0
      for (k = 1; k <= n; k++) {
        if (hit[k] >= 0) {
          found++
          printf "  spill at %-6s frames %d-%d: alarm at frame %d (%d frames in)\n", well[k], first[k], last[k], hit[k], hit[k] - first[k]
        } else {
          printf "  spill at %-6s frames %d-%d: MISSED\n", well[k], first[k], last[k]
        }
      }
      printf "detected %d of %d spills; %d false alarm(s)%s\n", found, n, nfalse + 0, (nfalse ? ":" falses : "")
    }' "$TRUTH" FS=' ' "$WM_LOG" | tee "$OUT_DIR/demo-summary.txt"
else
  echo "$WM_NAME: no ground truth at $TRUTH; skipping the comparison" >&2
fi
