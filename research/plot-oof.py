#!/usr/bin/env python3
"""Draws out-of-fold scores (the CSV of `wellmonitor-trainer crossval --scores`) as
two histograms on a log-odds axis, normals above and spills below, with the
threshold marked: a picture of how far apart the other days' normals and spills lie.

  research/plot-oof.py OOF.csv THRESHOLD OUT.png      (Debian's python3-pil)
"""
import csv
import math
import sys

from PIL import Image, ImageDraw


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    rows = list(csv.DictReader(open(sys.argv[1])))
    thr = float(sys.argv[2])
    logit = lambda p: math.log(min(max(p, 1e-6), 1 - 1e-6) / (1 - min(max(p, 1e-6), 1 - 1e-6)))
    lo, hi, bins = -14.0, 14.0, 112
    hist = {0: [0] * bins, 1: [0] * bins}
    for r in rows:
        b = int((logit(float(r["score"])) - lo) / (hi - lo) * bins)
        hist[int(r["label"])][min(max(b, 0), bins - 1)] += 1
    W, H, m = 900, 360, 40
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    bw = (W - 2 * m) / bins
    half = (H - 2 * m) // 2
    for label, colour, up in ((0, (60, 120, 200), True), (1, (210, 60, 50), False)):
        top = max(max(hist[label]), 1)
        for i, n in enumerate(hist[label]):
            if not n:
                continue
            h = max(2, math.log1p(n) / math.log1p(top) * (half - 10))
            x0 = m + i * bw
            y = m + half
            d.rectangle([x0, y - h if up else y, x0 + bw - 1, y if up else y + h], fill=colour)
    xt = m + (logit(thr) - lo) / (hi - lo) * (W - 2 * m)
    d.line([xt, m - 10, xt, H - m + 10], fill=(0, 0, 0), width=2)
    d.text((xt + 4, m - 14), f"threshold {thr:.4g}", fill=(0, 0, 0))
    for p in (1e-5, 1e-3, 0.1, 0.5, 0.9, 0.999, 0.99999):
        x = m + (logit(p) - lo) / (hi - lo) * (W - 2 * m)
        d.line([x, H - m + 2, x, H - m + 8], fill=(0, 0, 0))
        d.text((x - 14, H - m + 10), f"{p:g}", fill=(0, 0, 0))
    n0 = sum(hist[0]); n1 = sum(hist[1])
    d.text((m, 8), f"out-of-fold scores on the other days: {n0} normal crop-scores (blue, up), "
                   f"{n1} spill crop-scores (red, down); log counts, log-odds axis", fill=(0, 0, 0))
    img.save(sys.argv[3])


if __name__ == "__main__":
    main()
