#!/usr/bin/env python3
"""Checks of research/plant_replay.py's degradations, each on a hand-checked input.

  /usr/bin/python3 tests/research/test_plant_replay.py     (run by ctest as Research.PlantReplay)
"""
import importlib.util
import os
import shutil
import subprocess
import tempfile
import unittest

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location("plant_replay", os.path.join(ROOT, "research", "plant_replay.py"))
pr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pr)


def row(*values):
    """A 1-row RGB picture whose pixels are grey levels."""
    return np.repeat(np.array(values, np.uint8).reshape(1, -1, 1), 3, axis=2)


class LookLength(unittest.TestCase):
    def test_seconds_become_the_nearest_whole_frames(self):
        self.assertEqual(pr.frames_for(2, 12), 24)
        self.assertEqual(pr.frames_for(0.5, 12), 6)
        self.assertEqual(pr.frames_for(2, 25), 50)
        self.assertEqual(pr.frames_for(0.5, 25), 13)  # 12.5 rounds up
        self.assertEqual(pr.frames_for(0.01, 12), 1)  # never no frame


class ResampleIntoTheBox(unittest.TestCase):
    def test_a_growing_axis_is_bilinear_with_pixel_centres(self):
        # 2 px -> 4 px: output centres fall at 0.25, 0.75, 1.25, 1.75 of the input.
        out = pr.fit_into_box(row(0, 255), 4, 1)
        self.assertEqual(out[0, :, 0].tolist(), [0, 64, 191, 255])

    def test_a_shrinking_axis_is_area_averaged(self):
        self.assertEqual(pr.fit_into_box(row(0, 0, 255, 255), 2, 1)[0, :, 0].tolist(), [0, 255])
        self.assertEqual(pr.fit_into_box(row(0, 100, 200, 40), 2, 1)[0, :, 0].tolist(), [50, 120])

    def test_each_axis_on_its_own_and_the_box_size_is_kept(self):
        out = pr.fit_into_box(row(0, 100, 200, 40), 2, 3)  # width shrinks, height grows
        self.assertEqual(out.shape, (3, 2, 3))
        self.assertEqual(out[:, :, 0].tolist(), [[50, 120]] * 3)
        crop = np.random.default_rng(1).integers(0, 256, (28, 48, 3), dtype=np.uint8)
        self.assertEqual(pr.fit_into_box(crop, 50, 29).shape, (29, 50, 3))


class ColourMatrices(unittest.TestCase):
    def ycbcr(self, rgb, matrix):
        return tuple(int(np.floor(v + 0.5)) for v in pr.rgb_to_ycbcr(np.array([[rgb]], np.uint8), matrix))

    def test_studio_range_values_of_the_primaries(self):
        self.assertEqual(self.ycbcr((255, 255, 255), "bt601"), (235, 128, 128))
        self.assertEqual(self.ycbcr((0, 0, 0), "bt709"), (16, 128, 128))
        self.assertEqual(self.ycbcr((255, 0, 0), "bt601"), (81, 90, 240))
        self.assertEqual(self.ycbcr((255, 0, 0), "bt709"), (63, 102, 240))
        self.assertEqual(self.ycbcr((0, 255, 0), "bt601"), (145, 54, 34))

    def test_bt601_green_read_as_bt709_loses_a_sixth_of_its_level(self):
        # Y'CbCr (145, 54, 34) read with BT.709: R = 1.164*129 + 1.793*(-94) < 0,
        # G = 1.164*129 - 0.213*(-74) - 0.533*(-94) = 216, B = 1.164*129 + 2.112*(-74) < 0.
        green = np.array([[[0, 255, 0]]], np.uint8)
        self.assertEqual(pr.misread(green)[0, 0].tolist(), [0, 216, 0])
        same = pr.misread(green, "bt601", "bt601")[0, 0].astype(int)
        self.assertLessEqual(np.abs(same - [0, 255, 0]).max(), 1)  # only the 8-bit rounding of Y'CbCr
        grey = np.array([[[128, 128, 128]]], np.uint8)
        self.assertEqual(pr.misread(grey)[0, 0].tolist(), [128, 128, 128])  # no chroma, no change

    def test_i420_chroma_is_the_mean_of_each_2x2_block(self):
        rgb = np.zeros((2, 2, 3), np.uint8)
        rgb[0, 0] = rgb[1, 1] = (255, 0, 0)  # two red, two black
        y, u, v = pr.to_i420(rgb, "bt601")
        self.assertEqual(y.tolist(), [[81, 16], [16, 81]])
        self.assertEqual(u.tolist(), [[109]])  # (90 + 128) / 2
        self.assertEqual(v.tolist(), [[184]])  # (240 + 128) / 2
        with self.assertRaises(ValueError):
            pr.to_i420(np.zeros((3, 2, 3), np.uint8), "bt601")

    def test_a_pasted_crop_updates_the_planes_as_a_whole_conversion_would(self):
        rng = np.random.default_rng(7)
        canvas = pr.Canvas(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8), "bt601")
        canvas.paste(rng.integers(0, 256, (5, 7, 3), dtype=np.uint8), 3, 5)  # odd corner and size
        for got, want in zip(canvas.planes(), pr.to_i420(canvas.rgb, "bt601")):
            np.testing.assert_array_equal(got, want)


def bits(s):
    s = s.replace(" ", "") + "1"  # the stop bit
    s += "0" * (-len(s) % 8)
    return bytes(int(s[i:i + 8], 2) for i in range(0, len(s), 8))


class SequenceHeader(unittest.TestCase):
    # A baseline SPS written bit by bit: profile 66, level 30, id 0, frame num ue(0),
    # POC type ue(2), 1 reference frame ue(1), no gaps, 1x1 macroblocks, frame-only,
    # direct 8x8, no cropping, VUI present.
    HEAD = "01000010 00000000 00011110 1 1 011 010 0 1 1 1 1 0 1"
    VUI_BEFORE = "0 0"  # no aspect ratio, no overscan
    SIGNAL = "1 101 0 1 00000110 00000110 00000110"  # video format 5, limited range, BT.601 described
    VUI_AFTER = "0 0 0 0 0 0"  # chroma loc, timing, NAL HRD, VCL HRD, pic struct, restrictions

    def test_the_colour_description_goes_and_every_other_bit_stays(self):
        sps = b"\x67" + bits(self.HEAD + self.VUI_BEFORE + self.SIGNAL + self.VUI_AFTER)
        want = b"\x67" + bits(self.HEAD + self.VUI_BEFORE + "0" + self.VUI_AFTER)
        self.assertEqual(pr.sps_without_colour(sps), want)
        self.assertEqual(pr.sps_without_colour(want), want)  # nothing said: unchanged

    def test_a_full_range_stream_is_refused_rather_than_changed(self):
        sps = b"\x67" + bits(self.HEAD + self.VUI_BEFORE + "1 101 1 0" + self.VUI_AFTER)
        with self.assertRaises(ValueError):
            pr.sps_without_colour(sps)

    def test_emulation_prevention_bytes_are_read_and_written(self):
        self.assertEqual(pr._unescape(b"\x00\x00\x03\x01\x05"), b"\x00\x00\x01\x05")
        self.assertEqual(pr._escape(b"\x00\x00\x01\x05"), b"\x00\x00\x03\x01\x05")

    def test_a_stream_with_nothing_to_take_out_is_an_error(self):
        with self.assertRaises(ValueError):
            pr.strip_colour_description(b"\x00\x00\x00\x01\x65\x88\x84")


@unittest.skipUnless(shutil.which("gst-launch-1.0"), "gst-launch-1.0 is not installed")
class CameraStream(unittest.TestCase):
    """A flat BT.601 green through the camera encoder, then read back by GStreamer."""

    W, H = 1280, 720  # over 576 lines: GStreamer's guess for an unsaid matrix is BT.709

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="wm_plant_replay_")
        cls.said = os.path.join(cls.tmp, "green.said.h264")
        y, u, v = pr.to_i420(np.tile(np.array([0, 255, 0], np.uint8), (cls.H, cls.W, 1)), "bt601")
        enc = subprocess.Popen(pr.encoder_command(cls.said, cls.W, cls.H, 12, 20000, 24, "bt601"),
                               stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3):
            for p in (y, u, v):
                enc.stdin.write(p.tobytes())
        enc.stdin.close()
        assert enc.wait() == 0, enc.stderr.read().decode()
        cls.unsaid = os.path.join(cls.tmp, "green.unsaid.h264")
        with open(cls.said, "rb") as f, open(cls.unsaid, "wb") as g:
            g.write(pr.strip_colour_description(f.read()))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def parsed_colorimetry(self, path):
        out = subprocess.run(["gst-launch-1.0", "-v", "filesrc", f"location={path}", "!", "h264parse", "!",
                              "fakesink"], capture_output=True, text=True).stdout
        found = {part.split(",")[0] for part in out.split("colorimetry=(string)")[1:]}
        return found

    def decoded(self, path):
        raw = path + ".rgb"
        subprocess.run(["gst-launch-1.0", "-q", "filesrc", f"location={path}", "!", "decodebin", "!", "videoconvert",
                        "!", "video/x-raw,format=RGB", "!", "filesink", f"location={raw}"], check=True)
        return np.fromfile(raw, np.uint8).reshape(-1, self.H, self.W, 3)

    def test_the_said_stream_says_bt601_and_the_unsaid_one_says_nothing(self):
        self.assertEqual(self.parsed_colorimetry(self.said), {"bt601"})
        self.assertEqual(self.parsed_colorimetry(self.unsaid), set())

    def test_read_back_the_said_stream_is_green_and_the_unsaid_one_is_read_as_bt709(self):
        said, unsaid = self.decoded(self.said), self.decoded(self.unsaid)
        self.assertEqual(said.shape[0], 3)
        self.assertEqual(unsaid.shape[0], 3)
        r, g, b = said[:, self.H // 2, self.W // 2].mean(axis=0)
        self.assertLessEqual(max(r, b), 4)
        self.assertGreaterEqual(g, 245)  # videoconvert's fixed-point matrix gives 250, the textbook 255
        r, g2, b = unsaid[:, self.H // 2, self.W // 2].mean(axis=0)
        self.assertLessEqual(max(r, b), 4)
        self.assertAlmostEqual(g - g2, 255 - 216, delta=3)  # the hand-worked misread above


class Layout(unittest.TestCase):
    def test_the_shipped_layout_and_a_bad_line(self):
        w, h, wells = pr.read_layout(os.path.join(ROOT, "pipelines", "casting-table.wells.txt"))
        self.assertEqual((w, h, len(wells)), (1920, 1200, 42))
        self.assertEqual(wells[0], ("r1w1", 539, 185, 50, 29))
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("reference 1920 1200\nwell a 1 2 3\n")
        try:
            with self.assertRaisesRegex(pr.ReplayError, r":2: expected"):
                pr.read_layout(f.name)
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main()
