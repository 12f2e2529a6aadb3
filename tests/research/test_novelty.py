#!/usr/bin/env python3
"""Checks of research/novelty.py on hand-checked inputs and on the committed default-model fixtures.

  /usr/bin/python3 tests/research/test_novelty.py     (run by ctest as Crossval.NoveltyTool...)
"""
import csv
import importlib.util
import math
import os
import tempfile
import unittest

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location("novelty", os.path.join(ROOT, "research", "novelty.py"))
novelty = importlib.util.module_from_spec(spec)
spec.loader.exec_module(novelty)

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "default-model", "otherdays")


class ModelReader(unittest.TestCase):
    def test_default_model_gives_the_probabilities_evaluate_recorded(self):
        # scores.csv is `evaluate --scores` of models/default.wmm on these crops (the trainer's path).
        meta, net = novelty.load_classifier(os.path.join(ROOT, "models", "default.wmm"))
        with open(os.path.join(FIXTURES, "scores.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 20)
        x = novelty.load_crops([os.path.join(FIXTURES, "imgs", r["file"]) for r in rows], meta["preprocess"])
        p, e = novelty.run(net, x)
        self.assertEqual(e.shape, (20, 64))  # mean and max of 4 x base 8 channels
        for r, got in zip(rows, p):
            self.assertAlmostEqual(float(got), float(r["score"]), delta=1e-5, msg=r["file"])

    def test_a_file_that_is_not_a_model_is_refused_by_name(self):
        with tempfile.NamedTemporaryFile(suffix=".wmm") as f:
            f.write(b"not a model at all, just some bytes")
            f.flush()
            with self.assertRaisesRegex(ValueError, "not a wellmonitor model file"):
                novelty.read_model(f.name)


class Scores(unittest.TestCase):
    def test_knn_novelty_is_the_mean_cosine_distance_to_the_k_nearest(self):
        bank = [[1.0, 0.0], [0.0, 1.0]]
        e = [[2.0, 0.0], [1.0, 1.0], [-1.0, 0.0]]
        h = 1 - 1 / math.sqrt(2)
        np.testing.assert_allclose(novelty.knn_novelty(e, bank, 1), [0.0, h, 1.0], atol=1e-12)
        np.testing.assert_allclose(novelty.knn_novelty(e, bank, 2), [0.5, h, 1.5], atol=1e-12)
        # k beyond the bank is the whole bank
        np.testing.assert_allclose(novelty.knn_novelty(e, bank, 9), [0.5, h, 1.5], atol=1e-12)
        np.testing.assert_allclose(novelty.log_novelty([[1.0, 1.0]], bank, 1), [math.log(h)], atol=1e-12)

    def test_roc_auc_counts_pairs_and_half_ties(self):
        self.assertAlmostEqual(novelty.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75)
        self.assertAlmostEqual(novelty.roc_auc([0, 1], [0.5, 0.5]), 0.5)

    def test_each_fold_sits_at_the_highest_normal_of_the_other_folds(self):
        y = [0, 0, 1, 0, 0, 1]
        folds = [0, 0, 0, 1, 1, 1]
        s = [0.1, 0.3, 0.5, 0.2, 0.6, 0.4]
        missed, false, margins, thresholds = novelty.highest_normal_rule(y, s, folds)
        self.assertEqual(thresholds, [0.6, 0.3])
        self.assertEqual(missed, 1)  # fold 0's spill, 0.5 <= 0.6
        self.assertEqual(false, 1)  # fold 1's normal 0.6 > 0.3
        np.testing.assert_allclose(margins, [(0.5 - 0.6) / (0.6 - 0.4), (0.4 - 0.3) / (0.3 - 0.2)])

    def test_logit_is_clipped_not_infinite(self):
        v = novelty.logit([0.0, 0.5, 1.0])
        self.assertTrue(np.all(np.isfinite(v)))
        self.assertAlmostEqual(v[1], 0.0)


class Contrastive(unittest.TestCase):
    def test_nt_xent_of_aligned_views_matches_the_hand_worked_value(self):
        a = torch.eye(2)
        # each row: positive at cosine 1 (5 after / 0.2), two negatives at 0, itself masked
        self.assertAlmostEqual(novelty.nt_xent(a, a.clone()).item(), math.log(1 + 2 * math.exp(-5)), places=6)
        self.assertGreater(novelty.nt_xent(a, a.flip(0)).item(), novelty.nt_xent(a, a.clone()).item())

    def test_augment_keeps_shape_and_range_and_repeats_for_one_seed(self):
        x = torch.rand(16, 3, 64, 64) * 2 - 1
        a = novelty.augment(x, torch.Generator().manual_seed(3))
        b = novelty.augment(x, torch.Generator().manual_seed(3))
        self.assertEqual(a.shape, x.shape)
        self.assertLessEqual(a.abs().max().item(), 1.0)
        self.assertTrue(torch.equal(a, b))
        self.assertFalse(torch.allclose(a, x))

    def test_training_runs_and_gives_an_eval_mode_trunk(self):
        torch.set_num_threads(1)
        normals, other = torch.rand(300, 3, 64, 64) * 2 - 1, torch.rand(40, 3, 64, 64) * 2 - 1
        net = novelty.train_contrastive(normals, other, epochs=1, seed=1)
        self.assertFalse(net.training)
        with torch.no_grad():
            self.assertEqual(tuple(net.embed(other[:5]).shape), (5, 64))


if __name__ == "__main__":
    unittest.main(verbosity=2)
