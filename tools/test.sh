#!/usr/bin/env bash
# Builds wellmonitor with CMake and with Meson, runs the test suites (CTest) and
# the fuzz harnesses for 20 s each.
# Installs the Debian packages it needs first. Usage: tools/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}

bash tools/setup-deps.sh
bash tools/check-meson-mirror.sh

echo "== CMake build [${SECONDS} s]"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$jobs"
# The Meson mirror (GStreamer-style builds) configures every target, and builds
# what such a build ships: the plugin and wellmonitor-run, with the model
# library they link. Building the trainer and the suites a second time does not
# fit the test command's 20 minutes on two cores: `ninja -C build-meson` builds
# everything, `meson setup -Dtests=true` and `meson test` run the suites.
echo "== Meson build (plugin, wellmonitor-run) [${SECONDS} s]"
if [[ -d build-meson ]]; then
  meson setup --reconfigure build-meson -Dtests=false -Dbench=false
else
  meson setup build-meson --buildtype=release -Dtests=false -Dbench=false
fi
meson compile -C build-meson -j "$jobs" gstwellmonitor wellmonitor-run

echo "== CMake tests (ctest) [${SECONDS} s]"
(cd build && ctest --output-on-failure -j "$jobs" --timeout 600)

echo "== Fuzz harnesses (the fuzz preset: clang-14, ASan + UBSan; 20 s each) [${SECONDS} s]"
cmake --preset fuzz
cmake --build --preset fuzz -j "$jobs"
bash tools/fuzz.sh 20
echo "== all passed in ${SECONDS} s"
