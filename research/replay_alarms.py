#!/usr/bin/env python3
"""The alarms of the fold replays, through the element as a user runs it.

For every fold replay that research/plant_replay.py wrote (FOLD.json beside its video),
runs one separate process

  gst-launch-1.0 -m filesrc location=VIDEO ! decodebin ! videoconvert ! \\
      wellmonitor model=FOLD_MODEL wells=LAYOUT post-scores=true device=cpu threads=1 ! fakesink

with that fold's model (which never trained on the fold's crops) at its own threshold,
and the element's own decision (its defaults, alarm-seconds=0.75 clear-seconds=2
clear-ratio=0.5 smoothing-seconds=0, unless --alarm-seconds ... or the older
--alarm-frames / --clear-frames are given). It counts the element's alarms against
the replay's ground truth: spill events alarmed within 1 s of their start, and false
alarms, per fold, per hour and per 8-hour shift for the table, and per normal look.
It saves every frame's scores (FOLD.VARIANT[.TAG].scores.csv: frame, then one column
per well) and the element's alarms (FOLD.VARIANT[.TAG].alarms.csv) beside the video,
for research/alarm_rules.py.

  research/replay_alarms.py --replays DIR [--variant said|unsaid] [--read-as bt601]
                            [--models-from FOLDS_DIR | --model MODEL] [--tag TAG]

--read-as says the colour matrix the stream does not (capssetter before videoconvert),
as a runner that detects an unsaid matrix would. Needs build/plugin and gst-launch-1.0.
"""
import argparse
import csv
import glob
import json
import os
import re
import subprocess
import sys
import time

import alarm_rules as rules
import plant_replay

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUM = r"([-+0-9.eEnaif]+)"


def parse_messages(text):
    """(scores {frame: [scores]}, wells [ids], alarms [(kind, well, frame, reason)]) of gst-launch -m output
    (reason: a clear's, "" for an alarm)."""
    scores, wells, alarms = {}, None, []
    for line in text.splitlines():
        if "wellmonitor-scores" in line:
            frame = int(re.search(r"frame=\(guint64\)(\d+)", line).group(1))
            ids = re.search(r"wells=\(string\)< ([^>]*) >", line).group(1).split(", ")
            values = [float(x) for x in re.search(r"scores=\(double\)< ([^>]*) >", line).group(1).split(", ")]
            if wells is None:
                wells = ids
            elif ids != wells:
                raise ValueError(f"frame {frame}: the wells changed")
            scores[frame] = values
        elif "wellmonitor-alarm" in line or "wellmonitor-clear" in line:
            kind = "alarm" if "wellmonitor-alarm" in line else "clear"
            well = re.search(r"well=\(string\)([^,;]+)", line).group(1)
            frame = int(re.search(r"frame=\(guint64\)(\d+)", line).group(1))
            reason = re.search(r"reason=\(string\)([^,;]+)", line)
            alarms.append((kind, well, frame, reason.group(1) if reason else ""))
    return scores, wells or [], alarms


RULE_PROPERTIES = ("alarm_frames", "clear_frames", "alarm_seconds", "clear_seconds", "smoothing_seconds",
                   "clear_ratio")


def pipeline(video, model, wells, read_as=None, **rule):
    """The gst-launch-1.0 command; `rule`: the element's decision properties that are
    given (alarm_frames=5 -> alarm-frames=5), the others left at the element's defaults."""
    tag = ["capssetter", f"caps=video/x-raw,colorimetry={read_as}", "!"] if read_as else []
    monitor = ["wellmonitor", f"model={model}", f"wells={wells}", "device=cpu", "threads=1", "post-scores=true"]
    for key in RULE_PROPERTIES:
        if rule.get(key) is not None:
            monitor.append(f"{key.replace('_', '-')}={rule[key]:g}")
    return (["gst-launch-1.0", "-m", "filesrc", f"location={video}", "!", "decodebin", "!"] + tag
            + ["videoconvert", "!"] + monitor + ["!", "fakesink"])


def offline_rule(a):
    """The rule of alarm_rules.py that gives the element's decision for these options."""
    d = rules.DEFAULT
    ratio = a.clear_ratio if a.clear_ratio is not None else d.clear_ratio
    smoothing = a.smoothing_seconds if a.smoothing_seconds is not None else d.smoothing_s
    if a.alarm_frames or a.clear_frames:
        if not (a.alarm_frames and a.clear_frames) or smoothing:
            sys.exit("replay_alarms: give both --alarm-frames and --clear-frames, without --smoothing-seconds")
        return rules.Rule("frame", alarm_frames=a.alarm_frames, clear_frames=a.clear_frames, clear_ratio=ratio)
    return rules.ElementRule("mean", smoothing,
                             a.alarm_seconds if a.alarm_seconds is not None else d.alarm_s,
                             a.clear_seconds if a.clear_seconds is not None else d.clear_s, ratio)


def runs_of(alarms):
    """{well: [(alarm frame, clear frame or None)]} of the element's alarm and clear messages; an
    alarm ended by the stream's end (reason "stopped", at EOS) stays open, as the rule left it."""
    out = {}
    for kind, well, frame, *reason in alarms:
        if kind == "alarm":
            out.setdefault(well, []).append([frame, None])
        elif out.get(well) and out[well][-1][1] is None and reason[:1] in ([], [""], ["normal"]):
            out[well][-1][1] = frame
    return {w: [tuple(r) for r in v] for w, v in out.items()}


def fold_model(a, meta):
    if a.model:
        return a.model
    if a.models_from:
        found = sorted(glob.glob(os.path.join(a.models_from, f"fold-{meta['fold']}-seed-*.wmm")))
        if not found:
            sys.exit(f"replay_alarms: no fold-{meta['fold']}-seed-*.wmm in {a.models_from}")
        return found[0]
    return meta["model"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replays", required=True, help="a folder research/plant_replay.py wrote")
    ap.add_argument("--variant", default="said", choices=["said", "unsaid"], help="which stream (default said)")
    ap.add_argument("--read-as", help="read the stream with this colorimetry (e.g. bt601) instead of the decoder's")
    ap.add_argument("--models-from", help="take fold K's model from this crossval --save-folds folder instead")
    ap.add_argument("--model", help="one model for every fold (a model that trained on the folds is no validation)")
    ap.add_argument("--tag", default="", help="name the saved scores FOLD.VARIANT.TAG.scores.csv")
    ap.add_argument("--alarm-frames", type=int, help="the element's alarm-frames (older rule; default: seconds)")
    ap.add_argument("--clear-frames", type=int, help="the element's clear-frames (older rule; default: seconds)")
    ap.add_argument("--alarm-seconds", type=float, help="the element's alarm-seconds (default: its own)")
    ap.add_argument("--clear-seconds", type=float, help="the element's clear-seconds (default: its own)")
    ap.add_argument("--smoothing-seconds", type=float, help="the element's smoothing-seconds (default: its own)")
    ap.add_argument("--clear-ratio", type=float, help="the element's clear-ratio (default: its own)")
    ap.add_argument("--crop-scores", help="crossval --scores CSV: print each false alarm's crop score beside it")
    ap.add_argument("--wells", default=os.path.join(ROOT, "pipelines/casting-table.wells.txt"))
    ap.add_argument("--plugin-dir", default=os.path.join(ROOT, "build/plugin"))
    ap.add_argument("--trainer", default=os.path.join(ROOT, "build/trainer/wellmonitor-trainer"))
    a = ap.parse_args()
    metas = sorted(glob.glob(os.path.join(a.replays, "fold-*.json")))
    if not metas:
        sys.exit(f"replay_alarms: no fold-*.json in {a.replays} (write them with research/plant_replay.py)")
    if not os.path.exists(os.path.join(a.plugin_dir, "libgstwellmonitor.so")):
        sys.exit(f"replay_alarms: no plugin in {a.plugin_dir} (build it first)")
    env = dict(os.environ, GST_PLUGIN_PATH=a.plugin_dir, OMP_WAIT_POLICY="PASSIVE")
    suffix = a.variant + (f".{a.tag}" if a.tag else "")
    crop_score = {}
    if a.crop_scores:
        with open(a.crop_scores, newline="") as f:
            for r in csv.DictReader(f):
                crop_score.setdefault(r["file"], []).append(float(r["score"]))
    figs, lines, culprits = [], [], []
    for path in metas:
        with open(path) as f:
            meta = json.load(f)
        stem = path[:-len(".json")]
        video = os.path.join(a.replays, meta["videos"][a.variant])
        model = fold_model(a, meta)
        thr = meta["threshold"] if model == meta["model"] else plant_replay.model_threshold(a.trainer, model)
        cmd = pipeline(video, model, a.wells, a.read_as, **{k: getattr(a, k) for k in RULE_PROPERTIES})
        t0 = time.time()
        out = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.time() - t0
        if out.returncode != 0:
            sys.exit(f"replay_alarms: the pipeline failed on {video}:\n{(out.stderr or out.stdout)[-2000:]}")
        scores, wells, alarms = parse_messages(out.stdout)
        if sorted(scores) != list(range(meta["frames"])):
            sys.exit(f"replay_alarms: {video}: {len(scores)} frames scored of {meta['frames']} (every frame must be)")
        with open(f"{stem}.{suffix}.scores.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["frame"] + wells)
            for frame in range(meta["frames"]):
                w.writerow([frame] + [f"{s:.9g}" for s in scores[frame]])
        with open(f"{stem}.{suffix}.alarms.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["kind", "well", "frame", "reason"])
            w.writerows(alarms)
        truth = rules.read_truth(stem + ".truth.csv")
        looks = rules.read_looks(stem + ".looks.csv")
        element = runs_of(alarms)
        fig = rules.evaluate(element, truth, meta["fps"], meta["frames"], looks)
        # The offline rule must give the element's own alarms from the same scores.
        rule = offline_rule(a)
        table = {wl: [s[i] for s in (scores[k] for k in range(meta["frames"]))] for i, wl in enumerate(wells)}
        offline = {wl: r for wl, r in rules.decide_all(table, meta["fps"], thr, rule).items() if r}
        same = offline == element
        groups_file = os.path.join(os.path.dirname(meta["model"]), f"fold-{meta['fold']}.groups.txt")
        groups = dict(line.split() for line in open(groups_file)) if os.path.exists(groups_file) else {}
        for f, (n, shown) in sorted(rules.false_alarm_crops(element, truth, looks, meta["fps"]).items(),
                                    key=lambda kv: -kv[1][0]):
            name = os.path.basename(f)
            cs = "/".join(f"{s:.3f}" for s in crop_score.get(name, [])) or "-"
            culprits.append(f"| {meta['fold']} | {name} | {groups.get(name, '?')} | {n} of {shown} | {cs} |")
        figs.append(fig)
        lines.append(f"| {meta['fold']} | {os.path.basename(model)} | {thr:.4g} | {fig.within_1s} / {fig.events} "
                     f"| {fig.alarmed} | {fig.false_alarms} | {fig.per_hour():.0f} | {fig.per_shift():.0f} "
                     f"| {fig.normal_looks} | {fig.false_looks} | {fig.per_look():.4%} | {'yes' if same else 'NO'} "
                     f"| {wall:.0f} |")
        print(f"fold {meta['fold']}: {len(alarms)} messages, {fig.false_alarms} false alarms, "
              f"{fig.within_1s}/{fig.events} events within 1 s ({wall:.0f} s)", file=sys.stderr)
    m0 = json.load(open(metas[0]))
    print(f"{a.replays}: {m0['fps']} frames/s, {m0['duration_s']:g} s, looks of {m0['look_s']:g} s, "
          f"{m0['bitrate_kbps']} kbit/s, stream {a.variant}{', read as ' + a.read_as if a.read_as else ''}, "
          f"rule: {offline_rule(a).name()}")
    print("| fold | model | threshold | events within 1 s | alarmed | false alarms | per hour | per shift "
          "| normal looks | looks with a false alarm | false alarms per look | offline rule = element | s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))
    t = rules.add(figs)
    print(f"| all | | | {t.within_1s} / {t.events} | {t.alarmed} | {t.false_alarms} | "
          f"{rules.spread([f.per_hour() for f in figs])} | {rules.spread([f.per_shift() for f in figs])} | "
          f"{t.normal_looks} | {t.false_looks} | {t.per_look():.4%} | | |")
    if culprits:
        print("\nThe normal crops on screen when a false alarm began (crop score: crossval's out-of-fold, per seed):")
        print("| fold | crop | group | false alarms / looks shown | crop score |")
        print("|---|---|---|---|---|")
        print("\n".join(culprits))


if __name__ == "__main__":
    main()
