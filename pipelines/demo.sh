#!/usr/bin/env bash
# The demo: the committed replay of the real plant through wellmonitor ! welloverlay,
# checked against its ground truth.
#   demo.sh [options]
# --help tells every option. `wellmonitor-run demo` does the work (docs/runner.md).
set -euo pipefail
WM_SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=pipelines/lib/common.sh
source "$WM_SCRIPT_DIR/lib/common.sh"
wm_exec_runner demo "$@"
