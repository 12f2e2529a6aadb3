#!/usr/bin/env python3
"""Reference timings in Python (Debian's python3-torch) for the trainer benchmark.

Builds the same architectures as the C++ model library (seed-ae: the reference
autoencoder; compact-ae), times a training step (forward, MSE, backward, Adam)
and the forward pass alone on random crops, and prints one JSON object per
line: {"arch", "threads", "train_crops_per_s", "eval_crops_per_s"}.
"""
import argparse
import json
import time

import torch
from torch import nn


def conv_ae(channels, c1, c2, c3, latent, h=64, w=64, relu_latent=False):
    flat = c3 * (h // 8) * (w // 8)

    class AE(nn.Module):
        def __init__(self):
            super().__init__()
            blocks = []
            for i, o in ((channels, c1), (c1, c2), (c2, c3)):
                blocks += [nn.Conv2d(i, o, 3, 2, 1), nn.BatchNorm2d(o), nn.ReLU()]
            self.encoder = nn.Sequential(*blocks)
            self.to_latent = nn.Linear(flat, latent)
            self.from_latent = nn.Linear(latent, flat)
            self.decoder = nn.Sequential(
                nn.ConvTranspose2d(c3, c2, 4, 2, 1), nn.BatchNorm2d(c2), nn.ReLU(),
                nn.ConvTranspose2d(c2, c1, 4, 2, 1), nn.BatchNorm2d(c1), nn.ReLU(),
                nn.ConvTranspose2d(c1, channels, 4, 2, 1), nn.Tanh())

        def forward(self, x):
            z = self.to_latent(self.encoder(x).flatten(1))
            if relu_latent:
                z = torch.relu(z)
            y = self.from_latent(z).view(-1, c3, h // 8, w // 8)
            return self.decoder(y)

    return AE()


def spill_cnn(channels, base):
    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            chans = [channels, base, 2 * base, 4 * base, 4 * base]
            layers = []
            for i in range(4):
                layers += [nn.Conv2d(chans[i], chans[i + 1], 3, 1, 1), nn.BatchNorm2d(chans[i + 1]), nn.ReLU()]
                if i < 3:
                    layers.append(nn.MaxPool2d(2))
            self.features = nn.Sequential(*layers)
            self.head = nn.Linear(8 * base, 1)

        def forward(self, x):
            h = self.features(x)
            pooled = torch.cat([h.mean((2, 3)), h.flatten(2).max(2).values], 1)
            return self.head(pooled).view(-1)

    return CNN()


def build(arch, channels, base, latent):
    if arch == "seed-ae":
        return conv_ae(channels, 32, 64, 128, 512)
    if arch == "spill-cnn":
        return spill_cnn(channels, base)
    return conv_ae(channels, base, 2 * base, 4 * base, latent, relu_latent=True)


def loss_of(model, xb, labels):
    out = model(xb)
    if out.dim() == 1:  # a classifier: binary cross-entropy on its logits
        return nn.functional.binary_cross_entropy_with_logits(out, labels[:xb.shape[0]])
    return nn.functional.mse_loss(out, xb)


def measure(model, channels, batch, seconds):
    x = torch.rand(2048, channels, 64, 64) * 2 - 1
    labels = (torch.arange(batch) % 2).float()
    opt = torch.optim.Adam(model.parameters(), lr=3e-4)
    model.train()

    def train_step(i):
        xb = x[(i * batch) % 2048:(i * batch) % 2048 + batch]
        opt.zero_grad()
        loss = loss_of(model, xb, labels)
        loss.backward()
        opt.step()
        return xb.shape[0]

    for i in range(2):
        train_step(i)
    n, t0, i = 0, time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        n += train_step(i)
        i += 1
    train_rate = n / (time.perf_counter() - t0)

    model.eval()
    with torch.inference_mode():
        model(x[:256])
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            model(x[:256])
            n += 256
    eval_rate = n / (time.perf_counter() - t0)
    return train_rate, eval_rate


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--arch", required=True, choices=["seed-ae", "compact-ae", "spill-cnn"])
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--base", type=int, default=16)
    p.add_argument("--latent", type=int, default=64)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--seconds", type=float, default=3.0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = build(a.arch, a.channels, a.base, a.latent)
    tr, ev = measure(model, a.channels, a.batch, a.seconds)
    print(json.dumps({"arch": a.arch, "threads": a.threads, "train_crops_per_s": tr, "eval_crops_per_s": ev}))


if __name__ == "__main__":
    main()
