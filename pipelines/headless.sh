#!/usr/bin/env bash
# Monitor a video without a display: annotated MP4 out, plus an alarm log.
set -euo pipefail
WM_NAME="$(basename -- "$0")"
WM_SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=pipelines/lib/common.sh
source "$WM_SCRIPT_DIR/lib/common.sh"

usage() {
  cat <<EOF
Usage: $WM_NAME [options] INPUT OUTPUT.mp4

Runs INPUT (anything decodebin reads) through the spill monitor as fast as the
machine allows, writes the annotated video (every well's box, alarms in red) to
OUTPUT.mp4 and one line per alarm and clear to the alarm log.

  filesrc ! decodebin ! videoconvert ! wellmonitor ! welloverlay ! videoconvert
          ! H.264 encoder ! mp4mux ! filesink

The alarm log comes from the bus: gst-launch-1.0 -m prints the element messages
wellmonitor-alarm / wellmonitor-clear, which are kept one per line:
  ALARM well=r3w11 time=12.417s frame=149 score=0.0813 threshold=0.0520

Encoder: x264enc (gstreamer1.0-plugins-ugly) when installed, else openh264enc
(gstreamer1.0-plugins-bad), else avenc_mpeg4 (gstreamer1.0-libav, MPEG-4 part 2);
WELLMONITOR_ENCODER overrides, e.g. WELLMONITOR_ENCODER='openh264enc bitrate=8000000 ! h264parse'.

Options:
  --log FILE            alarm log (default: OUTPUT with .alarms.log for .mp4)
EOF
  wm_common_help
  cat <<EOF

Example:
  $WM_NAME --build build pipelines/demo/replay.mp4 out/replay-annotated.mp4
EOF
}

INPUT=""
OUTPUT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    -*)
      wm_parse_common "$@"
      [[ "$WM_SHIFT" -gt 0 ]] || wm_die "unknown option '$1' (see --help)"
      shift "$WM_SHIFT" ;;
    *)
      if [[ -z "$INPUT" ]]; then INPUT="$1"
      elif [[ -z "$OUTPUT" ]]; then OUTPUT="$1"
      else wm_die "unexpected argument '$1' (see --help)"
      fi
      shift ;;
  esac
done
[[ -n "$INPUT" && -n "$OUTPUT" ]] || wm_die "give INPUT and OUTPUT.mp4 (see --help)"
[[ -r "$INPUT" ]] || wm_die "cannot read video '$INPUT'"
[[ "$OUTPUT" == *.mp4 ]] || wm_die "OUTPUT must end in .mp4, got '$OUTPUT'"
mkdir -p -- "$(dirname -- "$OUTPUT")" || wm_die "cannot create the folder of '$OUTPUT'"
[[ -n "$WM_LOG" ]] || WM_LOG="${OUTPUT%.mp4}.alarms.log"
wm_check_common
wm_require_tools
wm_setup_plugin
wm_require_elements decodebin videoconvert mp4mux filesink
wm_monitor_words
wm_encoder_words

echo "$WM_NAME: $INPUT -> $OUTPUT (encoder $WM_ENCODER_NAME), alarms -> $WM_LOG" >&2
status=0
wm_run filesrc location="$(wm_q "$INPUT")" ! decodebin ! videoconvert ! \
  "${WM_MONITOR[@]}" ! videoconvert ! video/x-raw,format=I420 ! \
  "${WM_ENCODER[@]}" ! mp4mux ! filesink location="$(wm_q "$OUTPUT")" || status=$?
if [[ "$WM_DRY_RUN" == 1 ]]; then exit 0; fi
if [[ "$status" -ne 0 ]]; then
  echo "$WM_NAME: gst-launch-1.0 failed (status $status); see the messages above" >&2
  exit "$status"
fi
echo "$WM_NAME: wrote $OUTPUT and $WM_LOG ($(grep -c '^ALARM' "$WM_LOG" || true) alarms)" >&2
