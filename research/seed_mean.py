#!/usr/bin/env python3
"""The shipped alarm rule on the mean of several fold models' scores (an ensemble of seeds),
offline on the per-frame scores research/replay_alarms.py saved for each of them.

Each fold's threshold is chosen as crossval chooses it, without that fold: the highest
of the other folds' out-of-fold normal scores, each crop's score the mean over the
seeds in OOF_CSV (crossval --scores). The rule is alarm_rules.DEFAULT (the element's
defaults in seconds); --threshold-scale multiplies every fold's threshold.

  research/seed_mean.py --replays out/replays/look2-12fps --tags ,seed2 \\
      --oof out/folds/oof.csv [--threshold-scale 1.5]

(--tags: the TAG of each FOLD.said.TAG.scores.csv, comma-separated; empty for none.)
"""
import argparse
import csv

import numpy as np

import alarm_rules as rules


def fold_thresholds(oof_csv, folds):
    """Per fold: the highest mean-over-seeds out-of-fold score of the other folds' normals."""
    per_crop = {}
    with open(oof_csv, newline="") as f:
        for r in csv.DictReader(f):
            per_crop.setdefault((r["file"], int(r["label"]), int(r["fold"])), []).append(float(r["score"]))
    out = []
    for k in folds:
        others = [np.mean(v) for (_, label, fold), v in per_crop.items() if label == 0 and fold != k]
        if not others:
            raise SystemExit(f"seed_mean: {oof_csv}: no out-of-fold normals outside fold {k}")
        out.append(max(others))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replays", required=True, help="a folder of fold replays with their scores")
    ap.add_argument("--variant", default="said")
    ap.add_argument("--tags", required=True, help="the scores' TAGs, comma-separated (empty: untagged)")
    ap.add_argument("--oof", required=True, help="crossval --scores of the same seeds")
    ap.add_argument("--threshold-scale", type=float, default=1.0)
    a = ap.parse_args()
    runs = [rules.replay_runs(a.replays, a.variant, t) for t in a.tags.split(",")]
    folds = [meta["fold"] for meta, *_ in runs[0]]
    thr = fold_thresholds(a.oof, folds)
    figs = []
    for k in range(len(folds)):
        meta, truth, looks, first = runs[0][k]
        scores = {w: np.mean([r[k][3][w] for r in runs], axis=0) for w in first}
        alarms = rules.decide_all(scores, meta["fps"], thr[k] * a.threshold_scale, rules.DEFAULT)
        figs.append(rules.evaluate(alarms, truth, meta["fps"], meta["frames"], looks))
    t = rules.add(figs)
    print(f"{a.replays} ({a.variant}), mean of {len(runs)} score sets, {rules.DEFAULT.name()}, thresholds "
          + ", ".join(f"{x * a.threshold_scale:.4g}" for x in thr))
    print(f"events within 1 s: {t.within_1s} / {t.events}; false alarms: {t.false_alarms} "
          f"({', '.join(str(f.false_alarms) for f in figs)}); per normal look {t.per_look():.3%}")


if __name__ == "__main__":
    main()
