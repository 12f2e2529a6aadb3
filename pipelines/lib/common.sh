# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables set here are read by the scripts that source it
# Shared by the pipeline scripts (sourced, not run). Bash.
#
# The caller sets WM_NAME (its name, for messages) and WM_SCRIPT_DIR (its folder)
# before sourcing this file.
#
# Environment:
#   WELLMONITOR_BUILD      build tree whose plugin/ holds libgstwellmonitor.so
#                          (same as --build DIR)
#   WELLMONITOR_ENCODER    the encoder part of an encoding pipeline, to force one
#                          (e.g. "x264enc speed-preset=veryfast ! h264parse")
#   WELLMONITOR_STUB_ELEMENTS=1
#                          replace wellmonitor and welloverlay by identity: tests the
#                          scripts (arguments, sources, encoding, logs) without the plugin

# LibTorch's OpenMP threads sleep instead of spinning while they wait: on a
# machine whose other cores are busy (decoding, encoding, other cameras),
# spinning threads made inference many times slower. Set it to override.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

# --- options every pipeline script shares -------------------------------------

WM_BUILD="${WELLMONITOR_BUILD:-}"
WM_MODEL=""
WM_WELLS=""
WM_THRESHOLD=""
WM_DEVICE=""
WM_ALARM_FRAMES=""
WM_CLEAR_FRAMES=""
WM_INTERVAL=""
WM_THREADS=""
WM_LOG=""
WM_DRY_RUN=0
WM_MQTT=""
WM_CAMERA_ID=""
WM_EVENTS=""
WM_FRAME_DIR=""

wm_common_help() {
  cat <<EOF
Monitor options (unset ones keep the element's defaults):
  --model FILE          model file (default: the installed default model)
  --wells FILE          well layout (default: casting-table.wells.txt shipped with the scripts)
  --threshold X         override the model's calibrated threshold
  --device D            auto | cpu | cuda | cuda:N (element default: auto)
  --alarm-frames N      analysed frames over the threshold before an alarm (element default 5)
  --clear-frames N      analysed frames under it before the alarm clears (element default 5)
  --interval N          analyse every N-th frame (element default 1)
  --threads N           CPU threads for inference (element default: LibTorch's)
Publishing (element wellpublish, after wellmonitor):
  --mqtt URL            publish each alarm and clear as a JSON event with a snapshot of the
                        well to the MQTT broker at URL: mqtt://[user[:password]@]host[:port]
                        (mqtts:// for TLS); topics wellmonitor/CAMERA/WELL, availability on
                        wellmonitor/CAMERA/status (schema: pipelines/wellmonitor-event.schema.json)
  --camera ID           the camera's id in the events and topics (default: camera)
  --events FILE         also append every event to FILE, one JSON object per line
  --frame-dir DIR       also save each event's whole frame as a JPEG in DIR (its path in the event)
Other options:
  --build DIR           use the plugin built in DIR/plugin (default: \$WELLMONITOR_BUILD,
                        else <repo>/build/plugin when it holds the plugin, else the installed one)
  --log FILE            also write one line per alarm/clear to FILE
  --dry-run             print the gst-launch-1.0 command instead of running it
  -h, --help            this help
Alarm lines (on stdout and in --log):
  ALARM well=r3w11 time=12.417s frame=149 score=0.0813 threshold=0.0520
  CLEAR well=r3w11 time=16.083s frame=193 score=0.0411 threshold=0.0520
  time is the frame's stream time (position in a file), frame its index.
EOF
}

wm_die() {
  echo "$WM_NAME: error: $*" >&2
  exit 2
}

# wm_need_value OPTION "$@": fails unless OPTION is followed by a value.
wm_need_value() {
  if [[ $# -lt 2 || -z "$2" ]]; then wm_die "$1 needs a value (see --help)"; fi
}

# Parses one shared option. Sets WM_SHIFT to the number of words it used, or 0 when
# the option is not a shared one.
wm_parse_common() {
  WM_SHIFT=2
  case "$1" in
    --build) wm_need_value "$@"; WM_BUILD="$2" ;;
    --model) wm_need_value "$@"; WM_MODEL="$2" ;;
    --wells) wm_need_value "$@"; WM_WELLS="$2" ;;
    --threshold) wm_need_value "$@"; WM_THRESHOLD="$2" ;;
    --device) wm_need_value "$@"; WM_DEVICE="$2" ;;
    --alarm-frames) wm_need_value "$@"; WM_ALARM_FRAMES="$2" ;;
    --clear-frames) wm_need_value "$@"; WM_CLEAR_FRAMES="$2" ;;
    --interval) wm_need_value "$@"; WM_INTERVAL="$2" ;;
    --threads) wm_need_value "$@"; WM_THREADS="$2" ;;
    --log) wm_need_value "$@"; WM_LOG="$2" ;;
    --mqtt) wm_need_value "$@"; WM_MQTT="$2" ;;
    --camera) wm_need_value "$@"; WM_CAMERA_ID="$2" ;;
    --events) wm_need_value "$@"; WM_EVENTS="$2" ;;
    --frame-dir) wm_need_value "$@"; WM_FRAME_DIR="$2" ;;
    --dry-run) WM_DRY_RUN=1; WM_SHIFT=1 ;;
    *) WM_SHIFT=0 ;;
  esac
}

# --- checks ---------------------------------------------------------------------

wm_is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
wm_is_number() { [[ "$1" =~ ^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$ ]]; }

wm_check_common() {
  if [[ -n "$WM_MODEL" && ! -r "$WM_MODEL" ]]; then wm_die "cannot read model '$WM_MODEL'"; fi
  if [[ -n "$WM_THRESHOLD" ]] && ! wm_is_number "$WM_THRESHOLD"; then
    wm_die "--threshold must be a non-negative number, got '$WM_THRESHOLD'"
  fi
  case "$WM_DEVICE" in "" | auto | cpu | cuda | cuda:[0-9]*) ;; *) wm_die "--device must be auto, cpu, cuda or cuda:N, got '$WM_DEVICE'" ;; esac
  local opt val
  for opt in alarm-frames:$WM_ALARM_FRAMES clear-frames:$WM_CLEAR_FRAMES interval:$WM_INTERVAL; do
    val="${opt#*:}"
    if [[ -n "$val" ]] && { ! wm_is_uint "$val" || [[ "$val" -lt 1 ]]; }; then
      wm_die "--${opt%%:*} must be a whole number >= 1, got '$val'"
    fi
  done
  if [[ -n "$WM_THREADS" ]] && ! wm_is_uint "$WM_THREADS"; then
    wm_die "--threads must be a whole number, got '$WM_THREADS'"
  fi
  if [[ -z "$WM_WELLS" ]]; then
    WM_WELLS="$(wm_default_layout)" || wm_die "no layout found next to the scripts; give --wells FILE"
  fi
  if [[ ! -r "$WM_WELLS" ]]; then wm_die "cannot read layout '$WM_WELLS'"; fi
  if [[ -n "$WM_MQTT" && "$WM_MQTT" != mqtt://* && "$WM_MQTT" != mqtts://* ]]; then
    wm_die "--mqtt needs an mqtt:// or mqtts:// URL, got '$WM_MQTT'"
  fi
  if [[ -n "$WM_CAMERA_ID" && -z "$WM_MQTT" && -z "$WM_EVENTS" ]]; then
    wm_die "--camera ID names the camera in published events: give --mqtt URL or --events FILE too"
  fi
  if [[ -n "$WM_FRAME_DIR" && -z "$WM_MQTT" && -z "$WM_EVENTS" ]]; then
    wm_die "--frame-dir goes with --mqtt URL or --events FILE"
  fi
  if [[ -n "$WM_LOG" && "$WM_DRY_RUN" != 1 ]]; then
    mkdir -p "$(dirname -- "$WM_LOG")" 2>/dev/null || true
    : >"$WM_LOG" 2>/dev/null || wm_die "cannot write log '$WM_LOG'"
  fi
}

# The repository (or install prefix's share/wellmonitor) the scripts live in.
wm_repo_root() { (cd -- "$WM_SCRIPT_DIR/.." && pwd); }

wm_default_layout() {
  local f
  for f in "$WM_SCRIPT_DIR/casting-table.wells.txt" "$WM_SCRIPT_DIR/../casting-table.wells.txt"; do
    if [[ -r "$f" ]]; then
      (cd -- "$(dirname -- "$f")" && echo "$(pwd)/$(basename -- "$f")")
      return 0
    fi
  done
  return 1
}

# Points GST_PLUGIN_PATH at the plugin of a build tree (--build, WELLMONITOR_BUILD,
# or <repo>/build when it has one); otherwise the installed plugin is used.
wm_setup_plugin() {
  local dir=""
  if [[ -n "$WM_BUILD" ]]; then
    dir="$WM_BUILD/plugin"
    if [[ ! -e "$dir/libgstwellmonitor.so" ]]; then
      wm_die "no plugin in '$dir' (build it: cmake --build $WM_BUILD)"
    fi
  elif [[ -e "$(wm_repo_root)/build/plugin/libgstwellmonitor.so" ]]; then
    dir="$(wm_repo_root)/build/plugin"
  fi
  if [[ -n "$dir" ]]; then
    dir="$(cd -- "$dir" && pwd)"
    export GST_PLUGIN_PATH="$dir${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
    WM_PLUGIN_DIR="$dir"
  else
    WM_PLUGIN_DIR="(installed)"
  fi
}

wm_require_tools() {
  command -v gst-launch-1.0 >/dev/null || wm_die "gst-launch-1.0 not found (apt-get install gstreamer1.0-tools)"
  command -v gst-inspect-1.0 >/dev/null || wm_die "gst-inspect-1.0 not found (apt-get install gstreamer1.0-tools)"
}

# (Not --exists: it also demands a plugin version >= GStreamer's own, 1.22, which
# the project's plugin, 0.1.0, does not have.)
wm_have_element() { gst-inspect-1.0 "$1" >/dev/null 2>&1; }

wm_require_elements() {
  local e
  # A dry run only prints the command: it needs no plugin.
  if [[ "$WM_DRY_RUN" == 1 || "${WELLMONITOR_STUB_ELEMENTS:-0}" == 1 ]]; then return 0; fi
  local ours=(wellmonitor welloverlay)
  if [[ -n "$WM_MQTT" || -n "$WM_EVENTS" ]]; then ours+=(wellpublish); fi
  for e in "${ours[@]}"; do
    wm_have_element "$e" || wm_die "GStreamer element '$e' not found (plugin dir: $WM_PLUGIN_DIR); build the plugin and pass --build DIR, or install it"
  done
  for e in "$@"; do
    wm_have_element "$e" || wm_die "GStreamer element '$e' not found"
  done
}

# --- pipeline pieces --------------------------------------------------------------

# A value for gst-launch: quoted, so paths may hold spaces.
wm_q() { printf '"%s"' "${1//\"/\\\"}"; }

# The monitor and overlay elements with the options given, as words for gst-launch
# (appended to the array named WM_MONITOR).
wm_monitor_words() {
  WM_MONITOR=()
  if [[ "${WELLMONITOR_STUB_ELEMENTS:-0}" == 1 ]]; then
    WM_MONITOR=(identity name=wellmonitor-stub ! identity name=welloverlay-stub)
    return
  fi
  WM_MONITOR=(wellmonitor name=monitor "wells=$(wm_q "$WM_WELLS")")
  [[ -n "$WM_MODEL" ]] && WM_MONITOR+=("model=$(wm_q "$WM_MODEL")")
  [[ -n "$WM_THRESHOLD" ]] && WM_MONITOR+=("threshold=$WM_THRESHOLD")
  [[ -n "$WM_DEVICE" ]] && WM_MONITOR+=("device=$WM_DEVICE")
  [[ -n "$WM_ALARM_FRAMES" ]] && WM_MONITOR+=("alarm-frames=$WM_ALARM_FRAMES")
  [[ -n "$WM_CLEAR_FRAMES" ]] && WM_MONITOR+=("clear-frames=$WM_CLEAR_FRAMES")
  [[ -n "$WM_INTERVAL" ]] && WM_MONITOR+=("interval=$WM_INTERVAL")
  [[ -n "$WM_THREADS" ]] && WM_MONITOR+=("threads=$WM_THREADS")
  # the publishers see the frames before the overlay draws on them
  local extra=()
  [[ -n "$WM_CAMERA_ID" ]] && extra+=("camera=$(wm_q "$WM_CAMERA_ID")")
  [[ -n "$WM_FRAME_DIR" ]] && extra+=("frame-dir=$(wm_q "$WM_FRAME_DIR")")
  if [[ -n "$WM_MQTT" ]]; then
    WM_MONITOR+=(! wellpublish name=publish method=mqtt "address=$(wm_q "$WM_MQTT")" "${extra[@]}")
    echo "$WM_NAME: publishing alarms to $WM_MQTT as camera ${WM_CAMERA_ID:-camera}" >&2
  fi
  if [[ -n "$WM_EVENTS" ]]; then
    WM_MONITOR+=(! wellpublish name=events method=file "address=$(wm_q "$WM_EVENTS")" "${extra[@]}")
    echo "$WM_NAME: appending events to $WM_EVENTS" >&2
  fi
  WM_MONITOR+=(! welloverlay)
}

# The video sink of a script that shows a window (variable WM_SINK): SINK (default
# autovideosink) when there is a display, else fakesink, and says so. Without a
# display autovideosink picks a sink that cannot open one, and crashes on some
# machines (exit 139), so it is never tried there.
wm_display_sink() {
  WM_SINK="${1:-autovideosink}"
  if [[ "$WM_SINK" != fakesink && -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
    echo "$WM_NAME: no display (DISPLAY and WAYLAND_DISPLAY are unset): running without a window" >&2
    WM_SINK=fakesink
  fi
}

# The encoder for an MP4 file, as words for gst-launch (array WM_ENCODER): H.264
# with x264enc (gstreamer1.0-plugins-ugly) or openh264enc (gstreamer1.0-plugins-bad),
# else MPEG-4 part 2 with avenc_mpeg4 (gstreamer1.0-libav). All go into mp4mux.
wm_encoder_words() {
  WM_ENCODER=()
  if [[ -n "${WELLMONITOR_ENCODER:-}" ]]; then
    read -r -a WM_ENCODER <<<"$WELLMONITOR_ENCODER"
    WM_ENCODER_NAME="${WM_ENCODER[0]}"
    return
  fi
  if wm_have_element x264enc; then
    WM_ENCODER=(x264enc speed-preset=veryfast ! h264parse)
  elif wm_have_element openh264enc; then
    WM_ENCODER=(openh264enc bitrate=4000000 complexity=medium ! h264parse)
  elif wm_have_element avenc_mpeg4; then
    WM_ENCODER=(avenc_mpeg4 bitrate=4000000 ! mpeg4videoparse)
  else
    wm_die "no video encoder for MP4: apt-get install gstreamer1.0-plugins-bad (openh264enc) or gstreamer1.0-plugins-ugly (x264enc)"
  fi
  WM_ENCODER_NAME="${WM_ENCODER[0]}"
  if [[ "$WM_ENCODER_NAME" != avenc_mpeg4 ]]; then
    wm_have_element h264parse || wm_die "h264parse not found (apt-get install gstreamer1.0-plugins-bad)"
  fi
  wm_have_element mp4mux || wm_die "mp4mux not found (apt-get install gstreamer1.0-plugins-good)"
}

# --- running ----------------------------------------------------------------------

# Runs gst-launch-1.0 -m -e with the given pipeline words and turns the bus's
# wellmonitor-alarm / wellmonitor-clear messages into alarm lines on stdout (and
# in $WM_LOG). gst-launch's own lines go to stderr. Returns gst-launch's status.
wm_run() {
  if [[ "$WM_DRY_RUN" == 1 ]]; then
    if [[ -n "${GST_PLUGIN_PATH:-}" ]]; then printf 'GST_PLUGIN_PATH=%q ' "$GST_PLUGIN_PATH"; fi
    printf 'gst-launch-1.0 -m -e'
    printf ' %s' "$@"
    printf '\n'
    return 0
  fi
  local status awk_status ps
  set +e
  gst-launch-1.0 -m -e "$@" 2>&1 | awk -v logfile="$WM_LOG" -f "$WM_SCRIPT_DIR/lib/alarms.awk"
  ps=("${PIPESTATUS[@]}")
  status=${ps[0]} awk_status=${ps[1]}
  set -e
  # The stream ended and every alarm was delivered; only the shutdown failed
  # (an RTSP server that hung up before the TEARDOWN): not a failed run.
  if [[ "$status" != 0 && "$awk_status" == 3 ]]; then
    echo "$WM_NAME: the stream ended; the errors above came only while shutting down" >&2
    status=0
  fi
  return "$status"
}
