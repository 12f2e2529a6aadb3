#!/usr/bin/env python3
"""Alarm decision rules compared offline on the per-frame scores the element posted.

A rule turns one well's scores, frame after frame, into alarms and clears:

  statistic  the frame's own score ("frame"), or the mean or the median of the
             scores of the last `window` seconds;
  alarm      after the statistic has been over the threshold for `alarm` seconds
             (every frame of them; 0: the first frame over it);
  clear      after it has been at or under the clear level for `clear` seconds;
  hysteresis the clear level is `clear_ratio` times the threshold (1: the same level).

Times are whole frames at the stream's rate: n = ceil(seconds x fps), at least 1, so a
rule means the same at 12 and at 25 frames/s. The element's default (alarm-frames=5,
clear-frames=5) is the "frame" statistic with alarm = clear = 5 frames.

A spill event is alarmed within 1 s when its well is in alarm at most 1 s after the
event's first frame; an alarm that starts on a well outside every spill event of that
well (its frames, and `slack` seconds after its end) is a false alarm.

  research/alarm_rules.py --replays DIR [--replays DIR ...] [--variant said] [--scores-tag TAG] [--element]

reads what research/replay_alarms.py saved beside each fold's video (FOLD.json, its
truth and looks, and FOLD.VARIANT[.TAG].scores.csv) and prints, for every rule of the
grid, the events alarmed within 1 s and the false alarms, per fold and per shift.
With --element: the element's rule in seconds (ElementRule, decided as the runtime's
AlarmRule decides it, from the frames' timestamps) at the settings compared for its
default (element_grid), and the default (DEFAULT) per fold.
Standard library and numpy only.
"""
import argparse
import csv
import glob
import json
import math
import os
import sys
from dataclasses import dataclass

import numpy as np

SHIFT_H = 8.0


@dataclass(frozen=True)
class Rule:
    statistic: str = "frame"  # frame | mean | median
    window_s: float = 0.0  # for mean and median: seconds of scores the statistic spans
    alarm_s: float = 0.0  # seconds over the threshold before an alarm (0: the first frame)
    clear_s: float = 0.0  # seconds at or under the clear level before a clear
    clear_ratio: float = 1.0  # clear level = threshold x clear_ratio (< 1: hysteresis)
    alarm_frames: int = 0  # > 0: alarm after this many frames instead of alarm_s (the element's way)
    clear_frames: int = 0  # > 0: clear after this many frames instead of clear_s

    def name(self):
        stat = "frame" if self.statistic == "frame" else f"{self.statistic} {self.window_s:g} s"
        hyst = "" if self.clear_ratio == 1.0 else f", clear under {self.clear_ratio:g} x thr"
        on = f"{self.alarm_frames} frames" if self.alarm_frames else f"{self.alarm_s:g} s"
        off = f"{self.clear_frames} frames" if self.clear_frames else f"{self.clear_s:g} s"
        return f"{stat}, alarm {on}, clear {off}{hyst}"


def frames_of(seconds, fps):
    """Frames that span at least `seconds` at `fps` (at least 1)."""
    return max(1, math.ceil(seconds * fps - 1e-9))


def statistic(scores, fps, rule):
    """The rule's statistic per frame of one well's scores (NaN counts as over any level)."""
    s = np.where(np.isfinite(scores), scores, np.inf)
    if rule.statistic == "frame":
        return s
    n = max(1, int(math.floor(rule.window_s * fps + 0.5)))
    out = np.empty_like(s)
    for i in range(len(s)):
        w = s[max(0, i - n + 1):i + 1]
        out[i] = np.mean(w) if rule.statistic == "mean" else np.median(w)
    return out


def decide(scores, fps, threshold, rule):
    """[(alarm frame, clear frame or None)] of one well's scores (frame after frame)."""
    if rule.statistic not in ("frame", "mean", "median"):
        raise ValueError(f"unknown statistic '{rule.statistic}'")
    stat = statistic(np.asarray(scores, np.float64), fps, rule)
    need_on = rule.alarm_frames or frames_of(rule.alarm_s, fps)
    need_off = rule.clear_frames or frames_of(rule.clear_s, fps)
    clear_level = threshold * rule.clear_ratio
    out, alarm, over, under = [], False, 0, 0
    for f, v in enumerate(stat):
        over = over + 1 if v > threshold else 0
        under = under + 1 if v <= clear_level else 0
        if not alarm and over >= need_on:
            alarm = True
            out.append([f, None])
        elif alarm and under >= need_off:
            alarm = False
            out[-1][1] = f
    return [tuple(a) for a in out]


# ---------------------------------------------------------------- the element's rule in seconds

@dataclass(frozen=True)
class ElementRule:
    """wellmonitor's decision rule, as the runtime's AlarmRule (models/runtime, debouncer.h)
    makes it from buffer timestamps: the statistic is the mean or median of the scores of
    the last `smoothing_s` seconds (0: the frame's own score); a well goes into alarm once
    the statistic has stayed over the threshold for `alarm_s` seconds and clears once it
    has stayed at or under `clear_ratio` x the threshold for `clear_s` seconds.

    Each analysed frame stands for the time until the next one (the period P); a run of
    frames from t_first to t_now lasts t_now - t_first + P, and every time is compared to a
    quarter of a frame (P / 4), so that timestamps rounded to the nanosecond or jittering
    a little give the same frames as whole periods would."""
    smoothing: str = "mean"  # mean | median (only when smoothing_s > 0; the element has the mean)
    smoothing_s: float = 0.0
    alarm_s: float = 0.75
    clear_s: float = 2.0
    clear_ratio: float = 0.5

    def name(self):
        stat = "frame" if self.smoothing_s <= 0 else f"{self.smoothing} {self.smoothing_s:g} s"
        hyst = "" if self.clear_ratio == 1.0 else f", clear under {self.clear_ratio:g} x thr"
        return f"{stat}, alarm {self.alarm_s:g} s, clear {self.clear_s:g} s{hyst}"


def element_times(frames, fps):
    """(times in ns, period in ns) of `frames` frames at `fps`, stamped as GStreamer does."""
    return np.floor(np.arange(frames) * 1e9 / fps), 1e9 / fps


def smoothed(scores, times, period, rule):
    """The element's statistic per frame: the mean or median of the scores whose frames lie
    in the last smoothing_s seconds (a non-finite score counts as over any level)."""
    s = np.where(np.isfinite(scores), scores, np.inf)
    if rule.smoothing_s <= 0:
        return s
    if rule.smoothing not in ("mean", "median"):
        raise ValueError(f"unknown smoothing '{rule.smoothing}'")
    tol = period / 4
    first = np.searchsorted(times, times + period - rule.smoothing_s * 1e9 - tol, side="left")
    first = np.minimum(first, np.arange(len(s)))  # the newest frame always counts
    if rule.smoothing == "median":
        return np.array([np.median(s[first[i]:i + 1]) for i in range(len(s))])
    finite = np.where(np.isinf(s), 0.0, s)
    sums, infs = np.concatenate(([0.0], np.cumsum(finite))), np.concatenate(([0], np.cumsum(np.isinf(s))))
    last = np.arange(1, len(s) + 1)
    mean = (sums[last] - sums[first]) / (last - first)
    return np.where(infs[last] - infs[first] > 0, np.inf, mean)


def decide_element(scores, fps, threshold, rule, times=None, period=None):
    """[(alarm frame, clear frame or None)] of one well's scores under the element's rule."""
    if times is None:
        times, period = element_times(len(scores), fps)
    stat = smoothed(np.asarray(scores, np.float64), times, period, rule)
    tol = period / 4
    alarm_ns, clear_ns = rule.alarm_s * 1e9, rule.clear_s * 1e9
    clear_level = threshold * rule.clear_ratio
    out, alarm, over_since, under_since = [], False, None, None
    for f, (t, v) in enumerate(zip(times, stat)):
        over_since = (t if over_since is None else over_since) if v > threshold else None
        under_since = (t if under_since is None else under_since) if not v > threshold and v <= clear_level else None
        if not alarm and over_since is not None and t - over_since + period + tol >= alarm_ns:
            alarm = True
            out.append([f, None])
        elif alarm and under_since is not None and t - under_since + period + tol >= clear_ns:
            alarm = False
            out[-1][1] = f
    return [tuple(a) for a in out]


def decide_all(frames, fps, threshold, rule):
    """{well: [(alarm, clear)]} for a {well: scores} table (a Rule, or the element's ElementRule)."""
    how = decide_element if isinstance(rule, ElementRule) else decide
    return {w: how(s, fps, threshold, rule) for w, s in frames.items()}


@dataclass
class Figures:
    events: int = 0
    within_1s: int = 0
    alarmed: int = 0  # at any time during the event (or its slack)
    delays_s: list = None
    false_alarms: int = 0
    repeats: int = 0  # alarms that started again within a spill event already alarmed (chatter)
    false_looks: int = 0  # normal looks in which a false alarm started
    normal_looks: int = 0
    hours: float = 0.0
    wells: int = 0

    def per_hour(self):
        return self.false_alarms / self.hours if self.hours else float("nan")

    def per_shift(self):
        return SHIFT_H * self.per_hour()

    def per_look(self):
        return self.false_alarms / self.normal_looks if self.normal_looks else float("nan")


def evaluate(alarms, truth, fps, frames, looks=None, within_s=1.0, slack_s=1.0):
    """Figures of a replay's alarms ({well: [(alarm, clear)]}) against its truth
    ([(well, first, last)]) and its looks ([(well, first, last, file)])."""
    fig = Figures(delays_s=[], hours=frames / fps / 3600.0, wells=len(alarms))
    slack = int(round(slack_s * fps))
    spans = {}
    for w, a, b in truth:
        spans.setdefault(w, []).append((a, b))
    for w, a, b in truth:
        fig.events += 1
        delay, raised_here = None, False
        for on, off in alarms.get(w, []):
            if on < a and (off is None or off >= a):
                delay = 0  # already in alarm when the spill began
                break
            if a <= on <= b + slack:
                delay, raised_here = on - a, True
                break
        # alarms raised again during the event (after a clear), beyond the one that counted
        fig.repeats += sum(1 for on, _ in alarms.get(w, []) if a <= on <= b + slack) - raised_here
        if delay is not None:
            fig.alarmed += 1
            fig.delays_s.append(delay / fps)
            fig.within_1s += delay / fps <= within_s + 1e-9
    false_at = []
    for w, runs in alarms.items():
        for on, _ in runs:
            if not any(a <= on <= b + slack for a, b in spans.get(w, [])):
                fig.false_alarms += 1
                false_at.append((w, on))
    if looks is not None:
        normal = [(w, a, b) for w, a, b, _ in looks if not any(sa <= a <= sb for sa, sb in spans.get(w, []))]
        fig.normal_looks = len(normal)
        fig.false_looks = sum(1 for w, a, b in normal if any(fw == w and a <= f <= b for fw, f in false_at))
    return fig


def false_alarm_crops(alarms, truth, looks, fps, slack_s=1.0):
    """{file: (false alarms, looks shown)} of the normal crops on screen when a false alarm began."""
    slack = int(round(slack_s * fps))
    spans = {}
    for w, a, b in truth:
        spans.setdefault(w, []).append((a, b))
    shown, out = {}, {}
    for w, a, b, f in looks:
        shown[f] = shown.get(f, 0) + 1
    for w, runs in alarms.items():
        for on, _ in runs:
            if any(a <= on <= b + slack for a, b in spans.get(w, [])):
                continue
            f = next((f for lw, a, b, f in looks if lw == w and a <= on <= b), "?")
            out[f] = out.get(f, 0) + 1
    return {f: (n, shown.get(f, 0)) for f, n in out.items()}


def add(figs):
    t = Figures(delays_s=[])
    for f in figs:
        t.events += f.events
        t.within_1s += f.within_1s
        t.alarmed += f.alarmed
        t.delays_s += f.delays_s
        t.false_alarms += f.false_alarms
        t.repeats += f.repeats
        t.false_looks += f.false_looks
        t.normal_looks += f.normal_looks
        t.hours += f.hours
        t.wells = max(t.wells, f.wells)
    return t


def spread(values):
    """'mean ± sd (min-max)' of per-fold values."""
    v = np.asarray(values, np.float64)
    return f"{v.mean():.0f} ± {v.std(ddof=1) if len(v) > 1 else 0:.0f} ({v.min():.0f}-{v.max():.0f})"


# ---------------------------------------------------------------- reading a replay's files

def read_truth(path):
    with open(path, newline="") as f:
        return [(r["well"], int(r["first_frame"]), int(r["last_frame"])) for r in csv.DictReader(f)]


def read_looks(path):
    with open(path, newline="") as f:
        return [(r["well"], int(r["first_frame"]), int(r["last_frame"]), r["file"]) for r in csv.DictReader(f)]


def read_scores(path):
    """({well: scores array}, threshold) of a FOLD.VARIANT.scores.csv (frame, then one column per well)."""
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        if header[0] != "frame":
            sys.exit(f"alarm_rules: {path}: expected a header 'frame,<well>,...'")
        rows = [[float(x) for x in line] for line in r if line]
    a = np.asarray(rows, np.float64)
    if a.size and not np.array_equal(a[:, 0], np.arange(len(a))):
        sys.exit(f"alarm_rules: {path}: frames are not 0, 1, 2, ... (every frame must be analysed)")
    return {w: a[:, i + 1] for i, w in enumerate(header[1:])}


def replay_runs(folder, variant, tag):
    """[(meta, truth, looks, scores)] of every fold replay in a folder that has scores."""
    runs = []
    for meta_path in sorted(glob.glob(os.path.join(folder, "fold-*.json"))):
        with open(meta_path) as f:
            meta = json.load(f)
        stem = meta_path[:-len(".json")]
        scores = f"{stem}.{variant}{'.' + tag if tag else ''}.scores.csv"
        if not os.path.exists(scores):
            sys.exit(f"alarm_rules: {scores} is missing: run research/replay_alarms.py on {folder} first")
        runs.append((meta, read_truth(stem + ".truth.csv"), read_looks(stem + ".looks.csv"), read_scores(scores)))
    if not runs:
        sys.exit(f"alarm_rules: no fold-*.json in {folder}")
    return runs


def rule_figures(runs, rule, threshold_of=None):
    """Per-fold Figures of a rule over replays, each fold at its model's threshold."""
    out = []
    for meta, truth, looks, scores in runs:
        thr = threshold_of(meta) if threshold_of else meta["threshold"]
        alarms = decide_all(scores, meta["fps"], thr, rule)
        out.append(evaluate(alarms, truth, meta["fps"], meta["frames"], looks))
    return out


def sustained(scores, n):
    """The highest level the scores stay over for n frames in a row (the most of every
    n-frame window's least); -inf when there are fewer than n."""
    s = np.where(np.isfinite(scores), scores, np.inf)
    if len(s) < n:
        return -np.inf
    return max(s[i:i + n].min() for i in range(len(s) - n + 1))


def gaps(runs, hold_s=0.5, within_s=1.0, slack_s=1.0):
    """Per fold: (threshold, the hardest spill event, the hardest normal look), each as
    (level, well, first frame): the level an event's score stays over for hold_s within
    its first within_s (the lowest of the fold's events), and the level a normal look's
    score stays over for hold_s (the highest of the fold's looks). A consecutive-frames
    rule with alarm = hold_s alarms every event within 1 s and no look at a threshold
    between the two."""
    out = []
    for meta, truth, looks, scores in runs:
        fps = meta["fps"]
        n = frames_of(hold_s, fps)
        slack = int(round(slack_s * fps))
        events = [(sustained(scores[w][a:a + int(round(within_s * fps)) + 1], n), w, a) for w, a, b in truth]
        near = lambda w, a, b: any(sa - slack <= b and a <= sb + slack for tw, sa, sb in truth if tw == w)
        normal = [(sustained(scores[w][a:b + 1], n), w, a) for w, a, b, _ in looks if not near(w, a, b)]
        out.append((meta["threshold"], min(events), max(normal)))
    return out


def grid():
    """The rules compared: the element's default first."""
    rules = [Rule("frame", alarm_frames=5, clear_frames=5)]  # the element's alarm-frames=5, clear-frames=5
    for a in (0.0, 0.25, 0.5, 0.75, 1.0):
        rules.append(Rule("frame", 0, a, 1.0))
    for stat in ("mean", "median"):
        for w in (0.5, 1.0, 2.0):
            rules.append(Rule(stat, w, 0.0, 1.0))
    for ratio in (0.5, 0.25):
        for a in (0.25, 0.5, 0.75):
            rules.append(Rule("frame", 0, a, 1.0, ratio))
    for ratio in (0.5,):
        rules.append(Rule("median", 1.0, 0.0, 1.0, ratio))
        rules.append(Rule("mean", 1.0, 0.0, 1.0, ratio))
    return rules


def element_grid():
    """The element's rules compared for its default (docs/validation.md): the older
    consecutive-frames default first, then rules in seconds with and without smoothing
    and hysteresis; the shipped default is DEFAULT."""
    rules = [Rule("frame", alarm_frames=5, clear_frames=5)]
    for a in (0.5, 0.75, 0.9):
        rules.append(ElementRule("mean", 0.0, a, 1.0, 1.0))
    rules += [ElementRule("mean", 0.0, 0.75, 2.0, 1.0), DEFAULT, ElementRule("mean", 0.0, 0.9, 2.0, 0.5)]
    for w, a in ((0.5, 0.5), (0.5, 0.75), (1.0, 0.25), (1.0, 0.5), (2.0, 0.0)):
        rules.append(ElementRule("mean", w, a, 2.0, 0.5))
    rules.append(ElementRule("median", 1.0, 0.25, 2.0, 0.5))
    return rules


# wellmonitor's default rule (its properties alarm-seconds, clear-seconds, smoothing-seconds, clear-ratio)
DEFAULT = ElementRule()
# Normal looks of the 42-well table in an 8-hour shift, for the per-look conversion:
# about 80 distinct looks a well (one every 6 minutes of a casting cycle).
SHIFT_LOOKS = 3360


def print_element_rules(runs, label):
    """One row per rule of element_grid() on one set of fold replays."""
    print(f"\n{label}")
    print("| rule | events within 1 s | slowest alarm (s) | false alarms, folds | per 8-h shift at the replay's "
          "pace, mean ± sd (min-max) | per normal look | per shift at 3,360 looks |")
    print("|---|---|---|---|---|---|---|")
    for rule in element_grid():
        figs = rule_figures(runs, rule)
        t = add(figs)
        slowest = max(t.delays_s) if t.delays_s else float("nan")
        mark = " (default)" if rule == DEFAULT else ""
        print(f"| {rule.name()}{mark} | {t.within_1s} / {t.events} | {slowest:.2f} | {t.false_alarms} "
              f"({', '.join(str(f.false_alarms) for f in figs)}) | {spread([f.per_shift() for f in figs])} "
              f"| {t.per_look():.3%} | {t.per_look() * SHIFT_LOOKS:.0f} |")


def print_default_per_fold(runs, label, rule=DEFAULT):
    """The default rule per fold: events, false alarms per 80 s, per hour and per shift."""
    figs = rule_figures(runs, rule)
    print(f"\n{label}: {rule.name()}")
    print("| fold | threshold | events within 1 s | false alarms | per hour | per 8-h shift | normal looks "
          "| per look | per shift at 3,360 looks |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (meta, *_), f in zip(runs, figs):
        print(f"| {meta['fold']} | {meta['threshold']:.4g} | {f.within_1s} / {f.events} | {f.false_alarms} "
              f"| {f.per_hour():.0f} | {f.per_shift():.0f} | {f.normal_looks} | {f.per_look():.3%} "
              f"| {f.per_look() * SHIFT_LOOKS:.0f} |")
    t = add(figs)
    print(f"| all | | {t.within_1s} / {t.events} | {t.false_alarms} | {spread([f.per_hour() for f in figs])} "
          f"| {spread([f.per_shift() for f in figs])} | {t.normal_looks} | {t.per_look():.3%} "
          f"| {spread([f.per_look() * SHIFT_LOOKS for f in figs])} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replays", action="append", required=True,
                    help="a folder of fold replays with their scores (repeatable: one table each)")
    ap.add_argument("--variant", default="said", help="which stream's scores: said or unsaid (default said)")
    ap.add_argument("--scores-tag", default="", help="the TAG of FOLD.VARIANT.TAG.scores.csv, if any")
    ap.add_argument("--threshold-scale", type=float, default=1.0,
                    help="also multiply every fold's threshold by this (to see what a margin buys)")
    ap.add_argument("--gaps", action="store_true",
                    help="also print each fold's hardest spill event and hardest normal look (levels held 0.5 s)")
    ap.add_argument("--element", action="store_true",
                    help="compare the element's rules in seconds (element_grid) and print the default per fold")
    a = ap.parse_args()
    for folder in a.replays:
        runs = replay_runs(folder, a.variant, a.scores_tag)
        if a.element:
            m0 = runs[0][0]
            label = (f"{folder}: {len(runs)} folds, {m0['fps']} frames/s, looks of {m0['look_s']:g} s, "
                     f"{a.variant} matrix")
            print_element_rules(runs, label)
            print_default_per_fold(runs, label)
            continue
        if a.gaps:
            print(f"\n{folder} ({a.variant}): levels held for 0.5 s, the event's within its first second")
            print("| fold | threshold | hardest spill event | hardest normal look | gap |")
            print("|---|---|---|---|---|")
            for (meta, *_), (thr, ev, nl) in zip(runs, gaps(runs)):
                print(f"| {meta['fold']} | {thr:.4g} | {ev[0]:.3f} ({ev[1]}, frame {ev[2]}) | {nl[0]:.3f} ({nl[1]}, "
                      f"frame {nl[2]}) | {'open' if ev[0] > nl[0] else 'closed'} |")
        m0 = runs[0][0]
        print(f"\n{folder}: {len(runs)} folds, {m0['fps']} frames/s, looks of {m0['look_s']:g} s, "
              f"{a.variant} matrix{', ' + a.scores_tag if a.scores_tag else ''}, thresholds "
              + ", ".join(f"{m['threshold'] * a.threshold_scale:.4g}" for m, *_ in runs))
        print("| rule | events within 1 s | alarmed at all | false alarms (per fold) | per shift, mean ± sd "
              "(min-max) | per look |")
        print("|---|---|---|---|---|---|")
        for rule in grid():
            figs = rule_figures(runs, rule, lambda m: m["threshold"] * a.threshold_scale)
            t = add(figs)
            print(f"| {rule.name()} | {t.within_1s} / {t.events} | {t.alarmed} | {t.false_alarms} "
                  f"({', '.join(str(f.false_alarms) for f in figs)}) | {spread([f.per_shift() for f in figs])} "
                  f"| {t.per_look():.4%} |")


if __name__ == "__main__":
    main()
