#!/usr/bin/env bash
# Builds the asan preset (GCC, AddressSanitizer + UndefinedBehaviorSanitizer)
# and runs the whole test suite under it.
#
#   tools/sanitize.sh [ctest arguments, e.g. -R Layout]
#
# The environment GStreamer needs under the sanitizers is set here:
#  - GST_REGISTRY_FORK=no: plugins are scanned in the test process itself, not
#    in gst-plugin-scanner, an uninstrumented child that cannot load the
#    sanitized plugin;
#  - LD_PRELOAD of GCC's ASan and UBSan runtimes: the tests also start
#    uninstrumented programs (gst-launch-1.0, python3) that load the plugin or
#    run the sanitized tools; with the runtimes first in every process they can;
#  - detect_leaks=0: GLib's type system and LibTorch's registries keep their
#    allocations until exit by design; leaks are checked with valgrind instead
#    (README, "Sanitizers and valgrind").
#  - tools/asan.supp: ASan reports in programs that are not ours (each one
#    explained there); the same options are in the asan test preset.
# Any finding aborts the test that hit it, so ctest fails.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}

# ccache where there is one (a first configure only; CI has none).
if command -v ccache >/dev/null; then
  export CMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER:-ccache}
  export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}
fi
start=$SECONDS
cmake --preset asan
cmake --build --preset asan -j "$jobs"
echo "sanitize.sh: asan build $((SECONDS - start)) s"

asan=$(gcc -print-file-name=libasan.so)
ubsan=$(gcc -print-file-name=libubsan.so)
export GST_REGISTRY_FORK=no
export LD_PRELOAD="$asan $ubsan${LD_PRELOAD:+ $LD_PRELOAD}"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:detect_odr_violation=0:verify_asan_link_order=0:suppressions=$PWD/tools/asan.supp"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Everything runs several times slower: one test at a time per core, long timeouts.
start=$SECONDS
set +e
ctest --preset asan -j "$jobs" --timeout 1800 "$@"
status=$?
set -e
echo "sanitize.sh: ctest under ASan + UBSan $((SECONDS - start)) s"
exit $status
