#!/usr/bin/env bash
# Monitor a recorded video: any container and codec decodebin reads.
#   file.sh [options] VIDEO
# --help tells every option. `wellmonitor-run file` does the work (docs/runner.md).
set -euo pipefail
WM_SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=pipelines/lib/common.sh
source "$WM_SCRIPT_DIR/lib/common.sh"
wm_exec_runner file "$@"
