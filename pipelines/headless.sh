#!/usr/bin/env bash
# Monitor a video without a display: annotated MP4 out, plus an alarm log.
#   headless.sh [options] INPUT OUTPUT.mp4
# --help tells every option. `wellmonitor-run headless` does the work (docs/runner.md).
set -euo pipefail
WM_SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=pipelines/lib/common.sh
source "$WM_SCRIPT_DIR/lib/common.sh"
wm_exec_runner headless "$@"
