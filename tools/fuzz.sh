#!/usr/bin/env bash
# Runs the libFuzzer harnesses of the fuzz preset (fuzz/README.md).
#
#   tools/fuzz.sh [--build DIR] [SECONDS] [HARNESS...]
#
# Each harness (default: all five: model layout labels crop element) first
# replays its regression inputs (fuzz/regressions/HARNESS/), then fuzzes for
# SECONDS (default 20) starting from the committed seeds (fuzz/corpus/HARNESS/),
# two harnesses at a time (JOBS=N to change). What the fuzzer adds to the corpus
# goes to DIR/corpus/HARNESS, never into the source tree; a crash, leak or
# timeout is written to DIR/artifacts/ and the script exits 1 naming it.
# Build first: cmake --preset fuzz && cmake --build --preset fuzz
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-fuzz
if [[ "${1:-}" == "--build" ]]; then build=$2; shift 2; fi
seconds=20
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi
harnesses=("$@")
((${#harnesses[@]})) || harnesses=(model layout labels crop element)
jobs=${JOBS:-2}

# Under ASan + UBSan: any finding stops the harness. Leaks are reported
# (LeakSanitizer) only for the harnesses that do not start GStreamer, whose
# type system keeps its allocations for the life of the process.
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export OMP_NUM_THREADS=1

mkdir -p "$build/artifacts"
run_one() { # NAME
  local name=$1 exe="$build/fuzz/fuzz_$1" log="$build/artifacts/$1.log"
  local leaks=1
  [[ $name == element ]] && leaks=0
  [[ -x $exe ]] || { echo "fuzz: $exe is missing; build the fuzz preset first" >&2; return 1; }
  : >"$log"
  export ASAN_OPTIONS="detect_leaks=$leaks:abort_on_error=0:allocator_may_return_null=1"
  if compgen -G "fuzz/regressions/$name/*" >/dev/null; then
    if ! "$exe" -runs=1 fuzz/regressions/"$name"/* >>"$log" 2>&1; then
      echo "fuzz: $name: a regression input fails again (see $log)"; return 1
    fi
  fi
  mkdir -p "$build/corpus/$name"
  if "$exe" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$name-" "$build/corpus/$name" "fuzz/corpus/$name" >>"$log" 2>&1; then
    echo "fuzz: $name: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || echo '?') runs in ${seconds}s, no finding"
  else
    echo "fuzz: $name: FINDING (see $log; the input is $(ls -t "$build/artifacts/$name-"* 2>/dev/null | head -1))"
    tail -n 40 "$log"
    return 1
  fi
}

status=0
pids=()
for name in "${harnesses[@]}"; do
  run_one "$name" & pids+=($!)
  if ((${#pids[@]} >= jobs)); then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
