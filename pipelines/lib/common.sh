# shellcheck shell=bash
# Shared by the pipeline scripts (sourced, not run). Bash.
#
# Every script is a thin wrapper: it execs wellmonitor-run (runner/, see
# docs/runner.md) in its mode with its arguments, so the script's process is the
# runner itself: SIGTERM and SIGINT reach it, and nothing is left behind when it
# ends. The runner builds the pipeline, watches its bus, reconnects a live
# source, prints the alarm lines and sets the exit status.
#
# The caller sets WM_SCRIPT_DIR (its folder) before sourcing this file.
#
# Environment:
#   WELLMONITOR_BUILD      build tree whose runner/wellmonitor-run and
#                          plugin/libgstwellmonitor.so to use (same as --build DIR)
#   WELLMONITOR_ENCODER    the encoder part of an encoding pipeline, to force one
#                          (e.g. "x264enc speed-preset=veryfast ! h264parse")
#   WELLMONITOR_RESTREAM_ENCODER
#                          the H.264 encoder of the RTSP re-stream (--restream-port)
#   WELLMONITOR_STUB_ELEMENTS=1
#                          replace wellmonitor and welloverlay by identity: tests the
#                          scripts (arguments, sources, encoding, logs) without the plugin

# LibTorch's OpenMP threads sleep instead of spinning while they wait: on a
# machine whose other cores are busy (decoding, encoding, other cameras),
# spinning threads made inference many times slower. Set it to override.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

# wm_exec_runner MODE ARG...: replaces the script by `wellmonitor-run MODE ARG...`,
# named after the script in its messages. The runner is the one of --build DIR
# (or $WELLMONITOR_BUILD), else of <repo>/build, else the installed one.
wm_exec_runner() {
  local mode="$1" name build="${WELLMONITOR_BUILD:-}" runner="" prev="" arg
  shift
  name="$(basename -- "$0")"
  for arg in "$@"; do
    if [[ "$prev" == --build ]]; then build="$arg"; fi
    prev="$arg"
  done
  if [[ -n "$build" ]]; then
    runner="$build/runner/wellmonitor-run"
    if [[ ! -x "$runner" ]]; then
      echo "$name: error: no wellmonitor-run in '$build/runner' (build it: cmake --build $build)" >&2
      exit 2
    fi
  elif [[ -x "$WM_SCRIPT_DIR/../build/runner/wellmonitor-run" ]]; then
    runner="$WM_SCRIPT_DIR/../build/runner/wellmonitor-run"
  elif [[ -x "$WM_SCRIPT_DIR/../../../bin/wellmonitor-run" ]]; then
    # installed: <prefix>/share/wellmonitor/pipelines and <prefix>/bin
    runner="$WM_SCRIPT_DIR/../../../bin/wellmonitor-run"
  elif command -v wellmonitor-run >/dev/null; then
    runner="$(command -v wellmonitor-run)"
  else
    echo "$name: error: wellmonitor-run not found (build it: cmake --build build, or install wellmonitor)" >&2
    exit 2
  fi
  exec -a "$name" "$runner" "$mode" --pipelines-dir "$WM_SCRIPT_DIR" "$@"
}
