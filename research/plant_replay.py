#!/usr/bin/env python3
"""Validation replays as hard as the plant: one video per cross-validation fold.

For every fold of a `wellmonitor-trainer crossval --save-folds DIR` folder it writes a
video of the real table frame whose wells show that fold's held-out crops only (the
fold's model never trained on them), degraded the way a camera's stream is:

  - a well's normal look lasts --look seconds (2 s: a well changes slowly; 0.5 s for
    comparison): one crop per look, near-duplicate crops of a group in a run;
  - every crop is resampled into its well's box (the layout's box, 50x29 to 54x33 px,
    is not the crop's size, 43-57 x 24-40 px), area-averaged along an axis that shrinks
    and bilinear along one that grows, before the element resamples the box again;
  - spill events from the fold's spill groups, each at least --spill-min seconds;
  - H.264 from x264 at a camera's constant bitrate (--bitrate kbit/s), a key frame every
    --key-interval seconds, no B-frames, at --fps;
  - Y'CbCr made with the BT.601 matrix (--matrix), in two streams that differ in one
    thing only: `.said.h264` says BT.601 in its sequence header (VUI colour
    description), `.unsaid.h264` is the same bitstream with the colour description
    taken out, as a camera that does not say its matrix sends it. A decoder reads the
    unsaid one with its own guess (GStreamer: BT.709 above 576 lines).

The schedule (which crop each well shows when, and where the spills are) comes from
`wellmonitor-replay --labels --groups`, asked for its --shown list at a tiny size, and
the background from the same tool (the real frame with the plant software's red and
green marks inpainted). Beside each video: FOLD.truth.csv (well,first_frame,last_frame
of every spill), FOLD.looks.csv (well,first_frame,last_frame,file of every look) and
FOLD.json (the parameters, the fold's model and its threshold, the counts).

  research/plant_replay.py --folds DIR --out DIR [--look 2] [--fps 12] [--bitrate 4000]

The streams are raw H.264 (Annex B, as RTSP delivers them): `decodebin` reads them.
Needs build/pipelines/wellmonitor-replay, gst-launch-1.0 with x264enc, python3-numpy and
python3-pil.
"""
import argparse
import csv
import glob
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Kr and Kb of each Y'CbCr matrix (ITU-R BT.601 and BT.709).
MATRICES = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722)}


class ReplayError(Exception):
    """Bad input or a failed tool: one line for the user."""


# ---------------------------------------------------------------- the degradations

def frames_for(seconds, fps):
    """Whole frames that last `seconds` at `fps` (nearest, at least 1)."""
    return max(1, int(math.floor(seconds * fps + 0.5)))


def fit_into_box(rgb, width, height):
    """A crop (HxWx3 uint8) resampled to width x height, each axis on its own:
    area-averaged (PIL's BOX) where it shrinks, bilinear where it grows, as OpenCV's
    INTER_AREA and INTER_LINEAR do."""
    img = Image.fromarray(rgb)
    if img.width != width:
        img = img.resize((width, img.height), Image.BOX if width < img.width else Image.BILINEAR)
    if img.height != height:
        img = img.resize((width, height), Image.BOX if height < img.height else Image.BILINEAR)
    return np.asarray(img)


def rgb_to_ycbcr(rgb, matrix):
    """Studio-range Y', Cb, Cr (floats, 16-235 and 16-240) of 8-bit R'G'B' with `matrix`."""
    kr, kb = MATRICES[matrix]
    c = rgb.astype(np.float64) / 255.0
    y = kr * c[..., 0] + (1.0 - kr - kb) * c[..., 1] + kb * c[..., 2]
    cb = (c[..., 2] - y) / (2.0 * (1.0 - kb))
    cr = (c[..., 0] - y) / (2.0 * (1.0 - kr))
    return 16.0 + 219.0 * y, 128.0 + 224.0 * cb, 128.0 + 224.0 * cr


def ycbcr_to_rgb(y, cb, cr, matrix):
    """8-bit R'G'B' of studio-range Y'CbCr read with `matrix` (rounded and clipped)."""
    kr, kb = MATRICES[matrix]
    yy = (np.asarray(y, np.float64) - 16.0) / 219.0
    pb = (np.asarray(cb, np.float64) - 128.0) / 224.0
    pr = (np.asarray(cr, np.float64) - 128.0) / 224.0
    r = yy + 2.0 * (1.0 - kr) * pr
    b = yy + 2.0 * (1.0 - kb) * pb
    g = (yy - kr * r - kb * b) / (1.0 - kr - kb)
    out = np.stack([r, g, b], axis=-1) * 255.0
    return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)


def misread(rgb, written="bt601", read="bt709"):
    """What a decoder shows of `rgb` written with one matrix and read with the other
    (no chroma subsampling, no compression: the matrix alone)."""
    y, cb, cr = rgb_to_ycbcr(rgb, written)
    q = lambda v: np.clip(np.floor(v + 0.5), 0, 255)
    return ycbcr_to_rgb(q(y), q(cb), q(cr), read)


def to_i420(rgb, matrix):
    """(Y, U, V) uint8 planes of an even-sized HxWx3 picture: 4:2:0, each chroma sample
    the mean of its 2x2 block."""
    h, w = rgb.shape[:2]
    if h % 2 or w % 2:
        raise ValueError(f"4:2:0 needs an even size, got {w}x{h}")
    y, cb, cr = rgb_to_ycbcr(rgb, matrix)
    half = lambda c: c.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    q = lambda v: np.clip(np.floor(v + 0.5), 0, 255).astype(np.uint8)
    return q(y), q(half(cb)), q(half(cr))


class Canvas:
    """The picture being shown (R'G'B') and its I420 planes, kept in step: pasting a
    crop converts only the 2x2-aligned region around it."""

    def __init__(self, background, matrix):
        self.rgb = np.array(background, dtype=np.uint8, copy=True)
        self.matrix = matrix
        self.y, self.u, self.v = to_i420(self.rgb, matrix)

    def paste(self, crop, x, y):
        h, w = crop.shape[:2]
        self.rgb[y:y + h, x:x + w] = crop
        x0, y0 = x & ~1, y & ~1
        x1, y1 = min(self.rgb.shape[1], (x + w + 1) & ~1), min(self.rgb.shape[0], (y + h + 1) & ~1)
        py, pu, pv = to_i420(self.rgb[y0:y1, x0:x1], self.matrix)
        self.y[y0:y1, x0:x1] = py
        self.u[y0 // 2:y1 // 2, x0 // 2:x1 // 2] = pu
        self.v[y0 // 2:y1 // 2, x0 // 2:x1 // 2] = pv

    def planes(self):
        return (self.y, self.u, self.v)


def encoder_command(path, width, height, fps, bitrate_kbps, key_frames, matrix):
    """gst-launch-1.0 words that read raw I420 frames on stdin and write H.264 (Annex B)
    to `path` as a camera does: constant bitrate, a key frame every `key_frames`, no
    B-frames, no look-ahead, the matrix said in the sequence header."""
    return ["gst-launch-1.0", "-q", "fdsrc", "fd=0", "!",
            "rawvideoparse", "format=i420", f"width={width}", f"height={height}", f"framerate={fps}/1",
            f"colorimetry={matrix}", "!",
            "x264enc", "pass=cbr", f"bitrate={bitrate_kbps}", f"key-int-max={key_frames}", "bframes=0",
            "speed-preset=veryfast", "tune=zerolatency", "!",
            "video/x-h264,stream-format=byte-stream,alignment=au", "!", "filesink", f"location={path}"]


# ---- H.264 sequence parameter sets: take the colour description out

class _Bits:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def u(self, n):
        v = 0
        for _ in range(n):
            if self.pos >= 8 * len(self.data):
                raise ValueError("sequence parameter set cut short")
            v = (v << 1) | ((self.data[self.pos >> 3] >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return v

    def ue(self):
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad exp-Golomb code in the sequence parameter set")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self):
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)


def _unescape(nal):
    """RBSP of a NAL unit's payload: emulation prevention bytes (00 00 03) removed."""
    out, zeros = bytearray(), 0
    for b in nal:
        if zeros >= 2 and b == 3:
            zeros = 0
            continue
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


def _escape(rbsp):
    out, zeros = bytearray(), 0
    for b in rbsp:
        if zeros >= 2 and b <= 3:
            out.append(3)
            zeros = 0
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


def _bits_to_bytes(bits):
    bits = bits + "1"  # rbsp_stop_one_bit, then zeros to the byte
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))


def sps_without_colour(nal):
    """A sequence parameter set NAL unit (header byte included) with its VUI's
    video_signal_type (video format, range, colour description) taken out, or the same
    unit when it says none. Raises ValueError when the VUI says a full range or a video
    format, which a decoder would then lose."""
    if not nal or nal[0] & 0x1F != 7:
        raise ValueError("not a sequence parameter set")
    rbsp = _unescape(nal[1:])
    r = _Bits(rbsp)
    profile = r.u(8)
    r.u(16)  # constraint flags, level
    r.ue()  # seq_parameter_set_id
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
        chroma = r.ue()
        if chroma == 3:
            r.u(1)
        r.ue(), r.ue(), r.u(1)  # bit depths, qpprime_y_zero_transform_bypass_flag
        if r.u(1):  # seq_scaling_matrix_present_flag
            for i in range(8 if chroma != 3 else 12):
                if r.u(1):
                    last = nxt = 8
                    for _ in range(16 if i < 6 else 64):
                        if nxt:
                            nxt = (last + r.se() + 256) % 256
                        last = nxt or last
    r.ue()  # log2_max_frame_num_minus4
    poc = r.ue()
    if poc == 0:
        r.ue()
    elif poc == 1:
        r.u(1), r.se(), r.se()
        for _ in range(r.ue()):
            r.se()
    r.ue(), r.u(1), r.ue(), r.ue()  # max_num_ref_frames, gaps, width, height
    if not r.u(1):  # frame_mbs_only_flag
        r.u(1)
    r.u(1)  # direct_8x8_inference_flag
    if r.u(1):  # frame_cropping_flag
        r.ue(), r.ue(), r.ue(), r.ue()
    if not r.u(1):  # vui_parameters_present_flag
        return nal
    if r.u(1) and r.u(8) == 255:  # aspect_ratio_info_present_flag, aspect_ratio_idc
        r.u(32)
    if r.u(1):  # overscan_info_present_flag
        r.u(1)
    flag_at = r.pos
    if not r.u(1):  # video_signal_type_present_flag
        return nal
    video_format, full_range, described = r.u(3), r.u(1), r.u(1)
    if video_format != 5 or full_range:
        raise ValueError("the VUI says a video format or a full range: taking it out would change the picture")
    if described:
        r.u(24)
    rest_at = r.pos
    bits = "".join(str((rbsp[i >> 3] >> (7 - (i & 7))) & 1) for i in range(8 * len(rbsp)))
    end = bits.rstrip("0")[:-1]  # drop the rbsp_stop_one_bit and its alignment zeros
    new = end[:flag_at] + "0" + end[rest_at:]
    return nal[:1] + _escape(_bits_to_bytes(new))


def strip_colour_description(stream):
    """An H.264 Annex B byte stream with every sequence parameter set's colour
    description taken out; every other byte as it was."""
    starts = [m.start() for m in re.finditer(b"\x00\x00\x01", stream)]
    if not starts:
        raise ValueError("no H.264 start code in the stream")
    out, changed = bytearray(stream[:starts[0] + 3]), 0
    for i, s in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(stream)
        body = stream[s + 3:end]
        # A 4-byte start code leaves its leading zero at the end of the unit before it.
        tail = b"\x00" if i + 1 < len(starts) and body.endswith(b"\x00") else b""
        nal = body[:len(body) - len(tail)]
        if nal and nal[0] & 0x1F == 7:
            new = sps_without_colour(nal)
            changed += new != nal
            nal = new
        out += nal + tail + (b"\x00\x00\x01" if i + 1 < len(starts) else b"")
    if not changed:
        raise ValueError("no sequence parameter set in the stream said a colour description")
    return bytes(out)


# ---------------------------------------------------------------- inputs

def read_layout(path):
    """(reference width, height, [(id, x, y, w, h)]) of a well layout file
    (models/include/wellmonitor/layout.h: 'reference W H', then 'well ID X Y W H')."""
    ref, wells = None, []
    with open(path, encoding="utf-8-sig") as f:
        for no, line in enumerate(f, 1):
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            try:
                if fields[0] == "reference" and len(fields) == 3:
                    ref = (int(fields[1]), int(fields[2]))
                    continue
                if fields[0] == "well" and len(fields) == 6:
                    wells.append((fields[1], *(int(v) for v in fields[2:])))
                    continue
            except ValueError:
                pass
            raise ReplayError(f"{path}:{no}: expected 'reference W H' or 'well ID X Y W H'")
    if ref is None or not wells:
        raise ReplayError(f"{path}: no 'reference' line or no well")
    return ref[0], ref[1], wells


def read_rows(path, header):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and list(rows[0].keys()) != header:
        raise ReplayError(f"{path}: expected the header {','.join(header)}")
    return rows


def fold_lists(folds_dir):
    """[(fold, labels path, groups path, model path)] of a crossval --save-folds folder."""
    out = []
    for labels in sorted(glob.glob(os.path.join(folds_dir, "fold-*.labels.txt"))):
        fold = int(re.search(r"fold-(\d+)\.labels\.txt$", labels).group(1))
        models = sorted(glob.glob(os.path.join(folds_dir, f"fold-{fold}-seed-*.wmm")))
        if not models:
            raise ReplayError(f"{folds_dir}: no model for fold {fold} (fold-{fold}-seed-*.wmm)")
        out.append((fold, labels, labels.replace(".labels.txt", ".groups.txt"), models[0]))
    if not out:
        raise ReplayError(f"{folds_dir}: no fold-*.labels.txt (write them with crossval --save-folds DIR)")
    return out


def spill_group_count(labels, groups):
    with open(groups) as g:
        group_of = dict(line.split() for line in g if line.strip())
    with open(labels) as f:
        return len({group_of[n] for n, lab in (line.split() for line in f if line.strip()) if lab == "1"})


def model_threshold(trainer, model):
    """The threshold a model file records (wellmonitor-trainer info prints the file's JSON)."""
    r = subprocess.run([trainer, "info", "--model", model], capture_output=True, text=True)
    try:
        return float(json.loads(r.stdout[r.stdout.index("{"):])["calibration"]["threshold"])
    except (ValueError, KeyError, TypeError):
        raise ReplayError(f"cannot read the threshold of {model}: {(r.stderr or r.stdout).strip()[:300]}")


def run(cmd, what):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise ReplayError(f"{what} failed ({' '.join(cmd[:2])} ...): {(r.stderr or r.stdout).strip()[-600:]}")
    return r


def background_frame(a, labels, groups, tmp):
    """The real frame, its marks inpainted by wellmonitor-replay (one frame, decoded)."""
    avi, raw = os.path.join(tmp, "background.avi"), os.path.join(tmp, "background.rgb")
    run([a.replay_tool, "--labels", labels, "--images", os.path.join(a.otherdays, "imgs"), "--groups", groups,
         "--layout", a.wells, "--frame", a.frame, "--fps", "1", "--duration", "1", "--spills", "0",
         "--codec", "mjpeg", "-q", "-o", avi, "--truth", os.path.join(tmp, "background.truth.csv")],
        "wellmonitor-replay (background)")
    run(["gst-launch-1.0", "-q", "filesrc", f"location={avi}", "!", "decodebin", "!", "videoconvert", "!",
         "video/x-raw,format=RGB", "!", "filesink", f"location={raw}"], "decoding the background")
    w, h = Image.open(a.frame).size
    data = np.fromfile(raw, np.uint8)
    if data.size < w * h * 3:
        raise ReplayError("the background frame came back short")
    return data[:w * h * 3].reshape(h, w, 3)


# ---------------------------------------------------------------- one fold

def build_fold(a, fold, labels, groups, model, background, boxes, tmp):
    stem = os.path.join(a.out, f"fold-{fold}")
    look, hold, key = frames_for(a.look, a.fps), frames_for(a.spill_hold, a.fps), frames_for(a.key_interval, a.fps)
    spills = spill_group_count(labels, groups)
    run([a.replay_tool, "--labels", labels, "--images", os.path.join(a.otherdays, "imgs"), "--groups", groups,
         "--layout", a.wells, "--frame", a.frame, "--fps", str(a.fps), "--duration", str(a.duration),
         "--spills", str(spills), "--seed", str(a.seed + fold), "--change", str(look), "--hold", str(hold),
         "--spill-min", str(a.spill_min), "--jitter", "0", "--size", "96x60", "--codec", "mjpeg", "-q",
         "-o", os.path.join(tmp, f"schedule-{fold}.avi"), "--truth", stem + ".truth.csv",
         "--shown", stem + ".looks.csv"], f"wellmonitor-replay (schedule of fold {fold})")
    truth = read_rows(stem + ".truth.csv", ["well", "first_frame", "last_frame"])
    looks = read_rows(stem + ".looks.csv", ["well", "first_frame", "last_frame", "file"])
    total = frames_for(a.duration, a.fps)
    starts = {}
    for r in looks:
        starts.setdefault(int(r["first_frame"]), []).append((r["well"], r["file"]))
    box_of = {w[0]: w[1:] for w in boxes}
    canvas = Canvas(background, a.matrix)
    fitted = {}
    said = stem + ".said.h264"
    enc = subprocess.Popen(encoder_command(said, canvas.rgb.shape[1], canvas.rgb.shape[0], a.fps, a.bitrate, key,
                                           a.matrix), stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for f in range(total):
            for well, path in starts.get(f, []):
                x, y, w, h = box_of[well]
                if (path, w, h) not in fitted:
                    fitted[(path, w, h)] = fit_into_box(np.asarray(Image.open(path).convert("RGB")), w, h)
                canvas.paste(fitted[(path, w, h)], x, y)
            for p in canvas.planes():
                enc.stdin.write(p.tobytes())
        enc.stdin.close()
    except BrokenPipeError:
        pass
    if enc.wait() != 0:
        raise ReplayError(f"the encoder failed on fold {fold}: {enc.stderr.read().decode()[-600:]}")
    with open(said, "rb") as f:
        stream = f.read()
    with open(stem + ".unsaid.h264", "wb") as f:
        f.write(strip_colour_description(stream))
    spill_frames = {}
    for t in truth:
        spill_frames.setdefault(t["well"], []).append((int(t["first_frame"]), int(t["last_frame"])))
    normal_looks = sum(1 for r in looks if not any(a0 <= int(r["first_frame"]) <= b0
                                                   for a0, b0 in spill_frames.get(r["well"], [])))
    meta = {"fold": fold, "model": os.path.abspath(model), "threshold": a.threshold_of(model),
            "labels": os.path.abspath(labels), "groups": os.path.abspath(groups),
            "fps": a.fps, "frames": total, "duration_s": total / a.fps, "wells": len(boxes),
            "look_s": a.look, "look_frames": look, "spill_min_s": a.spill_min, "spill_hold_frames": hold,
            "bitrate_kbps": a.bitrate, "key_interval_frames": key, "matrix": a.matrix,
            "videos": {"said": os.path.basename(said), "unsaid": os.path.basename(stem + ".unsaid.h264")},
            "spill_events": len(truth), "normal_looks": normal_looks, "seed": a.seed + fold,
            "truth": os.path.basename(stem + ".truth.csv"), "looks": os.path.basename(stem + ".looks.csv")}
    with open(stem + ".json", "w") as f:
        json.dump(meta, f, indent=1)
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="Writes per fold: fold-K.said.h264, fold-K.unsaid.h264, fold-K.truth.csv, "
                                        "fold-K.looks.csv, fold-K.json.")
    ap.add_argument("--folds", required=True, help="a crossval --save-folds folder (fold lists and models)")
    ap.add_argument("--out", required=True, help="folder for the videos and their ground truth")
    ap.add_argument("--look", type=float, default=2.0, help="seconds a normal well's look lasts (default 2)")
    ap.add_argument("--fps", type=int, default=12, help="frames per second (default 12)")
    ap.add_argument("--duration", type=float, default=80.0, help="seconds (default 80)")
    ap.add_argument("--bitrate", type=int, default=4000, help="H.264 bitrate in kbit/s (default 4000)")
    ap.add_argument("--key-interval", type=float, default=2.0, help="seconds between key frames (default 2)")
    ap.add_argument("--matrix", choices=sorted(MATRICES), default="bt601",
                    help="the Y'CbCr matrix the frames are encoded with (default bt601)")
    ap.add_argument("--spill-min", type=float, default=2.0, help="seconds a spill event lasts at least (default 2)")
    ap.add_argument("--spill-hold", type=float, default=0.5, help="seconds each spill crop is shown (default 0.5)")
    ap.add_argument("--seed", type=int, default=1, help="schedule seed; fold K uses seed + K (default 1)")
    ap.add_argument("--only-fold", type=int, action="append", help="build only this fold (repeatable)")
    ap.add_argument("--otherdays", default=os.path.join(ROOT, "../shared/data/otherdays"))
    ap.add_argument("--frame", default=os.path.join(ROOT, "../shared/data/frames/casting_table_1920x1200.png"))
    ap.add_argument("--wells", default=os.path.join(ROOT, "pipelines/casting-table.wells.txt"))
    ap.add_argument("--replay-tool", default=os.path.join(ROOT, "build/pipelines/wellmonitor-replay"))
    ap.add_argument("--trainer", default=os.path.join(ROOT, "build/trainer/wellmonitor-trainer"))
    a = ap.parse_args()
    try:
        for path, what in [(a.otherdays, "--otherdays"), (a.frame, "--frame"), (a.wells, "--wells"),
                           (a.replay_tool, "--replay-tool"), (a.trainer, "--trainer"), (a.folds, "--folds")]:
            if not os.path.exists(path):
                raise ReplayError(f"{what}: {path} does not exist")
        if not (a.look > 0 and a.fps > 0 and a.duration > 0 and a.bitrate > 0 and a.key_interval > 0):
            raise ReplayError("--look, --fps, --duration, --bitrate and --key-interval must be positive")
        os.makedirs(a.out, exist_ok=True)
        a.threshold_of = lambda m: model_threshold(a.trainer, m)
        ref_w, ref_h, boxes = read_layout(a.wells)
        w, h = Image.open(a.frame).size
        if (w, h) != (ref_w, ref_h):
            raise ReplayError(f"the frame is {w}x{h}, the layout's reference {ref_w}x{ref_h}: give them at one size")
        folds = [f for f in fold_lists(a.folds) if not a.only_fold or f[0] in a.only_fold]
        with tempfile.TemporaryDirectory() as tmp:
            background = background_frame(a, folds[0][1], folds[0][2], tmp)
            for fold, labels, groups, model in folds:
                m = build_fold(a, fold, labels, groups, model, background, boxes, tmp)
                print(f"fold {fold}: {m['frames']} frames at {m['fps']} fps, looks of {m['look_frames']} frames, "
                      f"{m['spill_events']} spill events, {m['normal_looks']} normal looks, threshold "
                      f"{m['threshold']:.4g} -> {os.path.join(a.out, m['videos']['said'])} and .unsaid.h264")
    except (ReplayError, ValueError, OSError) as e:
        sys.exit(f"plant_replay: {e}")


if __name__ == "__main__":
    main()
