#!/usr/bin/env bash
# Builds wellmonitor with CMake and with Meson and runs the test suites of both.
# Installs the Debian packages it needs first. Usage: tools/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}

bash tools/setup-deps.sh
bash tools/check-meson-mirror.sh

echo "== CMake build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$jobs"
echo "== Meson build"
if [[ -d build-meson ]]; then meson setup --reconfigure build-meson; else meson setup build-meson --buildtype=release; fi
ninja -C build-meson -j "$jobs"
echo "== Meson tests"
meson test -C build-meson --num-processes "$jobs" --print-errorlogs

echo "== CMake tests (ctest)"
(cd build && ctest --output-on-failure -j "$jobs" --timeout 600)

echo "== Fuzz harnesses (the fuzz preset: clang-14, ASan + UBSan; 20 s each)"
cmake --preset fuzz
cmake --build --preset fuzz -j "$jobs"
bash tools/fuzz.sh 20
