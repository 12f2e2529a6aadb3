#!/usr/bin/env python3
"""Per-crop figures of a model on the demo replay, through the real element.

Runs filesrc ! decodebin ! videoconvert ! wellmonitor post-scores=true on a replay
video (the crops pasted into the plant's frame and compressed as H.264: a shift
no training run sees), then counts, over every analysed well in every frame, the
scores over the model's threshold (or over each --threshold given) against the
replay's ground truth (well,first_frame,last_frame).

  tools/replay-scores.py MODEL [--video V] [--truth CSV] [--threshold T ...]

Needs the plugin built (build/plugin) and gst-launch-1.0; standard library only.
"""
import argparse
import csv
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--video", default=os.path.join(ROOT, "pipelines/demo/replay.mp4"))
    ap.add_argument("--truth", default=os.path.join(ROOT, "pipelines/demo/replay.truth.csv"))
    ap.add_argument("--wells", default=os.path.join(ROOT, "pipelines/casting-table.wells.txt"))
    ap.add_argument("--plugin-dir", default=os.path.join(ROOT, "build/plugin"))
    ap.add_argument("--threshold", type=float, action="append", help="also count at this threshold (repeatable)")
    a = ap.parse_args()
    for path in (a.model, a.video, a.truth, a.wells):
        if not os.path.exists(path):
            sys.exit(f"replay-scores: {path}: no such file")
    env = dict(os.environ, GST_PLUGIN_PATH=a.plugin_dir, OMP_WAIT_POLICY="PASSIVE")
    cmd = ["gst-launch-1.0", "-m", "filesrc", f"location={a.video}", "!", "decodebin", "!", "videoconvert", "!",
           "wellmonitor", f"model={a.model}", f"wells={a.wells}", "device=cpu", "threads=1", "post-scores=true",
           "!", "fakesink"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"replay-scores: the pipeline failed:\n{out.stderr or out.stdout}")
    truth = [(r["well"], int(r["first_frame"]), int(r["last_frame"])) for r in csv.DictReader(open(a.truth))]
    normal, spill, model_thr = [], [], None
    for line in out.stdout.splitlines():
        if "wellmonitor-scores" not in line:
            continue
        wells = re.search(r"wells=\(string\)< ([^>]*) >", line).group(1).split(", ")
        scores = [float(x) for x in re.search(r"scores=\(double\)< ([^>]*) >", line).group(1).split(", ")]
        frame = int(re.search(r"frame=\(guint64\)(\d+)", line).group(1))
        model_thr = float(re.search(r"threshold=\(double\)([0-9.eE+-]+)", line).group(1))
        for w, s in zip(wells, scores):
            spilling = any(w == tw and first <= frame <= last for tw, first, last in truth)
            (spill if spilling else normal).append(s)
    if not normal:
        sys.exit("replay-scores: no wellmonitor-scores messages came back")
    print(f"model {a.model}: {len(normal)} normal and {len(spill)} spilling well-frames")
    print("| threshold | per-frame TNR | per-frame TPR | false well-frames |")
    print("|---|---|---|---|")
    for t in [model_thr] + (a.threshold or []):
        fp = sum(s > t for s in normal)
        tp = sum(s > t for s in spill)
        tpr = f"{tp / len(spill):.4f}" if spill else "n/a"
        mark = " (the model's)" if t == model_thr else ""
        print(f"| {t:.4g}{mark} | {1 - fp / len(normal):.4f} | {tpr} | {fp} |")


if __name__ == "__main__":
    main()
