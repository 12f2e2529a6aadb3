#!/usr/bin/env python3
"""Checks of research/alarm_rules.py: the decision rules and the event counting, on
hand-worked score sequences.

  /usr/bin/python3 tests/research/test_alarm_rules.py     (run by ctest as Research.AlarmRules)
"""
import math
import os
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "research"))
import alarm_lines  # noqa: E402
import alarm_rules as ar  # noqa: E402
import seed_mean  # noqa: E402

Rule = ar.Rule


class Durations(unittest.TestCase):
    def test_seconds_become_the_frames_that_span_them(self):
        self.assertEqual(ar.frames_of(0.5, 12), 6)
        self.assertEqual(ar.frames_of(0.5, 25), 13)
        self.assertEqual(ar.frames_of(5 / 12, 12), 5)  # not 6 by a rounding error
        self.assertEqual(ar.frames_of(1.0, 25), 25)
        self.assertEqual(ar.frames_of(0.0, 12), 1)  # the first frame over it


class ConsecutiveFrames(unittest.TestCase):
    def test_the_elements_rule_in_frames(self):
        s = [0, 1, 1, 1, 0, 0, 1]
        self.assertEqual(ar.decide(s, 12, 0.5, Rule(alarm_frames=3, clear_frames=2)), [(3, 5)])
        self.assertEqual(ar.decide(s, 12, 0.5, Rule(alarm_frames=4, clear_frames=2)), [])
        self.assertEqual(ar.decide([0.5, 0.5], 12, 0.5, Rule()), [])  # at the threshold is not over it

    def test_an_alarm_in_seconds_comes_after_the_same_time_at_12_and_25_frames_per_second(self):
        rule = Rule(alarm_s=0.5, clear_s=0.5)
        for fps, want in ((12, 12 + 5), (25, 25 + 12)):
            s = [0.0] * fps + [1.0] * (2 * fps) + [0.0] * fps  # a spill from 1 s to 3 s
            (on, off), = ar.decide(s, fps, 0.5, rule)
            self.assertEqual(on, want)  # its 6th / 13th frame over: 0.5 s of frames
            self.assertAlmostEqual((on + 1 - fps) / fps, 0.5, delta=0.04)
            self.assertAlmostEqual((off + 1 - 3 * fps) / fps, 0.5, delta=0.04)

    def test_a_score_that_is_no_number_counts_as_over(self):
        self.assertEqual(ar.decide([math.nan, math.nan], 12, 0.5, Rule(alarm_frames=2)), [(1, None)])


class Smoothing(unittest.TestCase):
    def test_a_mean_over_one_second_ignores_one_high_frame_and_alarms_on_two(self):
        rule = Rule("mean", window_s=1.0)  # 4 frames at 4 frames/s
        self.assertEqual(ar.decide([0, 0, 0, 0, 0, 1, 0, 0, 0], 4, 0.3, rule), [])  # mean 0.25 at most
        # means 0.25, 0.5, 0.5, 0.5, 0.25 from frame 5 on: alarm at 6, clear at 9
        self.assertEqual(ar.decide([0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0], 4, 0.3, rule), [(6, 9)])

    def test_a_median_needs_most_of_its_window(self):
        rule = Rule("median", window_s=0.75)  # 3 frames at 4 frames/s
        s = [0, 1, 0, 0, 1, 1]  # one high frame in 3 is ignored, two of 3 alarm
        self.assertEqual(ar.statistic(s, 4, rule).tolist(), [0, 0.5, 0, 0, 0, 1])
        self.assertEqual(ar.decide(s, 4, 0.6, rule), [(5, None)])


class Hysteresis(unittest.TestCase):
    def test_a_lower_clear_level_holds_the_alarm_until_the_score_falls_under_it(self):
        s = [0.6, 0.6, 0.4, 0.4, 0.2, 0.2, 0.6]
        self.assertEqual(ar.decide(s, 12, 0.5, Rule(alarm_frames=2, clear_frames=2)), [(1, 3)])
        self.assertEqual(ar.decide(s, 12, 0.5, Rule(alarm_frames=2, clear_frames=2, clear_ratio=0.5)), [(1, 5)])

    def test_a_score_between_the_levels_neither_alarms_nor_clears(self):
        s = [0.6, 0.4, 0.6, 0.4, 0.6, 0.4]
        rule = Rule(alarm_frames=1, clear_frames=1, clear_ratio=0.5)
        self.assertEqual(ar.decide(s, 12, 0.5, rule), [(0, None)])  # one alarm, no chatter
        self.assertEqual(ar.decide(s, 12, 0.5, Rule(alarm_frames=1, clear_frames=1)),
                         [(0, 1), (2, 3), (4, 5)])  # the same scores chatter without it


class TheElementsRuleInSeconds(unittest.TestCase):
    """The same cases as the runtime's tests/runtime/test_alarm_rule.cpp, with the same answers."""

    def feed(self, fps, parts, rule):
        scores = [v for n, v in parts for _ in range(n)]
        return ar.decide_element(scores, fps, 0.5, rule)

    def test_alarm_and_clear_after_the_same_seconds_at_6_12_and_25_frames_per_second(self):
        rule = ar.ElementRule(alarm_s=0.5, clear_s=1.0, clear_ratio=1.0)
        for fps, frames in ((6, 3), (12, 6), (25, 13)):
            got = self.feed(fps, [(fps, 0.1), (3 * fps, 0.9), (2 * fps, 0.1)], rule)
            self.assertEqual(got, [(fps + frames - 1, 5 * fps - 1)], fps)

    def test_zero_seconds_is_the_first_frame_and_a_time_is_met_within_a_quarter_frame(self):
        self.assertEqual(self.feed(12, [(1, 0.9), (1, 0.1)], ar.ElementRule(alarm_s=0, clear_s=0, clear_ratio=1)),
                         [(0, 1)])
        self.assertEqual(self.feed(12, [(12, 0.9)], ar.ElementRule(alarm_s=5 / 12, clear_s=1)), [(4, None)])

    def test_smoothing_ignores_one_high_frame_and_alarms_on_a_high_mean(self):
        rule = ar.ElementRule(smoothing_s=1.0, alarm_s=0.0, clear_s=1.0, clear_ratio=1.0)
        self.assertEqual(self.feed(12, [(12, 0.1), (1, 0.9), (12, 0.1)], rule), [])
        self.assertEqual(self.feed(12, [(12, 0.0), (12, 0.9)], rule), [(18, None)])  # 7 x 0.9 / 12 = 0.525
        self.assertEqual(self.feed(25, [(25, 0.0), (25, 0.9)], rule), [(38, None)])  # 14 x 0.9 / 25 = 0.504
        self.assertEqual(self.feed(12, [(12, 0.1), (1, math.nan)], rule), [(12, None)])

    def test_a_clear_ratio_holds_the_alarm_until_the_score_falls_under_its_level(self):
        parts = [(6, 0.9), (36, 0.4), (24, 0.2)]
        self.assertEqual(self.feed(12, parts, ar.ElementRule(alarm_s=0, clear_s=1, clear_ratio=1.0)), [(0, 17)])
        self.assertEqual(self.feed(12, parts, ar.ElementRule(alarm_s=0, clear_s=1, clear_ratio=0.5)), [(0, 53)])
        swing = [(4, 0.9), (4, 0.4)] * 5
        self.assertEqual(len(self.feed(12, swing, ar.ElementRule(alarm_s=0.25, clear_s=0.25, clear_ratio=1))), 5)
        self.assertEqual(self.feed(12, swing, ar.ElementRule(alarm_s=0.25, clear_s=0.25, clear_ratio=0.5)),
                         [(2, None)])

    def test_repeated_alarms_within_a_spill_event_are_counted_apart(self):
        fig = ar.evaluate({"w1": [(15, 20), (25, 40)]}, [("w1", 10, 30)], 10, 800)
        self.assertEqual((fig.within_1s, fig.repeats, fig.false_alarms), (1, 1, 0))


class Margin(unittest.TestCase):
    def test_the_level_held_for_n_frames_is_the_best_window_minimum(self):
        self.assertEqual(ar.sustained([0.1, 0.5, 0.6, 0.2], 2), 0.5)
        self.assertEqual(ar.sustained([0.1, 0.5, 0.6, 0.2], 1), 0.6)
        self.assertEqual(ar.sustained([0.1, 0.5, 0.6, 0.2], 4), 0.1)
        self.assertEqual(ar.sustained([0.1], 2), -math.inf)


class Counting(unittest.TestCase):
    truth = [("w1", 10, 30)]  # at 10 frames/s: a spill from 1.0 s to 3.0 s

    def test_events_within_a_second_late_ones_and_false_alarms(self):
        fig = ar.evaluate({"w1": [(15, 40)], "w2": [(5, 8)]}, self.truth, 10, 800)
        self.assertEqual((fig.events, fig.within_1s, fig.alarmed, fig.false_alarms), (1, 1, 1, 1))
        self.assertEqual(fig.delays_s, [0.5])
        late = ar.evaluate({"w1": [(25, None)]}, self.truth, 10, 800)
        self.assertEqual((late.within_1s, late.alarmed, late.false_alarms), (0, 1, 0))
        after = ar.evaluate({"w1": [(41, 50)]}, self.truth, 10, 800)  # after the end and its 1 s slack
        self.assertEqual((after.alarmed, after.false_alarms), (0, 1))

    def test_a_well_already_in_alarm_when_its_spill_begins_is_alarmed_at_once(self):
        fig = ar.evaluate({"w1": [(5, None)]}, self.truth, 10, 800)
        self.assertEqual((fig.within_1s, fig.false_alarms, fig.delays_s), (1, 1, [0.0]))

    def test_rates_per_hour_per_shift_and_per_normal_look(self):
        looks = [("w1", 0, 9, "a"), ("w1", 10, 30, "spill"), ("w1", 31, 799, "b"), ("w2", 0, 399, "c"),
                 ("w2", 400, 799, "d")]
        fig = ar.evaluate({"w2": [(5, 8), (7, None)]}, self.truth, 10, 800, looks)  # 80 s
        self.assertEqual(fig.false_alarms, 2)
        self.assertAlmostEqual(fig.per_hour(), 2 * 3600 / 80)  # 90
        self.assertAlmostEqual(fig.per_shift(), 8 * 90)
        self.assertEqual((fig.normal_looks, fig.false_looks), (4, 1))  # the spill is no normal look
        self.assertAlmostEqual(fig.per_look(), 0.5)

    def test_the_crop_on_screen_when_a_false_alarm_began_is_named(self):
        looks = [("w1", 0, 9, "a"), ("w1", 10, 30, "spill"), ("w1", 31, 799, "a"), ("w2", 0, 399, "c")]
        alarms = {"w1": [(12, 35), (50, None)], "w2": [(5, 8), (7, None)]}  # the first is the spill's
        self.assertEqual(ar.false_alarm_crops(alarms, self.truth, looks, 10), {"a": (1, 2), "c": (2, 1)})



class RunnerLines(unittest.TestCase):
    def test_alarm_and_clear_lines_become_runs_counted_against_the_truth(self):
        lines = ["wellmonitor-run: the stream says its colour matrix: BT.601\n",
                 "ALARM well=r1w1 time=0.667s frame=8 score=0.1700 threshold=0.1107\n",
                 "ALARM well=r2w3 time=1.000s frame=12 score=0.9000 threshold=0.1107\n",
                 "CLEAR well=r1w1 time=3.000s frame=36 score=0.0002 threshold=0.1107\n",
                 "SHADOW ALARM well=r1w1 time=5.000s frame=60 score=0.2000 threshold=0.1107\n"]
        runs = alarm_lines.alarm_runs(lines)
        self.assertEqual(runs, {"r1w1": [(8, 36), (60, None)], "r2w3": [(12, None)]})
        # r2w3's spill from frame 4 is alarmed 8 frames in; r1w1's alarms are false
        fig = ar.evaluate(runs, [("r2w3", 4, 30)], 12, frames=1)
        self.assertEqual((fig.events, fig.within_1s, fig.false_alarms), (1, 1, 2))

class SeedMean(unittest.TestCase):
    def test_a_folds_threshold_is_the_highest_seed_mean_of_the_other_folds_normals(self):
        import tempfile
        rows = [  # file, label, group, fold, seed, score
            ("a", 0, "g1", 0, 1, 0.10), ("a", 0, "g1", 0, 2, 0.30),  # mean 0.20, fold 0
            ("b", 0, "g2", 1, 1, 0.40), ("b", 0, "g2", 1, 2, 0.00),  # mean 0.20, fold 1
            ("c", 0, "g3", 1, 1, 0.05), ("c", 0, "g3", 1, 2, 0.15),  # mean 0.10, fold 1
            ("d", 1, "g4", 0, 1, 0.90), ("d", 1, "g4", 0, 2, 0.95),  # a spill: never a threshold
        ]
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            f.write("file,label,group,fold,seed,score\n")
            for r in rows:
                f.write(",".join(str(x) for x in r) + "\n")
        try:
            t0, t1 = seed_mean.fold_thresholds(f.name, [0, 1])
        finally:
            os.unlink(f.name)
        self.assertAlmostEqual(t0, 0.20)  # fold 1's normals: b 0.20, c 0.10 (not b's 0.40 of one seed)
        self.assertAlmostEqual(t1, 0.20)  # fold 0's normal a


if __name__ == "__main__":
    unittest.main()
