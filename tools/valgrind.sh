#!/usr/bin/env bash
# Runs the wellmonitor element under valgrind's memcheck over the first frames
# of the demo replay and checks it for leaks and invalid memory accesses.
#
#   tools/valgrind.sh [--build DIR] [FRAMES]
#   tools/valgrind.sh --check LOG     (only classify an existing valgrind log)
#
# DIR (default build) is a CMake build folder with the plugin in DIR/plugin
# (cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release &&
#  cmake --build build --target gstwellmonitor); FRAMES (default 30) is how
# many frames of pipelines/demo/replay.mp4 reach the element
# (identity eos-after=FRAMES).
#
# Exits 1 when valgrind reports a "definitely lost" block with a frame of
# wellmonitor's code (the plugin library: the element, the model library and
# the layout reader are linked into it) anywhere in its allocation stack, or
# an invalid read, write or free whose innermost frame is wellmonitor's; 2 when
# it cannot run. Definite leaks of third-party code that are not ours are
# suppressed, each with its reason, in tools/valgrind.supp (GLib's own
# suppressions are used too); what is left of them is listed, not fatal. The
# whole valgrind log is kept in DIR/valgrind.log.
#
# What keeps the run short: the GStreamer registry is built once before
# valgrind starts (gst-inspect-1.0 with the same GST_REGISTRY; under valgrind
# GST_REGISTRY_UPDATE=no so no plugin is scanned, and GST_REGISTRY_FORK=no so
# nothing runs outside valgrind), one OpenMP and one LibTorch thread, and a
# short part of the replay.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
check=
if [[ "${1:-}" == "--check" ]]; then check=$2; shift 2; fi
if [[ "${1:-}" == "--build" ]]; then build=$2; shift 2; fi
frames=${1:-30}
status=0
log=$build/valgrind.log
if [[ -z $check ]]; then
plugin_dir=$build/plugin
if [[ ! -f $plugin_dir/libgstwellmonitor.so ]]; then
  echo "valgrind.sh: no $plugin_dir/libgstwellmonitor.so; build it first: cmake --build $build --target gstwellmonitor" >&2
  exit 2
fi
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed (tools/setup-deps.sh)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

export GST_PLUGIN_PATH=$plugin_dir
export GST_REGISTRY=$tmp/registry.bin
export OMP_NUM_THREADS=1
export G_SLICE=always-malloc   # GLib's slice allocator would hide GLib's blocks from valgrind
export G_DEBUG=gc-friendly

# The registry, outside valgrind: scanning every system plugin inside it takes
# most of an hour and reports the other plugins' class initialisation.
if ! gst-inspect-1.0 wellmonitor >/dev/null 2>"$tmp/inspect.err"; then
  echo "valgrind.sh: gst-inspect-1.0 cannot load the plugin from $plugin_dir:" >&2
  cat "$tmp/inspect.err" >&2
  exit 2
fi
export GST_REGISTRY_UPDATE=no GST_REGISTRY_FORK=no

supp=(--suppressions=tools/valgrind.supp)
[[ -f /usr/share/glib-2.0/valgrind/glib.supp ]] && supp+=(--suppressions=/usr/share/glib-2.0/valgrind/glib.supp)

echo "== valgrind (memcheck) over $frames frames of the demo replay; log: $log"
start=$SECONDS
set +e
nice -n 19 valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
  --errors-for-leak-kinds=definite --num-callers=50 "${supp[@]}" --log-file="$log" \
  gst-launch-1.0 -q filesrc location=pipelines/demo/replay.mp4 ! decodebin ! videoconvert ! \
  identity eos-after="$frames" ! \
  wellmonitor wells=pipelines/casting-table.wells.txt threads=1 ! fakesink
status=$?
set -e
echo "valgrind: gst-launch-1.0 exited $status after $((SECONDS - start)) s"
else
  log=$check
fi

# Our code: the plugin library, or a frame naming one of our functions or files.
ours=$(git ls-files 'plugin/*.cpp' 'plugin/*.h' 'models/*/src/*.cpp' 'models/*/include/*' |
  sed 's|.*/||; s/[.]/[.]/g' | paste -sd'|')
set +e
awk -v ours="libgstwellmonitor|wellmonitor::|gst_wellmonitor|gst_well_|[(](${ours}):" '
  BEGIN { first = 1 }
  function flush() {
    if (kind == "leak" && anyours) { bad++; print "OURS (definitely lost):"; print rec }
    else if (kind == "leak") { other++; print "third-party (definitely lost), not ours:"; print rec }
    else if (kind == "invalid" && topours) { bad++; print "OURS (" head "):"; print rec }
    else if (kind == "invalid") { inv++ }
    kind = ""; rec = ""; anyours = 0; topours = 0; first = 1
  }
  { line = $0; sub(/^==[0-9]+== ?/, "", line) }
  line == "" { flush(); next }
  rec == "" && line ~ /definitely lost in loss record/ { kind = "leak" }
  rec == "" && line ~ /^(Invalid (read|write|free)|Mismatched free|Source and destination overlap)/ { kind = "invalid"; head = line }
  kind != "" {
    rec = rec "  " line "\n"
    if (line ~ /^ *(at|by) 0x/) {
      if (line ~ ours) { anyours = 1; if (first) topours = 1 }
      first = 0
    }
  }
  END {
    flush()
    printf "valgrind: %d finding(s) in wellmonitor code, %d third-party definite leak(s) not suppressed, %d invalid access(es) outside it\n", bad, other, inv
    exit (bad > 0 ? 1 : 0)
  }' "$log"
result=$?
set -e
grep -E "definitely lost:|indirectly lost:|ERROR SUMMARY" "$log" | sed 's/^==[0-9]*== */valgrind: /'
if ((status != 0)); then
  echo "valgrind.sh: the pipeline itself failed (exit $status); see $log" >&2
  exit 2
fi
exit $result
