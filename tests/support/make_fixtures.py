#!/usr/bin/env python3
"""Regenerates tests/fixtures/crops and tests/fixtures/bad from the plant's real data.

Usage (from anywhere; standard library only):
    python3 tests/support/make_fixtures.py [--data DIR]

DIR defaults to ../shared/data beside the checkout (it holds proliv/train and
proliv/proliv). The choice is deterministic: files are taken in name order,
spaced evenly, so running the script again writes the same bytes.

What it writes (all small; a few hundred kB in all):
  crops/normal/  40 real normal crops: 38 distinct ones plus one pair of
                 byte-identical files (the loader must keep 39 after dedup)
  crops/spill/   16 distinct real spill crops from 6 wells, original names
                 <well>_CAM_C_<date>_<time>.jpg (so the by-well split works)
  crops/eval/    8 other normal crops and 4 spill crops from 2 other wells
  crops/labels.txt  '<file name> <0|1>' for every file in crops/eval/
  bad/not_an_image.jpg  a text file with an image extension
  bad/empty.jpg         an empty file
No crop of crops/ is the ambiguous image (the spill that is byte-identical to a
normal crop), and normal/, spill/ and eval/ share no image.
"""
import argparse
import hashlib
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "..", "fixtures"))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data"))

N_NORMAL_SINGLE = 38          # distinct normals in crops/normal (plus the duplicate pair)
N_EVAL_NORMAL = 8
SPILL_WELLS = {19: 2, 24: 3, 28: 2, 29: 3, 31: 3, 34: 3}  # well -> crops, 16 in all
EVAL_SPILL_WELLS = {23: 2, 25: 2}
SPILL_RE = re.compile(r"^(\d+)_CAM_[A-Za-z0-9]+_\d{2}-\d{2}-\d{4}_\d{2}-\d{2}-\d{2}-\d{3}\.jpg$")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def by_hash(folder):
    """name-sorted files -> {sha: [names in name order]}, and name -> sha."""
    groups, of = {}, {}
    for name in sorted(os.listdir(folder)):
        if not name.lower().endswith(".jpg"):
            continue
        h = sha256(os.path.join(folder, name))
        groups.setdefault(h, []).append(name)
        of[name] = h
    return groups, of


def spaced(items, count, offset=0.0):
    """`count` items spaced evenly through `items` (deterministic)."""
    step = len(items) / count
    return [items[int(i * step + offset * step)] for i in range(count)]


def reset(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA, help="folder holding proliv/train and proliv/proliv")
    args = ap.parse_args()
    train_dir = os.path.join(args.data, "proliv", "train")
    spill_dir = os.path.join(args.data, "proliv", "proliv")
    if not os.path.isdir(train_dir) or not os.path.isdir(spill_dir):
        sys.exit(f"make_fixtures: {args.data} has no proliv/train and proliv/proliv")

    train_groups, _ = by_hash(train_dir)
    spill_groups, _ = by_hash(spill_dir)
    ambiguous = set(train_groups) & set(spill_groups)

    # Normals: images that occur once in train/ (so no hidden duplicates), not ambiguous.
    singles = sorted(names[0] for h, names in train_groups.items() if len(names) == 1 and h not in ambiguous)
    normal = spaced(singles, N_NORMAL_SINGLE)
    eval_normal = spaced(singles, N_EVAL_NORMAL, offset=0.5)
    assert not set(normal) & set(eval_normal)
    # The duplicate pair: the first (by name) image stored exactly twice.
    pair = sorted((names for h, names in train_groups.items() if len(names) == 2 and h not in ambiguous),
                  key=lambda n: n[0])[0]

    # Spills: one file per distinct image (the first name), never an ambiguous one; per well in time order.
    per_well = {}
    for h, names in spill_groups.items():
        if h in ambiguous:
            continue
        m = SPILL_RE.match(names[0])
        assert m, names[0]
        per_well.setdefault(int(m.group(1)), []).append(names[0])
    for v in per_well.values():
        v.sort()

    def pick(wells):
        out = []
        for well, k in sorted(wells.items()):
            assert len(per_well.get(well, [])) >= k, f"well {well} has too few distinct spills"
            out += per_well[well][:k]
        return out

    spills = pick(SPILL_WELLS)
    eval_spills = pick(EVAL_SPILL_WELLS)

    crops = os.path.join(FIXTURES, "crops")
    for sub in ("normal", "spill", "eval"):
        reset(os.path.join(crops, sub))
    for n in normal + pair:
        shutil.copyfile(os.path.join(train_dir, n), os.path.join(crops, "normal", n))
    for n in spills:
        shutil.copyfile(os.path.join(spill_dir, n), os.path.join(crops, "spill", n))
    for n in eval_normal:
        shutil.copyfile(os.path.join(train_dir, n), os.path.join(crops, "eval", n))
    for n in eval_spills:
        shutil.copyfile(os.path.join(spill_dir, n), os.path.join(crops, "eval", n))
    with open(os.path.join(crops, "labels.txt"), "w") as f:
        f.write("# labels of crops/eval: <file name> <0|1>, 1 = spill\n")
        f.write(f"# {len(eval_normal)} normal crops, {len(eval_spills)} spill crops (wells "
                f"{', '.join(str(w) for w in sorted(EVAL_SPILL_WELLS))})\n\n")
        rows = [(n, 0) for n in eval_normal] + [(n, 1) for n in eval_spills]
        for n, label in sorted(rows):
            f.write(f"{n} {label}\n")

    bad = os.path.join(FIXTURES, "bad")
    reset(bad)
    with open(os.path.join(bad, "not_an_image.jpg"), "w") as f:
        f.write("This is a text file with a .jpg name, not an image.\n")
    open(os.path.join(bad, "empty.jpg"), "wb").close()

    print(f"normal: {len(normal) + len(pair)} files ({len(normal) + 1} distinct; duplicate pair {pair[0]} {pair[1]})")
    print(f"spill: {len(spills)} files from wells {sorted(SPILL_WELLS)}")
    print(f"eval: {len(eval_normal)} normal + {len(eval_spills)} spill, labels.txt")


if __name__ == "__main__":
    main()
