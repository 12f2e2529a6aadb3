#!/usr/bin/env bash
# Monitor a live V4L2 camera (USB, capture card).
set -euo pipefail
WM_NAME="$(basename -- "$0")"
WM_SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=pipelines/lib/common.sh
source "$WM_SCRIPT_DIR/lib/common.sh"

usage() {
  cat <<EOF
Usage: $WM_NAME [options]

Monitors a V4L2 camera live and shows it with every well's box; alarms are
printed as they happen. The layout's boxes scale to the camera's resolution, so
the camera must frame the table as the layout's reference frame does.

  v4l2src ! [caps] ! videoconvert ! wellmonitor ! welloverlay ! videoconvert ! autovideosink

Options:
  --video-device DEV    V4L2 device (default /dev/video0; --camera /dev/... also
                        works, as before: --camera ID otherwise names the camera
                        in published events)
  --caps CAPS           caps to ask the camera for, e.g.
                        'video/x-raw,width=1920,height=1200,framerate=15/1'
                        or 'image/jpeg,width=1920,height=1080' (then decoded by jpegdec)
  --no-display          no window (fakesink): alarms only (the default when
                        neither DISPLAY nor WAYLAND_DISPLAY is set)
EOF
  wm_common_help
  cat <<EOF

Example:
  $WM_NAME --video-device /dev/video2 --caps 'video/x-raw,width=1280,height=800' --log alarms.log
EOF
}

CAMERA=/dev/video0
CAPS=""
SINK=autovideosink
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --video-device) wm_need_value "$@"; CAMERA="$2"; shift 2 ;;
    --camera)
      # a device path, as this option meant before --camera ID named the camera
      if [[ $# -ge 2 && "$2" == /dev/* ]]; then CAMERA="$2"; shift 2
      else wm_parse_common "$@"; shift "$WM_SHIFT"; fi ;;
    --caps) wm_need_value "$@"; CAPS="$2"; shift 2 ;;
    --no-display) SINK=fakesink; shift ;;
    -*)
      wm_parse_common "$@"
      [[ "$WM_SHIFT" -gt 0 ]] || wm_die "unknown option '$1' (see --help)"
      shift "$WM_SHIFT" ;;
    *) wm_die "unexpected argument '$1' (see --help)" ;;
  esac
done
wm_check_common
[[ "$WM_DRY_RUN" == 1 || -e "$CAMERA" ]] || wm_die "no camera at '$CAMERA' (see v4l2-ctl --list-devices)"
wm_require_tools
wm_display_sink "$SINK"
SINK="$WM_SINK"
wm_setup_plugin
wm_require_elements v4l2src videoconvert "$SINK"
wm_monitor_words

SOURCE=(v4l2src device="$(wm_q "$CAMERA")")
if [[ -n "$CAPS" ]]; then
  SOURCE+=(! "$CAPS")
  if [[ "$CAPS" == image/jpeg* ]]; then SOURCE+=(! jpegdec); fi
fi
wm_run "${SOURCE[@]}" ! videoconvert ! "${WM_MONITOR[@]}" ! videoconvert ! "$SINK" sync=false
