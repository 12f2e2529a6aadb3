#!/usr/bin/env bash
# Monitor a live V4L2 camera (USB, capture card).
#   camera.sh [options]
# --help tells every option. `wellmonitor-run camera` does the work (docs/runner.md).
set -euo pipefail
WM_SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=pipelines/lib/common.sh
source "$WM_SCRIPT_DIR/lib/common.sh"
wm_exec_runner camera "$@"
