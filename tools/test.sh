#!/usr/bin/env bash
# Builds wellmonitor with CMake, configures the Meson mirror and runs the test
# suites (CTest). Installs the Debian packages it needs first.
#
#   tools/test.sh          the test command (.ci/run): about 20 minutes on two cores
#   tools/test.sh --long   also the long checks, about 10 minutes more: the default
#                          model's 5-minute reproduction from the plant's data
#                          (Crossval.DefaultModelReproduces...), the Meson mirror's
#                          build of the plugin and wellmonitor-run, and the five fuzz
#                          harnesses (the fuzz preset: clang-14, ASan + UBSan) 20 s each
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}
long=0
case "${1:-}" in
  --long) long=1 ;;
  "") ;;
  *) echo "tools/test.sh: unknown option '$1' (--long runs the long checks too)" >&2; exit 1 ;;
esac

bash tools/setup-deps.sh
bash tools/check-meson-mirror.sh

echo "== CMake build [${SECONDS} s]"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$jobs"

# The Meson mirror (GStreamer-style builds): configuring it checks every target's
# sources and dependencies; --long builds what such a build ships (the plugin and
# wellmonitor-run, with the model library they link). `ninja -C build-meson`
# builds everything, `meson setup -Dtests=true` and `meson test` run the suites.
echo "== Meson mirror: configure [${SECONDS} s]"
if [[ -d build-meson ]]; then
  meson setup --reconfigure build-meson -Dtests=false -Dbench=false
else
  meson setup build-meson --buildtype=release -Dtests=false -Dbench=false
fi
if ((long)); then
  echo "== Meson mirror: build (plugin, wellmonitor-run) [${SECONDS} s]"
  meson compile -C build-meson -j "$jobs" gstwellmonitor wellmonitor-run
fi

echo "== CMake tests (ctest) [${SECONDS} s]"
if ((long)); then
  (cd build && ctest --output-on-failure -j "$jobs" --timeout 600)
else
  # The default model's reproduction (5 minutes of training on one core) says
  # it is skipped, and that --long runs it.
  (cd build && WELLMONITOR_QUICK=1 ctest --output-on-failure -j "$jobs" --timeout 600)
fi

if ((long)); then
  echo "== Fuzz harnesses (the fuzz preset: clang-14, ASan + UBSan; 20 s each) [${SECONDS} s]"
  cmake --preset fuzz
  cmake --build --preset fuzz -j "$jobs"
  bash tools/fuzz.sh 20
fi
echo "== all passed in ${SECONDS} s"
