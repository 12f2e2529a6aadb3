#!/usr/bin/env bash
# Installs what wellmonitor needs, builds it, and runs the demo: the replay of
# the casting table (real frame, real crops, five real spills) through
# wellmonitor ! welloverlay with the shipped default model. Writes
# out/demo-annotated.mp4 and out/demo-alarms.log, shows a window when there is
# a display, and checks the alarms against the replay's ground truth.
#   tools/demo.sh [demo.sh options]   (see pipelines/demo.sh --help)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}

bash tools/setup-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$jobs" --target gstwellmonitor wellmonitor-trainer wellmonitor-run
exec bash pipelines/demo.sh --build build "$@"
