#!/usr/bin/env python3
"""A model's figures on a replay of the plant, through the real element.

Runs filesrc ! decodebin ! videoconvert ! wellmonitor post-scores=true on a replay
video (crops pasted into the plant's frame and compressed as H.264), then counts,
over every analysed well in every frame, the scores over the model's threshold (or
over each --threshold given) against the replay's ground truth
(well,first_frame,last_frame); and, for each --alarm-frames N, replays the
element's debounce (an alarm after N frames in a row over the threshold, a clear
after --clear-frames under it) over the same scores: spill events alarmed (within
--slack frames of their end), the delay of their first alarm, and false alarms.

  research/replay-scores.py MODEL [--video V] [--truth CSV] [--threshold T ...] [--alarm-frames N ...]
  research/replay-scores.py --folds DIR [--otherdays DIR] [--alarm-frames N ...]

With --folds (the folder `wellmonitor-trainer crossval --save-folds DIR` writes),
it builds one replay per fold from that fold's crops only (wellmonitor-replay
--labels --groups: every spill group of the fold is one spill event, normal wells
show runs of one group's crops) and scores it with that fold's model, which never
trained on them, at that fold's threshold: an honest end-to-end check on the
plant's other days. It then names the normal crops behind the false well-frames
(from the replay's --shown list), so that a false alarm can be looked at. Needs the plugin and the replay tool built (build/) and
gst-launch-1.0; standard library only.
"""
import argparse
import csv
import glob
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def element_scores(model, video, wells, plugin_dir, colorimetry=None):
    """[(frame, [well ids], [scores], threshold)] of every analysed frame."""
    env = dict(os.environ, GST_PLUGIN_PATH=plugin_dir, OMP_WAIT_POLICY="PASSIVE")
    # A stream that does not say its colour matrix is read as GStreamer guesses
    # it (BT.709 at this size); --colorimetry says it instead.
    tag = ["capssetter", f"caps=video/x-raw,colorimetry={colorimetry}", "!"] if colorimetry else []
    cmd = ["gst-launch-1.0", "-m", "filesrc", f"location={video}", "!", "decodebin", "!"] + tag + ["videoconvert", "!",
           "wellmonitor", f"model={model}", f"wells={wells}", "device=cpu", "threads=1", "post-scores=true",
           "!", "fakesink"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"replay-scores: the pipeline failed:\n{out.stderr or out.stdout}")
    frames = []
    for line in out.stdout.splitlines():
        if "wellmonitor-scores" not in line:
            continue
        ids = re.search(r"wells=\(string\)< ([^>]*) >", line).group(1).split(", ")
        scores = [float(x) for x in re.search(r"scores=\(double\)< ([^>]*) >", line).group(1).split(", ")]
        frame = int(re.search(r"frame=\(guint64\)(\d+)", line).group(1))
        thr = float(re.search(r"threshold=\(double\)([0-9.eE+-]+)", line).group(1))
        frames.append((frame, ids, scores, thr))
    if not frames:
        sys.exit("replay-scores: no wellmonitor-scores messages came back")
    return frames


def read_truth(path):
    return [(r["well"], int(r["first_frame"]), int(r["last_frame"])) for r in csv.DictReader(open(path))]


def per_frame(frames, truth, thresholds):
    """{threshold: (false well-frames, normal well-frames, true well-frames, spilling well-frames)}"""
    out = {}
    for t in thresholds:
        fp = n = tp = p = 0
        for frame, ids, scores, _ in frames:
            for w, s in zip(ids, scores):
                if any(w == tw and a <= frame <= b for tw, a, b in truth):
                    p += 1
                    tp += s > t
                else:
                    n += 1
                    fp += s > t
        out[t] = (fp, n, tp, p)
    return out


def false_crops(frames, truth, threshold, shown_csv, group_of, top=8):
    """The normal crops shown at false well-frames: [(file, group, false well-frames, max score)]."""
    spans = {}
    for r in csv.DictReader(open(shown_csv)):
        spans.setdefault(r["well"], []).append((int(r["first_frame"]), int(r["last_frame"]), r["file"]))
    hits = {}
    for frame, ids, scores, _ in frames:
        for w, s in zip(ids, scores):
            if s > threshold and not any(w == tw and a <= frame <= b for tw, a, b in truth):
                f = next((f for a, b, f in spans.get(w, []) if a <= frame <= b), "?")
                n, m = hits.get(f, (0, 0.0))
                hits[f] = (n + 1, max(m, s))
    rows = sorted(hits.items(), key=lambda kv: -kv[1][0])[:top]
    return [(os.path.basename(f), group_of.get(os.path.basename(f), "?"), n, m) for f, (n, m) in rows]


def debounce(frames, truth, threshold, alarm_frames, clear_frames, slack):
    """(events alarmed, events, [delays in frames], false alarms) with the element's debounce."""
    over, under, alarm = {}, {}, {}
    alarms = []  # (well, frame)
    for frame, ids, scores, _ in frames:
        for w, s in zip(ids, scores):
            if s > threshold or s != s:
                over[w] = over.get(w, 0) + 1
                under[w] = 0
                if not alarm.get(w) and over[w] >= alarm_frames:
                    alarm[w] = True
                    alarms.append((w, frame))
            else:
                under[w] = under.get(w, 0) + 1
                over[w] = 0
                if alarm.get(w) and under[w] >= clear_frames:
                    alarm[w] = False
    hit, delays = 0, []
    for w, a, b in truth:
        first = [f for tw, f in alarms if tw == w and a <= f <= b + slack]
        if first:
            hit += 1
            delays.append(first[0] - a)
    false = sum(1 for w, f in alarms if not any(w == tw and a <= f <= b + slack for tw, a, b in truth))
    return hit, len(truth), delays, false


def fold_replays(a, tmp):
    """[(model, video, truth)] for every fold of a crossval --save-folds folder."""
    runs = []
    for labels in sorted(glob.glob(os.path.join(a.folds, "fold-*.labels.txt"))):
        fold = re.search(r"fold-(\d+)\.labels", labels).group(1)
        models = sorted(glob.glob(os.path.join(a.folds, f"fold-{fold}-seed-*.wmm")))
        if not models:
            sys.exit(f"replay-scores: no model for fold {fold} in {a.folds}")
        groups = labels.replace(".labels.txt", ".groups.txt")
        spill_groups = set()
        with open(labels) as lf, open(groups) as gf:
            group_of = dict(line.split() for line in gf if line.strip())
            for line in lf:
                name, label = line.split()
                if label == "1":
                    spill_groups.add(group_of[name])
        video, truth = os.path.join(tmp, f"fold-{fold}.mp4"), os.path.join(tmp, f"fold-{fold}.truth.csv")
        cmd = [os.path.join(ROOT, "build/pipelines/wellmonitor-replay"), "--labels", labels, "--images",
               os.path.join(a.otherdays, "imgs"), "--groups", groups, "--layout", a.wells, "--frame", a.frame,
               "--duration", str(a.duration), "--spills", str(len(spill_groups)), "--seed", fold, "-q",
               "-o", video, "--truth", truth, "--shown", video + ".shown.csv"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"replay-scores: the replay of fold {fold} failed:\n{r.stderr}")
        runs.append((models[0], video, truth, (video + ".shown.csv", group_of)))
    if not runs:
        sys.exit(f"replay-scores: no fold-*.labels.txt in {a.folds}")
    return runs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", nargs="?")
    ap.add_argument("--video", default=os.path.join(ROOT, "pipelines/demo/replay.mp4"))
    ap.add_argument("--truth", default=os.path.join(ROOT, "pipelines/demo/replay.truth.csv"))
    ap.add_argument("--wells", default=os.path.join(ROOT, "pipelines/casting-table.wells.txt"))
    ap.add_argument("--plugin-dir", default=os.path.join(ROOT, "build/plugin"))
    ap.add_argument("--threshold", type=float, action="append", help="also count at this threshold (repeatable)")
    ap.add_argument("--alarm-frames", type=int, action="append", help="debounce to replay (repeatable)")
    ap.add_argument("--clear-frames", type=int, default=5)
    ap.add_argument("--slack", type=int, default=12, help="frames after a spill's end an alarm still counts")
    ap.add_argument("--folds", help="a crossval --save-folds folder: one replay per fold, with its model")
    ap.add_argument("--otherdays", default=os.path.join(ROOT, "../shared/data/otherdays"))
    ap.add_argument("--frame", default=os.path.join(ROOT, "../shared/data/frames/casting_table_1920x1200.png"))
    ap.add_argument("--duration", type=float, default=80)
    ap.add_argument("--fold-thresholds",
                    help="with --folds: comma-separated thresholds, one per fold in fold order, that the figures "
                         "and the debounce use instead of the fold models' own (e.g. the fold thresholds a "
                         "crossval run recorded)")
    ap.add_argument("--colorimetry", help="read the video with this colour matrix (e.g. bt601), not GStreamer's guess")
    a = ap.parse_args()
    if bool(a.model) == bool(a.folds):
        sys.exit("replay-scores: give a MODEL or --folds DIR")
    fold_thresholds = None
    if a.fold_thresholds:
        if not a.folds:
            sys.exit("replay-scores: --fold-thresholds needs --folds")
        try:
            fold_thresholds = [float(t) for t in a.fold_thresholds.split(",")]
        except ValueError:
            sys.exit(f"replay-scores: --fold-thresholds must be numbers separated by commas, got '{a.fold_thresholds}'")
    with tempfile.TemporaryDirectory() as tmp:
        runs = fold_replays(a, tmp) if a.folds else [(a.model, a.video, a.truth, None)]
        for path in [p for run in runs for p in run[:3]] + [a.wells]:
            if not os.path.exists(path):
                sys.exit(f"replay-scores: {path}: no such file")
        results = []
        if fold_thresholds is not None and len(fold_thresholds) != len(runs):
            sys.exit(f"replay-scores: --fold-thresholds gives {len(fold_thresholds)} threshold(s) for {len(runs)} folds")
        for i, (model, video, truth_path, shown) in enumerate(runs):
            frames, truth = element_scores(model, video, a.wells, a.plugin_dir, a.colorimetry), read_truth(truth_path)
            thr = fold_thresholds[i] if fold_thresholds is not None else frames[0][3]
            results.append((model, frames, truth, thr))
            fig = per_frame(frames, truth, [thr] + (a.threshold or []))
            print(f"model {model}: {len(frames)} frames, {len(truth)} spill events, threshold {thr:.4g}")
            print("| threshold | per-frame TNR | per-frame TPR | false well-frames |")
            print("|---|---|---|---|")
            for t, (fp, n, tp, p) in fig.items():
                tpr = f"{tp / p:.4f}" if p else "n/a"
                mark = (" (the model's)" if fold_thresholds is None else " (given)") if t == thr else ""
                print(f"| {t:.4g}{mark} | {1 - fp / n:.4f} | {tpr} | {fp} |")
            if shown:
                worst = false_crops(frames, truth, thr, *shown)
                if worst:
                    print("normal crops behind its false well-frames (file, group, false well-frames, top score):")
                    for f, g, n, m in worst:
                        print(f"  {f} {g} {n} {m:.3f}")
        if a.alarm_frames:
            print(f"debounce over all {len(runs)} replay(s), clear-frames {a.clear_frames}:")
            print("| alarm-frames | spill events alarmed | mean / max delay (frames) | false alarms |")
            print("|---|---|---|---|")
            for n in a.alarm_frames:
                hit = events = false = 0
                delays = []
                for _, frames, truth, thr in results:
                    h, e, d, f = debounce(frames, truth, thr, n, a.clear_frames, a.slack)
                    hit, events, false, delays = hit + h, events + e, false + f, delays + d
                mean = sum(delays) / len(delays) if delays else float("nan")
                print(f"| {n} | {hit} of {events} | {mean:.1f} / {max(delays) if delays else 'n/a'} | {false} |")


if __name__ == "__main__":
    main()
