#!/usr/bin/env python3
"""Counts wellmonitor-run's alarm lines against a replay's ground truth.

  research/alarm_lines.py --truth fold-0.truth.csv --fps 12 run.log

run.log: the ALARM / CLEAR lines wellmonitor-run printed (--log FILE, or its stdout);
the truth: well,first_frame,last_frame per spill event (research/plant_replay.py,
wellmonitor-replay). A spill event counts when its well is in alarm at most 1 s
(--fps frames) after the event's first frame; an alarm that starts on a well outside
its spill events (and 1 s after them) is a false alarm, as in research/replay_alarms.py.
Prints one line: events within 1 s, false alarms, and the false ones' wells and frames.
"""
import argparse
import csv
import re
import sys

LINE = re.compile(r"^(?:SHADOW )?(ALARM|CLEAR) well=(\S+) time=\S+ frame=(\d+)")


def alarm_runs(lines):
    """{well: [[alarm frame, clear frame or None]]} of the lines, in order."""
    runs = {}
    for line in lines:
        m = LINE.match(line)
        if not m:
            continue
        kind, well, frame = m.group(1), m.group(2), int(m.group(3))
        if kind == "ALARM":
            runs.setdefault(well, []).append([frame, None])
        elif runs.get(well) and runs[well][-1][1] is None:
            runs[well][-1][1] = frame
    return runs


def count(runs, events, fps):
    """(events alarmed within 1 s, [(well, frame) of each false alarm])."""
    detected = 0
    for well, first, _ in events:
        if any(a <= first + fps and (c is None or c >= first) for a, c in runs.get(well, [])):
            detected += 1
    false = [(w, a) for w, rs in runs.items() for a, _ in rs
             if not any(w == ew and first <= a <= last + fps for ew, first, last in events)]
    return detected, sorted(false, key=lambda x: x[1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log", help="the runner's alarm lines")
    ap.add_argument("--truth", required=True, help="the replay's well,first_frame,last_frame CSV")
    ap.add_argument("--fps", type=int, default=12, help="frames in 1 s (default 12)")
    a = ap.parse_args()
    with open(a.truth, newline="") as f:
        events = [(r["well"], int(r["first_frame"]), int(r["last_frame"])) for r in csv.DictReader(f)]
    with open(a.log) as f:
        runs = alarm_runs(f)
    detected, false = count(runs, events, a.fps)
    print(f"events within 1 s: {detected} / {len(events)}; false alarms: {len(false)}"
          + (": " + " ".join(f"{w}@{fr}" for w, fr in false) if false else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
