#!/usr/bin/env bash
# Monitor an IP camera's RTSP stream.
set -euo pipefail
WM_NAME="$(basename -- "$0")"
WM_SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=pipelines/lib/common.sh
source "$WM_SCRIPT_DIR/lib/common.sh"

usage() {
  cat <<EOF
Usage: $WM_NAME [options] rtsp://[user:password@]host[:port]/path

Monitors an RTSP stream live and shows it with every well's box; alarms are
printed as they happen. One pipeline per camera: run one script per camera.

  rtspsrc ! decodebin ! videoconvert ! wellmonitor ! welloverlay ! videoconvert ! autovideosink

Options:
  --latency MS          jitter buffer in milliseconds (default 200)
  --tcp                 RTP over TCP (through firewalls/NAT; default: rtspsrc chooses)
  --no-display          no window (fakesink): alarms only (the default when
                        neither DISPLAY nor WAYLAND_DISPLAY is set)
EOF
  wm_common_help
  cat <<EOF

Example:
  $WM_NAME --tcp --no-display --log /var/log/wellmonitor/cam-c.log rtsp://10.0.0.21:554/stream1
EOF
}

URL=""
LATENCY=200
PROTOCOLS=""
SINK=autovideosink
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --latency) wm_need_value "$@"; LATENCY="$2"; shift 2 ;;
    --tcp) PROTOCOLS=tcp; shift ;;
    --no-display) SINK=fakesink; shift ;;
    -*)
      wm_parse_common "$@"
      [[ "$WM_SHIFT" -gt 0 ]] || wm_die "unknown option '$1' (see --help)"
      shift "$WM_SHIFT" ;;
    *)
      [[ -z "$URL" ]] || wm_die "one stream at a time ('$URL' and '$1')"
      URL="$1"; shift ;;
  esac
done
[[ -n "$URL" ]] || wm_die "no rtsp:// URL given (see --help)"
[[ "$URL" == rtsp://* || "$URL" == rtsps://* ]] || wm_die "not an rtsp:// URL: '$URL'"
wm_is_uint "$LATENCY" || wm_die "--latency must be a whole number of milliseconds"
wm_check_common
wm_require_tools
wm_display_sink "$SINK"
SINK="$WM_SINK"
wm_setup_plugin
wm_require_elements rtspsrc decodebin videoconvert "$SINK"
wm_monitor_words

SOURCE=(rtspsrc location="$(wm_q "$URL")" latency="$LATENCY")
if [[ -n "$PROTOCOLS" ]]; then SOURCE+=(protocols="$PROTOCOLS"); fi
wm_run "${SOURCE[@]}" ! decodebin ! videoconvert ! "${WM_MONITOR[@]}" ! videoconvert ! "$SINK" sync=false
