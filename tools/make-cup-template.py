#!/usr/bin/env python3
"""Writes trainer/assets/cup-template.inc: the mean of the plant's normal
crops in tests/fixtures/crops/normal (grey, each resized to 50x29, PIL
bilinear), the cup `wellmonitor-trainer layout` looks for. Run with Debian's
python3 (PIL, numpy): /usr/bin/python3 tools/make-cup-template.py"""
import glob
import os

import numpy as np
from PIL import Image

W, H = 50, 29
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
files = sorted(glob.glob(os.path.join(root, "tests/fixtures/crops/normal/*.jpg")))
acc = np.zeros((H, W), np.float64)
for f in files:
    acc += np.asarray(Image.open(f).convert("L").resize((W, H), Image.BILINEAR), np.float64)
mean = np.clip(np.rint(acc / len(files)), 0, 255).astype(np.uint8)
out = os.path.join(root, "trainer/assets/cup-template.inc")
with open(out, "w") as f:
    f.write(f"// Made by tools/make-cup-template.py: the mean of {len(files)} normal crops, grey, {W}x{H}.\n")
    f.write(f"constexpr int kCupTemplateWidth = {W}, kCupTemplateHeight = {H};\n")
    f.write("constexpr unsigned char kCupTemplate[] = {\n")
    for y in range(H):
        f.write("  " + ", ".join(str(v) for v in mean[y]) + ",\n")
    f.write("};\n")
print(out)
