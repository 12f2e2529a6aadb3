#!/usr/bin/env bash
# Monitor an IP camera's RTSP stream; a camera that drops is reconnected.
#   rtsp.sh [options] rtsp://[user:password@]host[:port]/path
# --help tells every option. `wellmonitor-run rtsp` does the work (docs/runner.md).
set -euo pipefail
WM_SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=pipelines/lib/common.sh
source "$WM_SCRIPT_DIR/lib/common.sh"
wm_exec_runner rtsp "$@"
