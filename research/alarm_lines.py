#!/usr/bin/env python3
"""Counts wellmonitor-run's alarm lines against a replay's ground truth.

  research/alarm_lines.py --truth out/replays/look2-12fps/fold-0.truth.csv run.log

run.log: the ALARM / CLEAR lines wellmonitor-run printed (--log FILE, or its stdout);
the truth: well,first_frame,last_frame per spill event (research/plant_replay.py).
Counted as research/replay_alarms.py counts the element's messages (alarm_rules.evaluate):
a spill event counts when its well is in alarm at most 1 s after the event's first
frame; an alarm that starts on a well outside its spill events (and 1 s after them)
is a false alarm. Prints one line.
"""
import argparse
import re
import sys

import alarm_rules as rules

LINE = re.compile(r"^(?:SHADOW )?(ALARM|CLEAR) well=(\S+) time=\S+ frame=(\d+)")


def alarm_runs(lines):
    """{well: [(alarm frame, clear frame or None)]} of the runner's lines, in order."""
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
    return {w: [tuple(r) for r in v] for w, v in runs.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log", help="the runner's alarm lines")
    ap.add_argument("--truth", required=True, help="the replay's well,first_frame,last_frame CSV")
    ap.add_argument("--fps", type=int, default=12, help="the replay's frame rate (default 12)")
    a = ap.parse_args()
    with open(a.log) as f:
        runs = alarm_runs(f)
    truth = rules.read_truth(a.truth)
    fig = rules.evaluate(runs, truth, a.fps, frames=1)
    print(f"events within 1 s: {fig.within_1s} / {fig.events}; false alarms: {fig.false_alarms}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
