#!/usr/bin/env python3
"""What an unsaid colour matrix does to the crops, fold by fold, per crop.

A camera whose stream does not say its Y'CbCr matrix is read with the decoder's guess:
GStreamer takes BT.709 for every YUV stream over 576 lines (BT.601 at or under, BT.2020
from 2160), so a 1920x1200 camera that encodes with BT.601 is read as BT.709. For every
fold of a `wellmonitor-trainer crossval --save-folds DIR` folder this writes the fold's
held-out crops as such a decoder shows them (research/plant_replay.misread: Y'CbCr made
with one matrix, read with the other; no subsampling, no compression: the matrix alone),
measures how far their colours moved, and scores them with `wellmonitor-trainer
evaluate` and that fold's model at its own threshold, beside the crops as they are:

  research/matrix_crops.py --folds DIR [--model MODEL ...]

--model adds other models scored on every fold the same way (e.g. models/default.wmm:
it trained on every fold, so its figures there are no validation; they are printed
for the record). Needs build/trainer/wellmonitor-trainer, numpy and PIL.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

import plant_replay

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READS = [("as written", None), ("BT.601 read as BT.709", ("bt601", "bt709")),
         ("BT.709 read as BT.601", ("bt709", "bt601"))]


def evaluate(trainer, model, images, labels, tmp):
    out = os.path.join(tmp, "eval.json")
    r = subprocess.run([trainer, "evaluate", "--model", model, "--images", images, "--labels", labels, "--json", out,
                        "--threads", "1", "-q"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"matrix_crops: evaluate failed on {labels}: {(r.stderr or r.stdout).strip()[-400:]}")
    with open(out) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folds", required=True, help="a crossval --save-folds folder")
    ap.add_argument("--model", action="append", default=[], help="also score this model on every fold (repeatable)")
    ap.add_argument("--otherdays", default=os.path.join(ROOT, "../shared/data/otherdays"))
    ap.add_argument("--trainer", default=os.path.join(ROOT, "build/trainer/wellmonitor-trainer"))
    a = ap.parse_args()
    for path, what in [(os.path.join(a.otherdays, "imgs"), "--otherdays (the plant's data, ../shared/data/otherdays)"),
                       (a.trainer, "--trainer"), (a.folds, "--folds")] + [(m, "--model") for m in a.model]:
        if not os.path.exists(path):
            sys.exit(f"matrix_crops: {what}: {path} does not exist")
    try:
        folds = plant_replay.fold_lists(a.folds)
    except plant_replay.ReplayError as e:
        sys.exit(f"matrix_crops: {e}")
    rows, shifts = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for fold, labels, _, fold_model in folds:
            names = [line.split() for line in open(labels) if line.strip()]
            for read, how in READS:
                if how is None:
                    images, lab = os.path.join(a.otherdays, "imgs"), labels
                else:
                    images = os.path.join(tmp, f"fold-{fold}-{how[0]}-{how[1]}")
                    os.makedirs(images, exist_ok=True)
                    lab = os.path.join(images, "labels.txt")
                    diffs = []
                    with open(lab, "w") as f:
                        for name, label in names:
                            rgb = np.asarray(Image.open(os.path.join(a.otherdays, "imgs", name)).convert("RGB"))
                            out = plant_replay.misread(rgb, *how)
                            diffs.append((out.astype(int) - rgb.astype(int)).reshape(-1, 3))
                            png = os.path.splitext(name)[0] + ".png"
                            Image.fromarray(out).save(os.path.join(images, png))
                            f.write(f"{png} {label}\n")
                    d = np.concatenate(diffs)
                    shifts.setdefault(read, []).append(d)
                for model in [fold_model] + a.model:
                    m = evaluate(a.trainer, model, images, lab, tmp)
                    rows.append((fold, os.path.basename(model), read, m))
    print("| fold | model | crops | threshold | TP | FN | TN | FP | TPR | TNR | ROC AUC |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for fold, model, read, m in rows:
        print(f"| {fold} | {model} | {read} | {m['threshold']:.4g} | {m['tp']} | {m['fn']} | {m['tn']} | {m['fp']} "
              f"| {m['tpr']:.4f} | {m['tnr']:.4f} | {m['roc_auc']:.4f} |")
    print("\nColour moved by the misread, over every pixel of every fold's crops (R, G, B levels):")
    print("| read | mean change | mean absolute change | 99th percentile of the absolute change |")
    print("|---|---|---|---|")
    for read, ds in shifts.items():
        d = np.concatenate(ds)
        print(f"| {read} | {', '.join(f'{x:+.1f}' for x in d.mean(axis=0))} | {', '.join(f'{x:.1f}' for x in np.abs(d).mean(axis=0))} "
              f"| {', '.join(f'{x:.0f}' for x in np.percentile(np.abs(d), 99, axis=0))} |")


if __name__ == "__main__":
    main()
