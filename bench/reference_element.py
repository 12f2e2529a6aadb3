#!/usr/bin/env python3
"""Reference timings in Python for the element benchmark (bench_element.cpp).

Does the wellmonitor element's job on decoded frames the way the reference
Python pipeline did it, and times it frame by frame. Per frame: the BGR frame
as a PIL image (RGB), then for each well: PIL crop of its box,
convert("L") (or "RGB" for a colour model), resize((64, 64), BILINEAR), to a
tensor, (x / 255 - 0.5) / 0.5; the wells stacked into one batch, one forward
pass under torch.inference_mode(), and the model file's score per well (the
reconstruction's MSE for the reference autoencoders; L1, L1+SSIM and the
spill-cnn classifier's probability are reproduced too).

The weights are read from the wellmonitor model file itself (header, JSON
metadata with its tensor table, raw payload) and mapped onto the PyTorch module
that reference_models.build() makes (spill-cnn is rebuilt here), so both
sides score with the same model.

Input: --frames-file, N x H x W x 3 uint8 BGR, packed rows; --boxes, a JSON
list of [x, y, width, height] in frame pixels (layout order). Prints one JSON
object: {"frames", "threads", "fps", "p50_ms", "p99_ms", "wells",
"first_scores", "peak_rss_mib"} where fps counts the timed frames over the timed loop's wall
time and the percentiles are nearest-rank over the per-frame times.
"""
import argparse
import hashlib
import json
import math
import os
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_models import build, conv_ae, spill_cnn  # noqa: E402

MAGIC = b"WELLMON\0"
BILINEAR = getattr(Image, "Resampling", Image).BILINEAR
DTYPES = {"float32": np.float32, "int64": np.int64}


def ssim(x, y):
    """Mean SSIM per sample as models/runtime/src/scores.cpp computes it (11x11 Gaussian, sigma 1.5, valid region)."""
    x, y = (x + 1.0) * 0.5, (y + 1.0) * 0.5
    c = x.shape[1]
    win = min(11, x.shape[2], x.shape[3])
    win -= 1 - win % 2
    coords = torch.arange(win, dtype=x.dtype) - (win - 1) / 2.0
    g = torch.exp(-(coords * coords) / (2.0 * 1.5 * 1.5))
    g = g / g.sum()
    w = (g.unsqueeze(1) @ g.unsqueeze(0)).expand(c, 1, win, win).contiguous()

    def filt(t):
        return F.conv2d(t, w, groups=c)

    c1, c2 = 0.01 ** 2, 0.03 ** 2
    mu_x, mu_y = filt(x), filt(y)
    sxx = filt(x * x) - mu_x * mu_x
    syy = filt(y * y) - mu_y * mu_y
    sxy = filt(x * y) - mu_x * mu_y
    m = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x * mu_x + mu_y * mu_y + c1) * (sxx + syy + c2))
    return m.flatten(1).mean(1)


def score_fn(score):
    """The model file's score as a function (input batch, network output) -> scores [N]."""
    kind = score.get("kind", "mse")
    if kind == "mse":
        return lambda x, out: ((out - x) ** 2).mean(dim=(1, 2, 3))
    if kind == "l1":
        return lambda x, out: (out - x).abs().mean(dim=(1, 2, 3))
    if kind == "hybrid":
        a, b = score.get("a", 0.5), score.get("b", 0.5)
        return lambda x, out: a * (out - x).abs().mean(dim=(1, 2, 3)) + b * (1.0 - ssim(x, out))
    if kind == "probability":
        return lambda x, out: torch.sigmoid(out.reshape(-1).double())
    raise SystemExit(f"score '{kind}' is not reproduced in reference_element.py")


def read_model_file(path):
    """Metadata and tensors of a .wmm file (models/runtime/include/wellmonitor/model_file.h): (meta, {name: array})."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24 or data[:8] != MAGIC:
        raise SystemExit(f"{path}: not a wellmonitor model file (bad magic)")
    version, _reserved, meta_size = struct.unpack("<IIQ", data[8:24])
    if version != 1:
        raise SystemExit(f"{path}: model file format {version}; this script reads format 1")
    meta = json.loads(data[24:24 + meta_size].decode("utf-8"))
    body = 24 + meta_size + meta["payload_bytes"]
    payload = data[24 + meta_size:body]
    if len(data) < body:
        raise SystemExit(f"{path}: truncated model file")
    if hashlib.sha256(payload).hexdigest() != meta.get("payload_sha256"):
        raise SystemExit(f"{path}: weights checksum mismatch")
    # Files with a footer end in the hex SHA-256 of everything before it.
    if len(data) == body + 64 and hashlib.sha256(data[:body]).hexdigest().encode() != data[body:]:
        raise SystemExit(f"{path}: file checksum mismatch")
    tensors = {}
    for t in meta["tensors"]:
        a = np.frombuffer(payload, dtype=DTYPES[t["dtype"]], count=int(np.prod(t["shape"], dtype=np.int64)),
                          offset=t["offset"])
        tensors[t["name"]] = a.reshape(t["shape"])
    return meta, tensors


def load_module(path):
    """The model file's network as a PyTorch module in eval mode, and its metadata."""
    meta, tensors = read_model_file(path)
    pre = meta["preprocess"]
    channels = 3 if pre["color"] == "rgb" else 1
    params = meta.get("arch_params", {})
    arch = meta["arch"]
    h, w = pre["height"], pre["width"]
    if arch == "seed-ae" and (params.get("latent", 512) != 512 or (h, w) != (64, 64)):
        module = conv_ae(channels, 32, 64, 128, params.get("latent", 512), h, w)
    elif arch == "compact-ae" and (h, w) != (64, 64):
        b = params.get("base", 16)
        module = conv_ae(channels, b, 2 * b, 4 * b, params.get("latent", 64), h, w, relu_latent=True)
    elif arch in ("seed-ae", "compact-ae"):
        module = build(arch, channels, params.get("base", 16), params.get("latent", 64))
    elif arch == "spill-cnn":
        module = spill_cnn(channels, params.get("base", 8))
    else:
        raise SystemExit(f"{path}: architecture '{arch}' is not rebuilt here")

    # The file names tensors "param:<name>" / "buffer:<name>" with LibTorch's
    # module paths, which are the PyTorch state_dict keys of the same layout.
    state = module.state_dict()
    loaded = {}
    for name, array in tensors.items():
        key = name.split(":", 1)[1]
        if key not in state:
            raise SystemExit(f"{path}: tensor '{name}' has no place in the PyTorch {arch}")
        if tuple(state[key].shape) != array.shape:
            raise SystemExit(f"{path}: tensor '{name}' is {array.shape}, the PyTorch {arch} wants "
                             f"{tuple(state[key].shape)}")
        loaded[key] = torch.from_numpy(array.copy())
    missing = set(state) - set(loaded)
    if missing:
        raise SystemExit(f"{path}: tensors missing for {sorted(missing)}")
    module.load_state_dict(loaded)
    module.eval()
    return module, meta


def nearest_rank(sorted_values, p):
    k = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[k - 1]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--frames-file", required=True, help="N x H x W x 3 uint8 BGR frames, packed")
    p.add_argument("--width", type=int, required=True)
    p.add_argument("--height", type=int, required=True)
    p.add_argument("--count", type=int, required=True, help="frames in the file (all are timed)")
    p.add_argument("--warmup", type=int, default=10, help="untimed frames first (from the start of the file)")
    p.add_argument("--boxes", required=True, help="JSON list of [x, y, width, height], frame pixels")
    p.add_argument("--model", required=True, help="wellmonitor model file (.wmm)")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    module, meta = load_module(a.model)
    pre = meta["preprocess"]
    mode = "RGB" if pre["color"] == "rgb" else "L"
    size = (pre["width"], pre["height"])
    score = score_fn(meta.get("score", {}))
    boxes = [tuple(b) for b in json.loads(a.boxes)]

    frames = np.fromfile(a.frames_file, dtype=np.uint8)
    if frames.size != a.count * a.height * a.width * 3:
        raise SystemExit(f"{a.frames_file}: {frames.size} bytes, expected {a.count} frames of "
                         f"{a.width}x{a.height}x3")
    frames = frames.reshape(a.count, a.height, a.width, 3)

    def job(frame):
        img = Image.fromarray(frame[:, :, ::-1])  # BGR -> RGB, as from a decoder
        crops = []
        for x, y, w, h in boxes:
            c = img.crop((x, y, x + w, y + h)).convert(mode).resize(size, BILINEAR)
            t = torch.from_numpy(np.array(c)).float().div(255)
            t = t.unsqueeze(0) if mode == "L" else t.permute(2, 0, 1)
            crops.append((t - 0.5) / 0.5)
        batch = torch.stack(crops)
        with torch.inference_mode():
            return score(batch, module(batch))

    for i in range(min(a.warmup, a.count)):
        job(frames[i])
    times = []
    first_scores = None
    t_start = time.perf_counter()
    for i in range(a.count):
        t0 = time.perf_counter()
        scores = job(frames[i])
        times.append(time.perf_counter() - t0)
        if first_scores is None:
            first_scores = scores.tolist()
    wall = time.perf_counter() - t_start
    times.sort()
    print(json.dumps({"frames": a.count, "threads": torch.get_num_threads(), "wells": len(boxes),
                      "fps": a.count / wall, "p50_ms": 1e3 * nearest_rank(times, 50),
                      "p99_ms": 1e3 * nearest_rank(times, 99), "first_scores": first_scores,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))


if __name__ == "__main__":
    main()
