#!/usr/bin/python3
"""Writes the seed corpus of the libFuzzer harnesses (fuzz/corpus/), small and
deterministic. Run from the source root after a build:

    /usr/bin/python3 fuzz/make_seeds.py MODEL.wmm...

Each MODEL.wmm (tiny ones: see fuzz/README.md) becomes a seed of the model
harness in the form fuzz_model.cpp fixes up: its payload SHA-256 replaced by
the placeholder, its footer zeroed (the harness writes both)."""
import io
import json
import os
import random
import struct
import sys

from PIL import Image

PLACEHOLDER = "FUZZ" * 16
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(harness, name, data):
    d = os.path.join(ROOT, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def model_seed(path):
    raw = open(path, "rb").read()
    assert raw[:8] == b"WELLMON\0", path
    meta_len = struct.unpack_from("<Q", raw, 16)[0]
    meta = json.loads(raw[24:24 + meta_len])
    payload = raw[24 + meta_len:-64]
    meta["payload_sha256"] = PLACEHOLDER
    meta.get("provenance", {}).clear()  # hashes of training crops: long and of no use here
    text = json.dumps(meta, separators=(",", ":")).encode()
    return raw[:16] + struct.pack("<Q", len(text)) + text + payload + b"0" * 64


def main():
    put("layout", "three.wells", "# three wells\nreference 64 48\nwell a 0 0 16 16\nwell b 20 10 30 30\nwell c 60 44 4 4\n")
    put("layout", "bom-crlf.wells", "\ufeffreference 1920 1200\r\nwell 1 100 200 50 60 # one\r\n\r\nwell w-2.x 0 0 1920 1200\r\n")
    put("layout", "bad.wells", "reference 10 10\nwell a 5 5 10 10\nwell a 0 0 1 1\nspill 1 2\n")
    plant = os.path.join(os.path.dirname(ROOT), "..", "pipelines", "casting-table.wells.txt")
    put("layout", "casting-table.wells", open(plant, "rb").read())

    put("labels", "two.txt", "# name label\na.png 0\nb.jpg 1\n")
    put("labels", "bad.txt", "\ufeffa.png 0\r\n../outside.png 1\n/etc/passwd 0\nb.jpg 2\na.png 1 extra\n")

    for fmt, name in (("PNG", "tiny.png"), ("JPEG", "tiny.jpg"), ("BMP", "tiny.bmp")):
        img = Image.new("RGB", (6, 4), (200, 120, 40))
        img.putpixel((1, 1), (0, 0, 255))
        b = io.BytesIO()
        img.save(b, fmt)
        put("crop", name, b.getvalue())
    b = io.BytesIO()
    Image.new("L", (5, 3), 77).save(b, "PNG")
    put("crop", "gray.png", b.getvalue())

    rng = random.Random(20261201)
    for i, n in enumerate((16, 600, 3000, 12000)):
        put("element", "random-%d" % i, bytes(rng.randrange(256) for _ in range(n)))

    for path in sys.argv[1:]:
        put("model", os.path.splitext(os.path.basename(path))[0] + ".seed", model_seed(path))


if __name__ == "__main__":
    main()
