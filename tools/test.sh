#!/usr/bin/env bash
# Builds wellmonitor with CMake and with Meson, runs the test suites (CTest) and
# the fuzz harnesses for 20 s each.
# Installs the Debian packages it needs first. Usage: tools/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}

bash tools/setup-deps.sh
bash tools/check-meson-mirror.sh

echo "== CMake build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$jobs"
# The Meson mirror builds the same libraries, plugin and tools (the suites are
# CMake's: building and running them twice does not fit the test command's 20
# minutes on two cores; `meson setup -Dtests=true` and `meson test` run them).
echo "== Meson build (libraries, plugin, trainer, tools)"
if [[ -d build-meson ]]; then
  meson setup --reconfigure build-meson -Dtests=false -Dbench=false
else
  meson setup build-meson --buildtype=release -Dtests=false -Dbench=false
fi
ninja -C build-meson -j "$jobs"

echo "== CMake tests (ctest)"
(cd build && ctest --output-on-failure -j "$jobs" --timeout 600)

echo "== Fuzz harnesses (the fuzz preset: clang-14, ASan + UBSan; 20 s each)"
cmake --preset fuzz
cmake --build --preset fuzz -j "$jobs"
bash tools/fuzz.sh 20
