#!/usr/bin/python3
"""Writes the reference preprocessing outputs that tests/test_preprocess.cpp compares against.

Run with Debian's Python (python3-pil, python3-numpy):
    /usr/bin/python3 tests/support/make_preprocess_expected.py

The reference is the homework's Python pipeline for one crop:
    img = Image.open(p).convert("L")             # or .convert("RGB")
    img = img.resize((64, 64), Image.BILINEAR)    # what torchvision's Resize((64, 64)) does on a PIL image
    x = np.asarray(img) / 255                     # ToTensor
    x = (x - 0.5) / 0.5                           # Normalize(0.5, 0.5)
torchvision is not installed for /usr/bin/python3 on the build machine, so PIL's
resize is the reference; torchvision's Resize on a PIL image calls exactly
img.resize(size[::-1], Image.BILINEAR) (torchvision.transforms.functional_pil.resize).
When torchvision is importable, the script also checks that its Resize gives the
same pixels and says so.

Inputs: six real crops of tests/fixtures/crops (chosen for their spread of sizes)
and three synthetic images written here as PNG (lossless, so C++ decodes the same
pixels): 90x53 RGB (the size of a well in the full 1920x1200 frame: PIL's
antialiased downscale horizontally, upscale vertically), 150x120 RGB (downscale
in both directions) and 40x30 single-channel grey.

Outputs in tests/fixtures/preprocess/:
    <name>.<gray|rgb>.f32   float32 little-endian, C x 64 x 64 (CHW, RGB order)
    manifest.txt            '<image> <gray|rgb> <C> <H> <W> <expected file>' per line,
                            image paths relative to tests/fixtures
"""
import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "..", "fixtures"))
OUT = os.path.join(FIXTURES, "preprocess")
SIZE = (64, 64)  # (width, height)

REAL = [
    "crops/normal/7a7d5536-0238-4cce-b4ca-2f2fd8fcd070.jpg",  # 47x24, the flattest
    "crops/normal/30ee713f-c0c3-416b-aecd-ff49604b0f73.jpg",  # 46x27
    "crops/normal/0001653a-d109-4146-ad40-27a280412fad.jpg",  # 49x31
    "crops/normal/2947a1ae-f3a0-421a-98ad-3dfbd684f77f.jpg",  # 53x31, the widest
    "crops/spill/24_CAM_C_01-03-2023_05-39-08-934.jpg",      # 49x29
    "crops/spill/34_CAM_C_01-03-2023_05-39-09-282.jpg",      # 50x28
]


def synthetic(width, height, channels):
    """A deterministic test card: smooth gradients plus fine stripes and a checker, which
    an antialiased downscale treats very differently from a plain bilinear one."""
    y, x = np.mgrid[0:height, 0:width].astype(np.int64)
    planes = []
    for c in range(channels):
        smooth = (x * 255) // max(width - 1, 1) if c % 2 == 0 else (y * 255) // max(height - 1, 1)
        stripes = ((x + 2 * c) % 3 == 0) * 90 + (((x // 2 + y // 2) % 2) * 60)
        noise = (x * 37 + y * 91 + (x * y) % 17 * 13 + c * 50) % 64
        planes.append((smooth * 3 // 5 + stripes + noise) % 256)
    arr = np.stack(planes, axis=-1).astype(np.uint8)
    return arr[..., 0] if channels == 1 else arr


def reference(path, mode):
    img = Image.open(path).convert("L" if mode == "gray" else "RGB")
    img = img.resize(SIZE, Image.BILINEAR)
    x = np.asarray(img) / 255
    x = (x - 0.5) / 0.5
    if x.ndim == 2:
        x = x[None, :, :]
    else:
        x = x.transpose(2, 0, 1)
    return np.ascontiguousarray(x.astype("<f4"))


def check_torchvision(path, mode, expected):
    try:
        import torch  # noqa: F401
        from torchvision import transforms
    except Exception:
        return None
    t = transforms.Compose([transforms.Resize((SIZE[1], SIZE[0])), transforms.ToTensor(),
                            transforms.Normalize([0.5], [0.5])])
    got = t(Image.open(path).convert("L" if mode == "gray" else "RGB")).numpy()
    return float(np.abs(got - expected).max())


def main():
    os.makedirs(OUT, exist_ok=True)
    images = list(REAL)
    for name, (w, h, c) in {"synthetic_90x53.png": (90, 53, 3), "synthetic_150x120.png": (150, 120, 3),
                            "synthetic_gray_40x30.png": (40, 30, 1)}.items():
        Image.fromarray(synthetic(w, h, c), "RGB" if c == 3 else "L").save(os.path.join(OUT, name))
        images.append("preprocess/" + name)

    lines = []
    tv_diffs = []
    for rel in images:
        path = os.path.join(FIXTURES, rel)
        stem = os.path.splitext(os.path.basename(rel))[0]
        for mode in ("gray", "rgb"):
            x = reference(path, mode)
            out = f"{stem}.{mode}.f32"
            x.tofile(os.path.join(OUT, out))
            lines.append(f"{rel} {mode} {x.shape[0]} {x.shape[1]} {x.shape[2]} preprocess/{out}")
            d = check_torchvision(path, mode, x)
            if d is not None:
                tv_diffs.append(d)
    with open(os.path.join(OUT, "manifest.txt"), "w") as f:
        f.write("# <image> <gray|rgb> <channels> <height> <width> <expected float32 CHW file>; paths relative to "
                "tests/fixtures\n# written by tests/support/make_preprocess_expected.py (PIL " + Image.__version__ +
                ", numpy " + np.__version__ + ")\n")
        f.write("\n".join(lines) + "\n")
    print(f"{len(lines)} reference arrays written to {OUT}")
    if tv_diffs:
        print(f"torchvision Resize/ToTensor/Normalize vs PIL reference: max abs diff {max(tv_diffs):.3g}")
    else:
        print("torchvision is not importable here: PIL's resize (what torchvision calls) is the reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
