#!/usr/bin/env bash
# Monitor a recorded video: any container and codec decodebin reads.
set -euo pipefail
WM_NAME="$(basename -- "$0")"
WM_SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=pipelines/lib/common.sh
source "$WM_SCRIPT_DIR/lib/common.sh"

usage() {
  cat <<EOF
Usage: $WM_NAME [options] VIDEO

Plays VIDEO (mp4, mkv, avi, ...: anything decodebin reads) through the spill
monitor and shows it with every well's box; alarms are printed as they happen.

  filesrc ! decodebin ! videoconvert ! wellmonitor ! welloverlay ! videoconvert ! autovideosink

Options:
  --fast                decode as fast as possible instead of at the video's own pace
  --no-display          no window (fakesink): alarms only (the default when
                        neither DISPLAY nor WAYLAND_DISPLAY is set)
EOF
  wm_common_help
  cat <<EOF

Example:
  $WM_NAME --build build pipelines/demo/replay.mp4
EOF
}

INPUT=""
SYNC=true
SINK=autovideosink
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --fast) SYNC=false; shift ;;
    --no-display) SINK=fakesink; shift ;;
    -*)
      wm_parse_common "$@"
      [[ "$WM_SHIFT" -gt 0 ]] || wm_die "unknown option '$1' (see --help)"
      shift "$WM_SHIFT" ;;
    *)
      [[ -z "$INPUT" ]] || wm_die "one video at a time ('$INPUT' and '$1')"
      INPUT="$1"; shift ;;
  esac
done
[[ -n "$INPUT" ]] || wm_die "no video given (see --help)"
[[ -r "$INPUT" ]] || wm_die "cannot read video '$INPUT'"
wm_check_common
wm_require_tools
wm_display_sink "$SINK"
SINK="$WM_SINK"
wm_setup_plugin
wm_require_elements decodebin videoconvert "$SINK"
wm_monitor_words

wm_run filesrc location="$(wm_q "$INPUT")" ! decodebin ! videoconvert ! \
  "${WM_MONITOR[@]}" ! videoconvert ! "$SINK" sync="$SYNC"
