#!/usr/bin/env python3
"""Exports a wellmonitor model file's network as TorchScript, as a user would
export a network trained in Python (README: "Models trained in Python").

The network is rebuilt in PyTorch from the .wmm file's weights
(bench/reference_element.py's load_module), traced, and saved with its
preprocessing, score and threshold packed into the archive as
"wellmonitor.json", or, with --sidecar, in OUT.json beside it.

  export_torchscript.py MODEL.wmm OUT.pt [--sidecar]
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
from reference_element import load_module  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--sidecar", action="store_true", help="write OUT.json instead of packing the JSON")
    a = ap.parse_args()

    net, meta = load_module(a.model)  # eval mode
    pre = meta["preprocess"]
    channels = 3 if pre["color"] == "rgb" else 1
    # --- what the README shows ---
    traced = torch.jit.trace(net, torch.zeros(1, channels, pre["height"], pre["width"]))
    info = {"preprocess": {"width": pre["width"], "height": pre["height"], "color": pre["color"]},
            "score": meta["score"], "threshold": meta["threshold"]}
    if a.sidecar:
        traced.save(a.out)
        with open(a.out + ".json", "w") as f:
            json.dump(info, f)
    else:
        traced.save(a.out, _extra_files={"wellmonitor.json": json.dumps(info)})


if __name__ == "__main__":
    main()
