#!/usr/bin/env python3
"""Novelty scores in a learned feature space, measured on the plant's other days.

A spill classifier scores what resembles the recorded spills; a novelty score
scores what is unlike every normal well: the mean cosine distance from a crop's
embedding to its k nearest normal wells. This tool measures both, and their sum
(logit of the spill probability + w x log novelty), on the group folds that
`wellmonitor-trainer crossval --save-folds DIR` writes. Every figure is out of
fold: fold i's crops are scored by fold i's model, against a bank of normals that
fold i's model could have seen (the other folds' other-day normals, optionally
with recorded normals), and each fold's threshold is the highest out-of-fold
normal of the other folds (the default's rule).

Two embeddings:
  classifier   the 64 pooled features in front of each fold model's head
               (mean and max of its last convolution), trained with spills;
  contrastive  (--contrastive-epochs N) a network of the same trunk trained per
               fold on normal wells only, two augmented views of one crop pulled
               together (NT-Xent): crop geometry (zoom, shift, aspect), flips,
               lighting, blur and a band of one colour across a random edge (an
               arm, hose or sleeve), so that the distance ignores those.

For each score it prints ROC AUC, missed spills and false normals at the rule,
and a scale-free margin per fold, (lowest spill - threshold) / (threshold -
median normal of the other folds): the room the rule has in that fold, in
logits for the classifier and in log distance for novelty (the scales on which
normal wells' scores spread alike; the counts and AUC do not depend on them).

  research/novelty.py --folds DIR [--seed S] [--otherdays DIR] [--normal DIR]
                   [--k 1,3,10] [--weights 0.5,1,2] [--contrastive-epochs 30]

Needs python3-torch, python3-pil and python3-numpy (Debian); nothing else.
The model reader and the crop preprocessing are the trainer's (`evaluate` gives
the same probabilities to 1e-5; tests/research/test_novelty.py checks it).
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAGIC = b"WELLMON\0"


def read_model(path):
    """(metadata, state dict) of a model file (models/runtime/include/wellmonitor/model_file.h)."""
    with open(path, "rb") as f:
        b = f.read()
    if len(b) < 24 or b[:8] != MAGIC:
        raise ValueError(f"{path}: not a wellmonitor model file")
    n = struct.unpack("<Q", b[16:24])[0]
    meta = json.loads(b[24:24 + n])
    base = 24 + n
    state = {}
    for t in meta["tensors"]:
        dt = np.float32 if t["dtype"] == "float32" else np.int64
        a = np.frombuffer(b, dtype=dt, count=t["nbytes"] // np.dtype(dt).itemsize, offset=base + t["offset"])
        state[t["name"].split(":", 1)[1]] = torch.from_numpy(a.reshape(t["shape"]).copy())
    return meta, state


class SpillCNN(nn.Module):
    """The trainer's spill-cnn (models/runtime/src/architectures.cpp); forward gives (logit, embedding)."""

    def __init__(self, base=8, channels=3, projection=0):
        super().__init__()
        layers, ch = [], [channels, base, 2 * base, 4 * base, 4 * base]
        for i in range(4):
            layers += [nn.Conv2d(ch[i], ch[i + 1], 3, padding=1), nn.BatchNorm2d(ch[i + 1]), nn.ReLU()]
            if i < 3:
                layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(8 * base, 1)
        # The contrastive embedding's projection head (training only).
        self.proj = nn.Sequential(nn.Linear(8 * base, 64), nn.ReLU(), nn.Linear(64, projection)) if projection else None

    def embed(self, x):
        h = self.features(x)
        return torch.cat([h.mean((2, 3)), h.flatten(2).max(2)[0]], 1)

    def forward(self, x):
        e = self.embed(x)
        return self.head(e).view(-1), e


def load_classifier(path):
    meta, state = read_model(path)
    if meta.get("arch") != "spill-cnn":
        raise ValueError(f"{path}: architecture {meta.get('arch')!r}; this tool reads spill-cnn models")
    pre = meta["preprocess"]
    net = SpillCNN(int(meta["arch_params"].get("base", 8)), 1 if pre["color"] == "grey" else 3)
    net.load_state_dict(state)
    net.eval()
    return meta, net


def load_crops(paths, pre):
    """Crops as the trainer feeds them: PIL bilinear resize, (x/255 - mean) / std."""
    if pre.get("resize") != "bilinear-pil":
        raise ValueError(f"resize {pre.get('resize')!r}: this tool reproduces bilinear-pil only")
    mode = "L" if pre["color"] == "grey" else "RGB"
    w, h = int(pre["width"]), int(pre["height"])
    mean, std = pre["normalize"]["mean"], pre["normalize"]["std"]
    out = []
    for p in paths:
        a = np.asarray(Image.open(p).convert(mode).resize((w, h), Image.BILINEAR), dtype=np.float32)
        out.append(a[None] if a.ndim == 2 else a.transpose(2, 0, 1))
    return torch.from_numpy(((np.stack(out) / 255.0 - mean) / std).astype(np.float32))


def run(net, x, batch=512):
    """(probabilities, embeddings) of a batch of preprocessed crops."""
    p, e = [], []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            z, emb = net(x[i:i + batch])
            p.append(torch.sigmoid(z).numpy())
            e.append(emb.numpy())
    return np.concatenate(p), np.concatenate(e)


def knn_novelty(e, bank, k):
    """Mean cosine distance (1 - cos) from each row of e to its k nearest rows of bank."""
    def unit(a):
        a = np.asarray(a, dtype=np.float64)
        return a / np.clip(np.linalg.norm(a, axis=1, keepdims=True), 1e-12, None)
    d = 1.0 - unit(e) @ unit(bank).T
    k = min(k, d.shape[1])
    return np.sort(d, axis=1)[:, :k].mean(1)


def log_novelty(e, bank, k):
    """The novelty score on a log scale, where normal wells' scores spread about as their logits do."""
    return np.log(np.clip(knn_novelty(e, bank, k), 1e-9, None))


def logit(p):
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def roc_auc(y, s):
    """Mann-Whitney ROC AUC, ties counted half."""
    y, s = np.asarray(y), np.asarray(s, dtype=np.float64)
    pos, neg = s[y == 1], s[y == 0]
    gt = (pos[:, None] > neg[None]).sum() + 0.5 * (pos[:, None] == neg[None]).sum()
    return gt / (len(pos) * len(neg))


def highest_normal_rule(y, s, folds):
    """Each fold at the highest normal score of the other folds: (missed, false, margins, thresholds)."""
    y, s, folds = np.asarray(y), np.asarray(s, dtype=np.float64), np.asarray(folds)
    missed = false = 0
    margins, thresholds = [], []
    for f in sorted(set(folds.tolist())):
        others = s[(folds != f) & (y == 0)]
        t = others.max()
        mine = folds == f
        missed += int(((s <= t) & mine & (y == 1)).sum())
        false += int(((s > t) & mine & (y == 0)).sum())
        spills = s[mine & (y == 1)]
        spread = t - np.median(others)
        margins.append((spills.min() - t) / spread if len(spills) and spread > 0 else float("nan"))
        thresholds.append(t)
    return missed, false, margins, thresholds


# ---- the contrastive embedding ------------------------------------------------

def augment(x, generator):
    """Two crops of one well should embed alike under these: geometry, flips, lighting, blur, occluders."""
    n, c, h, w = x.shape
    u = lambda lo, hi, *shape: torch.empty(*shape).uniform_(lo, hi, generator=generator)
    zoom, aspect = u(0.8, 1.2, n), u(0.85, 1.15, n)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 1, 1] = zoom * aspect, zoom / aspect
    theta[:, 0, 2], theta[:, 1, 2] = u(-0.12, 0.12, n), u(-0.12, 0.12, n)
    x = F.grid_sample(x, F.affine_grid(theta, x.shape, align_corners=False), padding_mode="border", align_corners=False)
    flip = torch.rand(n, generator=generator) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    m = x.mean((1, 2, 3), keepdim=True)
    x = (x - m) * u(0.7, 1.3, n, 1, 1, 1) + m + u(-0.25, 0.25, n, 1, 1, 1)
    x = x * u(0.9, 1.1, n, c, 1, 1)
    blur = torch.rand(n, generator=generator) < 0.3
    k = torch.tensor([1.0, 2.0, 1.0])
    k = ((k[:, None] * k[None]) / 16).expand(c, 1, 3, 3)
    x = torch.where(blur[:, None, None, None], F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k, groups=c), x)
    band = torch.rand(n, generator=generator) < 0.5
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
    angle, offset = u(0, 2 * math.pi, n), u(0.4, 0.95, n)
    mask = (xx[None] * torch.cos(angle)[:, None, None] + yy[None] * torch.sin(angle)[:, None, None]) > offset[:, None, None]
    colour = u(-1, 1, n, c, 1, 1).expand_as(x)
    x = torch.where((mask & band[:, None, None])[:, None], colour, x)
    return x.clamp(-1, 1)


def nt_xent(a, b, temperature=0.2):
    """SimCLR's loss: each view's positive is the other view of its crop, every other crop a negative."""
    z = torch.cat([a, b])
    sim = z @ z.T / temperature
    sim.fill_diagonal_(-1e9)
    n = a.shape[0]
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)


def train_contrastive(normals, otherday_normals, epochs, seed, channels=3, log=None):
    """A spill-cnn trunk trained on normal wells only; half of each batch from the other days' normals."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    net = SpillCNN(8, channels, projection=32)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    pool = torch.cat([normals, otherday_normals])
    steps = max(1, epochs * (len(pool) // 256))
    t0 = time.time()
    for step in range(steps):
        i = torch.cat([torch.randint(0, len(normals), (128,), generator=g),
                       len(normals) + torch.randint(0, len(otherday_normals), (128,), generator=g)])
        xb = pool[i]
        za = F.normalize(net.proj(net.embed(augment(xb, g))), dim=1)
        zb = F.normalize(net.proj(net.embed(augment(xb, g))), dim=1)
        loss = nt_xent(za, zb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if log and (step % 100 == 0 or step == steps - 1):
            log(f"  contrastive step {step + 1}/{steps}, loss {loss.item():.3f}, {time.time() - t0:.0f} s")
    net.eval()
    return net


# ---- the measurement ------------------------------------------------------------

def read_folds(folds_dir, seed):
    folds, models = {}, []
    f = 0
    while os.path.exists(os.path.join(folds_dir, f"fold-{f}.labels.txt")):
        for line in open(os.path.join(folds_dir, f"fold-{f}.labels.txt")):
            if line.split():
                folds[line.split()[0]] = f
        model = os.path.join(folds_dir, f"fold-{f}-seed-{seed}.wmm")
        if not os.path.exists(model):
            raise SystemExit(f"novelty: {model} is missing (crossval --save-folds writes one model per fold and seed)")
        models.append(model)
        f += 1
    if not models:
        raise SystemExit(f"novelty: no fold-0.labels.txt in {folds_dir}: give the folder crossval --save-folds wrote")
    return folds, models


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--folds", required=True, help="folder written by crossval --save-folds")
    ap.add_argument("--seed", type=int, default=1, help="which seed's fold models (default 1)")
    ap.add_argument("--otherdays", default=os.path.join(ROOT, "..", "shared", "data", "otherdays"))
    ap.add_argument("--normal", default=os.path.join(ROOT, "..", "shared", "data", "proliv", "train"),
                    help="recorded normal crops (bank and contrastive training)")
    ap.add_argument("--normal-stride", type=int, default=5, help="every n-th recorded normal (default 5)")
    ap.add_argument("--k", default="1,3,10", help="neighbours, comma-separated")
    ap.add_argument("--weights", default="0.5,1,2", help="w in logit + w log(novelty), comma-separated")
    ap.add_argument("--contrastive-epochs", type=int, default=0, help="also train the contrastive embedding (0: no)")
    ap.add_argument("--scores", help="write every crop's out-of-fold scores here (CSV)")
    a = ap.parse_args()
    log = lambda msg: print(msg, file=sys.stderr, flush=True)

    for path, what in ((os.path.join(a.otherdays, "labels.txt"), "--otherdays (../shared/data/otherdays)"),
                       (a.normal, "--normal (../shared/data/proliv/train)")):
        if not os.path.exists(path):
            raise SystemExit(f"novelty: {path} is missing: give {what}")
    fold_of, models = read_folds(a.folds, a.seed)
    labels = dict(l.split()[:2] for l in open(os.path.join(a.otherdays, "labels.txt")) if l.split())
    files = sorted(f for f in fold_of if f in labels)
    y = np.array([int(labels[f]) for f in files])
    folds = np.array([fold_of[f] for f in files])
    recorded = sorted(os.listdir(a.normal))[::a.normal_stride]
    ks = [int(v) for v in a.k.split(",")]
    weights = [float(v) for v in a.weights.split(",")]

    pre = read_model(models[0])[0]["preprocess"]
    log(f"novelty: {len(files)} other-day crops ({int(y.sum())} spills), {len(models)} folds, "
        f"{len(recorded)} recorded normals; reading crops")
    xo = load_crops([os.path.join(a.otherdays, "imgs", f) for f in files], pre)
    xr = load_crops([os.path.join(a.normal, f) for f in recorded], pre)

    scores = {"spill logit": np.zeros(len(files))}
    def put(name, f, values):
        scores.setdefault(name, np.zeros(len(files)))[folds == f] = values[folds == f]
    for f, model in enumerate(models):
        log(f"fold {f}: {os.path.basename(model)}")
        _, net = load_classifier(model)
        p, e = run(net, xo)
        _, er = run(net, xr)
        put("spill logit", f, logit(p))
        bank_o = e[(folds != f) & (y == 0)]
        for k in ks:
            put(f"classifier k{k}, other-day bank", f, log_novelty(e, bank_o, k))
            put(f"classifier k{k}, other-day + recorded bank", f, log_novelty(e, np.concatenate([bank_o, er]), k))
        if a.contrastive_epochs > 0:
            cnet = train_contrastive(xr, xo[torch.from_numpy((folds != f) & (y == 0))], a.contrastive_epochs,
                                     a.seed, xo.shape[1], log)
            with torch.no_grad():
                ce = torch.cat([cnet.embed(xo[i:i + 512]) for i in range(0, len(xo), 512)]).numpy()
                cr = torch.cat([cnet.embed(xr[i:i + 512]) for i in range(0, len(xr), 512)]).numpy()
            cbank_o = ce[(folds != f) & (y == 0)]
            for k in ks:
                put(f"contrastive k{k}, other-day bank", f, log_novelty(ce, cbank_o, k))
                put(f"contrastive k{k}, other-day + recorded bank", f, log_novelty(ce, np.concatenate([cbank_o, cr]), k))

    base = scores["spill logit"]
    rows = []
    for name, s in list(scores.items()):
        rows.append((name, s))
        if name != "spill logit":
            for w in weights:
                rows.append((f"  spill logit + {w:g} x ({name})", base + w * s))
    print(f"| score | ROC AUC | spills missed | normals over | margin per fold |")
    print(f"|---|---|---|---|---|")
    for name, s in rows:
        missed, false, margins, _ = highest_normal_rule(y, s, folds)
        print(f"| {name} | {roc_auc(y, s):.4f} | {missed} of {int(y.sum())} | {false} of {int((y == 0).sum())} | "
              + " ".join(f"{m:+.2f}" for m in margins) + " |")
    if a.scores:
        with open(a.scores, "w") as out:
            out.write("file,label,fold," + ",".join(n.replace(",", ";") for n in scores) + "\n")
            for i, f in enumerate(files):
                out.write(f"{f},{y[i]},{folds[i]}," + ",".join(f"{scores[n][i]:.6g}" for n in scores) + "\n")


if __name__ == "__main__":
    main()
