#!/usr/bin/env python3
"""How much the element's per-well scores depend on the input format, on a replay.

Runs filesrc ! decodebin ! videoconvert ! video/x-raw,format=F ! wellmonitor
post-scores=true once per format F, and compares every well's score on every
frame with its score when the element is given BGR: the largest and the mean
absolute difference, and how many well-frames differ by more than 0.01.

  research/format-scores.py [--model M] [--video V] [--wells W] [--formats BGR,I420,...] [--via NV12]

A decoder gives I420, and videoconvert's own I420-to-RGB path (a fast path) pairs
pixels on one chroma sample with an 8-bit matrix, where its other conversions
(NV12 to RGB, and the element's crops) upsample chroma linearly at full
precision. --via NV12 makes the reference BGR through NV12 first
(videoconvert ! NV12 ! videoconvert ! BGR), an exact conversion of the same picture.

Needs the plugin built (build/plugin) and gst-launch-1.0; standard library only.
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def scores(a, fmt, via=None):
    env = dict(os.environ, GST_PLUGIN_PATH=a.plugin_dir, OMP_WAIT_POLICY="PASSIVE")
    convert = ["videoconvert", "!", f"video/x-raw,format={via}", "!"] if via else []
    cmd = ["gst-launch-1.0", "-m", "filesrc", f"location={a.video}", "!", "decodebin", "!"] + convert + [
           "videoconvert", "!", f"video/x-raw,format={fmt}", "!", "wellmonitor", f"model={a.model}", f"wells={a.wells}", "device=cpu",
           "threads=1", "post-scores=true", "!", "fakesink"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"format-scores: the {fmt} pipeline failed:\n{out.stderr or out.stdout}")
    frames = {}
    for line in out.stdout.splitlines():
        if "wellmonitor-scores" not in line:
            continue
        values = [float(x) for x in re.search(r"scores=\(double\)< ([^>]*) >", line).group(1).split(", ")]
        frames[int(re.search(r"frame=\(guint64\)(\d+)", line).group(1))] = values
    if not frames:
        sys.exit(f"format-scores: no wellmonitor-scores messages came back for {fmt}")
    return frames


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=os.path.join(ROOT, "models/default.wmm"))
    ap.add_argument("--video", default=os.path.join(ROOT, "pipelines/demo/replay.mp4"))
    ap.add_argument("--wells", default=os.path.join(ROOT, "pipelines/casting-table.wells.txt"))
    ap.add_argument("--plugin-dir", default=os.path.join(ROOT, "build/plugin"))
    ap.add_argument("--formats", default="BGR,BGRx,RGB,RGBA,I420,NV12,GRAY8",
                    help="comma-separated; the first is the reference")
    ap.add_argument("--via", help="convert the decoded frames to this format before the reference's videoconvert")
    a = ap.parse_args()
    for path in (a.model, a.video, a.wells):
        if not os.path.exists(path):
            sys.exit(f"format-scores: {path}: no such file")
    formats = a.formats.split(",")
    ref = scores(a, formats[0], a.via)
    via = f" made through {a.via}" if a.via else ""
    print(f"model {a.model}, {len(ref)} frames x {len(next(iter(ref.values())))} wells, against {formats[0]}{via}")
    print(f"| format | max abs difference | mean abs difference | well-frames over 0.01 |")
    print("|---|---|---|---|")
    for fmt in formats[1:]:
        got = scores(a, fmt)
        diffs = [abs(x - y) for f in ref for x, y in zip(ref[f], got.get(f, []))]
        if len(diffs) != sum(len(v) for v in ref.values()):
            sys.exit(f"format-scores: {fmt} scored {len(got)} frames, {formats[0]} {len(ref)}")
        over = sum(d > 0.01 for d in diffs)
        print(f"| {fmt} | {max(diffs):.4f} | {sum(diffs) / len(diffs):.5f} | {over} of {len(diffs)} |")


if __name__ == "__main__":
    main()
